"""average-service-time: how long agents served a chat, averaged per department.

Rooms created in the window that an agent took (`servedBy._id`) and answered
(`responseBy.lastMessageTs`). Service time is `responseBy.lastMessageTs - servedBy.ts` in
seconds; a room without `servedBy.ts` adds nothing to the sum (the `$subtract` is null, which
`$sum` ignores) but counts in the average's denominator, as in Rocket.Chat.
Output rows: `{_id, averageServiceTimeInSeconds: int}`.
"""

from pipelines.params import ReportParams
from pipelines.stages import Stage, ceil_average, department_report, rooms_created_in

METRIC = "averageServiceTimeInSeconds"


def build(params: ReportParams) -> list[Stage]:
    service_seconds = {
        "$divide": [{"$subtract": ["$responseBy.lastMessageTs", "$servedBy.ts"]}, 1000]
    }
    return department_report(
        match={
            **rooms_created_in(params),
            "responseBy.lastMessageTs": {"$exists": True},
            "servedBy._id": {"$exists": True},
        },
        accumulators={"rooms": {"$sum": 1}, "serviceSeconds": {"$sum": service_seconds}},
        metrics={METRIC: ceil_average("$serviceSeconds")},
        metric=METRIC,
        page=params.page,
    )
