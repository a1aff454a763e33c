"""total-service-time: chats and their summed `metrics.serviceTimeDuration`, per department.

Rooms created at or after `start`, closed at or before `end`, that have a service time.
Output rows: `{_id, chats: int, serviceTimeDuration: int}` (the sum, rounded up).
"""

from pipelines.params import ReportParams
from pipelines.stages import Stage, department_report, rooms_closed_in

METRIC = "serviceTimeDuration"


def build(params: ReportParams) -> list[Stage]:
    return department_report(
        match={**rooms_closed_in(params), "metrics.serviceTimeDuration": {"$exists": True}},
        accumulators={
            "chats": {"$sum": 1},
            "serviceTime": {"$sum": "$metrics.serviceTimeDuration"},
        },
        metrics={"chats": 1, METRIC: {"$ceil": "$serviceTime"}},
        metric=METRIC,
        page=params.page,
    )
