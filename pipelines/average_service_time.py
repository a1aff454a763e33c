"""average-service-time: how long agents served a chat, averaged per department.

Rooms created in the window that an agent took (`servedBy._id`) and answered
(`responseBy.lastMessageTs`). Service time is `responseBy.lastMessageTs - servedBy.ts` in
seconds (`metrics.SERVED`, formula of `averageServiceTimeSeconds`).
Output rows: `{_id, averageServiceTimeInSeconds: int}`.
"""

from pipelines import metrics
from pipelines.params import ReportParams
from pipelines.stages import Stage, department_filter, department_report

METRIC = "averageServiceTimeInSeconds"
_METRIC = metrics.metric("averageServiceTimeSeconds")


def build(params: ReportParams) -> list[Stage]:
    definition, timeout = _METRIC.definition, params.inactivity_timeout
    return department_report(
        match=definition.match(params.start, params.end, timeout, department_filter(params)),
        accumulators=definition.accumulators(timeout),
        metrics={METRIC: _METRIC.formula},
        metric=METRIC,
        page=params.page,
    )
