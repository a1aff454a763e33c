"""total-abandoned-chats: closed chats whose visitor went quiet past the inactivity timeout.

Rooms created at or after `start`, closed at or before `end`, with `metrics.visitorInactivity`
at least `Livechat_visitor_inactivity_timeout` seconds. Output rows: `{_id, abandonedRooms: int}`.
"""

from pipelines.params import ReportParams
from pipelines.stages import Stage, department_report, rooms_closed_in

METRIC = "abandonedRooms"


def build(params: ReportParams) -> list[Stage]:
    return department_report(
        match={
            **rooms_closed_in(params),
            "metrics.visitorInactivity": {"$gte": params.inactivity_timeout},
        },
        accumulators={METRIC: {"$sum": 1}},
        metric=METRIC,
        page=params.page,
    )
