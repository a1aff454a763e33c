"""The scorecard: every department and the requested metrics for one window (and the previous).

One aggregation per collection and window, whatever the number of metrics or departments
(EXTENSIONS.md, "Cost"): on `rocketchat_room`, one `$match` on Rocket.Chat's `{t: 1, ts: 1}`
index covering the window, then a `$facet` with one branch per metric definition. A branch
`$match`es the definition's own conditions, groups its rooms by department, then groups those
rows into one document: the rows with their metrics' formulas (`pipelines.metrics`, the same as
the drop-in's), and the total's accumulators summed across departments, with the same formulas
applied to them. The total is thus computed over the rooms themselves, as if they were one
department, never as a mean of department means; and each room passes through each branch
once (a separate total branch read every room of the window a second time). Transfers are the
same on `rocketchat_message`.

`read()` turns the aggregations' output and the department documents into the answer's rows
(the contract's row rule and order); names and zero rows are decided in Python.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pipelines import metrics
from pipelines.calendar import Window
from pipelines.metrics import Definition
from pipelines.stages import LIVECHAT_ROOM, Stage, match_on_index

DEPARTMENTS = "rocketchat_livechat_department"
# Rocket.Chat's enterprise business units share the department collection, with type "u".
BUSINESS_UNIT = "u"
ROWS = "rows"  # a branch's per-department rows; its other fields are the total

Row = dict[str, Any]
DepartmentId = str | None


@dataclass(frozen=True, slots=True)
class Query:
    """One aggregation to run: which window it serves, on which collection, its stages."""

    window: str  # "current" or "previous"
    collection: str
    stages: list[Stage]


@dataclass(frozen=True, slots=True)
class ScorecardParams:
    window: Window
    previous: Window | None
    # The IANA name as given, echoed in the answer.
    timezone: str
    metrics: tuple[str, ...]
    # Sorted and unique; None for every department.
    department_ids: tuple[str, ...] | None
    inactivity_timeout: float


def _definitions(names: Iterable[str]) -> dict[Definition, list[metrics.Metric]]:
    """The definitions the metrics need, each with its metrics, in first-use order."""
    needed: dict[Definition, list[metrics.Metric]] = {}
    for name in names:
        metric = metrics.metric(name)
        needed.setdefault(metric.definition, []).append(metric)
    return needed


def window_match(
    collection: str,
    start: datetime,
    end: datetime,
    department_ids: Sequence[str] | None,
) -> list[Stage]:
    """Every document any definition of `collection` can count in [start, end]: `t` and a
    two-sided `ts` range (closed chats too: a room is closed after it is created, so
    `closedAt <= end` implies `ts <= end`, and an open-ended index scan would read the future),
    plus the departments asked for (on rooms; transfers filter on the joined room)."""
    t = LIVECHAT_ROOM if collection == metrics.ROOMS else metrics.TRANSFER
    where: dict[str, Any] = {"t": t, "ts": {"$gte": start, "$lte": end}}
    if department_ids is not None and collection == metrics.ROOMS:
        where["departmentId"] = {"$in": list(department_ids)}
    return match_on_index(where)


def department_joins(definition: Definition, department_ids: Sequence[str] | None) -> list[Stage]:
    stages = definition.joins()
    if department_ids is not None and definition.window is metrics.Window.SENT:
        stages.append({"$match": {definition.department_field: {"$in": list(department_ids)}}})
    return stages


def _branch(
    definition: Definition, chosen: list[metrics.Metric], end: datetime, timeout: float
) -> list[Stage]:
    rest = definition.rest(end, timeout)
    head: list[Stage] = [{"$match": rest}] if rest else []
    accumulators = definition.accumulators(timeout)
    values = {metric.name: metric.formula for metric in chosen}
    return [
        *head,
        # The bare field path puts rooms without a department (missing or null) into one group.
        {"$group": {"_id": f"${definition.department_field}", **accumulators}},
        # Every accumulator is a `$sum`, so the total's are the sums of the departments'.
        {
            "$group": {
                "_id": None,
                ROWS: {"$push": {"_id": "$_id", **values}},
                **{name: {"$sum": f"${name}"} for name in accumulators},
            }
        },
        {"$project": {ROWS: 1, **values}},
    ]


def _window_queries(params: ScorecardParams, label: str, window: Window) -> list[Query]:
    needed = _definitions(params.metrics)
    queries = []
    for collection in (metrics.ROOMS, metrics.MESSAGES):
        facet: dict[str, list[Stage]] = {}
        joins: list[Stage] = []
        for definition, chosen in needed.items():
            if definition.collection != collection:
                continue
            joins = department_joins(definition, params.department_ids)
            facet[definition.name] = _branch(
                definition, chosen, window.end, params.inactivity_timeout
            )
        if facet:
            stages = window_match(collection, window.start, window.end, params.department_ids)
            queries.append(Query(label, collection, [*stages, *joins, {"$facet": facet}]))
    return queries


def build(params: ScorecardParams) -> list[Query]:
    """The aggregations of one scorecard: per window, one on rooms and (when a transfer metric
    is asked for) one on messages."""
    queries = _window_queries(params, "current", params.window)
    if params.previous is not None:
        queries += _window_queries(params, "previous", params.previous)
    return queries


def departments_query(department_ids: Sequence[str] | None) -> tuple[dict[str, Any], Row]:
    """The one `find` on the department collection: (filter, projection)."""
    where: dict[str, Any] = {} if department_ids is None else {"_id": {"$in": list(department_ids)}}
    return where, {"name": 1, "enabled": 1, "type": 1}


# ---------------------------------------------------------------------------------- reading


def department_id(value: Any) -> DepartmentId:
    """A group's id as the answer shows it: Rocket.Chat's ids are strings; anything else that a
    damaged document holds is shown as its text rather than failing the whole answer."""
    return value if value is None or isinstance(value, str) else str(value)


def integer(value: Any) -> int:
    """MongoDB's `$ceil`/`$floor` give doubles; every value of this API is a JSON integer."""
    return int(value) if isinstance(value, int | float) else 0


