"""The department reports: for each, its path, collection, query schema, pipeline and output.

Adding a report is one entry here plus its pipeline module and response schema.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from marshmallow import Schema

from pipelines import amount_of_chats
from pipelines.params import ReportParams
from pipelines.stages import Stage, read_page
from service import schemas

ROOMS = "rocketchat_room"


@dataclass(frozen=True, slots=True)
class Report:
    name: str
    collection: str
    query_schema: Schema
    build: Callable[[ReportParams], list[Stage]]
    response_schema: Schema

    def body(self, result: list[dict[str, Any]], params: ReportParams) -> dict[str, Any]:
        """Rocket.Chat's envelope around one page of the aggregation's `$facet` output."""
        rows, total = read_page(result)
        dumped: dict[str, Any] = self.response_schema.dump(
            {
                "departments": rows,
                "count": len(rows),
                "offset": params.page.offset,
                "total": total,
                "success": True,
            }
        )
        return dumped


AMOUNT_OF_CHATS = Report(
    name="amount-of-chats",
    collection=ROOMS,
    query_schema=schemas.AmountOfChatsQuery(),
    build=amount_of_chats.build,
    response_schema=schemas.AmountOfChatsResponse,
)
