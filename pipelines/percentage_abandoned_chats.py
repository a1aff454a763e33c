"""percentage-abandoned-chats: the share of chats created in the window that were abandoned.

Abandoned: `metrics.visitorInactivity` present and at least the inactivity timeout. The share is
floor(100 * abandoned / rooms), multiplied before dividing, so 29 of 100 is 29 (0.29 * 100 is
28.999… in binary floating point). Output rows: `{_id, percentageOfAbandonedChats: int}` — the
name Rocket.Chat's server sends (its TypeScript types say `percentageOfAbandonedRooms`).
"""

from pipelines.params import ReportParams
from pipelines.stages import Stage, department_report, rooms_created_in

METRIC = "percentageOfAbandonedChats"


def build(params: ReportParams) -> list[Stage]:
    # A flag counted with $cond, never a summed boolean. In aggregation comparisons a missing
    # or null field sorts below every number, so `$gte` alone also means "present".
    abandoned = {
        "$cond": [{"$gte": ["$metrics.visitorInactivity", params.inactivity_timeout]}, 1, 0]
    }
    share = {"$floor": {"$divide": [{"$multiply": ["$abandoned", 100]}, "$rooms"]}}
    return department_report(
        match=rooms_created_in(params),
        accumulators={"rooms": {"$sum": 1}, "abandoned": {"$sum": abandoned}},
        metrics={METRIC: {"$cond": [{"$gt": ["$rooms", 0]}, share, 0]}},
        metric=METRIC,
        page=params.page,
    )
