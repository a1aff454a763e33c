"""Every parameter error of ../shared/EXTENSIONS.md on both endpoints: 400, Rocket.Chat's
invalid-params shape, a message naming the parameter, JSON whatever `format` says; and the
401 → 403 → 400 order. The wording is the implementer's; the shape and the name are contract."""

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.factories import AGENT, MANAGER, seed_auth
from tests.service.dashboard.workspaces import PREFIX

Params = list[tuple[str, str]]
WINDOW: Params = [("start", "2026-11-01"), ("end", "2026-11-30")]
BOTH = ["scorecard", "timeseries"]


@pytest.fixture
async def manager(db: Any) -> Any:
    await seed_auth(db)
    return db


def case(params: Params, parameter: str, *paths: str) -> list[Any]:
    return [pytest.param(path, params, parameter, id=f"{path}:{params}") for path in paths or BOTH]


def over(key: str, value: str) -> Params:
    """The window with one parameter replaced (or added)."""
    return [p for p in WINDOW if p[0] != key] + [(key, value)]


CASES = [
    *case([("end", "2026-11-30")], "start"),
    *case([("start", "2026-11-01")], "end"),
    *case(over("start", ""), "start"),
    *case(over("end", ""), "end"),
    *case(over("start", "2026-11-01T10:00"), "start"),  # a date-time without an offset
    *case(over("start", "2026-11-01T10:00:00"), "start"),
    *case(over("start", "2026-W44-1"), "start"),  # week date
    *case(over("start", "20261101"), "start"),  # basic format
    *case(over("start", "2026-11-01T10:00:00.0000Z"), "start"),  # four fraction digits
    *case(over("start", "2026-11-01T10:00:00+0100"), "start"),  # basic-format offset
    *case(over("start", "2026-11-01 10:00:00Z"), "start"),
    *case(over("start", "1969-12-31"), "start"),
    *case(over("end", "9999-01-01"), "end"),
    *case(over("start", "2026-02-30"), "start"),
    *case(over("start", "2026-13-01"), "start"),
    *case(over("start", "Sun, 01 Nov 2026 00:00:00 GMT"), "start"),
    *case(over("end", "2026-10-31"), "end"),  # before start
    *case(over("end", "2026-10-31T23:59:59.999Z"), "end"),
    *case(over("timezone", "Europe/Nowhere"), "timezone"),
    *case(over("timezone", "europe/berlin"), "timezone"),  # case-sensitive
    *case(over("timezone", ""), "timezone"),
    *case(over("timezone", "+01:00"), "timezone"),
    *case(over("timezone", "../../etc/passwd"), "timezone"),
    *case([*WINDOW, ("timezone", "UTC"), ("timezone", "UTC")], "timezone"),
    *case([*WINDOW, ("start", "2026-11-01")], "start"),  # repeated
    *case(over("departmentId", ""), "departmentId"),
    *case(WINDOW + [("departmentId", f"d{n}") for n in range(101)], "departmentId"),
    *case(over("format", "xml"), "format"),
    *case(over("format", ""), "format"),
    *case([*WINDOW, ("format", "csv"), ("format", "csv")], "format"),
    *case(over("foo", "1"), "foo"),
    *case(over("departmentId[$ne]", "x"), "departmentId[$ne]"),
    *case(over("$where", "1"), "$where"),
    # scorecard's own
    *case(over("metrics", "chats,bogus"), "metrics", "scorecard"),
    *case(over("metrics", "chats,chats"), "metrics", "scorecard"),
    *case(over("metrics", ""), "metrics", "scorecard"),
    *case(over("metrics", "chats,"), "metrics", "scorecard"),
    *case([*WINDOW, ("metrics", "chats"), ("metrics", "chats")], "metrics", "scorecard"),
    *case(over("compare", "next"), "compare", "scorecard"),
    *case(over("compare", ""), "compare", "scorecard"),
    *case(over("metric", "chats"), "metric", "scorecard"),
    *case(over("interval", "day"), "interval", "scorecard"),
    # timeseries' own
    *case(over("metric", "bogus"), "metric", "timeseries"),
    *case(over("metric", "chats,answeredChats"), "metric", "timeseries"),
    *case(over("metric", ""), "metric", "timeseries"),
    *case(over("interval", "year"), "interval", "timeseries"),
    *case(over("interval", "Day"), "interval", "timeseries"),
    *case(over("split", "agent"), "split", "timeseries"),
    *case(over("split", ""), "split", "timeseries"),
    *case(over("metrics", "chats"), "metrics", "timeseries"),
    *case(over("compare", "previous"), "compare", "timeseries"),
    *case(
        [("start", "2026-01-01"), ("end", "2026-03-01"), ("interval", "hour")],
        "interval",
        "timeseries",
    ),
]


def assert_invalid_params(status: int, body: Any, parameter: str) -> None:
    assert status == 400, body
    assert set(body) == {"success", "error", "errorType"}, body
    assert body["success"] is False
    assert body["errorType"] == "invalid-params"
    assert body["error"].endswith(" [invalid-params]"), body
    if parameter == "interval" and "interval" not in body["error"]:
        # Too many buckets: the message may name the bucket limit instead of the parameter.
        assert "bucket" in body["error"].lower(), body
    else:
        assert parameter in body["error"], body


@pytest.mark.parametrize(("path", "params", "parameter"), CASES)
async def test_parameter_errors_are_invalid_params_naming_the_parameter(
    manager: Any, client: TestClient, path: str, params: Params, parameter: str
) -> None:
    response = await client.get(f"{PREFIX}/{path}", params=params, headers=MANAGER)
    assert response.content_type == "application/json"
    assert_invalid_params(response.status, await response.json(), parameter)


@pytest.mark.parametrize("path", BOTH)
async def test_errors_are_json_even_when_csv_is_asked_for(
    manager: Any, client: TestClient, path: str
) -> None:
    by_format = await client.get(
        f"{PREFIX}/{path}", params=[*over("end", "2026-10-01"), ("format", "csv")], headers=MANAGER
    )
    by_accept = await client.get(
        f"{PREFIX}/{path}",
        params=over("end", "2026-10-01"),
        headers={**MANAGER, "Accept": "text/csv"},
    )
    for response in (by_format, by_accept):
        assert response.content_type == "application/json"
        assert_invalid_params(response.status, await response.json(), "end")


@pytest.mark.parametrize("path", BOTH)
async def test_a_hundred_distinct_departments_with_duplicates_are_accepted(
    manager: Any, client: TestClient, path: str
) -> None:
    named = [("departmentId", f"d{n}") for n in range(100)] + [("departmentId", "d0")]
    response = await client.get(f"{PREFIX}/{path}", params=WINDOW + named, headers=MANAGER)
    assert response.status == 200, await response.text()


@pytest.mark.parametrize("path", BOTH)
async def test_checks_run_401_then_403_then_400(
    manager: Any, client: TestClient, path: str
) -> None:
    bad = [("start", "yesterday")]
    anonymous = await client.get(f"{PREFIX}/{path}", params=bad)
    assert anonymous.status == 401
    assert (await anonymous.json())["success"] is False
    forbidden = await client.get(f"{PREFIX}/{path}", params=bad, headers=AGENT)
    assert forbidden.status == 403
    assert (await forbidden.json())["success"] is False
    refused = await client.get(f"{PREFIX}/{path}", params=bad, headers=MANAGER)
    assert refused.status == 400
