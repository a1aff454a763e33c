"""The seven sibling reports over HTTP: Rocket.Chat's errors, exact bodies against the oracle on
the demo workspace, paging, and the inactivity timeout setting.

Every test runs on both backends, the in-process fake and the wire server through real motor
(see tests/conftest.py), with the same assertions.
"""

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from service.embedded import generate_demo_data
from tests import oracle
from tests.conftest import BACKENDS, MakeClient
from tests.factories import (
    AGENT,
    MANAGER,
    WINDOW_END,
    WINDOW_START,
    edge_workspace,
    seed_auth,
    setting,
    windows,
    workspaces,
)
from tests.service.rocketchat.test_amount_of_chats_http import (
    FORBIDDEN,
    UNAUTHORIZED,
    envelope,
    invalid_date,
    invalid_params,
)

pytestmark = pytest.mark.parametrize("backend", BACKENDS, indirect=True)

BASE = "/api/v1/livechat/analytics/departments"
NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)
START_AT, END_AT = NOW - timedelta(days=30), NOW
WINDOW = {"start": START_AT.isoformat(), "end": END_AT.isoformat()}

Expected = Callable[[dict[str, list[Any]], float, str | None], list[dict[str, Any]]]

# Each sibling, and its oracle over the demo collections (timeout, departmentId).
SIBLINGS: dict[str, Expected] = {
    "average-service-time": lambda c, t, d: oracle.average_service_time(
        c["rocketchat_room"], START_AT, END_AT, d
    ),
    "average-chat-duration-time": lambda c, t, d: oracle.average_chat_duration_time(
        c["rocketchat_room"], START_AT, END_AT, d
    ),
    "total-service-time": lambda c, t, d: oracle.total_service_time(
        c["rocketchat_room"], START_AT, END_AT, d
    ),
    "average-waiting-time": lambda c, t, d: oracle.average_waiting_time(
        c["rocketchat_room"], START_AT, END_AT, d
    ),
    "total-transferred-chats": lambda c, t, d: oracle.total_transferred_chats(
        c["rocketchat_message"], c["rocketchat_room"], START_AT, END_AT, d
    ),
    "total-abandoned-chats": lambda c, t, d: oracle.total_abandoned_chats(
        c["rocketchat_room"], START_AT, END_AT, t, d
    ),
    "percentage-abandoned-chats": lambda c, t, d: oracle.percentage_abandoned_chats(
        c["rocketchat_room"], START_AT, END_AT, t, d
    ),
}


@pytest.fixture(scope="module")
def demo() -> dict[str, list[Any]]:
    return generate_demo_data(NOW, rooms=1500)


@pytest.fixture
async def workspace(db: Any, demo: dict[str, list[Any]]) -> dict[str, list[Any]]:
    for name in ("rocketchat_room", "rocketchat_message", "rocketchat_livechat_department"):
        await db[name].insert_many([dict(d) for d in demo[name]])
    await seed_auth(db)
    return demo


async def get(
    client: TestClient, report: str, params: Any, headers: dict[str, str] = MANAGER
) -> tuple[int, Any]:
    response = await client.get(f"{BASE}/{report}", params=params, headers=headers)
    assert response.content_type == "application/json"
    return response.status, await response.json()


@pytest.mark.parametrize("report", sorted(SIBLINGS))
@pytest.mark.usefixtures("workspace")
async def test_rocketchat_errors(client: TestClient, report: str) -> None:
    assert await get(client, report, {"end": "2026-11-01"}) == (
        400,
        invalid_params("must have required property 'start'"),
    )
    assert await get(client, report, {"start": "soon", "end": "2026-11-01"}) == (
        400,
        invalid_date("start"),
    )
    # None of the siblings takes `answered`; Rocket.Chat's schema refuses it.
    assert await get(client, report, {**WINDOW, "answered": "true"}) == (
        400,
        invalid_params("must NOT have additional properties"),
    )
    assert await get(client, report, WINDOW, {}) == (401, UNAUTHORIZED)
    assert await get(client, report, WINDOW, AGENT) == (403, FORBIDDEN)


