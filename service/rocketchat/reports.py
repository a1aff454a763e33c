"""The drop-in's reports, both of Rocket.Chat's analytics families (departments and agents):
for each, its path, collection, query schema, pipeline and output.

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
from pipelines.agents import available_for_service_history
from pipelines.agents import average_service_time as agent_average_service_time
from pipelines.agents import total_service_time as agent_total_service_time
from pipelines.params import ReportParams
from pipelines.stages import Stage, read_page
from service.rocketchat import schemas

ROOMS = "rocketchat_room"
ANALYTICS = "/api/v1/livechat/analytics"
DEPARTMENTS = "departments"
AGENTS = "agents"


@dataclass(frozen=True, slots=True)
class Report:
    name: str
    collection: str
    query_schema: Schema
    build: Callable[[ReportParams], list[Stage]]
    response_schema: Schema
    # The family: the path segment before the name, and the envelope's key for the rows.
    family: str = DEPARTMENTS

    @property
    def path(self) -> str:
        """Unique across families (both have an `average-service-time`), unlike `name`."""
        return f"{ANALYTICS}/{self.family}/{self.name}"

    def body(self, result: list[dict[str, Any]], params: ReportParams) -> dict[str, Any]:
        """Rocket.Chat's envelope around one page of the aggregation's `$facet` output."""
        rows, total = read_page(result)
        dumped: dict[str, Any] = self.response_schema.dump(
            {
                self.family: rows,
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

DEPARTMENT_REPORTS = (
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

# Rocket.Chat's agents analytics family (enterprise edition), in its docs' order.
_agent_query = schemas.AgentReportQuery()

AGENT_REPORTS = (
    Report(
        "average-service-time",
        ROOMS,
        _agent_query,
        agent_average_service_time.build,
        schemas.AgentAverageServiceTimeResponse,
        family=AGENTS,
    ),
    Report(
        "total-service-time",
        ROOMS,
        _agent_query,
        agent_total_service_time.build,
        schemas.AgentTotalServiceTimeResponse,
        family=AGENTS,
    ),
    Report(
        "available-for-service-history",
        available_for_service_history.ACTIVITY,
        schemas.AgentAvailabilityQuery(),
        available_for_service_history.build,
        schemas.AgentAvailableForServiceHistoryResponse,
        family=AGENTS,
    ),
)

REPORTS = (*DEPARTMENT_REPORTS, *AGENT_REPORTS)
