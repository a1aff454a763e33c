"""total-abandoned-chats: closed chats whose visitor went quiet past the inactivity timeout.

Rooms created at or after `start`, closed at or before `end`, with `metrics.visitorInactivity`
at least `Livechat_visitor_inactivity_timeout` seconds (`metrics.ABANDONED`).
Output rows: `{_id, abandonedRooms: int}`.
"""

from pipelines import metrics
from pipelines.params import ReportParams
from pipelines.stages import Stage, department_filter, department_report

METRIC = "abandonedRooms"


def build(params: ReportParams) -> list[Stage]:
    definition, timeout = metrics.ABANDONED, params.inactivity_timeout
    return department_report(
        match=definition.match(params.start, params.end, timeout, department_filter(params)),
        accumulators=definition.accumulators(timeout),
        metric=METRIC,
        page=params.page,
    )
