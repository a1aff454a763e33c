"""Our own API's parameters over HTTP: every fault is a 400 with Rocket.Chat's invalid-params body
naming the parameter (exact bodies), checked after 401 and 403; nothing invalid reaches MongoDB."""

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from service.dashboard.schemas import negotiated_format
from tests.factories import AGENT, MANAGER, seed_auth
from tests.service.dashboard.test_scorecard_http import aggregations

SCORECARD = "/livechat-analytics/api/v1/scorecard"
TIMESERIES = "/livechat-analytics/api/v1/timeseries"
BOTH = [SCORECARD, TIMESERIES]
WINDOW = [("start", "2026-11-01"), ("end", "2026-11-30")]
BAD_DATE = (
    "'{}' must be a date (YYYY-MM-DD) or a date-time with an offset "
    "(YYYY-MM-DDTHH:MM[:SS[.fff]] then Z or ±HH:MM)"
)


def invalid(message: str) -> dict[str, Any]:
    return {"success": False, "error": f"{message} [invalid-params]", "errorType": "invalid-params"}


async def answer(client: TestClient, url: str, query: list[tuple[str, str]]) -> tuple[int, Any]:
    response = await client.get(url, params=query, headers=MANAGER)
    assert response.content_type == "application/json"
    return response.status, await response.json()


COMMON_FAULTS = {
    "no start": ([("end", "2026-11-30")], "must have required property 'start'"),
    "no end": ([("start", "2026-11-01")], "must have required property 'end'"),
    "unknown name": ([*WINDOW, ("count", "5")], "'count' is not a parameter of this endpoint"),
    "operator-shaped name": (
        [*WINDOW, ("$where", "1")],
        "'$where' is not a parameter of this endpoint",
    ),
    "unknown before missing": ([("foo", "1")], "'foo' is not a parameter of this endpoint"),
    "repeated": ([*WINDOW, ("start", "2026-11-02")], "'start' must not be repeated"),
    "repeated zone": (
        [*WINDOW, ("timezone", "UTC"), ("timezone", "UTC")],
        "'timezone' must not be repeated",
    ),
    "empty": ([*WINDOW, ("timezone", "")], "'timezone' must not be empty"),
    "empty department": ([*WINDOW, ("departmentId", "")], "'departmentId' must not be empty"),
    "no offset": ([("start", "2026-11-01T10:00"), ("end", "2026-11-30")], BAD_DATE.format("start")),
    "four fraction digits": (
        [("start", "2026-11-01"), ("end", "2026-11-30T10:00:00.1234Z")],
        BAD_DATE.format("end"),
    ),
    "week date": ([("start", "2026-W44-1"), ("end", "2026-11-30")], BAD_DATE.format("start")),
    "basic format": ([("start", "20261101"), ("end", "2026-11-30")], BAD_DATE.format("start")),
    "space for T": (
        [("start", "2026-11-01 10:00Z"), ("end", "2026-11-30")],
        BAD_DATE.format("start"),
    ),
    "offset hours": (
        [("start", "2026-11-01T10:00+24:00"), ("end", "2026-11-30")],
        BAD_DATE.format("start"),
    ),
    "no such day": ([("start", "2026-02-29"), ("end", "2026-11-30")], BAD_DATE.format("start")),
    "year 1969": (
        [("start", "1969-12-31"), ("end", "2026-11-30")],
        "'start' must be in the years 1970 to 9998",
    ),
    "year 9999": (
        [("start", "2026-11-01"), ("end", "9999-01-01T00:00Z")],
        "'end' must be in the years 1970 to 9998",
    ),
    "end before start": (
        [("start", "2026-11-02"), ("end", "2026-11-01")],
        "'end' must not be before 'start'",
    ),
    "end before start by a millisecond": (
        [("start", "2026-11-01T00:00:00.001Z"), ("end", "2026-11-01T00:00Z")],
        "'end' must not be before 'start'",
    ),
    "unknown zone": (
        [*WINDOW, ("timezone", "Mars/Olympus_Mons")],
        "'timezone' must be an IANA time zone name, such as Europe/Berlin or UTC",
    ),
    "zone in the wrong case": (
        [*WINDOW, ("timezone", "europe/berlin")],
        "'timezone' must be an IANA time zone name, such as Europe/Berlin or UTC",
    ),
    "zone as a path": (
        [*WINDOW, ("timezone", "../../../etc/passwd")],
        "'timezone' must be an IANA time zone name, such as Europe/Berlin or UTC",
    ),
    "101 departments": (
        [*WINDOW, *(("departmentId", f"d{n}") for n in range(101))],
        "'departmentId' must not be given more than 100 times",
    ),
    "format": ([*WINDOW, ("format", "xml")], "'format' must be one of: json, csv"),
}
SCORECARD_FAULTS = {
    "unknown metric": (
        [*WINDOW, ("metrics", "chats,$where")],
        "'metrics' names an unknown metric '$where'; the metrics are: chats, answeredChats, "
        "unansweredChats, averageChatDurationSeconds, averageServiceTimeSeconds, "
        "averageWaitingTimeSeconds, serviceTimeChats, totalServiceTimeSeconds, "
        "transferredChats, abandonedChats, abandonedPercentage",
    ),
    "a metric twice": (
        [*WINDOW, ("metrics", "chats,answeredChats,chats")],
        "'metrics' must not name a metric twice",
    ),
    "compare": ([*WINDOW, ("compare", "next")], "'compare' must be one of: previous"),
    "a timeseries parameter": (
        [*WINDOW, ("interval", "day")],
        "'interval' is not a parameter of this endpoint",
    ),
}
TIMESERIES_FAULTS = {
    "unknown metric": (
        [*WINDOW, ("metric", "rooms")],
        "'metric' must be one of: chats, answeredChats, unansweredChats, "
        "averageChatDurationSeconds, averageServiceTimeSeconds, averageWaitingTimeSeconds, "
        "serviceTimeChats, totalServiceTimeSeconds, transferredChats, abandonedChats, "
        "abandonedPercentage",
    ),
    "interval": (
        [*WINDOW, ("interval", "minute")],
        "'interval' must be one of: hour, day, week, month",
    ),
    "split": ([*WINDOW, ("split", "agent")], "'split' must be one of: department"),
    "1008 hours": (
        [("start", "2026-01-01"), ("end", "2026-02-11"), ("interval", "hour")],
        "'interval' gives more than 1000 buckets in this window; choose a coarser interval or "
        "a shorter window",
    ),
    "1001 days": (
        [("start", "2026-01-01"), ("end", "2028-09-27")],
        "'interval' gives more than 1000 buckets in this window; choose a coarser interval or "
        "a shorter window",
    ),
    "eight thousand years of hours": (
        [("start", "1970-01-01"), ("end", "9998-12-31"), ("interval", "hour")],
        "'interval' gives more than 1000 buckets in this window; choose a coarser interval or "
        "a shorter window",
    ),
    "a scorecard parameter": (
        [*WINDOW, ("metrics", "chats")],
        "'metrics' is not a parameter of this endpoint",
    ),
}
CASES = [
    *((url, name, *fault) for url in BOTH for name, fault in COMMON_FAULTS.items()),
    *((SCORECARD, name, *fault) for name, fault in SCORECARD_FAULTS.items()),
    *((TIMESERIES, name, *fault) for name, fault in TIMESERIES_FAULTS.items()),
]


