"""amount-of-chats: livechat rooms per department created in the window.

Rocket.Chat: `apps/meteor/app/livechat/server/lib/analytics/departments.ts` and the
`LivechatRooms` model's `findAllRooms`. Output rows: `{_id: departmentId | null, rooms: int}`.
"""

from typing import Any

from pipelines.params import ReportParams
from pipelines.stages import (
    LIVECHAT_ROOM,
    Stage,
    department_filter,
    group_by_department,
    match_on_index,
    paged,
    sort_by,
    ts_between,
)


def _waiting_response(answered: bool) -> dict[str, Any]:
    # Rocket.Chat always filters on waitingResponse: `answered` absent or not "true" counts only
    # chats still waiting. `$ne: true` also matches rooms whose field is missing or null, which is
    # what an answered room looks like (Rocket.Chat unsets the field on the first agent reply).
    return {"$ne": True} if answered else {"$eq": True}


def _match(params: ReportParams) -> list[Stage]:
    # `{t, ts}` is what Rocket.Chat's `{t: 1, ts: 1}` index serves; with a department, MongoDB
    # may prefer the partial `{departmentId: 1, ts: 1}` index for the coalesced filter.
    return match_on_index(
        {"t": LIVECHAT_ROOM, "ts": ts_between(params)},
        {"waitingResponse": _waiting_response(params.answered), **department_filter(params)},
    )


def build(params: ReportParams) -> list[Stage]:
    return [
        *_match(params),
        group_by_department({"rooms": {"$sum": 1}}),
        sort_by("rooms"),
        paged(params.page),
    ]
