"""average-waiting-time: mean first-response time (`metrics.response.ft`) of answered chats.

Rooms created in the window that are not waiting for an answer; a room without `ft` adds 0 but
counts. Output rows: `{_id, averageWaitingTimeInSeconds: int}`.
"""

from pipelines.params import ReportParams
from pipelines.stages import Stage, ceil_average, department_report, rooms_created_in

METRIC = "averageWaitingTimeInSeconds"


def build(params: ReportParams) -> list[Stage]:
    return department_report(
        match={**rooms_created_in(params), "waitingResponse": {"$ne": True}},
        accumulators={"rooms": {"$sum": 1}, "firstResponse": {"$sum": "$metrics.response.ft"}},
        metrics={METRIC: ceil_average("$firstResponse")},
        metric=METRIC,
        page=params.page,
    )
