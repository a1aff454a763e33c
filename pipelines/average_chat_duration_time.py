"""average-chat-duration-time: mean `metrics.chatDuration` of closed chats, per department.

Rooms created at or after `start` and closed at or before `end`; a room without a duration adds
0 but counts. Output rows: `{_id, averageChatDurationTimeInSeconds: int}`.
"""

from pipelines.params import ReportParams
from pipelines.stages import Stage, ceil_average, department_report, rooms_closed_in

METRIC = "averageChatDurationTimeInSeconds"


def build(params: ReportParams) -> list[Stage]:
    return department_report(
        match=rooms_closed_in(params),
        accumulators={"rooms": {"$sum": 1}, "duration": {"$sum": "$metrics.chatDuration"}},
        metrics={METRIC: ceil_average("$duration")},
        metric=METRIC,
        page=params.page,
    )
