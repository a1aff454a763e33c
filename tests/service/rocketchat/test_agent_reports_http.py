"""The agents family over HTTP: Rocket.Chat's errors with exact bodies, exact bodies against the
plain-Python oracle (whole numbers checked as JSON integers on the raw bytes), paging, and the
days of a non-UTC server zone.

Every test runs on both backends, the in-process fake and the wire server through real motor
(see tests/conftest.py), with the same assertions.
"""

import json
import random
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests import agents_oracle
from tests.conftest import BACKENDS, MakeClient
from tests.factories import AGENT, MANAGER, seed_auth
from tests.service.rocketchat.test_amount_of_chats_http import (
    FORBIDDEN,
    UNAUTHORIZED,
    invalid_date,
    invalid_params,
)

pytestmark = pytest.mark.parametrize("backend", BACKENDS, indirect=True)

BASE = "/api/v1/livechat/analytics/agents"
REPORTS = ["average-service-time", "total-service-time", "available-for-service-history"]
AVAILABILITY = "available-for-service-history"
START, END = "2026-09-01", "2026-09-30T23:59:59.999Z"
WINDOW = {"start": START, "end": END}
START_AT = datetime(2026, 9, 1, tzinfo=UTC)
END_AT = datetime(2026, 9, 30, 23, 59, 59, 999000, tzinfo=UTC)
ACTIVITY = "rocketchat_livechat_agent_activity"

# The agents as `users` holds them now: one without a username, usernames whose byte order is
# not their case-insensitive order. `gone` served rooms and has activity, but was deleted.
AGENT_USERS = [
    {"_id": "u1", "username": "maria.silva", "roles": ["user", "livechat-agent"]},
    {"_id": "u2", "roles": ["user", "livechat-agent"]},
    {"_id": "u3", "username": "Zoe", "roles": ["user", "livechat-agent"]},
    {"_id": "u4", "username": "zoë", "roles": ["user", "livechat-agent"]},
    {"_id": "u5", "username": "bruno", "roles": ["user", "livechat-agent"]},
]
# `servedBy` as rooms keep it: u1 was renamed (older rooms say "maria").
SERVED_BY = [
    {"_id": "u1", "username": "maria"},
    {"_id": "u1", "username": "maria.silva"},
    {"_id": "u2"},
    {"_id": "u3", "username": "Zoe"},
    {"_id": "u4", "username": "zoë"},
    {"_id": "u5", "username": "bruno"},
    {"_id": "gone", "username": "former.agent"},
]


def random_rooms(rng: random.Random, count: int) -> list[dict[str, Any]]:
    edges = [START_AT, END_AT, START_AT - timedelta(milliseconds=1), END_AT + timedelta(0, 0, 1000)]
    rooms = []
    for number in range(count):
        ts = (
            rng.choice(edges)
            if rng.random() < 0.1
            else START_AT + timedelta(milliseconds=rng.randrange(-3 * 86400_000, 33 * 86400_000))
        )
        room: dict[str, Any] = {
            "_id": f"room{number}",
            "t": rng.choice("lllllcdp"),
            "ts": ts,
            "metrics": {},
        }
        if rng.random() < 0.85:
            room["servedBy"] = dict(rng.choice(SERVED_BY))
        if rng.random() < 0.8:
            # Eighths add exactly in binary floating point; integers as often stored; null.
            room["metrics"]["serviceTimeDuration"] = rng.choice(
                [rng.randrange(80_000) / 8, rng.randrange(5000), None]
            )
        rooms.append(room)
    return rooms


# How each agent's `availableTime` is stored: integers, doubles that are whole (their sum must
# still be written as an integer), fractions, or a mix.
STORED_AS = {
    "u1": int,
    "u2": lambda seconds: seconds / 8,
    "u3": float,
    "u4": lambda seconds: float(seconds) if seconds % 2 else seconds,
    "u5": int,
    "gone": float,
}


def random_activity(rng: random.Random) -> list[dict[str, Any]]:
    """One document per agent and day (Rocket.Chat's unique index), from 28 August to
    3 October, in random order; intervals at millisecond precision, some still open."""
    documents = []
    for agent in [*(u["_id"] for u in AGENT_USERS), "gone"]:
        for back in range(37):
            day = datetime(2026, 8, 28, tzinfo=UTC) + timedelta(days=back)
            if rng.random() < 0.3:
                continue
            intervals = []
            for _ in range(rng.randrange(4)):
                started = day + timedelta(milliseconds=rng.randrange(86_400_000))
                interval = {"startedAt": started}
                if rng.random() < 0.8:
                    interval["stoppedAt"] = started + timedelta(
                        milliseconds=rng.randrange(9_000_000)
                    )
                intervals.append(interval)
            documents.append(
                {
                    "_id": f"{agent}-{back}",
                    "agentId": agent,
                    "date": int(day.strftime("%Y%m%d")),
                    "availableTime": STORED_AS[agent](rng.randrange(30_000)),
                    "serviceHistory": intervals,
                }
            )
    rng.shuffle(documents)
    return documents


