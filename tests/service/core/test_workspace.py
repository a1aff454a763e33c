"""Rocket.Chat's own settings: read from `rocketchat_settings`, kept for at most
SETTINGS_CACHE_TTL_SECONDS, then read again (an admin's change reaches the service by itself)."""

from typing import Any

import pytest

from service.core.db import Mongo
from service.core.metrics import Metrics
from service.core.workspace import Workspace, WorkspaceSettings
from service.settings import RocketChatOverrides, Settings
from tests.factories import setting


class FakeClock:
    def __init__(self) -> None:
        self.now = 500.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def workspace_for(mongo_client: Any) -> Any:
    def make(
        ttl: float, clock: FakeClock, overrides: RocketChatOverrides | None = None
    ) -> WorkspaceSettings:
        mongo = Mongo(mongo_client, Settings(mongo_database="rocketchat"), Metrics())
        return WorkspaceSettings(mongo, overrides or RocketChatOverrides(), ttl, clock=clock)

    return make


async def _store(db: Any, name: str, value: Any) -> None:
    await db.rocketchat_settings.replace_one({"_id": name}, setting(name, value), upsert=True)


async def test_settings_are_read_again_once_the_ttl_has_passed(db: Any, workspace_for: Any) -> None:
    await _store(db, "API_Default_Count", 20)
    await _store(db, "Livechat_visitor_inactivity_timeout", 600)
    clock = FakeClock()
    workspace = workspace_for(10, clock)
    first = await workspace.current()
    assert (first.api_default_count, first.visitor_inactivity_timeout) == (20, 600)

    await _store(db, "API_Default_Count", 7)
    await _store(db, "Livechat_visitor_inactivity_timeout", 1200)
    clock.now += 9.999  # still within the TTL: the snapshot read 9.999 s ago
    assert await workspace.current() == first
    clock.now += 0.001  # exactly 10 s old: no longer served
    refreshed = await workspace.current()
    assert (refreshed.api_default_count, refreshed.visitor_inactivity_timeout) == (7, 1200)

    # The TTL counts from the new read, not from the first one.
    await _store(db, "API_Default_Count", 3)
    clock.now += 9.9
    assert (await workspace.current()).api_default_count == 7
    clock.now += 0.1
    assert (await workspace.current()).api_default_count == 3


async def test_zero_ttl_reads_the_settings_on_every_call(db: Any, workspace_for: Any) -> None:
    workspace = workspace_for(0, FakeClock())
    assert (await workspace.current()).api_default_count == 50  # Rocket.Chat's default
    await _store(db, "API_Default_Count", 25)
    assert (await workspace.current()).api_default_count == 25


async def test_an_environment_override_wins_over_the_stored_setting(
    db: Any, workspace_for: Any
) -> None:
    await _store(db, "Accounts_LoginExpiration", 30)
    await _store(db, "API_Upper_Count_Limit", 40)
    clock = FakeClock()
    workspace = workspace_for(10, clock, RocketChatOverrides(login_expiration_days=2))
    current = await workspace.current()
    assert (current.login_expiration_days, current.api_upper_count_limit) == (2, 40)
    await _store(db, "Accounts_LoginExpiration", 60)
    clock.now += 10
    assert (await workspace.current()).login_expiration_days == 2


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        ({}, Workspace(50, 100, True, 90, 3600)),
        (
            {
                "API_Default_Count": 0,
                "API_Upper_Count_Limit": -5,
                "API_Allow_Infinite_Count": "no",
                "Accounts_LoginExpiration": 0,
                "Livechat_visitor_inactivity_timeout": "soon",
            },
            Workspace(50, 100, True, 90, 3600),
        ),
        (
            {
                "API_Default_Count": "12",
                "API_Upper_Count_Limit": 30.9,
                "API_Allow_Infinite_Count": False,
                "Accounts_LoginExpiration": 0.5,
                "Livechat_visitor_inactivity_timeout": 0,
            },
            Workspace(12, 30, False, 0.5, 0),
        ),
    ],
)
async def test_stored_values_are_normalized_as_rocketchat_does(
    db: Any, workspace_for: Any, stored: dict[str, Any], expected: Workspace
) -> None:
    for name, value in stored.items():
        await _store(db, name, value)
    assert await workspace_for(0, FakeClock()).current() == expected
