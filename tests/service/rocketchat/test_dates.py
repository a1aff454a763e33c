"""Dates as JavaScript's Date.parse reads them (the forms Rocket.Chat's clients send)."""

from datetime import UTC, date, datetime

import pytest

from service.rocketchat.dates import parse_js_date, written_day


@pytest.mark.parametrize(
    ("text", "instant"),
    [
        ("2020-09-10", datetime(2020, 9, 10, tzinfo=UTC)),
        ("2020-09", datetime(2020, 9, 1, tzinfo=UTC)),
        ("2020", datetime(2020, 1, 1, tzinfo=UTC)),
        ("2020-09-10T23:59:22.345Z", datetime(2020, 9, 10, 23, 59, 22, 345000, tzinfo=UTC)),
        ("2020-09-10T23:59:22.345678Z", datetime(2020, 9, 10, 23, 59, 22, 345000, tzinfo=UTC)),
        ("2020-09-10T23:59:22+02:00", datetime(2020, 9, 10, 21, 59, 22, tzinfo=UTC)),
        ("2020-09-10T23:59:22-0530", datetime(2020, 9, 11, 5, 29, 22, tzinfo=UTC)),
        ("2020-09-10T23:59", datetime(2020, 9, 10, 23, 59, tzinfo=UTC)),
        ("2020-09-10 23:59:22", datetime(2020, 9, 10, 23, 59, 22, tzinfo=UTC)),
        ("2020-09-10T24:00:00Z", datetime(2020, 9, 11, tzinfo=UTC)),
        ("2019-02-31", datetime(2019, 3, 3, tzinfo=UTC)),  # V8 rolls the day over
        ("Thu, 10 Sep 2020 23:59:22 GMT", datetime(2020, 9, 10, 23, 59, 22, tzinfo=UTC)),
        ("10 Sep 2020 23:59:22 +0200", datetime(2020, 9, 10, 21, 59, 22, tzinfo=UTC)),
        (
            "Thu Sep 10 2020 23:59:22 GMT+0000 (Coordinated Universal Time)",
            datetime(2020, 9, 10, 23, 59, 22, tzinfo=UTC),
        ),
        ("Sep 10 2020", datetime(2020, 9, 10, tzinfo=UTC)),
        ("September 10, 2020", datetime(2020, 9, 10, tzinfo=UTC)),
        ("2020/09/10", datetime(2020, 9, 10, tzinfo=UTC)),
        ("09/10/2020", datetime(2020, 9, 10, tzinfo=UTC)),  # month first, as in JavaScript
        ("  2020-09-10  ", datetime(2020, 9, 10, tzinfo=UTC)),
        ("2020-09-10" + " " * 200, datetime(2020, 9, 10, tzinfo=UTC)),
    ],
)
def test_accepted_forms(text: str, instant: datetime) -> None:
    assert parse_js_date(text) == instant


@pytest.mark.parametrize(
    "text",
    [
        "",
        "yesterday",
        "2020-13-01",
        "2020-00-10",
        "2020-09-32",
        "2020-09-10T25:00",
        "2020-09-10T23:60",
        "0000-01-01",
        "9999-12-31T23:59:59-01:00",
        "10 Foo 2020",
        "2020-09-10T23:59:22+25:00",
        "1" * 200,
        "null",
        "undefined",
    ],
)
def test_rejected_forms(text: str) -> None:
    assert parse_js_date(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "\u0662\u0660\u0662\u0660-09-10",  # Arabic-Indic digits: 2020-09-10
        "2020-\u0660\u0669-10",
        "Sep \uff110 2020",  # a fullwidth 1
    ],
)
def test_non_ascii_digits_are_rejected(text: str) -> None:
    assert parse_js_date(text) is None


