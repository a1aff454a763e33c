"""The validated parameters: what can never be built (MongoDB rejects it, or the driver would
read it as local time)."""

import re
from datetime import UTC, datetime

import pytest

from pipelines.params import Page, ReportParams

AWARE = datetime(2026, 9, 1, tzinfo=UTC)
NAIVE = datetime(2026, 9, 1)


def test_the_smallest_page_and_no_limit_are_valid() -> None:
    assert (Page(0, 1).offset, Page(0, 1).limit) == (0, 1)
    assert Page(5, None).limit is None
    assert (Page().offset, Page().limit) == (0, 50)  # Rocket.Chat's API_Default_Count


@pytest.mark.parametrize(
    ("offset", "limit", "message"),
    [
        (-1, 10, "offset must be >= 0"),
        (0, 0, "limit must be >= 1 or None"),
        (0, -3, "limit must be >= 1 or None"),
    ],
)
def test_negative_skip_and_limit_zero_are_refused(offset: int, limit: int, message: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        Page(offset, limit)


@pytest.mark.parametrize(("start", "end"), [(NAIVE, AWARE), (AWARE, NAIVE), (NAIVE, NAIVE)])
def test_naive_bounds_are_refused(start: datetime, end: datetime) -> None:
    with pytest.raises(ValueError, match=r"^start and end must be timezone-aware$"):
        ReportParams(start=start, end=end)


def test_defaults_are_rocketchats() -> None:
    params = ReportParams(start=AWARE, end=AWARE)
    assert (params.page, params.department_id, params.answered) == (Page(), None, False)
    assert params.inactivity_timeout == 3600  # Livechat_visitor_inactivity_timeout's default