@pytest.fixture
async def workspace(db: Any) -> dict[str, list[dict[str, Any]]]:
    rng = random.Random(14)
    collections = {
        "rocketchat_room": random_rooms(rng, 300),
        ACTIVITY: random_activity(rng),
        "users": AGENT_USERS,
    }
    for name, documents in collections.items():
        await db[name].insert_many([dict(d) for d in documents])
    await seed_auth(db)
    collections["users"] = await db.users.find({}).to_list(None)
    return collections


def expected_rows(
    report: str,
    collections: dict[str, list[dict[str, Any]]],
    days: tuple[int, int] = (20260901, 20260930),
    *,
    full_report: bool = False,
) -> list[dict[str, Any]]:
    if report == AVAILABILITY:
        return agents_oracle.available_for_service_history(
            collections[ACTIVITY], collections["users"], *days, full_report=full_report
        )
    oracle = (
        agents_oracle.average_service_time
        if report == "average-service-time"
        else agents_oracle.total_service_time
    )
    return oracle(collections["rocketchat_room"], START_AT, END_AT)


def envelope(rows: list[dict[str, Any]], offset: int, limit: int | None) -> dict[str, Any]:
    shown = agents_oracle.page(rows, offset, limit)
    return {
        "agents": shown,
        "count": len(shown),
        "offset": offset,
        "total": len(rows),
        "success": True,
    }


