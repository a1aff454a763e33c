"""Plain-Python answers to our own API (../shared/EXTENSIONS.md): the scorecard, the time series,
their CSV, and the calendar buckets — written from the contract, not from the service.

Every metric is, by the contract, the number a drop-in report returns for a department and a
window, so the metrics here call tests/oracle.py's drop-in answers rather than restating them;
totals are the same reports run over the rooms relabelled as one department.

The calendar is computed independently of any "next boundary" loop: every candidate local date
(or local hour) around the window is converted to UTC with both folds, kept only when it round-
trips to the same wall time, and the buckets are the gaps between consecutive boundaries.
"""

import csv
import functools
import io
import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

from tests import oracle

Row = dict[str, Any]
MS = timedelta(milliseconds=1)

METRICS = (
    "chats",
    "answeredChats",
    "unansweredChats",
    "averageChatDurationSeconds",
    "averageServiceTimeSeconds",
    "averageWaitingTimeSeconds",
    "serviceTimeChats",
    "totalServiceTimeSeconds",
    "transferredChats",
    "abandonedChats",
    "abandonedPercentage",
)
# Counted on closed chats: in a bucket, chats created in it and closed by the window's end.
CLOSED_METRICS = frozenset(
    {"averageChatDurationSeconds", "serviceTimeChats", "totalServiceTimeSeconds", "abandonedChats"}
)
# Metrics whose buckets add up to the whole window's value.
COUNT_METRICS = frozenset(
    {
        "chats",
        "answeredChats",
        "unansweredChats",
        "serviceTimeChats",
        "transferredChats",
        "abandonedChats",
    }
)
INTERVALS = ("hour", "day", "week", "month")


# ----------------------------------------------------------------------------- zones


@functools.cache
def zone(name: str) -> ZoneInfo:
    """The zone as the pinned `tzdata` package has it. The contract computes calendars with
    "zoneinfo and a pinned tzdata", and the host's tz files can be older (Debian's 2025b still
    ends Cuba's daylight time on 1 November 2026; tzdata 2026f does not)."""
    if name == "UTC":
        return ZoneInfo("UTC")
    path = resources.files("tzdata.zoneinfo").joinpath(*name.split("/"))
    with path.open("rb") as file:
        return ZoneInfo.from_file(file, key=name)


# ----------------------------------------------------------------------------- instants


def utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def instant(moment: datetime) -> str:
    """`2026-10-31T23:00:00.000Z`, the contract's echo of an instant."""
    moment = moment.astimezone(UTC)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}Z"


def compact(moment: datetime) -> str:
    """`20261031T230000Z`, the instants in a CSV file name."""
    return f"{moment.astimezone(UTC):%Y%m%dT%H%M%SZ}"


def offset_text(moment: datetime) -> str:
    offset = moment.utcoffset()
    assert offset is not None
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


# ----------------------------------------------------------------------------- the calendar


def _exists(wall: datetime, zone: ZoneInfo) -> list[datetime]:
    """The UTC instants whose local clock reads `wall` (naive): none in a gap, two in a
    repetition, else one."""
    found = []
    for fold in (0, 1):
        moment = wall.replace(tzinfo=zone, fold=fold).astimezone(UTC)
        if moment.astimezone(zone).replace(tzinfo=None) == wall and moment not in found:
            found.append(moment)
    return sorted(found)


def day_start(day: date, zone: ZoneInfo) -> datetime:
    """The earliest instant whose local date is `day`."""
    midnight = datetime(day.year, day.month, day.day)
    readings = _exists(midnight, zone)
    if readings:
        return readings[0]
    # Midnight is skipped: the day starts at the gap's end, somewhere between the two folds'
    # readings of midnight; find the first millisecond whose local date is `day`.
    low, high = sorted(midnight.replace(tzinfo=zone, fold=f).astimezone(UTC) for f in (0, 1))
    while high - low > MS:
        middle = low + (high - low) // 2
        middle -= timedelta(microseconds=middle.microsecond % 1000)
        if middle.astimezone(zone).date() >= day:
            high = middle
        else:
            low = middle
    return high


@dataclass(frozen=True, slots=True)
class Span:
    label: str
    start: datetime
    end: datetime


