"""What the two service-time reports share: the rooms they read and how they group them.

Rocket.Chat's `LivechatRooms.findAllAverageServiceTime` / `findAllServiceTime`: livechat rooms
created in the window (the room's `ts` only: no `closedAt` condition) that an agent served and
that have a service time (`metrics.serviceTimeDuration`, seconds from assignment to close),
grouped by the room's last agent (`servedBy`).
"""

from typing import Any

from pipelines.agents.stages import agent_report, by_agent
from pipelines.params import ReportParams
from pipelines.stages import Stage, rooms_created_in

SERVICE_TIME = "$metrics.serviceTimeDuration"


def served_rooms(params: ReportParams) -> dict[str, Any]:
    """Both bounds inclusive; `rooms_created_in` adds no department (the agents family takes
    none)."""
    return {
        **rooms_created_in(params),
        "servedBy._id": {"$exists": True},
        "metrics.serviceTimeDuration": {"$exists": True},
    }


def report(params: ReportParams, row: dict[str, Any]) -> list[Stage]:
    """Either report: the served rooms, by agent, with their count (`chats`) and summed service
    time (`serviceTime`); `row` projects the report's own metric from those two."""
    return agent_report(
        match=served_rooms(params),
        key=by_agent("$servedBy._id", "$servedBy.username"),
        accumulators={"chats": {"$sum": 1}, "serviceTime": {"$sum": SERVICE_TIME}},
        row=row,
        page=params.page,
    )
