"""Stage helpers shared by the department reports, and the reader of their paged output.

Every report is the same shape: `$match` a window → `$group` by department → `$sort` by the
metric, ties by `_id` → `$facet` into the total number of groups and one page of them.
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


def match_on_index(indexed: Mapping[str, Any], rest: Mapping[str, Any]) -> list[Stage]:
    """`$match` on `indexed` (only the fields of the index meant to serve it, e.g. Rocket.Chat's
    `{t: 1, ts: 1}`), then `$match` on `rest`.

    On MongoDB this is one `$match`: the optimizer coalesces adjacent `$match` stages before
    planning (MongoDB manual, "Aggregation Pipeline Optimization", `$match` + `$match`
    coalescence), so the plan and the rows are the same as for the merged filter. Written as
    two, the part the index serves stays visible, and a planner that declines an index when a
    predicate outside it remains (the wire test server's) still plans an index scan; the wire
    tier's explain test proves it.
    """
    return [{"$match": dict(indexed)}, *([{"$match": dict(rest)}] if rest else [])]


def department_filter(params: ReportParams, field: str = "departmentId") -> dict[str, Any]:
    return {} if params.department_id is None else {field: params.department_id}


def group_by_department(accumulators: Mapping[str, Any], key: str = "$departmentId") -> Stage:
    # Grouping on the bare field path (not `{departmentId: ...}`) puts rooms whose department is
    # missing or null into one group whose `_id` is null, on MongoDB and on every test backend.
    return {"$group": {"_id": key, **accumulators}}


def sort_by(metric: str) -> Stage:
    # MongoDB gives ties no order; `_id` makes pages deterministic and non-overlapping.
    return {"$sort": {metric: -1, "_id": 1}}


def paged(page: Page) -> Stage:
    """`total` counts groups; `rows` is the page.

    `$skip` is always present (an empty `$facet` sub-pipeline is an error on MongoDB), and
    `$limit` is left out for "no limit" (never `$limit: 0`).
    """
    rows: list[Stage] = [{"$skip": page.offset}]
    if page.limit is not None:
        rows.append({"$limit": page.limit})
    return {"$facet": {"total": [{"$count": "n"}], "rows": rows}}


def read_page(result: Sequence[Mapping[str, Any]]) -> tuple[list[Row], int]:
    """(rows, total) from the `$facet` output. Defensive on purpose: real MongoDB returns
    `total: []` when nothing matched, and an empty cursor is "no rows", not an error."""
    if not result:
        return [], 0
    facet = result[0]
    total = (facet.get("total") or [{}])[0].get("n", 0)
    return list(facet.get("rows") or []), int(total)
