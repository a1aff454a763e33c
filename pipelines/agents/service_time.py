"""What the two service-time reports share: the rooms they read and how they group them.

Rocket.Chat's `LivechatRooms.findAllAverageServiceTime` / `findAllServiceTime`: livechat rooms
created in the window (the room's `ts` only: no `closedAt` condition) that an agent served and
that have a service time (`metrics.serviceTimeDuration`, seconds from assignment to close),
grouped by the room's last agent (`servedBy`).
"""

from typing import Any

from pipelines.agents.stages import by_agent
from pipelines.params import ReportParams
from pipelines.stages import INDEXED_WINDOW, rooms_created_in

INDEXED = INDEXED_WINDOW
KEY = by_agent("$servedBy._id", "$servedBy.username")
SERVICE_TIME = "$metrics.serviceTimeDuration"


def served_rooms(params: ReportParams) -> dict[str, Any]:
    """Both bounds inclusive; `rooms_created_in` adds no department (the agents family takes
    none)."""
    return {
        **rooms_created_in(params),
        "servedBy._id": {"$exists": True},
        "metrics.serviceTimeDuration": {"$exists": True},
    }
