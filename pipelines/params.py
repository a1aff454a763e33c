"""The validated parameters every report (department and agent families) is built from."""

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True, slots=True)
class Page:
    """Rows to skip and to return; `limit=None` means "no limit" (Rocket.Chat's `count=0`)."""

    offset: int = 0
    limit: int | None = 50

    def __post_init__(self) -> None:
        # MongoDB rejects negative $skip/$limit and `$limit: 0`; refuse to build them at all.
        if self.offset < 0:
            raise ValueError("offset must be >= 0")
        if self.limit is not None and self.limit < 1:
            raise ValueError("limit must be >= 1 or None")


@dataclass(frozen=True, slots=True)
class ReportParams:
    """One report request. `start`/`end` are timezone-aware; both bounds are inclusive."""

    start: datetime
    end: datetime
    page: Page = Page()
    department_id: str | None = None
    answered: bool = False
    # Livechat_visitor_inactivity_timeout, seconds: the abandoned-chat threshold.
    inactivity_timeout: float = 3600
    # The agents' availability report counts whole days of Rocket.Chat's server zone (an IANA
    # name): `start_day`/`end_day` are the days `start`/`end` name when written as a date alone
    # (None for a date-time, whose day is taken in `server_timezone`).
    server_timezone: str = "UTC"
    start_day: date | None = None
    end_day: date | None = None
    # available-for-service-history's `fullReport=true`: add each agent's `serviceHistory`.
    full_report: bool = False

    def __post_init__(self) -> None:
        # Naive datetimes would be read as local time by the driver; the API edge makes them UTC.
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("start and end must be timezone-aware")