@pytest.mark.parametrize("report", sorted(SIBLINGS))
@pytest.mark.parametrize("department", [None, "undefined", "first-department"])
async def test_body_matches_the_oracle(
    client: TestClient, workspace: dict[str, list[Any]], report: str, department: str | None
) -> None:
    chosen = (
        workspace["rocketchat_livechat_department"][0]["_id"]
        if department == "first-department"
        else None
    )
    params = (
        dict(WINDOW) if department is None else {**WINDOW, "departmentId": chosen or department}
    )
    expected = SIBLINGS[report](workspace, 3600, chosen)
    assert expected, "the demo workspace should give every report some rows"
    assert await get(client, report, params) == (200, envelope(expected, 0, 50))


@pytest.mark.parametrize("report", sorted(SIBLINGS))
async def test_pages_concatenate_to_the_whole_list(
    client: TestClient, workspace: dict[str, list[Any]], report: str
) -> None:
    expected = SIBLINGS[report](workspace, 3600, None)
    collected: list[Any] = []
    for offset in range(0, len(expected) + 3, 3):
        status, body = await get(client, report, {**WINDOW, "offset": str(offset), "count": "3"})
        assert (status, body) == (200, envelope(expected, offset, 3))
        collected += body["departments"]
    assert collected == expected


@pytest.mark.parametrize("report", ["total-abandoned-chats", "percentage-abandoned-chats"])
async def test_abandonment_follows_the_inactivity_timeout_setting(
    db: Any, make_client: MakeClient, workspace: dict[str, list[Any]], report: str
) -> None:
    await db.rocketchat_settings.insert_one(setting("Livechat_visitor_inactivity_timeout", 300))
    stored = await make_client()
    assert await get(stored, report, WINDOW) == (
        200,
        envelope(SIBLINGS[report](workspace, 300, None), 0, 50),
    )

    from service.settings import load_settings

    overrides = load_settings(
        {"OVERWRITE_SETTING_Livechat_visitor_inactivity_timeout": "5000"}
    ).overrides
    pinned = await make_client(overrides=overrides)
    assert await get(pinned, report, WINDOW) == (
        200,
        envelope(SIBLINGS[report](workspace, 5000, None), 0, 50),
    )
    assert SIBLINGS[report](workspace, 300, None) != SIBLINGS[report](workspace, 5000, None)


# amount-of-chats beside its siblings, for the checks that hold for the whole family (it counts
# the chats still waiting when `answered` is absent).
EVERY_REPORT: dict[str, Expected] = {
    "amount-of-chats": lambda c, t, d: oracle.amount_of_chats(
        c["rocketchat_room"], START_AT, END_AT, department=d
    ),
    **SIBLINGS,
}


def _no_floats(text: str) -> Any:
    raise AssertionError(f"a JSON number with a fraction or exponent in the body: {text}")


@pytest.mark.parametrize("report", sorted(EVERY_REPORT))
async def test_every_number_in_the_body_is_a_json_integer(
    client: TestClient, workspace: dict[str, list[Any]], report: str
) -> None:
    # The README promises JSON integers (`13`, not `13.0`), as Rocket.Chat's JavaScript writes
    # them; parsed JSON compares 13 == 13.0, so the raw bytes are what is checked.
    response = await client.get(f"{BASE}/{report}", params=WINDOW, headers=MANAGER)
    assert response.status == 200
    raw = await response.read()
    body = json.loads(raw, parse_float=_no_floats)
    assert body == envelope(EVERY_REPORT[report](workspace, 3600, None), 0, 50)
    assert body["departments"], "the demo workspace should give every report some rows"
    numbers = [v for row in body["departments"] for k, v in row.items() if k != "_id"]
    assert all(type(v) is int for v in numbers), numbers


