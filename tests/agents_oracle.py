"""Plain-Python answers to the agents family, written from ../shared/CONTRACT.md ("The agents
family") — not from the pipelines — so a pipeline that drifts from the contract disagrees.

Every function returns all rows in the contract's order (before paging), exactly as the JSON
body carries them: whole numbers as `int`, dates as ISO 8601 UTC strings with milliseconds.
"""

import math
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

Row = dict[str, Any]

_MISSING = object()


def _utc(moment: datetime) -> datetime:
    # Stored dates come back naive from the embedded backend and aware from the driver.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _field(document: Any, path: str) -> Any:
    """The value at a dotted path, or _MISSING (distinct from a stored null)."""
    value = document
    for step in path.split("."):
        if not isinstance(value, dict) or step not in value:
            return _MISSING
        value = value[step]
    return value


def _number(value: Any) -> int | float | None:
    """What `$sum` adds: numbers; null, missing, strings and booleans add nothing."""
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def _exact_sum(values: Iterable[int | float]) -> int | float:
    """MongoDB's `$sum`: integers add exactly; with any double the sum is compensated."""
    numbers = list(values)
    if all(isinstance(v, int) for v in numbers):
        return sum(numbers)
    return math.fsum(numbers)


def _whole(number: int | float) -> int | float:
    """JavaScript writes a whole number without a fraction."""
    return int(number) if float(number).is_integer() else number


def _ordered(rows: list[Row]) -> list[Row]:
    """`username` ascending in byte order (MongoDB's simple collation compares UTF-8 bytes),
    null first, then `_id`."""
    return sorted(
        rows,
        key=lambda r: (
            r["username"] is not None,
            (r["username"] or "").encode("utf-8"),
            str(r["_id"]).encode("utf-8"),
        ),
    )


def page(rows: list[Row], offset: int, limit: int | None) -> list[Row]:
    return rows[offset:] if limit is None else rows[offset : offset + limit]


# ----------------------------------------------------------------------------- service time


def _served_in(rooms: Iterable[Row], start: datetime, end: datetime) -> dict[Any, list[Any]]:
    """Livechat rooms created in [start, end] with `servedBy._id` and
    `metrics.serviceTimeDuration` present (null counts as present), by (agent id, username).
    A missing username and a null one are the same agent (our one documented merge)."""
    groups: dict[Any, list[Any]] = {}
    for room in rooms:
        ts = room.get("ts")
        if room.get("t") != "l" or not isinstance(ts, datetime):
            continue
        if not start <= _utc(ts) <= end:
            continue
        agent = _field(room, "servedBy._id")
        duration = _field(room, "metrics.serviceTimeDuration")
        if agent is _MISSING or duration is _MISSING:
            continue
        username = _field(room, "servedBy.username")
        key = (agent, None if username is _MISSING else username)
        groups.setdefault(key, []).append(_number(duration))
    return groups


def average_service_time(rooms: Iterable[Row], start: datetime, end: datetime) -> list[Row]:
    """Per agent: ceil(sum of service times / chats); a null time counts but adds nothing."""
    rows = [
        {
            "_id": agent,
            "username": username,
            "averageServiceTimeInSeconds": math.ceil(
                _exact_sum(v for v in times if v is not None) / len(times)
            ),
        }
        for (agent, username), times in _served_in(rooms, start, end).items()
    ]
    return _ordered(rows)


def total_service_time(rooms: Iterable[Row], start: datetime, end: datetime) -> list[Row]:
    """Per agent: chats, and ceil(sum of service times)."""
    rows = [
        {
            "_id": agent,
            "username": username,
            "chats": len(times),
            "serviceTimeDuration": math.ceil(_exact_sum(v for v in times if v is not None)),
        }
        for (agent, username), times in _served_in(rooms, start, end).items()
    ]
    return _ordered(rows)


# ----------------------------------------------------------------------------- availability


def yyyymmdd(day: date) -> int:
    return int(day.strftime("%Y%m%d"))


def server_day(moment: datetime, written: date | None, zone: str) -> int:
    """A bound's day: as written for a date alone, else the instant's day in the server zone."""
    if written is not None:
        return yyyymmdd(written)
    return yyyymmdd(moment.astimezone(ZoneInfo(zone)))


def js_date(moment: datetime) -> str:
    """`Date.prototype.toISOString()`."""
    return _utc(moment).astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _history(intervals: Any) -> Any:
    if not isinstance(intervals, list):
        return None
    return [
        {name: js_date(value) for name, value in interval.items() if isinstance(value, datetime)}
        for interval in intervals
    ]


def available_for_service_history(
    activity: Iterable[Row],
    users: Iterable[Row],
    first_day: int,
    last_day: int,
    *,
    full_report: bool = False,
) -> list[Row]:
    """Activity documents with `date` in [first_day, last_day] whose `agentId` is a user that
    still exists, by (user id, username): the sum of `availableTime`; with `full_report`, the
    `serviceHistory` of the agent's earliest day in the window. Rows carry no `_id`."""
    known = {user["_id"]: user for user in users}
    groups: dict[Any, list[Row]] = {}
    for document in activity:
        day = document.get("date")
        user = known.get(document.get("agentId"))
        if not isinstance(day, int) or not first_day <= day <= last_day or user is None:
            continue
        groups.setdefault((user["_id"], user.get("username")), []).append(document)
    rows = []
    for (user_id, username), days in groups.items():
        total = _exact_sum(
            v for v in (_number(d.get("availableTime")) for d in days) if v is not None
        )
        row: Row = {"_id": user_id, "username": username, "availableTimeInSeconds": _whole(total)}
        if full_report:
            earliest = min(days, key=lambda d: d["date"])
            row["serviceHistory"] = _history(earliest.get("serviceHistory"))
        rows.append(row)
    return [{k: v for k, v in row.items() if k != "_id"} for row in _ordered(rows)]
