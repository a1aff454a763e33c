"""Rocket.Chat-shaped documents for tests, written from Rocket.Chat's data model (not ours)."""

import base64
import hashlib
from datetime import UTC, datetime
from typing import Any

MANAGER_ROLE = "livechat-manager"
MANAGER = {"X-User-Id": "manager", "X-Auth-Token": "manager-token"}
AGENT = {"X-User-Id": "agent", "X-Auth-Token": "agent-token"}
ISSUED = datetime(2026, 11, 20, tzinfo=UTC)


def hashed(token: str) -> str:
    """Rocket.Chat stores base64(sha256(token)) — computed here independently of our auth."""
    return base64.b64encode(hashlib.sha256(token.encode("utf-8")).digest()).decode("ascii")


def login_token(token: str, when: datetime = ISSUED) -> dict[str, Any]:
    return {"when": when, "hashedToken": hashed(token)}


def personal_access_token(token: str, when: datetime = ISSUED) -> dict[str, Any]:
    return {
        "when": when,
        "hashedToken": hashed(token),
        "type": "personalAccessToken",
        "name": "dashboards",
        "bypassTwoFactor": True,
    }


def user(
    user_id: str,
    tokens: list[dict[str, Any]],
    roles: list[str] | None = None,
    *,
    active: bool = True,
) -> dict[str, Any]:
    return {
        "_id": user_id,
        "username": user_id,
        "active": active,
        "roles": ["user", MANAGER_ROLE] if roles is None else roles,
        "services": {"resume": {"loginTokens": tokens}},
    }


def permission(roles: list[str]) -> dict[str, Any]:
    return {"_id": "view-livechat-manager", "roles": roles}


def setting(name: str, value: Any) -> dict[str, Any]:
    return {"_id": name, "value": value}


def room(
    room_id: str,
    ts: datetime,
    *,
    t: str = "l",
    department: Any = ...,
    waiting: Any = ...,
) -> dict[str, Any]:
    """A room; `...` leaves a field out, as Rocket.Chat does for answered or department-less
    chats, while None stores an explicit null."""
    document: dict[str, Any] = {"_id": room_id, "t": t, "ts": ts}
    if department is not ...:
        document["departmentId"] = department
    if waiting is not ...:
        document["waitingResponse"] = waiting
    return document


async def seed_auth(db: Any) -> None:
    """A manager (login token), an agent without the permission, and the permission itself."""
    await db.users.insert_many(
        [
            user("manager", [login_token("manager-token")]),
            user("agent", [login_token("agent-token")], roles=["user", "livechat-agent"]),
        ]
    )
    await db.rocketchat_permissions.insert_one(permission(["admin", MANAGER_ROLE]))


async def create_rocketchat_room_indexes(db: Any) -> None:
    """The two indexes Rocket.Chat creates on `rocketchat_room` that serve the department
    reports (its `LivechatRooms` model): `{t: 1, ts: 1}` and the partial `{departmentId: 1,
    ts: 1}` over livechat rooms that have a department."""
    await db.rocketchat_room.create_index([("t", 1), ("ts", 1)])
    await db.rocketchat_room.create_index(
        [("departmentId", 1), ("ts", 1)],
        partialFilterExpression={"departmentId": {"$exists": True}, "t": "l"},
    )
