"""Calendar arithmetic on the days and zones the contract names: local days of 23 and 25 hours,
skipped and repeated midnights, repeated and skipped hours, half-hour zones and shifts, ISO weeks
and months. Expected instants are written out by hand from the zones' published rules."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from pipelines.calendar import (
    MS,
    Bound,
    BoundError,
    Bucket,
    YearOutOfRange,
    bucket_count,
    buckets,
    day_end,
    day_start,
    parse_bound,
    previous,
    resolve,
)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "bound"),
    [
        ("2026-11-01", Bound(day=date(2026, 11, 1))),
        ("2026-11-01T10:00Z", Bound(instant=utc(2026, 11, 1, 10))),
        ("2026-11-01T10:00:05+01:00", Bound(instant=utc(2026, 11, 1, 9, 0, 5))),
        ("2026-11-01T10:00:05.5-03:30", Bound(instant=utc(2026, 11, 1, 13, 30, 5, 500000))),
        ("2026-11-01T10:00:05.123Z", Bound(instant=utc(2026, 11, 1, 10, 0, 5, 123000))),
        ("1970-01-01T00:30+01:00", Bound(instant=utc(1969, 12, 31, 23, 30))),
        ("9998-12-31", Bound(day=date(9998, 12, 31))),
        # The widest offsets a clock has: 59 minutes, and up to 23:59.
        ("2026-11-01T10:00+23:59", Bound(instant=utc(2026, 10, 31, 10, 1))),
        ("2026-11-01T10:00-05:59", Bound(instant=utc(2026, 11, 1, 15, 59))),
    ],
)
def test_accepted_bounds(text: str, bound: Bound) -> None:
    assert parse_bound(text) == bound


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-01T10:00",
        "2026-11-01T10Z",
        "2026-11-01T10:00:00.1234Z",
        "2026-11-01t10:00z",
        "2026-11-01T10:00:60Z",
        "2026-11-01T24:00Z",
        "2026-11-01T10:00+0100",
        "2026-11-01T10:00+01",
        "2026-11-01T10:00+00:60",
        "2026-11-01T10:00+24:00",
        "2026-W44-1",
        "2026-305",
        "20261101",
        "2026-11-31",
        " 2026-11-01",
        "2026-11-01\n",
        "\uff11\uff19\uff17\uff10-01-01",  # fullwidth digits
        "1969-12-31",
        "9999-01-01",
        "0000-01-01T00:00Z",
    ],
)
def test_rejected_bounds(text: str) -> None:
    with pytest.raises(BoundError):
        parse_bound(text)


def test_a_year_out_of_range_is_told_apart_from_a_malformed_bound() -> None:
    """The answer names the accepted years only when the year is what is wrong."""
    for text in ("1969-12-31", "9999-01-01T00:00Z"):
        with pytest.raises(YearOutOfRange):
            parse_bound(text)
    for text in ("2026-11-31", "2026-11-01T10:00+00:60", "2026-11-01T24:00Z", "20261101"):
        with pytest.raises(BoundError) as refused:
            parse_bound(text)
        assert not isinstance(refused.value, YearOutOfRange)


@pytest.mark.parametrize(
    ("zone", "day", "start", "hours"),
    [
        ("Europe/Berlin", date(2026, 3, 29), utc(2026, 3, 28, 23), 23),
        ("Europe/Berlin", date(2026, 10, 25), utc(2026, 10, 24, 22), 25),
        # Santiago springs forward at 24:00: the day begins at 01:00 (-03).
        ("America/Santiago", date(2026, 9, 6), utc(2026, 9, 6, 4), 23),
        # Havana falls back from 01:00 to 00:00: midnight happens twice; the first counts.
        ("America/Havana", date(2026, 11, 1), utc(2026, 11, 1, 4), 25),
        # ... and springs forward at 00:00 to 01:00.
        ("America/Havana", date(2026, 3, 8), utc(2026, 3, 8, 5), 23),
        ("Australia/Lord_Howe", date(2026, 10, 4), utc(2026, 10, 3, 13, 30), 23.5),
        ("Asia/Kolkata", date(2026, 1, 1), utc(2025, 12, 31, 18, 30), 24),
        ("Pacific/Chatham", date(2026, 4, 5), utc(2026, 4, 4, 10, 15), 25),  # +13:45 at midnight
    ],
)
def test_a_local_day_runs_from_its_earliest_instant_to_the_next_days(
    zone: str, day: date, start: datetime, hours: float
) -> None:
    tz = ZoneInfo(zone)
    assert day_start(day, tz) == start
    assert day_end(day, tz) - start + MS == timedelta(hours=hours)


def test_dates_resolve_to_whole_local_days_and_date_times_to_instants() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    window = resolve(parse_bound("2026-11-01"), parse_bound("2026-11-30"), berlin)
    assert (window.start, window.end) == (
        utc(2026, 10, 31, 23),
        utc(2026, 11, 30, 22, 59, 59, 999000),
    )
    mixed = resolve(parse_bound("2026-11-01T10:00Z"), parse_bound("2026-11-30"), berlin)
    assert (mixed.start, mixed.days) == (utc(2026, 11, 1, 10), None)


def test_previous_window_of_dates_is_as_many_calendar_days() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    window = resolve(parse_bound("2026-03-29"), parse_bound("2026-03-29"), berlin)
    before = previous(window, berlin)
    # 28 March is a 24-hour day, unlike the 23-hour 29th: the same number of days, not hours.
    assert (before.start, before.end) == (
        utc(2026, 3, 27, 23),
        utc(2026, 3, 28, 22, 59, 59, 999000),
    )


def test_previous_window_of_instants_is_the_same_duration() -> None:
    zone = ZoneInfo("UTC")
    window = resolve(parse_bound("2026-11-01T00:00Z"), parse_bound("2026-11-01T00:00Z"), zone)
    before = previous(window, zone)
    assert (before.start, before.end) == (utc(2026, 10, 31, 23, 59, 59, 999000),) * 2


def _shape(result: list[Bucket]) -> list[tuple[str, datetime, timedelta]]:
    return [(b.label, b.start, b.end - b.start + MS) for b in result]


def test_a_repeated_hour_is_two_buckets_with_their_offsets() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    day = resolve(parse_bound("2026-10-25"), parse_bound("2026-10-25"), berlin)
    result = _shape(buckets(day.start, day.end, berlin, "hour"))
    hour = timedelta(hours=1)
    assert len(result) == 25
    assert result[2:5] == [
        ("2026-10-25T02:00+02:00", utc(2026, 10, 25, 0), hour),
        ("2026-10-25T02:00+01:00", utc(2026, 10, 25, 1), hour),
        ("2026-10-25T03:00+01:00", utc(2026, 10, 25, 2), hour),
    ]


def test_a_skipped_hour_has_no_bucket() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    day = resolve(parse_bound("2026-03-29"), parse_bound("2026-03-29"), berlin)
    labels = [b.label for b in buckets(day.start, day.end, berlin, "hour")]
    assert len(labels) == 23
    assert labels[1:3] == ["2026-03-29T01:00+01:00", "2026-03-29T03:00+02:00"]


def test_across_lord_howes_half_hour_shift_an_hour_bucket_lasts_90_minutes() -> None:
    zone = ZoneInfo("Australia/Lord_Howe")
    spring = resolve(parse_bound("2026-10-04"), parse_bound("2026-10-04"), zone)
    result = _shape(buckets(spring.start, spring.end, zone, "hour"))
    assert result[1:3] == [
        ("2026-10-04T01:00+10:30", utc(2026, 10, 3, 14, 30), timedelta(minutes=90)),
        ("2026-10-04T03:00+11:00", utc(2026, 10, 3, 16), timedelta(hours=1)),
    ]
    autumn = resolve(parse_bound("2026-04-05"), parse_bound("2026-04-05"), zone)
    result = _shape(buckets(autumn.start, autumn.end, zone, "hour"))
    assert result[1:3] == [
        ("2026-04-05T01:00+11:00", utc(2026, 4, 4, 14), timedelta(minutes=90)),
        ("2026-04-05T02:00+10:30", utc(2026, 4, 4, 15, 30), timedelta(hours=1)),
    ]


def test_half_hour_zones_label_hours_with_their_offset() -> None:
    zone = ZoneInfo("Asia/Kolkata")
    result = buckets(utc(2026, 1, 1, 4, 10), utc(2026, 1, 1, 6), zone, "hour")
    assert [(b.label, b.start, b.end) for b in result] == [
        ("2026-01-01T09:00+05:30", utc(2026, 1, 1, 4, 10), utc(2026, 1, 1, 4, 29, 59, 999000)),
        ("2026-01-01T10:00+05:30", utc(2026, 1, 1, 4, 30), utc(2026, 1, 1, 5, 29, 59, 999000)),
        ("2026-01-01T11:00+05:30", utc(2026, 1, 1, 5, 30), utc(2026, 1, 1, 6)),
    ]


def test_days_weeks_and_months_are_clipped_to_the_window() -> None:
    zone = ZoneInfo("America/Sao_Paulo")
    start, end = utc(2026, 1, 30, 15), utc(2026, 3, 2, 12)
    months = buckets(start, end, zone, "month")
    assert [(b.label, b.start, b.end) for b in months] == [
        ("2026-01", start, utc(2026, 2, 1, 2, 59, 59, 999000)),
        ("2026-02", utc(2026, 2, 1, 3), utc(2026, 3, 1, 2, 59, 59, 999000)),
        ("2026-03", utc(2026, 3, 1, 3), end),
    ]
    weeks = buckets(start, end, zone, "week")
    assert [b.label for b in weeks] == [
        "2026-W05",
        "2026-W06",
        "2026-W07",
        "2026-W08",
        "2026-W09",
        "2026-W10",
    ]
    assert weeks[1].start == utc(2026, 2, 2, 3)  # Monday
    days = buckets(start, end, zone, "day")
    assert len(days) == 32
    assert (days[0].label, days[-1].label) == ("2026-01-30", "2026-03-02")


def test_iso_week_years_differ_from_calendar_years() -> None:
    zone = ZoneInfo("UTC")
    labels = [b.label for b in buckets(utc(2026, 12, 28), utc(2027, 1, 4), zone, "week")]
    assert labels == ["2026-W53", "2027-W01"]
    labels = [b.label for b in buckets(utc(2027, 12, 31), utc(2028, 1, 3), zone, "week")]
    assert labels == ["2027-W52", "2028-W01"]


def test_an_unknown_interval_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match=r"^unknown interval 'year'$"):
        buckets(utc(2026, 1, 1), utc(2026, 2, 1), ZoneInfo("UTC"), "year")


@pytest.mark.parametrize(
    ("interval", "count"), [("hour", 744 + 1), ("day", 31), ("week", 5), ("month", 1)]
)
def test_bucket_count_is_the_number_of_buckets(interval: str, count: int) -> None:
    berlin = ZoneInfo("Europe/Berlin")
    october = resolve(parse_bound("2026-10-01"), parse_bound("2026-10-31"), berlin)
    assert bucket_count(october.start, october.end, berlin, interval) == count
    assert len(buckets(october.start, october.end, berlin, interval)) == count


ZONES = ["UTC", "Europe/Berlin", "America/Santiago", "America/Havana", "Asia/Kolkata",
         "Australia/Lord_Howe"]  # fmt: skip


@given(
    zone=st.sampled_from(ZONES),
    start=st.datetimes(datetime(2000, 1, 1), datetime(2040, 1, 1), timezones=st.just(UTC)),
    days=st.floats(0, 800),
    interval=st.sampled_from(["day", "week", "month"]),
)
# Berlin's 1 January ends at 23:00 UTC: the end's local date is not its UTC date.
@example(zone="Europe/Berlin", start=utc(2026, 1, 1), days=0.98, interval="day")
def test_bucket_count_is_len_of_buckets_across_years_and_zones(
    zone: str, start: datetime, days: float, interval: str
) -> None:
    end = start + timedelta(days=days)
    assert bucket_count(start, end, ZoneInfo(zone), interval) == len(
        buckets(start, end, ZoneInfo(zone), interval)
    )


@given(
    zone=st.sampled_from(ZONES),
    start=st.datetimes(datetime(2000, 1, 1), datetime(2040, 1, 1), timezones=st.just(UTC)),
    hours=st.floats(0, 200),
)
def test_hour_bucket_count_is_len_of_buckets(zone: str, start: datetime, hours: float) -> None:
    end = start + timedelta(hours=hours)
    assert bucket_count(start, end, ZoneInfo(zone), "hour") == len(
        buckets(start, end, ZoneInfo(zone), "hour")
    )


def test_bucket_count_of_a_huge_window_is_cheap_and_above_any_limit() -> None:
    assert bucket_count(utc(1970, 1, 1), utc(9998, 12, 31), ZoneInfo("UTC"), "hour") > 1000
    # Just past the cheap bound: twice the hours plus one, without building them.
    start = utc(2026, 1, 1)
    assert bucket_count(start, start + timedelta(hours=4001), ZoneInfo("UTC"), "hour") == 8003