@pytest.mark.parametrize(
    ("text", "day"),
    [
        # A date alone names a day, the same in every zone.
        ("2026-10-25", date(2026, 10, 25)),
        (" 2026-10-25 ", date(2026, 10, 25)),
        ("2026-10", date(2026, 10, 1)),
        ("2019-02-31", date(2019, 3, 3)),
        ("Sep 10 2020", date(2020, 9, 10)),
        ("September 10, 2020", date(2020, 9, 10)),
        ("2020/09/10", date(2020, 9, 10)),
        ("09/10/2020", date(2020, 9, 10)),
        ("Thu Sep 10 2020", date(2020, 9, 10)),
        # With a time of day or an offset it names an instant instead.
        ("2026-10-25T00:00", None),
        ("2026-10-25 08:00:00", None),
        ("2026-10-25T00:00:00.000Z", None),
        ("2026-10-25Z", None),
        ("2026-10-25+02:00", None),
        ("Sep 10 2020 GMT", None),
        ("Thu, 10 Sep 2020 00:00:00 GMT", None),
        # Not a date at all.
        ("yesterday", None),
        ("2026-13-01", None),
        ("", None),
    ],
)
def test_written_day_is_the_day_of_a_date_alone(text: str, day: date | None) -> None:
    assert written_day(text) == day


# V8's `DateParser` (src/date/dateparser-inl.h, dateparser.cc) on a lone number, traced by hand:
# ES5's form wants four digits (or a sign and six), so anything else goes to the legacy parser,
# which ignores a sign before the first number, skips leading zeros, keeps nine significant
# digits, and makes the number the first of three date components (the others default to 1).
# A first component that can be a day (1-31) is the month, with year 1; anything else is the
# year. Years 0-49 are 2000-2049, 50-99 are 1950-1999 (`DayComposer::Write`).
@pytest.mark.parametrize(
    ("text", "instant"),
    [
        ("0", datetime(2000, 1, 1, tzinfo=UTC)),
        ("-1", datetime(2001, 1, 1, tzinfo=UTC)),
        ("1", datetime(2001, 1, 1, tzinfo=UTC)),
        ("+1", datetime(2001, 1, 1, tzinfo=UTC)),
        ("-0", datetime(2000, 1, 1, tzinfo=UTC)),
        ("00", datetime(2000, 1, 1, tzinfo=UTC)),
        ("007", datetime(2001, 7, 1, tzinfo=UTC)),
        ("12", datetime(2001, 12, 1, tzinfo=UTC)),
        ("-12", datetime(2001, 12, 1, tzinfo=UTC)),
        ("32", datetime(2032, 1, 1, tzinfo=UTC)),
        ("49", datetime(2049, 1, 1, tzinfo=UTC)),
        ("50", datetime(1950, 1, 1, tzinfo=UTC)),
        ("99", datetime(1999, 1, 1, tzinfo=UTC)),
        ("100", datetime(100, 1, 1, tzinfo=UTC)),
        ("-100", datetime(100, 1, 1, tzinfo=UTC)),
        ("123", datetime(123, 1, 1, tzinfo=UTC)),
        ("02020", datetime(2020, 1, 1, tzinfo=UTC)),
        ("+2020", datetime(2020, 1, 1, tzinfo=UTC)),
        ("+002020", datetime(2020, 1, 1, tzinfo=UTC)),  # ES5's expanded year
        ("-000000", datetime(2000, 1, 1, tzinfo=UTC)),  # not an expanded year: legacy 0
        (" 5 ", datetime(2001, 5, 1, tzinfo=UTC)),
    ],
)
def test_bare_numbers_read_as_v8_reads_them(text: str, instant: datetime) -> None:
    assert parse_js_date(text) == instant


@pytest.mark.parametrize(
    "text",
    [
        "13",  # the month 13
        "31",
        "-31",
        "+000000",  # ES5's year 0: outside what this service represents
        "-002020",
        "12345",  # a year V8 accepts but this service does not (1..9999)
        "1" * 12,
    ],
)
def test_bare_numbers_v8_or_this_service_refuse(text: str) -> None:
    assert parse_js_date(text) is None