def _clip(boundaries: list[tuple[str, datetime]], start: datetime, end: datetime) -> list[Span]:
    """Consecutive boundaries as periods [b_i, b_i+1 - 1 ms], those overlapping the window,
    clipped to it."""
    spans = []
    for (label, low), (_, high) in itertools.pairwise(boundaries):
        last = high - MS
        if last < start or low > end:
            continue
        spans.append(Span(label, max(low, start), min(last, end)))
    return spans


LABELS: dict[str, Callable[[date], str]] = {
    "day": lambda d: f"{d:%Y-%m-%d}",
    "week": lambda d: f"{d:%G-W%V}",  # the Monday's ISO week-numbering year and week
    "month": lambda d: f"{d:%Y-%m}",
}


def buckets(start: datetime, end: datetime, zone: ZoneInfo, interval: str) -> list[Span]:
    """The contract's buckets of the window [start, end] (aware, inclusive)."""
    if interval == "hour":
        wall_low = start.astimezone(zone).replace(tzinfo=None, minute=0, second=0, microsecond=0)
        wall_high = end.astimezone(zone).replace(tzinfo=None)
        wall = wall_low - timedelta(hours=4)
        readings: list[datetime] = []
        while wall <= wall_high + timedelta(hours=4):
            readings += _exists(wall, zone)
            wall += timedelta(hours=1)
        boundaries = [
            (f"{m.astimezone(zone):%Y-%m-%dT%H:%M}{offset_text(m.astimezone(zone))}", m)
            for m in sorted(set(readings))
        ]
        return _clip(boundaries, start, end)
    first = start.astimezone(zone).date() - timedelta(days=2)
    last = end.astimezone(zone).date() + timedelta(days=2)
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    if interval == "day":
        starts = days
    elif interval == "week":
        monday = first - timedelta(days=first.weekday())
        starts = [monday + timedelta(weeks=n) for n in range((last - monday).days // 7 + 2)]
    elif interval == "month":
        first_month = date(first.year, first.month, 1)
        starts = [first_month]
        while starts[-1] <= last:
            before = starts[-1]
            starts.append(date(before.year + before.month // 12, before.month % 12 + 1, 1))
    else:
        raise ValueError(interval)
    label = LABELS[interval]
    return _clip([(label(d), day_start(d, zone)) for d in starts], start, end)


@dataclass(frozen=True, slots=True)
class Window:
    start: datetime
    end: datetime
    zone: ZoneInfo
    timezone: str
    # Both bounds given as calendar dates (for the previous window's rule).
    dates: bool

    def echo(self) -> dict[str, str]:
        return {"start": instant(self.start), "end": instant(self.end), "timezone": self.timezone}


def resolve(start: str, end: str, timezone: str = "UTC") -> Window:
    """The window a request's `start`/`end`/`timezone` mean (inputs assumed valid)."""
    local = zone(timezone)

    def bound(text: str, upper: bool) -> tuple[datetime, bool]:
        if len(text) == 10:
            day = date.fromisoformat(text)
            if upper:
                return day_start(day + timedelta(days=1), local) - MS, True
            return day_start(day, local), True
        return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC), False

    low, low_date = bound(start, False)
    high, high_date = bound(end, True)
    return Window(low, high, local, timezone, low_date and high_date)


def previous(window: Window) -> Window:
    """compare=previous: as many local days right before, or the same duration right before."""
    if window.dates:
        first = window.start.astimezone(window.zone).date()
        last = window.end.astimezone(window.zone).date()
        days = (last - first).days + 1
        low = day_start(first - timedelta(days=days), window.zone)
        return Window(low, window.start - MS, window.zone, window.timezone, True)
    return Window(
        window.start - (window.end - window.start) - MS,
        window.start - MS,
        window.zone,
        window.timezone,
        False,
    )


# ----------------------------------------------------------------------------- the metrics


TOTAL = object()  # the key of "every room as one department"


def _rows_to_values(rows: list[Row], field: str) -> dict[Any, int]:
    return {row["_id"]: row[field] for row in rows}


def department_values(
    metric: str,
    rooms: list[Row],
    messages: list[Row],
    start: datetime,
    end: datetime,
    timeout: float,
    *,
    closed_by: datetime | None = None,
) -> dict[Any, int]:
    """Each department's value of `metric` (departments absent from the report are 0).

    Rooms are those created in [start, end]; the closed-chat metrics count rooms created in
    [start, end] and closed by `closed_by` (the window's end; default `end`)."""
    if metric in CLOSED_METRICS:
        cutoff = end if closed_by is None else closed_by
        created = [r for r in rooms if isinstance(r.get("ts"), datetime) and utc(r["ts"]) <= end]
        if metric == "averageChatDurationSeconds":
            rows = oracle.average_chat_duration_time(created, start, cutoff)
            return _rows_to_values(rows, "averageChatDurationTimeInSeconds")
        if metric == "abandonedChats":
            rows = oracle.total_abandoned_chats(created, start, cutoff, timeout)
            return _rows_to_values(rows, "abandonedRooms")
        rows = oracle.total_service_time(created, start, cutoff)
        field = "chats" if metric == "serviceTimeChats" else "serviceTimeDuration"
        return _rows_to_values(rows, field)
    if metric == "chats":
        values: dict[Any, int] = {}
        for answered in (True, False):
            for row in oracle.amount_of_chats(rooms, start, end, answered=answered):
                values[row["_id"]] = values.get(row["_id"], 0) + row["rooms"]
        return values
    if metric in ("answeredChats", "unansweredChats"):
        rows = oracle.amount_of_chats(rooms, start, end, answered=metric == "answeredChats")
        return _rows_to_values(rows, "rooms")
    if metric == "averageServiceTimeSeconds":
        rows = oracle.average_service_time(rooms, start, end)
        return _rows_to_values(rows, "averageServiceTimeInSeconds")
    if metric == "averageWaitingTimeSeconds":
        rows = oracle.average_waiting_time(rooms, start, end)
        return _rows_to_values(rows, "averageWaitingTimeInSeconds")
    if metric == "transferredChats":
        rows = oracle.total_transferred_chats(messages, rooms, start, end)
        return _rows_to_values(rows, "numberOfTransferredRooms")
    if metric == "abandonedPercentage":
        rows = oracle.percentage_abandoned_chats(rooms, start, end, timeout)
        return _rows_to_values(rows, "percentageOfAbandonedChats")
    raise ValueError(metric)


def total_value(
    metric: str,
    rooms: list[Row],
    messages: list[Row],
    start: datetime,
    end: datetime,
    timeout: float,
    chosen: set[str] | None,
    *,
    closed_by: datetime | None = None,
) -> int:
    """The metric over all rooms (or those of the chosen departments) as one department."""
    if metric == "transferredChats":
        values = department_values(metric, rooms, messages, start, end, timeout)
        return sum(v for d, v in values.items() if chosen is None or d in chosen)
    merged = [
        {**r, "departmentId": TOTAL}
        for r in rooms
        if chosen is None or r.get("departmentId") in chosen
    ]
    values = department_values(metric, merged, [], start, end, timeout, closed_by=closed_by)
    return values.get(TOTAL, 0)


def _id_order(key: Any) -> tuple[bool, str]:
    return (key is not None, key or "")


@dataclass(frozen=True, slots=True)
class Workspace:
    rooms: list[Row]
    messages: list[Row]
    departments: list[Row]
    timeout: float = 3600

    def name(self, department: Any) -> Any:
        for d in self.departments:
            if d["_id"] == department:
                return d.get("name")
        return None

    def listed(self) -> list[str]:
        """Departments that always have a row: in the collection, not a business unit, not
        disabled."""
        return [
            d["_id"]
            for d in self.departments
            if d.get("type") != "u" and d.get("enabled") is not False
        ]

    def values(self, metric: str, window: Window) -> dict[Any, int]:
        return department_values(
            metric, self.rooms, self.messages, window.start, window.end, self.timeout
        )

    def total(self, metric: str, window: Window, chosen: set[str] | None) -> int:
        return total_value(
            metric, self.rooms, self.messages, window.start, window.end, self.timeout, chosen
        )


def row_ids(
    workspace: Workspace,
    metrics: list[str],
    windows: list[Window],
    department_ids: list[str] | None,
) -> set[Any]:
    """The scorecard's rows rule: the named departments, or every listed department plus any
    other id (and null) with a non-zero value of a requested metric in one of the windows."""
    if department_ids:
        return set(department_ids)
    ids: set[Any] = set(workspace.listed())
    for window in windows:
        for metric in metrics:
            ids |= {d for d, v in workspace.values(metric, window).items() if v != 0}
    return ids


def scorecard(
    workspace: Workspace,
    window: Window,
    metrics: list[str] | None = None,
    *,
    compare: bool = False,
    department_ids: list[str] | None = None,
) -> Row:
    chosen_metrics = list(metrics or METRICS)
    before = previous(window) if compare else None
    windows = [window] + ([before] if before else [])
    ids = row_ids(workspace, chosen_metrics, windows, department_ids)
    chosen = set(department_ids) if department_ids else None
    current = {m: workspace.values(m, window) for m in chosen_metrics}
    earlier = {m: workspace.values(m, before) for m in chosen_metrics} if before else {}
    rows = []
    for key in ids:
        row: Row = {"_id": key, "name": workspace.name(key)}
        row.update({m: current[m].get(key, 0) for m in chosen_metrics})
        if before:
            row["previous"] = {m: earlier[m].get(key, 0) for m in chosen_metrics}
        rows.append(row)
    rows.sort(key=lambda r: (-r[chosen_metrics[0]], *_id_order(r["_id"])))
    total: Row = {m: workspace.total(m, window, chosen) for m in chosen_metrics}
    if before:
        total["previous"] = {m: workspace.total(m, before, chosen) for m in chosen_metrics}
    body: Row = {"window": window.echo()}
    if before:
        body["previousWindow"] = before.echo()
    body.update({"metrics": chosen_metrics, "departments": rows, "total": total, "success": True})
    return body


def timeseries(
    workspace: Workspace,
    window: Window,
    metric: str = "chats",
    interval: str = "day",
    *,
    split: bool = False,
    department_ids: list[str] | None = None,
) -> Row:
    spans = buckets(window.start, window.end, window.zone, interval)
    chosen = set(department_ids) if department_ids else None

    def bucket_values(span: Span) -> dict[Any, int]:
        return department_values(
            metric,
            workspace.rooms,
            workspace.messages,
            span.start,
            span.end,
            workspace.timeout,
            closed_by=window.end,
        )

    def bucket_total(span: Span) -> int:
        return total_value(
            metric,
            workspace.rooms,
            workspace.messages,
            span.start,
            span.end,
            workspace.timeout,
            chosen,
            closed_by=window.end,
        )

    body: Row = {
        "metric": metric,
        "interval": interval,
        "window": window.echo(),
        "buckets": [
            {"label": s.label, "start": instant(s.start), "end": instant(s.end)} for s in spans
        ],
        "values": [bucket_total(s) for s in spans],
    }
    if split:
        whole = workspace.values(metric, window)
        ids = row_ids(workspace, [metric], [window], department_ids)
        ordered = sorted(ids, key=lambda d: (-whole.get(d, 0), *_id_order(d)))
        per_bucket = [bucket_values(s) for s in spans]
        body["departments"] = [
            {"_id": d, "name": workspace.name(d), "values": [v.get(d, 0) for v in per_bucket]}
            for d in ordered
        ]
    body["success"] = True
    return body


# ----------------------------------------------------------------------------- CSV


def defused(cell: Any) -> str:
    """A text cell as the contract writes it: null empty, formula-looking text prefixed."""
    if cell is None:
        return ""
    text = str(cell)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r", "\n") else text


def scorecard_csv_rows(body: Row) -> list[list[str]]:
    metrics = body["metrics"]
    compare = "previousWindow" in body
    header = ["department_id", "department_name", *metrics]
    if compare:
        header += [f"previous_{m}" for m in metrics]

    def numbers(row: Row) -> list[str]:
        cells = [str(row[m]) for m in metrics]
        if compare:
            cells += [str(row["previous"][m]) for m in metrics]
        return cells

    lines = [header]
    lines += [[defused(r["_id"]), defused(r["name"]), *numbers(r)] for r in body["departments"]]
    lines.append(["total", "", *numbers(body["total"])])
    return lines


def timeseries_csv_rows(body: Row) -> list[list[str]]:
    lines = [
        ["bucket", "bucket_start", "bucket_end", "department_id", "department_name", body["metric"]]
    ]
    for index, bucket in enumerate(body["buckets"]):
        head = [bucket["label"], bucket["start"], bucket["end"]]
        lines.append([*head, "total", "", str(body["values"][index])])
        for d in body.get("departments", []):
            lines.append([*head, defused(d["_id"]), defused(d["name"]), str(d["values"][index])])
    return lines


def csv_text(lines: Iterable[list[str]]) -> str:
    """RFC 4180 with CRLF, quoting only fields that need it."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL).writerows(lines)
    return out.getvalue()


def parse_csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def file_name(kind: str, window: Window) -> str:
    return f"{kind}_{compact(window.start)}_{compact(window.end)}.csv"
