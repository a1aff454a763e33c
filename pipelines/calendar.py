"""Calendar arithmetic in a time zone: window bounds, the previous window, and buckets.

Pure `zoneinfo` arithmetic (EXTENSIONS.md, "Parameters common to both endpoints" and "GET
/livechat-analytics/api/v1/timeseries"). The database is never asked to apply a time zone: it
receives the UTC instants computed here, so labels and groups agree whatever its own time-zone
database says. Every datetime returned is timezone-aware UTC with millisecond precision.

Local days are found by their *earliest instant*, not by "midnight": where midnight is skipped
(America/Santiago springs forward at 24:00) the day starts at the transition, and where it occurs
twice (America/Havana falls back at 01:00 to 00:00) the day starts at the first one.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from itertools import pairwise
from zoneinfo import ZoneInfo

MS = timedelta(milliseconds=1)
INTERVALS = ("hour", "day", "week", "month")
MIN_YEAR, MAX_YEAR = 1970, 9998

_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})", re.ASCII)
_DATE_TIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(?:Z|([+-])(\d{2}):(\d{2}))",
    re.ASCII,
)


class BoundError(ValueError):
    """A `start`/`end` text that is not one of the accepted forms, or not a real date or time.
    No message: the caller words the answer (it knows the parameter's name)."""


class YearOutOfRange(BoundError):
    """A well-formed `start`/`end` whose year is outside MIN_YEAR-MAX_YEAR."""


class TooManyBuckets(ValueError):
    """The window holds more buckets than the caller allows."""


@dataclass(frozen=True, slots=True)
class Bound:
    """A parsed `start`/`end`: a local calendar date, or an instant (aware UTC)."""

    day: date | None = None
    instant: datetime | None = None


def parse_bound(text: str) -> Bound:
    """`YYYY-MM-DD`, or `YYYY-MM-DDTHH:MM[:SS[.fff]]` with `Z` or `±HH:MM`; years 1970-9998."""
    if found := _DATE.fullmatch(text):
        year, month, day = (int(part) for part in found.groups())
        _check_year(year)
        try:
            return Bound(day=date(year, month, day))
        except ValueError:
            raise BoundError from None
    if found := _DATE_TIME.fullmatch(text):
        year, month, day, hour, minute = (int(part) for part in found.groups()[:5])
        _check_year(year)
        second = int(found[6] or 0)
        millis = int((found[7] or "0").ljust(3, "0"))
        sign, hours, minutes = found[8], int(found[9] or 0), int(found[10] or 0)
        # `timezone` itself refuses 24 hours or more, but takes 60 minutes as an hour.
        if minutes > 59:
            raise BoundError
        offset = timedelta(hours=hours, minutes=minutes)
        try:
            zone = timezone(-offset if sign == "-" else offset)
            moment = datetime(year, month, day, hour, minute, second, millis * 1000, zone)
        except ValueError:
            raise BoundError from None
        return Bound(instant=moment.astimezone(UTC))
    raise BoundError


def _check_year(year: int) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise YearOutOfRange


def _exists(local: datetime, zone: ZoneInfo, fold: int) -> datetime | None:
    """The UTC instant at which the wall clock of `zone` reads `local` (naive) with `fold`, or
    None when it never does (a skipped time)."""
    instant = local.replace(tzinfo=zone, fold=fold).astimezone(UTC)
    back = instant.astimezone(zone).replace(tzinfo=None)
    return instant if back == local else None


def _wall_instants(local: datetime, zone: ZoneInfo) -> list[datetime]:
    """Every instant whose local wall clock reads `local`: none, one, or two (a repeated time)."""
    found = {i for fold in (0, 1) if (i := _exists(local, zone, fold)) is not None}
    return sorted(found)


def day_start(day: date, zone: ZoneInfo) -> datetime:
    """The earliest instant whose local date is `day` (aware UTC)."""
    midnight = datetime.combine(day, time())
    # Midnight read with the offset before a transition (fold=0) and after it (fold=1): one
    # instant on most days. Where midnight repeats, the earlier one starts the day. Where it is
    # skipped, the day begins at the transition, which lies between the two readings.
    # Equivalent mutants: reading fold=0 twice. In the tz database every gap that swallows a
    # midnight starts at it (Santiago's 24:00 rule, Apia's lost day; scanned for 1970-2030), so
    # fold=0 alone names the jump; the bracket keeps a rule that skips from 23:30 right.
    readings = [midnight.replace(tzinfo=zone, fold=fold) for fold in (0, 1)]  # pragma: no mutate
    low, high = sorted(reading.astimezone(UTC) for reading in readings)
    # Bisect on whole milliseconds: the local date is before `day` at `low`, `day` at `high`.
    while high - low > MS:
        middle = low + (high - low) / 2
        # Equivalent mutant: rounding up would stay on whole milliseconds as well.
        middle -= timedelta(microseconds=middle.microsecond % 1000)  # pragma: no mutate
        if middle.astimezone(zone).date() >= day:
            high = middle
        else:
            low = middle
    return high if low.astimezone(zone).date() < day else low


def day_end(day: date, zone: ZoneInfo) -> datetime:
    """The last millisecond before the next day's earliest instant."""
    return day_start(day + timedelta(days=1), zone) - MS


@dataclass(frozen=True, slots=True)
class Window:
    """A resolved window: aware UTC instants, both inclusive, and the zone it was asked in."""

    start: datetime
    end: datetime
    # Local calendar days, when both bounds were given as dates (`previous` counts them).
    days: tuple[date, date] | None = None


def resolve(start: Bound, end: Bound, zone: ZoneInfo) -> Window:
    """`start`/`end` as instants: a date is that whole local day in `zone`."""
    first = day_start(start.day, zone) if start.day is not None else start.instant
    last = day_end(end.day, zone) if end.day is not None else end.instant
    if first is None or last is None:
        # Unreachable (a Bound holds one or the other), so its mutants are equivalent.
        raise ValueError("a bound is neither a day nor an instant")  # pragma: no mutate
    days = (start.day, end.day) if start.day is not None and end.day is not None else None
    return Window(first, last, days)


def previous(window: Window, zone: ZoneInfo) -> Window:
    """The window before: as many local calendar days when both bounds were dates, else the
    same duration, from `2*start - end - 1 ms` to `start - 1 ms`."""
    if window.days is not None:
        first, last = window.days
        count = (last - first).days + 1
        return Window(
            day_start(first - timedelta(days=count), zone),
            day_end(first - timedelta(days=1), zone),
        )
    return Window(window.start - (window.end - window.start) - MS, window.start - MS)


@dataclass(frozen=True, slots=True)
class Bucket:
    """One calendar period of the series, clipped to the window (aware UTC, `end` inclusive)."""

    label: str
    start: datetime
    end: datetime


def _period_start(day: date, interval: str) -> date:
    if interval == "week":
        return day - timedelta(days=day.weekday())
    # Equivalent mutants: a month's label, its count and the next month's start ignore the day,
    # and the first bucket is clipped to the window anyway. Kept so the name says what it does.
    if interval == "month":  # pragma: no mutate
        return day.replace(day=1)
    return day


def _next_period(day: date, interval: str) -> date:
    if interval == "week":
        return day + timedelta(days=7)
    if interval == "month":
        return date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return day + timedelta(days=1)


def _label(day: date, interval: str) -> str:
    if interval == "week":
        return day.strftime("%G-W%V")
    if interval == "month":
        return day.strftime("%Y-%m")
    return day.isoformat()


def _offset_label(moment: datetime) -> str:
    offset = moment.utcoffset() or timedelta()
    sign = "-" if offset < timedelta() else "+"
    minutes = int(abs(offset).total_seconds()) // 60
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def _calendar_count(start: datetime, end: datetime, zone: ZoneInfo, interval: str) -> int:
    first = _period_start(start.astimezone(zone).date(), interval)
    last = _period_start(end.astimezone(zone).date(), interval)
    if interval == "month":
        return (last.year - first.year) * 12 + last.month - first.month + 1
    return (last - first).days // (7 if interval == "week" else 1) + 1


def _calendar_starts(
    start: datetime, end: datetime, zone: ZoneInfo, interval: str
) -> Iterator[tuple[str, datetime]]:
    period = _period_start(start.astimezone(zone).date(), interval)
    last = end.astimezone(zone).date()
    while period <= last:
        yield _label(period, interval), day_start(period, zone)
        period = _next_period(period, interval)


# `_hour_starts` looks this far on each side of the window: enough, around any zone's
# transitions, to reach the hour that contains `start` and the one after `end`.
_HOUR_REACH = timedelta(hours=3)
# Beyond this many hours, `bucket_count` stops counting hours one by one.
_COUNTED_HOURS = 4000


def _hour_starts(start: datetime, end: datetime, zone: ZoneInfo) -> list[tuple[str, datetime]]:
    """Every instant in reach of the window whose local clock reads `HH:00`, in order."""
    local = (
        (start - _HOUR_REACH)
        .astimezone(zone)
        .replace(minute=0, second=0, microsecond=0, tzinfo=None)
    )
    stop = (end + _HOUR_REACH).astimezone(zone).replace(tzinfo=None)
    instants: set[datetime] = set()
    # Equivalent mutant: `<` (the reach is wider than an hour; the caller clips to the window).
    while local <= stop:  # pragma: no mutate
        instants.update(_wall_instants(local, zone))
        local += timedelta(hours=1)
    found = sorted(instants)
    return [
        (
            moment.astimezone(zone).strftime("%Y-%m-%dT%H:%M")
            + _offset_label(moment.astimezone(zone)),
            moment,
        )
        for moment in found
    ]


def bucket_count(start: datetime, end: datetime, zone: ZoneInfo, interval: str) -> int:
    """How many buckets `buckets()` gives, computed without building them when that is cheap;
    for hours, an upper bound once it is clearly above any limit a caller sets (no local hour
    lasts less than 30 minutes, so the count is at most twice the hours plus one)."""
    if interval != "hour":
        return _calendar_count(start, end, zone, interval)
    hours = (end - start) / timedelta(hours=1)
    # Equivalent mutant: `>=` (at the bound, the exact count and the bound both exceed any limit).
    if hours > _COUNTED_HOURS:  # pragma: no mutate
        return int(hours * 2) + 1
    return len(buckets(start, end, zone, interval))


def buckets(start: datetime, end: datetime, zone: ZoneInfo, interval: str) -> list[Bucket]:
    """The local calendar periods of `zone` that overlap [start, end], in order, the first and
    last clipped to the window. `interval` is `hour`, `day`, `week` (from Monday) or `month`."""
    if interval not in INTERVALS:
        raise ValueError(f"unknown interval {interval!r}")
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if interval == "hour":
        starts = _hour_starts(start, end, zone)
    else:
        starts = list(_calendar_starts(start, end, zone, interval))
        # The start of the period after the last, for the last one's end.
        after = _next_period(_period_start(end.astimezone(zone).date(), interval), interval)
        following = day_start(after, zone)
        # Equivalent mutant: any label (this start only ends the period before it).
        starts.append(("", following))  # pragma: no mutate
    # Keep the periods that overlap the window: the last one starting at or before `start` (the
    # first start always is), and every later one starting at or before `end`.
    first = max(i for i, (_, moment) in enumerate(starts) if moment <= start)
    result = []
    for (label, begins), (_, next_begins) in pairwise(starts[first:]):
        if begins > end:
            break
        result.append(Bucket(label, max(begins, start), min(next_begins - MS, end)))
    return result
