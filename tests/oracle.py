"""Plain-Python answers to the reports, written from ../shared/CONTRACT.md — not from the
pipelines — so a pipeline that drifts from the contract disagrees with them."""

import math
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

Row = dict[str, Any]


def _utc(moment: datetime) -> datetime:
    # Stored dates come back naive from the embedded backend and aware from the driver.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _in_window(document: Row, start: datetime, end: datetime) -> bool:
    ts = document.get("ts")
    return isinstance(ts, datetime) and start <= _utc(ts) <= end


def _ordered(rows: list[Row], metric: str) -> list[Row]:
    """Metric descending, then `_id` ascending with null first (MongoDB sorts null before
    strings)."""
    return sorted(rows, key=lambda r: (-r[metric], r["_id"] is not None, r["_id"] or ""))


def page(rows: list[Row], offset: int, limit: int | None) -> list[Row]:
    return rows[offset:] if limit is None else rows[offset : offset + limit]


def amount_of_chats(
    rooms: Iterable[Row],
    start: datetime,
    end: datetime,
    *,
    answered: bool = False,
    department: str | None = None,
) -> list[Row]:
    """Every department's room count, in the contract's order (all rows, before paging).

    Counted: livechat rooms (`t == "l"`) created in [start, end]; answered=True keeps rooms
    whose `waitingResponse` is not true, otherwise only rooms still waiting (true); a given
    department keeps only its rooms. Rooms without a department (missing or null) are one row
    whose `_id` is None."""
    counts: dict[Any, int] = {}
    for document in rooms:
        if document.get("t") != "l" or not _in_window(document, start, end):
            continue
        waiting = document.get("waitingResponse") is True
        if waiting == answered:
            continue
        if department is not None and document.get("departmentId") != department:
            continue
        key = document.get("departmentId")
        counts[key] = counts.get(key, 0) + 1
    return _ordered([{"_id": key, "rooms": n} for key, n in counts.items()], "rooms")


# ----------------------------------------------------------------------------- the siblings
#
# Sums use math.fsum: MongoDB's $sum of doubles is compensated (nearly exact), so the oracle
# adds exactly too; the tests feed values that binary floating point sums exactly, so a naive
# backend sum agrees as well.


def _get(document: Row, path: str) -> Any:
    """The value at a dotted path, or None when any step is missing."""
    value: Any = document
    for step in path.split("."):
        if not isinstance(value, dict) or step not in value:
            return None
        value = value[step]
    return value


def _has(document: Row, path: str) -> bool:
    """The field exists, whatever its value (MongoDB's `$exists: true`)."""
    *parents, last = path.split(".")
    holder = _get(document, ".".join(parents)) if parents else document
    return isinstance(holder, dict) and last in holder


def _number(value: Any) -> float | None:
    """The value as `$sum` adds it: numbers (negative ones too) count, anything else (null, a
    string, a missing field) is skipped (MongoDB manual, `$sum`: "ignores non-numeric
    values"). Booleans are not numbers in BSON."""
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _created_in(
    rooms: Iterable[Row], start: datetime, end: datetime, department: str | None
) -> list[Row]:
    return [
        r
        for r in rooms
        if r.get("t") == "l"
        and _in_window(r, start, end)
        and (department is None or r.get("departmentId") == department)
    ]


def _closed_in(
    rooms: Iterable[Row], start: datetime, end: datetime, department: str | None
) -> list[Row]:
    """Created at or after start and closed at or before end."""
    chosen = []
    for r in rooms:
        ts, closed = r.get("ts"), r.get("closedAt")
        if r.get("t") != "l" or not isinstance(ts, datetime) or not isinstance(closed, datetime):
            continue
        if (
            _utc(ts) >= start
            and _utc(closed) <= end
            and (department is None or r.get("departmentId") == department)
        ):
            chosen.append(r)
    return chosen


def _by_department(rooms: Iterable[Row], key: Any = None) -> dict[Any, list[Row]]:
    groups: dict[Any, list[Row]] = {}
    for r in rooms:
        department = key(r) if key else r.get("departmentId")
        groups.setdefault(department, []).append(r)
    return groups


def _ceil_mean(values: list[float | None], count: int) -> int:
    return math.ceil(math.fsum(v for v in values if v is not None) / count) if count else 0


def average_service_time(
    rooms: Iterable[Row], start: datetime, end: datetime, department: str | None = None
) -> list[Row]:
    """Rooms in the window with responseBy.lastMessageTs and servedBy._id; per department,
    ceil(sum((lastMessageTs - servedBy.ts) in seconds) / rooms); no servedBy.ts adds nothing."""
    chosen = [
        r
        for r in _created_in(rooms, start, end, department)
        if _has(r, "responseBy.lastMessageTs") and _has(r, "servedBy._id")
    ]

    def seconds(r: Row) -> float | None:
        last, taken = _get(r, "responseBy.lastMessageTs"), _get(r, "servedBy.ts")
        if not isinstance(last, datetime) or not isinstance(taken, datetime):
            return None
        return (_utc(last) - _utc(taken)).total_seconds()

    rows = [
        {
            "_id": d,
            "averageServiceTimeInSeconds": _ceil_mean([seconds(r) for r in group], len(group)),
        }
        for d, group in _by_department(chosen).items()
    ]
    return _ordered(rows, "averageServiceTimeInSeconds")


