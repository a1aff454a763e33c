"""The seven sibling reports over HTTP: Rocket.Chat's errors, exact bodies against the oracle on
the demo workspace, paging, and the inactivity timeout setting.

Every test runs on both backends, the in-process fake and the wire server through real motor
(see tests/conftest.py), with the same assertions.
"""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from service.embedded import generate_demo_data
from tests import oracle
from tests.conftest import BACKENDS, MakeClient
from tests.factories import AGENT, MANAGER, seed_auth, setting
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
