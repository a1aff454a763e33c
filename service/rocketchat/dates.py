"""Date strings read the way Rocket.Chat reads `start`/`end`: JavaScript's `Date.parse`.

Accepted: ISO 8601 (`2020-09-10`, `2020-09-10T23:59`, `2020-09-10T23:59:22.345Z`, `+02:00`
offsets, a space for the `T`), RFC 2822 / HTTP dates (`Thu, 10 Sep 2020 23:59:22 GMT`), the
output of JavaScript's `Date.prototype.toString()` and the common legacy forms V8 also takes
(`Sep 10 2020`, `September 10, 2020`, `2020/09/10`, `09/10/2020`). A string without an offset is
UTC (this service's contract; V8 would use the server's zone, which is UTC in Rocket.Chat's
images). Like V8, an out-of-range day rolls over (`2019-02-31` is 3 March). A lone number
(`0`, `-1`, `12`, `+002020`) is read as V8 reads it (`_from_bare_number`). Years outside
1..9999 are rejected: Python cannot represent them, and no analytics window needs them.
"""

import re
from datetime import UTC, date, datetime, timedelta, timezone

_ISO = re.compile(
    r"""
    (?P<year>\d{4}) (?: -(?P<month>\d{2}) (?: -(?P<day>\d{2}) )? )?
    (?: [T\x20] (?P<hour>\d{2}) : (?P<minute>\d{2})
        (?: : (?P<second>\d{2}) (?: [.,] (?P<fraction>\d+) )? )? )?
    \s* (?P<zone> Z | [+-]\d{2}(?::?\d{2})? )?
    """,
    re.VERBOSE | re.IGNORECASE | re.ASCII,
)

_MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_MONTH = r"(?P<mname>[a-z]{3,9})\.?"
_TIME = (
    r"(?:\s+(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:\.(?P<fraction>\d+))?)?)?"
)
_ZONE = r"(?:\s*(?P<zname>GMT|UTC|UT|Z)?(?P<offset>[+-]\d{2}:?\d{2})?)?"
_LEGACY = re.compile(
    r"(?:[a-z]{3,9},?\s+)?"  # weekday, ignored (as V8 does)
    r"(?:"
    rf"(?P<d1>\d{{1,2}})\s+{_MONTH.replace('mname', 'm1')}\s+(?P<y1>\d{{4}})"  # 10 Sep 2020
    rf"|{_MONTH.replace('mname', 'm2')}\s+(?P<d2>\d{{1,2}}),?\s+(?P<y2>\d{{4}})"  # Sep 10, 2020
    r"|(?P<y3>\d{4})/(?P<mo3>\d{1,2})/(?P<d3>\d{1,2})"  # 2020/09/10
    r"|(?P<mo4>\d{1,2})/(?P<d4>\d{1,2})/(?P<y4>\d{4})"  # 09/10/2020 (month first)
    r")"
    rf"{_TIME}{_ZONE}"
    r"(?:\s*\([^()]*\))?",  # "(Coordinated Universal Time)" from Date.toString()
    re.IGNORECASE | re.ASCII,
)


# A lone number, with or without a sign.
_BARE_NUMBER = re.compile(r"(?P<sign>[+-]?)(?P<digits>\d+)", re.ASCII)
# V8's `kMaxSignificantDigits`: digits past these are read but dropped.
_SIGNIFICANT_DIGITS = 9


def _month_number(name: str) -> int | None:
    name = name.lower()
    matches = [i for i, month in enumerate(_MONTHS, 1) if month.startswith(name)]
    return matches[0] if len(matches) == 1 else None


def _offset(text: str | None) -> timezone | None:
    if not text or text.upper() == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:] or 0)
    if hours > 23 or minutes > 59:
        return None
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _compose(
    year: int,
    month: int,
    day: int,
    hour: int,
    minute: int,
    second: int,
    fraction: str | None,
    zone: timezone | None,
) -> datetime | None:
    if not (1 <= month <= 12 and 1 <= day <= 31 and minute <= 59 and second <= 59):
        return None
    if hour > 24 or (hour == 24 and (minute or second or int(fraction or 0))):
        return None
    if zone is None:
        return None
    # JavaScript dates hold milliseconds; finer digits are dropped, not rounded.
    millis = int((fraction or "0")[:3].ljust(3, "0"))
    try:
        moment = datetime(year, month, 1, tzinfo=zone) + timedelta(
            days=day - 1, hours=hour, minutes=minute, seconds=second, milliseconds=millis
        )
        return moment.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


