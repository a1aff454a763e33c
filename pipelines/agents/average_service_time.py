"""agents/average-service-time: each agent's mean `metrics.serviceTimeDuration`, rounded up.

A room whose service time is null (or not a number) counts in `chats` but adds nothing, as
`$sum` ignores it. Output rows: `{_id, username, averageServiceTimeInSeconds: int}`.
"""

from pipelines.agents import service_time
from pipelines.params import ReportParams
from pipelines.stages import Stage, ceil_average

METRIC = "averageServiceTimeInSeconds"


def build(params: ReportParams) -> list[Stage]:
    return service_time.report(params, row={METRIC: ceil_average("$serviceTime", count="$chats")})
