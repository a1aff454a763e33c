"""total-service-time: chats and their summed `metrics.serviceTimeDuration`, per department.

Rooms created at or after `start`, closed at or before `end`, that have a service time
(`metrics.SERVICE_TIME`: `chats` is `serviceTimeChats`'s accumulator, kept as it is, and
`serviceTimeDuration` is `totalServiceTimeSeconds`'s formula).
Output rows: `{_id, chats: int, serviceTimeDuration: int}` (the sum, rounded up).
"""

from pipelines import metrics
from pipelines.params import ReportParams
from pipelines.stages import Stage, department_filter, department_report

METRIC = "serviceTimeDuration"
_METRIC = metrics.metric("totalServiceTimeSeconds")


def build(params: ReportParams) -> list[Stage]:
    definition, timeout = _METRIC.definition, params.inactivity_timeout
    return department_report(
        match=definition.match(params.start, params.end, timeout, department_filter(params)),
        accumulators=definition.accumulators(timeout),
        metrics={"chats": 1, METRIC: _METRIC.formula},
        metric=METRIC,
        page=params.page,
    )
