"""Rocket.Chat authentication: hashing, the short positive cache, and what is never cached."""

from typing import Any

import pytest
from mongomock_motor import AsyncMongoMockClient
from multidict import CIMultiDict

from service.core.auth import (
    _MAX_CACHED_USER_ID,
    VIEW_LIVECHAT_MANAGER,
    Authenticator,
    hash_token,
)
from service.core.db import Mongo
from service.core.metrics import Metrics
from service.core.workspace import WorkspaceSettings
from service.http.errors import Forbidden, Unauthorized
from service.settings import RocketChatOverrides, Settings
from tests.factories import AGENT, MANAGER, hashed, login_token, permission, seed_auth, user


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_hash_is_base64_sha256_like_rocketchat() -> None:
    assert hash_token("manager-token") == hashed("manager-token")
    # A fixed vector, so both implementations cannot drift together.
    assert hash_token("abc") == "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="


@pytest.fixture
def authenticator_for(mongo_client: AsyncMongoMockClient) -> Any:
    def make(ttl: float, clock: FakeClock) -> Authenticator:
        mongo = Mongo(mongo_client, Settings(mongo_database="rocketchat"), Metrics())
        workspace = WorkspaceSettings(mongo, RocketChatOverrides(), ttl_seconds=0)
        return Authenticator(mongo, workspace, ttl_seconds=ttl, clock=clock)

    return make


async def test_revoked_token_works_only_until_the_ttl_passes(
    db: Any, authenticator_for: Any
) -> None:
    await seed_auth(db)
    clock = FakeClock()
    auth = authenticator_for(5, clock)
    assert (await auth.require(MANAGER, VIEW_LIVECHAT_MANAGER)).user_id == "manager"
    await db.users.update_one({"_id": "manager"}, {"$set": {"services.resume.loginTokens": []}})
    clock.now += 4
    await auth.require(MANAGER, VIEW_LIVECHAT_MANAGER)  # the cached grant, within its TTL
    clock.now += 1  # exactly the TTL: the grant is no longer fresh
    with pytest.raises(Unauthorized):
        await auth.require(MANAGER, VIEW_LIVECHAT_MANAGER)


async def test_removed_role_stops_working_after_the_ttl(db: Any, authenticator_for: Any) -> None:
    await seed_auth(db)
    clock = FakeClock()
    auth = authenticator_for(5, clock)
    await auth.require(MANAGER, VIEW_LIVECHAT_MANAGER)
    await db.rocketchat_permissions.replace_one(
        {"_id": VIEW_LIVECHAT_MANAGER}, permission(["admin"])
    )
    clock.now += 6
    with pytest.raises(Forbidden):
        await auth.require(MANAGER, VIEW_LIVECHAT_MANAGER)


async def test_zero_ttl_checks_the_database_every_time(db: Any, authenticator_for: Any) -> None:
    await seed_auth(db)
    auth = authenticator_for(0, FakeClock())
    await auth.require(MANAGER, VIEW_LIVECHAT_MANAGER)
    await db.users.update_one({"_id": "manager"}, {"$set": {"active": False}})
    with pytest.raises(Unauthorized):
        await auth.require(MANAGER, VIEW_LIVECHAT_MANAGER)


@pytest.mark.parametrize(
    "headers",
    [
        # Header bytes that are not UTF-8 reach the app as lone surrogates (surrogateescape).
        {"X-User-Id": "manager", "X-Auth-Token": "manager-token\udcff"},
        {"X-User-Id": "manager\udcff", "X-Auth-Token": "manager-token"},
    ],
)
async def test_credentials_that_are_not_utf8_are_refused_not_a_crash(
    db: Any, authenticator_for: Any, headers: dict[str, str]
) -> None:
    await seed_auth(db)
    with pytest.raises(Unauthorized):
        await authenticator_for(5, FakeClock()).require(headers, VIEW_LIVECHAT_MANAGER)