def _from_iso(match: re.Match[str]) -> datetime | None:
    parts = match.groupdict()
    return _compose(
        int(parts["year"]),
        int(parts["month"] or 1),
        int(parts["day"] or 1),
        int(parts["hour"] or 0),
        int(parts["minute"] or 0),
        int(parts["second"] or 0),
        parts["fraction"],
        _offset(parts["zone"]),
    )


def _from_legacy(match: re.Match[str]) -> datetime | None:
    parts = match.groupdict()
    if parts["y1"]:
        year, month, day = int(parts["y1"]), _month_number(parts["m1"]), int(parts["d1"])
    elif parts["y2"]:
        year, month, day = int(parts["y2"]), _month_number(parts["m2"]), int(parts["d2"])
    elif parts["y3"]:
        year, month, day = int(parts["y3"]), int(parts["mo3"]), int(parts["d3"])
    else:
        year, month, day = int(parts["y4"]), int(parts["mo4"]), int(parts["d4"])
    if month is None:
        return None
    return _compose(
        year,
        month,
        day,
        int(parts["hour"] or 0),
        int(parts["minute"] or 0),
        int(parts["second"] or 0),
        parts["fraction"],
        _offset(parts["offset"]),
    )


def _from_bare_number(sign: str, digits: str) -> datetime | None:
    """What V8's `DateParser` (src/date/dateparser-inl.h, dateparser.cc) makes of a lone
    number that is not ES5's four-digit year (the ISO form reads those)."""
    if sign and len(digits) == 6 and not (sign == "-" and int(digits) == 0):
        # ES5's expanded year, `+002020`: 1 January, UTC (`-000000` is not one).
        year = int(digits) if sign == "+" else -int(digits)
        return _compose(year, 1, 1, 0, 0, 0, None, UTC)
    # The legacy parser ignores a sign before the first number, skips leading zeros and keeps
    # nine significant digits. The number is the first of three date components, the others
    # default to 1: one that can be a day (1-31) is the month, of year 1; any other is the year
    # ("KJS compatibility"). Then years 0-49 are 2000-2049 and 50-99 are 1950-1999.
    number = int(digits.lstrip("0")[:_SIGNIFICANT_DIGITS] or "0")
    month, year = (number, 1) if 1 <= number <= 31 else (1, number)
    if year <= 49:
        year += 2000
    elif year <= 99:
        year += 1900
    if month > 12:
        return None
    return _compose(year, month, 1, 0, 0, 0, None, UTC)


def parse_js_date(text: str) -> datetime | None:
    """The instant `Date.parse(text)` denotes, as an aware UTC datetime; None where JavaScript
    would give NaN (or a year this service cannot represent)."""
    text = text.strip()
    if len(text) > 100:  # no date form is this long; don't run regexes over megabytes
        return None
    if iso := _ISO.fullmatch(text):
        return _from_iso(iso)
    if bare := _BARE_NUMBER.fullmatch(text):
        return _from_bare_number(bare["sign"], bare["digits"])
    if legacy := _LEGACY.fullmatch(text):
        return _from_legacy(legacy)
    return None


def written_day(text: str) -> date | None:
    """The calendar day `text` names when it is a date alone (no time of day, no offset), as
    written (`2026-10-25` is the 25th in every zone; `2019-02-31` rolls over to 3 March as in
    `parse_js_date`); None for a date-time, which names an instant instead, or for no date.

    The agents' availability report counts whole days: a date alone is that day, a date-time
    is converted to Rocket.Chat's server zone first (../shared/CONTRACT.md, the agents family).
    """
    text = text.strip()
    if len(text) > 100:
        return None
    if iso := _ISO.fullmatch(text):
        alone = iso["hour"] is None and iso["zone"] is None
    elif legacy := _LEGACY.fullmatch(text):
        alone = all(legacy[part] is None for part in ("hour", "zname", "offset"))
    else:
        return None
    moment = parse_js_date(text) if alone else None
    # A date without an offset parses as UTC midnight, so its UTC date is the day written.
    return moment.date() if moment is not None else None
