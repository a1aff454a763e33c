"""agents/total-service-time: each agent's chats and summed `metrics.serviceTimeDuration`.

Output rows: `{_id, username, chats: int, serviceTimeDuration: int}` (the sum, rounded up).
"""

from pipelines.agents import service_time
from pipelines.params import ReportParams
from pipelines.stages import Stage

METRIC = "serviceTimeDuration"


def build(params: ReportParams) -> list[Stage]:
    return service_time.report(params, row={"chats": 1, METRIC: {"$ceil": "$serviceTime"}})