async def test_cached_answers_stay_with_their_report_for_the_same_query(
    make_client: MakeClient, workspace: dict[str, list[Any]]
) -> None:
    # Dashboards ask every report with the same window: with the result cache on (it is off in
    # the other tests), each report must still answer with its own body, first and from cache.
    cached = await make_client(result_cache_ttl_seconds=60)
    for _ in range(2):
        seen = []
        for report, expected in sorted(EVERY_REPORT.items()):
            status, body = await get(cached, report, WINDOW)
            assert (status, body) == (200, envelope(expected(workspace, 3600, None), 0, 50))
            seen.append(body)
        assert all(a != b for n, a in enumerate(seen) for b in seen[n + 1 :])


COLLECTIONS = ("rocketchat_room", "rocketchat_message")


def _sibling_oracle(
    report: str,
    rooms: list[dict[str, Any]],
    messages: list[dict[str, Any]],
    window: tuple[datetime, datetime],
    timeout: float,
    department: str | None,
) -> list[dict[str, Any]]:
    start, end = window
    if report == "total-transferred-chats":
        return oracle.total_transferred_chats(messages, rooms, start, end, department)
    if report in ("total-abandoned-chats", "percentage-abandoned-chats"):
        abandonment = getattr(oracle, report.replace("-", "_"))
        rows: list[dict[str, Any]] = abandonment(rooms, start, end, timeout, department)
        return rows
    rows = getattr(oracle, report.replace("-", "_"))(rooms, start, end, department)
    return rows


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@pytest.mark.parametrize("report", sorted(EVERY_REPORT))
@hypothesis_settings(
    max_examples=max(8, hypothesis_settings.default.max_examples // 4),
    # One app and one database per test; each example empties and refills the collections.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@example(
    workspace=edge_workspace(),
    window=(WINDOW_START, WINDOW_END),
    department=None,
    inactivity_timeout=3600,
    answered=True,
)
@given(
    workspace=workspaces(max_rooms=25),
    window=windows(),
    department=st.sampled_from([None, "d2", "dé", "部門"]),
    inactivity_timeout=st.sampled_from([3600, 0, 600.5]),
    answered=st.booleans(),
)
async def test_random_workspaces_over_http_match_the_oracle(
    make_client: MakeClient,
    db: Any,
    report: str,
    workspace: tuple[list[dict[str, Any]], list[dict[str, Any]]],
    window: tuple[datetime, datetime],
    department: str | None,
    inactivity_timeout: float,
    answered: bool,
) -> None:
    """The widened strategies of tests/factories.py through the whole service, on both
    backends: nulls, integers, negatives and strings in the metrics, reversed and single-instant
    windows, rooms without servedBy.ts, non-ASCII department ids."""
    rooms, messages = workspace
    start, end = window
    for name in (*COLLECTIONS, "rocketchat_settings", "users", "rocketchat_permissions"):
        await db[name].delete_many({})
    await seed_auth(db)
    if rooms:
        await db.rocketchat_room.insert_many([dict(r) for r in rooms])
    if messages:
        await db.rocketchat_message.insert_many([dict(m) for m in messages])
    await db.rocketchat_settings.insert_one(
        setting("Livechat_visitor_inactivity_timeout", inactivity_timeout)
    )
    client = await make_client(settings_cache_ttl_seconds=0)
    params = {"start": _iso(start), "end": _iso(end), "count": "0"}
    if department is not None:
        params["departmentId"] = department
    if report == "amount-of-chats":
        params["answered"] = "true" if answered else "false"
        expected = oracle.amount_of_chats(
            rooms, start, end, answered=answered, department=department
        )
    else:
        expected = _sibling_oracle(
            report, rooms, messages, (start, end), inactivity_timeout, department
        )
    response = await client.get(f"{BASE}/{report}", params=params, headers=MANAGER)
    raw = await response.read()
    assert (response.status, json.loads(raw, parse_float=_no_floats)) == (
        200,
        envelope(expected, 0, None),
    )
    await client.close()
