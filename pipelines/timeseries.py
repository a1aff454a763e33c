"""The time series: one metric in the calendar buckets of a time zone, overall or per department.

One aggregation, on the metric's collection, whatever the number of buckets or departments
(EXTENSIONS.md, "Cost"). Bucket boundaries are computed in Python (`pipelines.calendar`) and
passed as UTC instants; the database puts each document in its bucket by comparing its `ts` with
them in a balanced tree of `$cond`s (about log2(buckets) comparisons per document; `$switch`
would take one per bucket), never by applying a time zone itself. A `$facet` then groups by
bucket (the overall series), and with `split=department` also by department over the whole
window (which rows there are, and their order) and by department and bucket (their series).
Every group projects the metric's own formula (`pipelines.metrics`, the drop-in's).

The four closed-chat metrics count, in each bucket, the chats created in it and closed by the
window's end: the definition's window conditions are those of the whole window, and the bucket
is the creation `ts` (the sending `ts` for transfers).
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pipelines import metrics
from pipelines.calendar import Bucket, Window
from pipelines.scorecard import (
    DepartmentId,
    Row,
    department_id,
    department_joins,
    department_name,
    echo,
    integer,
    known_departments,
    order_key,
    row_ids,
    window_match,
)
from pipelines.stages import Stage

VALUE = "value"


@dataclass(frozen=True, slots=True)
class TimeseriesParams:
    window: Window
    timezone: str
    metric: str
    interval: str
    buckets: tuple[Bucket, ...]
    split: bool
    # Sorted and unique; None for every department.
    department_ids: tuple[str, ...] | None
    inactivity_timeout: float


def bucket_of(field: str, starts: Sequence[datetime], first: int = 0) -> Any:
    """The index of the bucket holding `field`, for documents inside the window: `starts` are the
    starts of buckets `first + 1`, `first + 2`, ... A balanced `$cond` tree: a document is
    compared with the middle boundary, then with the middle of the half it is in, and so on."""
    if not starts:
        return {"$literal": first}
    middle = len(starts) // 2
    return {
        "$cond": [
            {"$lt": [field, starts[middle]]},
            bucket_of(field, starts[:middle], first),
            bucket_of(field, starts[middle + 1 :], first + middle + 1),
        ]
    }


def naive_utc(moment: datetime) -> datetime:
    """The instant as a naive UTC datetime, for comparisons inside expressions. The driver
    encodes a naive datetime as UTC (so MongoDB sees the same instant), while mongomock, which
    keeps stored dates naive and compares expression operands with Python's operators, raises on
    an aware one there (tried: `$cond`, `$switch`, `$filter` alike). `$match` takes aware ones."""
    return moment.astimezone(UTC).replace(tzinfo=None)


def build(params: TimeseriesParams) -> tuple[str, list[Stage]]:
    """(collection, stages) of the series' one aggregation."""
    metric = metrics.metric(params.metric)
    definition = metric.definition
    timeout = params.inactivity_timeout
    window = params.window
    stages = window_match(definition.collection, window.start, window.end, params.department_ids)
    rest = definition.rest(window.end, timeout)
    if rest:
        stages.append({"$match": rest})
    stages += department_joins(definition, params.department_ids)
    bucket = bucket_of("$ts", [naive_utc(b.start) for b in params.buckets[1:]])
    accumulators = definition.accumulators(timeout)
    # `_id` (the bucket or the department) stays: `$project` keeps it unless told otherwise.
    value = {"$project": {VALUE: metric.formula}}
    facet: dict[str, list[Stage]] = {
        "total": [{"$group": {"_id": bucket, **accumulators}}, value],
    }
    if params.split:
        department = f"${definition.department_field}"
        facet["departments"] = [{"$group": {"_id": department, **accumulators}}, value]
        # `$ifNull` inside a compound key: a bare `{d: "$departmentId"}` keeps "missing" apart
        # from null on the test backends (TESTING.md).
        key = {"d": {"$ifNull": [department, None]}, "b": bucket}
        facet["series"] = [{"$group": {"_id": key, **accumulators}}, value]
    stages.append({"$facet": facet})
    return definition.collection, stages


def _index(value: Any, count: int) -> int | None:
    if isinstance(value, int | float) and 0 <= value < count and int(value) == value:
        return int(value)
    return None


def read(
    params: TimeseriesParams,
    result: Sequence[Mapping[str, Any]],
    departments: Iterable[Mapping[str, Any]],
) -> dict[str, Any]:
    """The answer's data from the aggregation's output and the department documents. Buckets
    with no documents are 0; rows follow the scorecard's rule for this one metric."""
    count = len(params.buckets)
    facet: Mapping[str, Any] = result[0] if result else {}
    values = [0] * count
    for row in facet.get("total") or []:
        index = _index(row.get("_id"), count)
        if index is not None:
            values[index] = integer(row.get(VALUE))
    body: dict[str, Any] = {
        "metric": params.metric,
        "interval": params.interval,
        "window": echo(params.window, params.timezone),
        "buckets": [{"label": b.label, "start": b.start, "end": b.end} for b in params.buckets],
        "values": values,
    }
    if params.split:
        whole: dict[DepartmentId, Row] = {}
        for row in facet.get("departments") or []:
            whole[department_id(row.get("_id"))] = {VALUE: integer(row.get(VALUE))}
        series: dict[DepartmentId, list[int]] = {}
        for row in facet.get("series") or []:
            key = row.get("_id")
            if not isinstance(key, Mapping):
                continue
            index = _index(key.get("b"), count)
            if index is not None:
                line = series.setdefault(department_id(key.get("d")), [0] * count)
                line[index] = integer(row.get(VALUE))
        known = known_departments(departments)
        ids = row_ids(known, params.department_ids, whole)
        ids.sort(key=lambda key: order_key(whole.get(key, {}).get(VALUE, 0), key))
        body["departments"] = [
            {
                "_id": key,
                "name": department_name(known, key),
                "values": series.get(key, [0] * count),
            }
            for key in ids
        ]
    body["success"] = True
    return body