@pytest.mark.parametrize(
    ("url", "name", "query", "message"),
    CASES,
    ids=[f"{url.rsplit('/', 1)[1]}: {name}" for url, name, *_ in CASES],
)
async def test_a_bad_parameter_is_a_400_naming_it_and_runs_nothing(
    db: Any, client: TestClient, url: str, name: str, query: Any, message: str
) -> None:
    await seed_auth(db)
    status, body = await answer(client, url, query)
    assert (status, body) == (400, invalid(message))
    assert aggregations(client) == 0


@pytest.mark.parametrize("url", BOTH)
async def test_errors_are_json_even_when_csv_is_asked_for(
    db: Any, client: TestClient, url: str
) -> None:
    await seed_auth(db)
    response = await client.get(
        url,
        params={"end": "2026-11-30", "format": "csv"},
        headers={**MANAGER, "Accept": "text/csv"},
    )
    assert response.status == 400
    assert response.content_type == "application/json"
    assert await response.json() == invalid("must have required property 'start'")


@pytest.mark.parametrize("url", BOTH)
async def test_401_comes_before_403_before_400(db: Any, client: TestClient, url: str) -> None:
    await seed_auth(db)
    bad = {"start": "yesterday"}
    assert (await client.get(url, params=bad)).status == 401
    assert (await client.get(url, params=bad, headers=AGENT)).status == 403
    assert (await client.get(url, params=bad, headers=MANAGER)).status == 400


async def test_duplicate_department_ids_count_once(db: Any, client: TestClient) -> None:
    await seed_auth(db)
    query = [*WINDOW, *(("departmentId", f"d{n % 100}") for n in range(150))]
    status, body = await answer(client, SCORECARD, query)
    assert status == 200
    assert len(body["departments"]) == 100


async def test_too_many_split_values_without_department_ids_is_a_400(
    db: Any, client: TestClient
) -> None:
    await seed_auth(db)
    await db.rocketchat_livechat_department.insert_many(
        [{"_id": f"d{n:03d}", "name": f"D{n}", "enabled": True} for n in range(101)]
    )
    query = [("start", "2026-01-01"), ("end", "2028-09-26"), ("split", "department")]
    status, body = await answer(client, TIMESERIES, query)
    assert (status, body) == (
        400,
        invalid(
            "'split' gives more than 100000 values; choose a coarser interval or fewer departments"
        ),
    )
    # 1000 buckets of 100 departments is the most there may be.
    await db.rocketchat_livechat_department.delete_one({"_id": "d100"})
    status, body = await answer(client, TIMESERIES, query)
    assert status == 200
    assert len(body["departments"]) * len(body["buckets"]) == 100_000


@pytest.mark.parametrize(
    ("asked", "accept", "chosen"),
    [
        ("json", "text/csv", "json"),
        ("csv", "application/json", "csv"),
        (None, None, "json"),
        (None, "text/csv", "csv"),
        (None, "text/csv;q=0.9, application/json", "json"),
        (None, "application/json;q=0.5, text/csv;q=0.8", "csv"),
        (None, "text/csv, application/json", "csv"),
        (None, "application/json, text/csv", "json"),
        (None, "*/*", "json"),
        (None, "text/*", "json"),
        (None, "text/html,application/xhtml+xml,*/*;q=0.8", "json"),
        (None, "text/csv;q=0", "json"),
        (None, "TEXT/CSV", "csv"),
    ],
)
def test_csv_is_chosen_when_asked_for_or_most_preferred(
    asked: str | None, accept: str | None, chosen: str
) -> None:
    assert negotiated_format(asked, accept) == chosen
