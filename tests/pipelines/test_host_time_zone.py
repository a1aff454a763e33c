"""Nothing depends on the host's time zone: the container runs in UTC, a developer's laptop
may not. Each test sets `TZ` to a zone far from UTC for its own duration."""

import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from pipelines.calendar import buckets, day_end, day_start, parse_bound
from pipelines.timeseries import naive_utc
from service.rocketchat.schemas import JsDate


@pytest.fixture(autouse=True)
def tokyo_host(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    assert time.localtime(0).tm_hour == 9  # the host's clock really is 9 hours ahead
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize(
    ("zone", "day"),
    [
        ("Europe/Berlin", date(2026, 11, 2)),  # an ordinary day
        ("America/Santiago", date(2026, 9, 6)),  # midnight is skipped
        ("America/Havana", date(2026, 11, 1)),  # midnight happens twice
    ],
)
@pytest.mark.parametrize("interval", ["hour", "day"])
def test_days_and_buckets_are_utc_instants_whatever_the_host_zone(
    zone: str, day: date, interval: str
) -> None:
    """The calendar's contract: every datetime it returns is aware UTC. Half an hour inside
    the day on both sides, so the first and last buckets are clipped to the window."""
    local = ZoneInfo(zone)
    start, end = day_start(day, local), day_end(day, local)
    assert (start.astimezone(local).date(), end.astimezone(local).date()) == (day, day)
    inside = timedelta(minutes=30)
    found = buckets(start + inside, end - inside, local, interval)
    given = parse_bound(f"{day.isoformat()}T12:00+05:30").instant
    moments = [start, end, given, *(m for b in found for m in (b.start, b.end))]
    assert [m.utcoffset() for m in moments] == [timedelta(0)] * len(moments)


def test_bucket_boundaries_are_naive_utc_whatever_the_host_zone() -> None:
    kolkata = datetime(2026, 11, 1, 5, 30, tzinfo=ZoneInfo("Asia/Kolkata"))
    assert naive_utc(kolkata) == datetime(2026, 11, 1, 0, 0)


def test_dates_are_written_in_utc_whatever_the_host_zone() -> None:
    field = JsDate()
    kolkata = datetime(2026, 11, 1, 5, 30, 0, 123456, tzinfo=ZoneInfo("Asia/Kolkata"))
    assert field.serialize("at", {"at": kolkata}) == "2026-11-01T00:00:00.123Z"
    # A stored date without a zone is UTC (what the driver gives without tz_aware).
    assert field.serialize("at", {"at": datetime(2026, 11, 1, 0, 0)}) == "2026-11-01T00:00:00.000Z"
    assert field.serialize("at", {"at": datetime(2026, 11, 1, tzinfo=UTC)}) == (
        "2026-11-01T00:00:00.000Z"
    )
