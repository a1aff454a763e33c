"""amount-of-chats: livechat rooms per department created in the window.

Rocket.Chat: `apps/meteor/app/livechat/server/lib/analytics/departments.ts` and the
`LivechatRooms` model's `findAllRooms`. Output rows: `{_id: departmentId | null, rooms: int}`.
The rooms counted are `metrics.ANSWERED`'s or `metrics.UNANSWERED`'s (Rocket.Chat always filters
on `waitingResponse`: `answered` absent or not "true" counts only chats still waiting).
"""

from pipelines import metrics
from pipelines.params import ReportParams
from pipelines.stages import Stage, department_filter, department_report


def build(params: ReportParams) -> list[Stage]:
    definition = metrics.ANSWERED if params.answered else metrics.UNANSWERED
    timeout = params.inactivity_timeout
    return department_report(
        match=definition.match(params.start, params.end, timeout, department_filter(params)),
        accumulators=definition.accumulators(timeout),
        metric="rooms",
        page=params.page,
    )