def _mean_per_department(rooms: list[Row], path: str, metric: str) -> list[Row]:
    """ceil(sum(<path>) / rooms) per department; a missing value adds 0 but counts."""
    rows = [
        {"_id": d, metric: _ceil_mean([_number(_get(r, path)) for r in group], len(group))}
        for d, group in _by_department(rooms).items()
    ]
    return _ordered(rows, metric)


def average_chat_duration_time(
    rooms: Iterable[Row], start: datetime, end: datetime, department: str | None = None
) -> list[Row]:
    """Closed-in-window rooms; ceil(sum(metrics.chatDuration) / rooms), missing adds 0."""
    closed = _closed_in(rooms, start, end, department)
    return _mean_per_department(closed, "metrics.chatDuration", "averageChatDurationTimeInSeconds")


def total_service_time(
    rooms: Iterable[Row], start: datetime, end: datetime, department: str | None = None
) -> list[Row]:
    """Closed-in-window rooms that have metrics.serviceTimeDuration; chats and ceil(sum)."""
    chosen = [
        r
        for r in _closed_in(rooms, start, end, department)
        if _has(r, "metrics.serviceTimeDuration")
    ]
    rows = [
        {
            "_id": d,
            "chats": len(group),
            "serviceTimeDuration": math.ceil(
                math.fsum(
                    v
                    for v in (_number(_get(r, "metrics.serviceTimeDuration")) for r in group)
                    if v is not None
                )
            ),
        }
        for d, group in _by_department(chosen).items()
    ]
    return _ordered(rows, "serviceTimeDuration")


def average_waiting_time(
    rooms: Iterable[Row], start: datetime, end: datetime, department: str | None = None
) -> list[Row]:
    """Rooms in the window not waiting for an answer; ceil(sum(metrics.response.ft) / rooms)."""
    answered = [
        r
        for r in _created_in(rooms, start, end, department)
        if r.get("waitingResponse") is not True
    ]
    return _mean_per_department(answered, "metrics.response.ft", "averageWaitingTimeInSeconds")


def total_transferred_chats(
    messages: Iterable[Row],
    rooms: Iterable[Row],
    start: datetime,
    end: datetime,
    department: str | None = None,
) -> list[Row]:
    """Transfer-history messages in the window, counted under their room's department (null
    when the room is gone or has none); with a department, only its rooms' messages."""
    room_department = {r["_id"]: r.get("departmentId") for r in rooms}
    counts: dict[Any, int] = {}
    for m in messages:
        if m.get("t") != "livechat_transfer_history" or not _in_window(m, start, end):
            continue
        owner = room_department.get(m.get("rid"))
        if department is not None and owner != department:
            continue
        counts[owner] = counts.get(owner, 0) + 1
    return _ordered(
        [{"_id": d, "numberOfTransferredRooms": n} for d, n in counts.items()],
        "numberOfTransferredRooms",
    )


def _abandoned(room: Row, timeout: float) -> bool:
    """`metrics.visitorInactivity` is a number at least `timeout`: the `$match` of
    total-abandoned-chats, where a query comparison only compares numbers with numbers
    (MongoDB manual, "Comparison Query Operators": type bracketing)."""
    inactivity = _number(_get(room, "metrics.visitorInactivity"))
    return inactivity is not None and inactivity >= timeout


def _abandoned_by_expression(room: Row, timeout: float) -> bool:
    """`metrics.visitorInactivity` present and at least `timeout` as an aggregation expression
    compares them, in BSON order (MongoDB manual, "Comparison/Sort Order"): null and missing
    sort below every number, a string above every number. So a string counts as abandoned in
    percentage-abandoned-chats — as in Rocket.Chat, whose `$cond` is `$ifNull` and the same
    `$gte` — while total-abandoned-chats' `$match` skips it."""
    value = _get(room, "metrics.visitorInactivity")
    if isinstance(value, str):
        return True
    return _abandoned(room, timeout)


def total_abandoned_chats(
    rooms: Iterable[Row],
    start: datetime,
    end: datetime,
    timeout: float,
    department: str | None = None,
) -> list[Row]:
    """Closed-in-window rooms with metrics.visitorInactivity >= timeout, counted."""
    chosen = [r for r in _closed_in(rooms, start, end, department) if _abandoned(r, timeout)]
    rows = [{"_id": d, "abandonedRooms": len(group)} for d, group in _by_department(chosen).items()]
    return _ordered(rows, "abandonedRooms")


def percentage_abandoned_chats(
    rooms: Iterable[Row],
    start: datetime,
    end: datetime,
    timeout: float,
    department: str | None = None,
) -> list[Row]:
    """Rooms in the window; floor(100 * abandoned / rooms) (see `_abandoned_by_expression`)."""
    rows = [
        {
            "_id": d,
            "percentageOfAbandonedChats": math.floor(
                100 * sum(_abandoned_by_expression(r, timeout) for r in group) / len(group)
            ),
        }
        for d, group in _by_department(_created_in(rooms, start, end, department)).items()
    ]
    return _ordered(rows, "percentageOfAbandonedChats")
