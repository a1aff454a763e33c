"""average-waiting-time: mean first-response time (`metrics.response.ft`) of answered chats.

Rooms created in the window that are not waiting for an answer; a room without `ft` adds 0 but
counts (`metrics.WAITING`, formula of `averageWaitingTimeSeconds`).
Output rows: `{_id, averageWaitingTimeInSeconds: int}`.
"""

from pipelines import metrics
from pipelines.params import ReportParams
from pipelines.stages import Stage, department_filter, department_report

METRIC = "averageWaitingTimeInSeconds"
_METRIC = metrics.metric("averageWaitingTimeSeconds")


def build(params: ReportParams) -> list[Stage]:
    definition, timeout = _METRIC.definition, params.inactivity_timeout
    return department_report(
        match=definition.match(params.start, params.end, timeout, department_filter(params)),
        accumulators=definition.accumulators(timeout),
        metrics={METRIC: _METRIC.formula},
        metric=METRIC,
        page=params.page,
    )
