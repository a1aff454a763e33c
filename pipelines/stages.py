"""Stage helpers shared by the department reports, and the reader of their paged output.

Every report is the same shape: `$match` a window → `$group` by department → (`$project` the
metric) → `$sort` by the metric, ties by `_id` → `$facet` into the number of groups and a page.
"""

from collections.abc import Mapping, Sequence
from typing import Any

from pipelines.params import Page, ReportParams

Stage = dict[str, Any]
Row = dict[str, Any]

LIVECHAT_ROOM = "l"


def ts_between(params: ReportParams) -> dict[str, Any]:
    """Both bounds inclusive, as Rocket.Chat's `{$gte: start, $lte: end}`."""
    return {"$gte": params.start, "$lte": params.end}


# The fields of Rocket.Chat's `{t: 1, ts: 1}` index, which every report's window matches on.
INDEXED_WINDOW = ("t", "ts")


def match_on_index(
    match: Mapping[str, Any], indexed: Sequence[str] = INDEXED_WINDOW
) -> list[Stage]:
    """`match` as a `$match` on the `indexed` fields followed by a `$match` on the rest.

    On MongoDB this is one `$match`: the optimizer coalesces adjacent `$match` stages before
    planning (MongoDB manual, "Aggregation Pipeline Optimization", `$match` + `$match`
    coalescence), so the plan and the rows are those of `match` itself. Written as two, the
    part the index serves stays visible, and a planner that declines an index while a
    predicate outside it remains (the wire test server's) still plans an index scan; the wire
    tier's explain test proves it for amount-of-chats.
    """
    served = {field: value for field, value in match.items() if field in indexed}
    rest = {field: value for field, value in match.items() if field not in indexed}
    return [{"$match": part} for part in (served, rest) if part]


def department_filter(params: ReportParams, field: str = "departmentId") -> dict[str, Any]:
    return {} if params.department_id is None else {field: params.department_id}


def rooms_created_in(params: ReportParams) -> dict[str, Any]:
    """Livechat rooms created in the window (both bounds inclusive), of the department if any."""
    return {"t": LIVECHAT_ROOM, "ts": ts_between(params), **department_filter(params)}


def ceil_average(total: str, count: str) -> dict[str, Any]:
    """ceil(total / count), 0 for no rooms (Rocket.Chat's `$cond` guard against dividing by 0)."""
    return {"$cond": [{"$gt": [count, 0]}, {"$ceil": {"$divide": [total, count]}}, 0]}


def group_by_department(accumulators: Mapping[str, Any], key: str) -> Stage:
    # Grouping on the bare field path (not `{departmentId: ...}`) puts rooms whose department is
    # missing or null into one group whose `_id` is null, on MongoDB and on every test backend.
    return {"$group": {"_id": key, **accumulators}}


def sort_by(metric: str) -> Stage:
    # MongoDB gives ties no order; `_id` makes pages deterministic and non-overlapping.
    return {"$sort": {metric: -1, "_id": 1}}


def paged(page: Page, finish: Sequence[Stage] = ()) -> Stage:
    """`total` counts groups; `rows` is the page, then `finish` (run on the page's rows only).

    `$skip` is always present (an empty `$facet` sub-pipeline is an error on MongoDB), and
    `$limit` is left out for "no limit" (never `$limit: 0`).
    """
    rows: list[Stage] = [{"$skip": page.offset}]
    if page.limit is not None:
        rows.append({"$limit": page.limit})
    return {"$facet": {"total": [{"$count": "n"}], "rows": [*rows, *finish]}}


def department_report(
    match: Mapping[str, Any],
    accumulators: Mapping[str, Any],
    metric: str,
    page: Page,
    *,
    metrics: Mapping[str, Any] | None = None,
    group_key: str = "$departmentId",
    joins: Sequence[Stage] = (),
) -> list[Stage]:
    """The whole report: `$match` (as two stages, see `match_on_index`) → (`joins`) → `$group`
    → (`$project` `metrics`) → `$sort` by `metric` → `$facet`. Rows are `{_id, <accumulators
    or metrics>}`."""
    stages: list[Stage] = [*match_on_index(match), *joins]
    stages.append(group_by_department(accumulators, key=group_key))
    if metrics is not None:
        # `_id` (the department) stays: `$project` keeps it unless told otherwise.
        stages.append({"$project": metrics})
    stages += [sort_by(metric), paged(page)]
    return stages


def read_page(result: Sequence[Mapping[str, Any]]) -> tuple[list[Row], int]:
    """(rows, total) from the `$facet` output. Defensive on purpose: real MongoDB returns
    `total: []` when nothing matched, and an empty cursor is "no rows", not an error."""
    if not result:
        return [], 0
    facet = result[0]
    total = (facet.get("total") or [{}])[0].get("n", 0)
    return list(facet.get("rows") or []), int(total)
