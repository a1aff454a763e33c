"""The validated parameters every department report is built from."""

from dataclasses import dataclass
from datetime import datetime


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

    def __post_init__(self) -> None:
        # Naive datetimes would be read as local time by the driver; the API edge makes them UTC.
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("start and end must be timezone-aware")