def read_facet(
    result: Sequence[Mapping[str, Any]], names: Sequence[str]
) -> tuple[dict[DepartmentId, Row], Row]:
    """(values per department, total values) from one window's aggregations' `$facet` output:
    a document per collection, a branch per definition, each branch one summary. An empty
    cursor is no rows, and an empty branch a total of zeros (MongoDB's `$group` emits nothing on
    empty input; mongomock invents a row of zeros)."""
    per_department: dict[DepartmentId, Row] = {}
    total: Row = dict.fromkeys(names, 0)
    for document in result:
        for branch in document.values():
            if not branch:
                continue
            summary = branch[0]
            total.update({k: integer(v) for k, v in summary.items() if k in total})
            for row in summary.get(ROWS) or []:
                values = per_department.setdefault(
                    department_id(row.get("_id")), dict.fromkeys(names, 0)
                )
                values.update({k: integer(v) for k, v in row.items() if k in values})
    return per_department, total


def known_departments(documents: Iterable[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    """The department documents that are departments (not business units), by id."""
    return {
        document["_id"]: document
        for document in documents
        if isinstance(document.get("_id"), str) and document.get("type") != BUSINESS_UNIT
    }


def department_name(known: Mapping[str, Mapping[str, Any]], key: DepartmentId) -> str | None:
    document = known.get(key) if key is not None else None
    name = document.get("name") if document is not None else None
    return name if isinstance(name, str) else None


def row_ids(
    known: Mapping[str, Mapping[str, Any]],
    department_ids: Sequence[str] | None,
    *valued: Mapping[DepartmentId, Row],
) -> list[DepartmentId]:
    """The contract's row rule: exactly the departments asked for; otherwise every enabled
    department (even idle), plus any other id (or null) with a non-zero value."""
    if department_ids is not None:
        return list(department_ids)
    ids: dict[DepartmentId, None] = {
        key: None for key, document in known.items() if document.get("enabled") is not False
    }
    for values in valued:
        for key, row in values.items():
            if any(row.values()):
                ids[key] = None
    return list(ids)


def order_key(value: int, key: DepartmentId) -> tuple[int, bool, str]:
    """The first metric descending, then `_id` ascending with null first."""
    return (-value, key is not None, key or "")


def echo(window: Window, timezone: str) -> dict[str, Any]:
    return {"start": window.start, "end": window.end, "timezone": timezone}


def read(
    params: ScorecardParams,
    results: Mapping[str, Sequence[Mapping[str, Any]]],
    departments: Iterable[Mapping[str, Any]],
) -> dict[str, Any]:
    """The answer's data: `results` maps "current"/"previous" to the documents their
    aggregations returned (all collections together); `departments` are the `find`'s."""
    names = params.metrics
    current, current_total = read_facet(results.get("current", []), names)
    previous, previous_total = read_facet(results.get("previous", []), names)
    known = known_departments(departments)
    zeros = dict.fromkeys(names, 0)
    rows = []
    for key in row_ids(known, params.department_ids, current, previous):
        row: Row = {"_id": key, "name": department_name(known, key), **current.get(key, zeros)}
        if params.previous is not None:
            row["previous"] = dict(previous.get(key, zeros))
        rows.append(row)
    rows.sort(key=lambda row: order_key(row[names[0]], row["_id"]))
    total: Row = dict(current_total)
    body: dict[str, Any] = {"window": echo(params.window, params.timezone)}
    if params.previous is not None:
        total["previous"] = previous_total
        body["previousWindow"] = echo(params.previous, params.timezone)
    body["metrics"] = list(names)
    body.update({"departments": rows, "total": total, "success": True})
    return body
