"""agents/total-service-time: each agent's chats and summed `metrics.serviceTimeDuration`.

Output rows: `{_id, username, chats: int, serviceTimeDuration: int}` (the sum, rounded up).
"""

from pipelines.agents import service_time
from pipelines.agents.stages import agent_report
from pipelines.params import ReportParams
from pipelines.stages import Stage

METRIC = "serviceTimeDuration"


def build(params: ReportParams) -> list[Stage]:
    return agent_report(
        match=service_time.served_rooms(params),
        indexed=service_time.INDEXED,
        key=service_time.KEY,
        accumulators={"chats": {"$sum": 1}, "serviceTime": {"$sum": service_time.SERVICE_TIME}},
        row={"chats": 1, METRIC: {"$ceil": "$serviceTime"}},
        page=params.page,
    )
