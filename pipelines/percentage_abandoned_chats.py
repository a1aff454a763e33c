"""percentage-abandoned-chats: the share of chats created in the window that were abandoned.

Abandoned: `metrics.visitorInactivity` present and at least the inactivity timeout. The share is
floor(100 * abandoned / rooms) (`metrics.CREATED`, formula of `abandonedPercentage`).
Output rows: `{_id, percentageOfAbandonedChats: int}` — the name Rocket.Chat's server sends (its
TypeScript types say `percentageOfAbandonedRooms`).
"""

from pipelines import metrics
from pipelines.params import ReportParams
from pipelines.stages import Stage, department_filter, department_report

METRIC = "percentageOfAbandonedChats"
_METRIC = metrics.metric("abandonedPercentage")


def build(params: ReportParams) -> list[Stage]:
    definition, timeout = _METRIC.definition, params.inactivity_timeout
    return department_report(
        match=definition.match(params.start, params.end, timeout, department_filter(params)),
        accumulators=definition.accumulators(timeout),
        metrics={METRIC: _METRIC.formula},
        metric=METRIC,
        page=params.page,
    )
