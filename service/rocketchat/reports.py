"""The department reports: for each, its path, collection, query schema, pipeline and output.

Adding a report is one entry in REPORTS plus its pipeline module and response schema.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from marshmallow import Schema

from pipelines import (
    amount_of_chats,
    average_chat_duration_time,
    average_service_time,
    average_waiting_time,
    percentage_abandoned_chats,
    total_abandoned_chats,
    total_service_time,
    total_transferred_chats,
)
from pipelines.params import ReportParams
from pipelines.stages import Stage, read_page
from service.rocketchat import schemas

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


# Rocket.Chat's department analytics family, in its docs' order. Every report takes the same
# parameters (`DepartmentReportQuery`) but amount-of-chats, which also takes `answered`.
_department_query = schemas.DepartmentReportQuery()

REPORTS = (
    Report(
        "amount-of-chats",
        ROOMS,
        schemas.AmountOfChatsQuery(),
        amount_of_chats.build,
        schemas.AmountOfChatsResponse,
    ),
    Report(
        "average-chat-duration-time",
        ROOMS,
        _department_query,
        average_chat_duration_time.build,
        schemas.AverageChatDurationTimeResponse,
    ),
    Report(
        "average-service-time",
        ROOMS,
        _department_query,
        average_service_time.build,
        schemas.AverageServiceTimeResponse,
    ),
    Report(
        "average-waiting-time",
        ROOMS,
        _department_query,
        average_waiting_time.build,
        schemas.AverageWaitingTimeResponse,
    ),
    Report(
        "total-service-time",
        ROOMS,
        _department_query,
        total_service_time.build,
        schemas.TotalServiceTimeResponse,
    ),
    Report(
        "total-transferred-chats",
        total_transferred_chats.MESSAGES,
        _department_query,
        total_transferred_chats.build,
        schemas.TotalTransferredChatsResponse,
    ),
    Report(
        "total-abandoned-chats",
        ROOMS,
        _department_query,
        total_abandoned_chats.build,
        schemas.TotalAbandonedChatsResponse,
    ),
    Report(
        "percentage-abandoned-chats",
        ROOMS,
        _department_query,
        percentage_abandoned_chats.build,
        schemas.PercentageAbandonedChatsResponse,
    ),
)
