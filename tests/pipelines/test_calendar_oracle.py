"""Calendar buckets (pipelines.calendar) against the independent calendar of
tests/dashboard_oracle.py, over zones with every kind of clock change and random windows:
contiguous, covering the window exactly, labelled as ../shared/EXTENSIONS.md says."""

import functools
import itertools
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.calendar import buckets
from tests import dashboard_oracle as expected
from tests.service.dashboard.workspaces import spread

MS = timedelta(milliseconds=1)
ZONES = [
    "Europe/Berlin",
    "America/Sao_Paulo",
    "Australia/Lord_Howe",  # a 30-minute shift
    "Asia/Kolkata",  # a half-hour offset, no shift
    "Pacific/Chatham",  # +12:45 / +13:45
    "America/Santiago",  # midnight skipped, 23:00 repeated
    "America/Havana",  # midnight skipped, midnight repeated
    "UTC",
]
# Longest window drawn per interval, so no draw needs more than ~1000 buckets.
LONGEST = {
    "hour": timedelta(days=5),
    "day": timedelta(days=200),
    "week": timedelta(days=3 * 366),
    "month": timedelta(days=30 * 366),
}
EPOCH = datetime(1970, 1, 3, tzinfo=UTC)
FAR = datetime(2060, 1, 1, tzinfo=UTC)


@functools.cache
def transitions(name: str) -> tuple[datetime, ...]:
    """Instants (to the hour) where the zone's UTC offset changes, 1995 to 2035: found by
    scanning days, then hours, so windows can be drawn around them."""
    zone = expected.zone(name)
    found = []
    moment = datetime(1995, 1, 1, tzinfo=UTC)
    while moment < datetime(2035, 1, 1, tzinfo=UTC):
        following = moment + timedelta(days=1)
        if moment.astimezone(zone).utcoffset() != following.astimezone(zone).utcoffset():
            hour = moment
            while hour.astimezone(zone).utcoffset() == moment.astimezone(zone).utcoffset():
                hour += timedelta(hours=1)
            found.append(hour)
        moment = following
    return tuple(found)


@st.composite
def windows(draw: st.DrawFn, interval: str) -> tuple[datetime, datetime, ZoneInfo]:
    name = draw(st.sampled_from(ZONES))
    zone = expected.zone(name)
    near = transitions(name)
    if near and draw(st.booleans()):
        around = draw(st.sampled_from(near))
        span = min(LONGEST[interval], timedelta(days=40))
        start = around - spread(draw, int(span / MS)) * MS
    else:
        start = EPOCH + spread(draw, int((FAR - EPOCH) / MS)) * MS
    if draw(st.booleans()):
        # On a local day's first instant, as a date parameter gives.
        start = expected.day_start(start.astimezone(zone).date(), zone)
    end = start + spread(draw, int(LONGEST[interval] / MS)) * MS
    if draw(st.booleans()):
        end = expected.day_start(end.astimezone(zone).date() + timedelta(days=1), zone) - MS
    return start, end, zone


def check(start: datetime, end: datetime, zone: ZoneInfo, interval: str) -> None:
    got = buckets(start, end, zone, interval)
    assert got, "a window always overlaps at least one bucket"
    for bucket in got:
        assert bucket.start.utcoffset() == timedelta(0)
        assert bucket.end.utcoffset() == timedelta(0)
        assert bucket.start <= bucket.end
    assert got[0].start == start
    assert got[-1].end == end
    for before, after in itertools.pairwise(got):
        assert after.start == before.end + MS
    want = expected.buckets(start, end, zone, interval)
    assert [(b.label, b.start, b.end) for b in got] == [(w.label, w.start, w.end) for w in want]


@pytest.mark.parametrize("interval", ["hour", "day", "week", "month"])
@settings(max_examples=80, deadline=None)
@given(data=st.data())
def test_buckets_tile_the_window_like_the_independent_calendar(
    interval: str, data: st.DataObject
) -> None:
    start, end, zone = data.draw(windows(interval))
    check(start, end, zone, interval)


def hours(day: str, name: str) -> list[tuple[str, datetime, datetime]]:
    zone = expected.zone(name)
    first = expected.day_start(date.fromisoformat(day), zone)
    last = expected.day_start(date.fromisoformat(day) + timedelta(days=1), zone) - MS
    return [(b.label, b.start, b.end) for b in buckets(first, last, zone, "hour")]


def test_a_repeated_hour_is_two_buckets_with_their_own_offsets() -> None:
    # The contract's own example: 25 October 2026 in Berlin has two 02:00 hours.
    day = hours("2026-10-25", "Europe/Berlin")
    labels = [label for label, _, _ in day]
    assert len(day) == 25
    assert labels.count("2026-10-25T02:00+02:00") == labels.count("2026-10-25T02:00+01:00") == 1
    assert day[0][1] == datetime(2026, 10, 24, 22, tzinfo=UTC)


def test_a_skipped_hour_is_no_bucket() -> None:
    day = hours("2026-03-29", "Europe/Berlin")
    assert len(day) == 23
    assert not [label for label, _, _ in day if "T02:" in label]


def test_a_half_hour_shift_makes_a_ninety_minute_bucket() -> None:
    day = hours("2026-04-05", "Australia/Lord_Howe")
    lengths = {label: end + MS - start for label, start, end in day}
    assert lengths["2026-04-05T01:00+11:00"] == timedelta(minutes=90)
    assert "2026-04-05T02:00+10:30" in lengths


def test_a_day_whose_midnight_is_skipped_starts_at_the_change() -> None:
    # Havana jumps from 00:00 to 01:00 on 8 March 2026: the day begins at 01:00 -04:00.
    zone = expected.zone("America/Havana")
    first = datetime(2026, 3, 8, 5, tzinfo=UTC)
    got = buckets(first, first + timedelta(days=3), zone, "day")
    assert (got[0].label, got[0].start) == ("2026-03-08", first)
    assert got[0].end == datetime(2026, 3, 9, 4, tzinfo=UTC) - MS  # 23 hours long


def test_the_contracts_day_example() -> None:
    zone = ZoneInfo("Europe/Berlin")
    start, end = datetime(2026, 10, 24, 22, tzinfo=UTC), datetime(2026, 10, 25, 23, tzinfo=UTC)
    got = buckets(start, end - MS, zone, "day")
    assert [(b.label, b.start, b.end) for b in got] == [("2026-10-25", start, end - MS)]


def test_weeks_use_iso_week_numbering_years() -> None:
    # 1 January 2027 is a Friday: it belongs to 2026-W53, which starts Monday 28 December.
    zone = ZoneInfo("UTC")
    start = datetime(2027, 1, 1, tzinfo=UTC)
    got = buckets(start, start + timedelta(days=4), zone, "week")
    assert [b.label for b in got] == ["2026-W53", "2027-W01"]
    assert got[1].start == datetime(2027, 1, 4, tzinfo=UTC)