async def test_refusals_are_never_cached(db: Any, authenticator_for: Any) -> None:
    clock = FakeClock()
    auth = authenticator_for(60, clock)
    with pytest.raises(Unauthorized):
        await auth.require(MANAGER, VIEW_LIVECHAT_MANAGER)
    await seed_auth(db)
    await auth.require(MANAGER, VIEW_LIVECHAT_MANAGER)  # the new user works at once
    with pytest.raises(Forbidden):
        await auth.require(AGENT, VIEW_LIVECHAT_MANAGER)
    await db.users.update_one({"_id": "agent"}, {"$set": {"roles": ["livechat-manager"]}})
    await auth.require(AGENT, VIEW_LIVECHAT_MANAGER)  # and a granted role at once


async def test_cached_grant_does_not_outlive_its_login_token(db: Any, mongo_client: Any) -> None:
    from datetime import UTC, datetime, timedelta

    issued = datetime(2026, 1, 1, tzinfo=UTC)
    await db.users.insert_one(user("manager", [login_token("manager-token", when=issued)]))
    await db.rocketchat_permissions.insert_one(permission(["livechat-manager"]))
    now = [issued + timedelta(days=89, hours=23)]
    mongo = Mongo(mongo_client, Settings(mongo_database="rocketchat"), Metrics())
    workspace = WorkspaceSettings(mongo, RocketChatOverrides(), ttl_seconds=0)
    auth = Authenticator(mongo, workspace, ttl_seconds=3600, now=lambda: now[0])
    await auth.require(MANAGER, VIEW_LIVECHAT_MANAGER)
    now[0] += timedelta(hours=2)  # past 90 days, still inside the cache TTL
    with pytest.raises(Unauthorized):
        await auth.require(MANAGER, VIEW_LIVECHAT_MANAGER)


async def test_grants_of_overlong_user_ids_are_checked_every_time_not_kept(
    db: Any, authenticator_for: Any
) -> None:
    """The auth cache's bytes stay bounded: an id far longer than Rocket.Chat's 17 characters
    (a database is free to hold one) is served, but never kept."""
    long_id = "u" * 4096
    await db.users.insert_one(user(long_id, [login_token("long-token")]))
    await db.rocketchat_permissions.insert_one(permission(["livechat-manager"]))
    auth = authenticator_for(5, FakeClock())
    headers = {"X-User-Id": long_id, "X-Auth-Token": "long-token"}
    assert (await auth.require(headers, VIEW_LIVECHAT_MANAGER)).user_id == long_id
    await db.users.delete_one({"_id": long_id})
    with pytest.raises(Unauthorized):  # not answered from a cache
        await auth.require(headers, VIEW_LIVECHAT_MANAGER)
    # At exactly the bound, a grant is still kept.
    bound_id = "b" * _MAX_CACHED_USER_ID
    await db.users.insert_one(user(bound_id, [login_token("bound-token")]))
    headers = {"X-User-Id": bound_id, "X-Auth-Token": "bound-token"}
    await auth.require(headers, VIEW_LIVECHAT_MANAGER)
    await db.users.delete_one({"_id": bound_id})
    assert (await auth.require(headers, VIEW_LIVECHAT_MANAGER)).user_id == bound_id


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param(
            [("X-User-Id", "manager"), ("X-Auth-Token", "manager-token"), ("X-Auth-Token", "x")],
            id="a valid token, then a wrong one",
        ),
        pytest.param(
            [("X-User-Id", "manager"), ("X-Auth-Token", "x"), ("X-Auth-Token", "manager-token")],
            id="a wrong token, then a valid one",
        ),
        pytest.param(
            [("X-Auth-Token", "manager-token"), ("X-User-Id", "manager"), ("x-user-id", "agent")],
            id="two user ids",
        ),
        pytest.param(
            [("X-User-Id", "manager"), ("X-Auth-Token", "manager-token")] * 2,
            id="the same pair twice",
        ),
    ],
)
async def test_repeated_credential_headers_are_unauthorized(
    db: Any, authenticator_for: Any, headers: list[tuple[str, str]]
) -> None:
    """Node joins repeated headers into one value (`"a, b"`), which is never a valid token or
    user id, so Rocket.Chat answers 401; so must we, whichever value comes first, so a proxy
    that reads the last value and this service can never disagree. Asked twice: a grant cached
    from a single header must not let the repeated form in either."""
    await seed_auth(db)
    auth = authenticator_for(5, FakeClock())
    await auth.require(MANAGER, VIEW_LIVECHAT_MANAGER)
    for _ in range(2):
        with pytest.raises(Unauthorized):
            await auth.require(CIMultiDict(headers), VIEW_LIVECHAT_MANAGER)