def typed(value: Any) -> Any:
    """JSON values with their types made visible, so `13` and `13.0` differ."""
    if isinstance(value, dict):
        return {k: typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [typed(v) for v in value]
    return (type(value).__name__, value)


async def get(
    client: TestClient, report: str, params: Any, headers: dict[str, str] = MANAGER
) -> tuple[int, Any]:
    """Status and body; the body parsed from the raw bytes with its number types kept."""
    response = await client.get(f"{BASE}/{report}", params=params, headers=headers)
    assert response.content_type == "application/json"
    return response.status, json.loads(await response.read())


# ----------------------------------------------------------------------------- errors


@pytest.mark.parametrize("report", REPORTS)
@pytest.mark.parametrize(
    ("params", "body"),
    [
        ({"end": END}, invalid_params("must have required property 'start'")),
        ({"start": START}, invalid_params("must have required property 'end'")),
        ({"end": END, "departmentId": "d1"}, invalid_params("must have required property 'start'")),
        # The agents family takes no department and no `answered`.
        ({**WINDOW, "departmentId": "d1"}, invalid_params("must NOT have additional properties")),
        ({**WINDOW, "answered": "true"}, invalid_params("must NOT have additional properties")),
        ({**WINDOW, "offset": "abc"}, invalid_params("must be number")),
        ({**WINDOW, "count": "-5"}, invalid_params("must be >= 0")),
        ([("start", START), ("start", START), ("end", END)], invalid_params("must be string")),
        ([*WINDOW.items(), ("sort", "a"), ("sort", "b")], invalid_params("must be string")),
        ({"start": "yesterday", "end": END}, invalid_date("start")),
        ({"start": START, "end": "2026-13-01"}, invalid_date("end")),
        ({"start": "x", "end": "y", "count": "z"}, invalid_params("must be number")),
    ],
)
@pytest.mark.usefixtures("workspace")
async def test_invalid_parameters_return_rocketchat_errors(
    client: TestClient, report: str, params: Any, body: dict[str, Any]
) -> None:
    assert await get(client, report, params) == (400, body)


@pytest.mark.usefixtures("workspace")
async def test_full_report_belongs_to_the_availability_report_only(client: TestClient) -> None:
    with_full = {**WINDOW, "fullReport": "true"}
    for report in ("average-service-time", "total-service-time"):
        assert await get(client, report, with_full) == (
            400,
            invalid_params("must NOT have additional properties"),
        )
    assert (await get(client, AVAILABILITY, with_full))[0] == 200
    repeated = [*WINDOW.items(), ("fullReport", "true"), ("fullReport", "true")]
    assert await get(client, AVAILABILITY, repeated) == (400, invalid_params("must be string"))


@pytest.mark.parametrize("report", REPORTS)
@pytest.mark.usefixtures("workspace")
async def test_checks_run_in_rocketchat_order_401_then_403_then_400(
    client: TestClient, report: str
) -> None:
    assert await get(client, report, WINDOW, {}) == (401, UNAUTHORIZED)
    assert await get(client, report, WINDOW, {**MANAGER, "X-Auth-Token": "wrong"}) == (
        401,
        UNAUTHORIZED,
    )
    assert await get(client, report, WINDOW, AGENT) == (403, FORBIDDEN)
    assert await get(client, report, {"start": "bad"}, {}) == (401, UNAUTHORIZED)
    assert await get(client, report, {"start": "bad"}, AGENT) == (403, FORBIDDEN)
    assert await get(client, report, {"start": "bad"}) == (
        400,
        invalid_params("must have required property 'end'"),
    )


# ----------------------------------------------------------------------------- bodies


@pytest.mark.parametrize("report", ["average-service-time", "total-service-time"])
async def test_service_time_bodies_match_the_oracle(
    client: TestClient, workspace: dict[str, list[dict[str, Any]]], report: str
) -> None:
    rows = expected_rows(report, workspace)
    # The data holds what the contract singles out: a renamed agent is two rows, an agent
    # without a username is one row with `username: null` (first), a deleted agent still counts.
    assert [r["_id"] for r in rows].count("u1") == 2
    assert rows[0]["username"] is None
    assert "gone" in {r["_id"] for r in rows}
    status, body = await get(client, report, {**WINDOW, "count": "0"})
    assert status == 200
    assert typed(body) == typed(envelope(rows, 0, None))


@pytest.mark.parametrize(
    ("full_report", "shown"), [("true", True), (None, False), ("false", False), ("TRUE", False)]
)
async def test_availability_body_matches_the_oracle(
    client: TestClient,
    workspace: dict[str, list[dict[str, Any]]],
    full_report: str | None,
    shown: bool,
) -> None:
    rows = expected_rows(AVAILABILITY, workspace, full_report=shown)
    # The deleted agent's activity is dropped; the agent without a username sorts first.
    assert len(rows) == len(AGENT_USERS)
    assert rows[0]["username"] is None
    params = {**WINDOW, **({} if full_report is None else {"fullReport": full_report})}
    status, body = await get(client, AVAILABILITY, params)
    assert status == 200
    assert typed(body) == typed(envelope(rows, 0, 50))
    assert all(("serviceHistory" in row) == shown for row in body["agents"])
    assert all("_id" not in row for row in body["agents"])


@pytest.mark.usefixtures("workspace")
async def test_whole_numbers_are_written_as_json_integers(client: TestClient) -> None:
    for report in REPORTS:
        response = await client.get(f"{BASE}/{report}", params=WINDOW, headers=MANAGER)
        raw = await response.read()
        assert response.status == 200
        assert re.search(
            rb'"(?:averageServiceTimeInSeconds|serviceTimeDuration|available\w+)":\d', raw
        )
        # No whole number carries a fraction (JavaScript writes 12, not 12.0).
        assert not re.search(rb":-?\d+\.0[,}]", raw), raw[:200]


@pytest.mark.parametrize("report", REPORTS)
async def test_pages_concatenate_to_the_whole_list(
    client: TestClient, workspace: dict[str, list[dict[str, Any]]], report: str
) -> None:
    expected = expected_rows(report, workspace)
    collected: list[Any] = []
    for offset in range(0, len(expected) + 3, 3):
        status, body = await get(client, report, {**WINDOW, "offset": str(offset), "count": "3"})
        assert (status, typed(body)) == (200, typed(envelope(expected, offset, 3)))
        collected += body["agents"]
    assert collected == expected


@pytest.mark.parametrize("report", REPORTS)
async def test_sort_is_accepted_and_ignored_and_an_inverted_window_is_empty(
    client: TestClient, workspace: dict[str, list[dict[str, Any]]], report: str
) -> None:
    expected = envelope(expected_rows(report, workspace), 0, 50)
    assert await get(client, report, {**WINDOW, "sort": '{"username":-1}'}) == (200, expected)
    assert await get(client, report, {"start": "2026-09-30", "end": "2026-09-01"}) == (
        200,
        envelope([], 0, 50),
    )


# ----------------------------------------------------------------------------- server zone


@pytest.mark.parametrize(
    ("zone", "start", "end", "days"),
    [
        # A date alone is that day, whatever the zone.
        ("Asia/Tokyo", "2026-09-10", "2026-09-20", (20260910, 20260920)),
        ("America/New_York", "2026-09-10", "2026-09-20", (20260910, 20260920)),
        # A date-time is converted to the server zone first: 15:00 UTC is midnight in Tokyo.
        ("Asia/Tokyo", "2026-09-10T14:59:59.999Z", "2026-09-20T15:00:00Z", (20260910, 20260921)),
        (
            "Asia/Tokyo",
            "Thu, 10 Sep 2026 20:00:00 GMT",
            "2026-09-20T23:30:00-04:00",
            (20260911, 20260921),
        ),
        # New York is UTC-4 in September: 03:59 UTC is still the day before there.
        ("America/New_York", "2026-09-10T03:59:00Z", "2026-09-20T04:00:00Z", (20260909, 20260920)),
        ("America/New_York", "2026-09-10T00:00", "2026-09-20", (20260909, 20260920)),
    ],
)
async def test_days_are_those_of_the_server_time_zone(
    make_client: MakeClient,
    workspace: dict[str, list[dict[str, Any]]],
    zone: str,
    start: str,
    end: str,
    days: tuple[int, int],
) -> None:
    client = await make_client(rocketchat_server_timezone=zone)
    rows = expected_rows(AVAILABILITY, workspace, days, full_report=True)
    params = {"start": start, "end": end, "fullReport": "true"}
    assert await get(client, AVAILABILITY, params) == (200, envelope(rows, 0, 50))
    # The days matter here: one day more or less on either side changes the answer.
    for first, last in [(days[0] - 1, days[1]), (days[0] + 1, days[1]), (days[0], days[1] + 1)]:
        assert expected_rows(AVAILABILITY, workspace, (first, last), full_report=True) != rows
