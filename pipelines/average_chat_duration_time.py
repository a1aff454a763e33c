"""average-chat-duration-time: mean `metrics.chatDuration` of closed chats, per department.

Rooms created at or after `start` and closed at or before `end`; a room without a duration adds
0 but counts (`metrics.CLOSED`, formula of `averageChatDurationSeconds`).
Output rows: `{_id, averageChatDurationTimeInSeconds: int}`.
"""

from pipelines import metrics
from pipelines.params import ReportParams
from pipelines.stages import Stage, department_filter, department_report

METRIC = "averageChatDurationTimeInSeconds"
_METRIC = metrics.metric("averageChatDurationSeconds")


def build(params: ReportParams) -> list[Stage]:
    definition, timeout = _METRIC.definition, params.inactivity_timeout
    return department_report(
        match=definition.match(params.start, params.end, timeout, department_filter(params)),
        accumulators=definition.accumulators(timeout),
        metrics={METRIC: _METRIC.formula},
        metric=METRIC,
        page=params.page,
    )