async def test_a_login_token_expires_exactly_at_issue_plus_the_expiration(
    db: Any, mongo_client: Any
) -> None:
    from datetime import UTC, datetime, timedelta

    issued = datetime(2026, 1, 1, tzinfo=UTC)
    await db.users.insert_one(user("manager", [login_token("manager-token", when=issued)]))
    await db.rocketchat_permissions.insert_one(permission(["livechat-manager"]))
    expiry = issued + timedelta(days=90)  # Accounts_LoginExpiration's default
    now = [expiry - timedelta(microseconds=1)]
    mongo = Mongo(mongo_client, Settings(mongo_database="rocketchat"), Metrics())
    workspace = WorkspaceSettings(mongo, RocketChatOverrides(), ttl_seconds=0)
    cached = Authenticator(mongo, workspace, ttl_seconds=3600, now=lambda: now[0])
    fresh = Authenticator(mongo, workspace, ttl_seconds=0, now=lambda: now[0])
    assert (await cached.require(MANAGER, VIEW_LIVECHAT_MANAGER)).expires_at == expiry
    assert (await fresh.authenticate(MANAGER)).user_id == "manager"

    # Meteor's rule, which Rocket.Chat's login follows: expired once now >= when + days. The
    # cached grant and a fresh check draw the line at the same instant.
    now[0] = expiry
    with pytest.raises(Unauthorized):
        await cached.require(MANAGER, VIEW_LIVECHAT_MANAGER)
    with pytest.raises(Unauthorized):
        await fresh.require(MANAGER, VIEW_LIVECHAT_MANAGER)
    with pytest.raises(Unauthorized):
        await fresh.authenticate(MANAGER)


async def test_each_token_is_judged_by_its_own_entry(db: Any, authenticator_for: Any) -> None:
    """A user with an expired login token and a current one: the current one works, whatever
    the order in which Rocket.Chat stored them, and the expired one does not."""
    from datetime import UTC, datetime, timedelta

    expired = login_token("old-token", when=datetime(2020, 1, 1, tzinfo=UTC))
    current = login_token("manager-token", when=datetime.now(UTC) - timedelta(days=1))
    await db.users.insert_one(user("manager", [expired, current]))
    await db.rocketchat_permissions.insert_one(permission(["livechat-manager"]))
    auth = authenticator_for(0, FakeClock())
    assert (await auth.require(MANAGER, VIEW_LIVECHAT_MANAGER)).user_id == "manager"
    old = CIMultiDict({"X-User-Id": "manager", "X-Auth-Token": "old-token"})
    with pytest.raises(Unauthorized):
        await auth.require(old, VIEW_LIVECHAT_MANAGER)


async def test_the_grant_cache_keeps_at_most_its_bound_dropping_the_oldest(
    db: Any, authenticator_for: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from service.core import auth as auth_module

    monkeypatch.setattr(auth_module, "_MAX_CACHED_GRANTS", 2)
    names = ("first", "second", "third")
    for name in names:
        await db.users.insert_one(user(name, [login_token(f"{name}-token")]))
    await db.rocketchat_permissions.insert_one(permission(["livechat-manager"]))
    auth = authenticator_for(60, FakeClock())
    headers = {name: {"X-User-Id": name, "X-Auth-Token": f"{name}-token"} for name in names}
    for name in names:
        await auth.require(headers[name], VIEW_LIVECHAT_MANAGER)
    await db.users.delete_many({})
    for name in ("second", "third"):  # still cached
        await auth.require(headers[name], VIEW_LIVECHAT_MANAGER)
    with pytest.raises(Unauthorized):  # dropped when the third was kept: checked again
        await auth.require(headers["first"], VIEW_LIVECHAT_MANAGER)
