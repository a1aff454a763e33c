"""amount-of-chats: livechat rooms per department created in the window.

Rocket.Chat: `apps/meteor/app/livechat/server/lib/analytics/departments.ts` and the
`LivechatRooms` model's `findAllRooms`. Output rows: `{_id: departmentId | null, rooms: int}`.
"""

from typing import Any

from pipelines.params import ReportParams
from pipelines.stages import Stage, department_report, rooms_created_in


def _waiting_response(answered: bool) -> dict[str, Any]:
    # Rocket.Chat always filters on waitingResponse: `answered` absent or not "true" counts only
    # chats still waiting. `$ne: true` also matches rooms whose field is missing or null, which is
    # what an answered room looks like (Rocket.Chat unsets the field on the first agent reply).
    return {"$ne": True} if answered else {"$eq": True}


def build(params: ReportParams) -> list[Stage]:
    return department_report(
        match={**rooms_created_in(params), "waitingResponse": _waiting_response(params.answered)},
        accumulators={"rooms": {"$sum": 1}},
        metric="rooms",
        page=params.page,
    )
