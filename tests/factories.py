"""Rocket.Chat-shaped documents for tests, written from Rocket.Chat's data model (not ours)."""

import base64
import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import strategies as st

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


# ----------------------------------------------------------------------------- hypothesis
#
# Randomized Rocket.Chat-shaped workspaces for the oracle comparisons (tests/pipelines and the
# HTTP suites). They reach past what a healthy Rocket.Chat writes, because a drop-in reads old
# and hand-edited databases too: metrics that are null, integers, negative, or not numbers at
# all; rooms served without `servedBy.ts`; answers without `lastMessageTs` or with a null one;
# non-ASCII department ids; bounds hit to the millisecond.

WINDOW_START = datetime(2026, 9, 1, tzinfo=UTC)
WINDOW_END = datetime(2026, 9, 30, 23, 59, 59, 999000, tzinfo=UTC)
MIDDLE = datetime(2026, 9, 15, 12, tzinfo=UTC)
MS = timedelta(milliseconds=1)
# Sorted by code point, which is also UTF-8 byte order (MongoDB's string order, no collation).
DEPARTMENT_IDS = ["d1", "d2", "d3", "dé", "部門", "Ωmega"]
# A string where Rocket.Chat stores a number: `$sum` skips it; comparisons follow BSON order.
NOT_NUMBERS = ["120", "abc", ""]


def moments() -> st.SearchStrategy[datetime]:
    """Instants on, just inside and just outside the default window, and anywhere around it."""
    edges = [WINDOW_START, WINDOW_END, WINDOW_START - MS, WINDOW_END + MS, MIDDLE, MIDDLE + MS]
    return st.one_of(
        st.sampled_from(edges),
        st.integers(-2 * 86400_000, 32 * 86400_000).map(
            lambda ms: WINDOW_START + timedelta(milliseconds=ms)
        ),
    )


def windows() -> st.SearchStrategy[tuple[datetime, datetime]]:
    """(start, end): the usual month, reversed ones (no rows, as in Rocket.Chat), single
    instants (both bounds inclusive) and arbitrary pairs."""
    return st.one_of(
        st.sampled_from(
            [
                (WINDOW_START, WINDOW_END),
                (WINDOW_END, WINDOW_START),
                (MIDDLE, MIDDLE),
                (WINDOW_START, WINDOW_START),
                (WINDOW_END, WINDOW_END),
                (MIDDLE + MS, MIDDLE),
            ]
        ),
        st.tuples(moments(), moments()),
    )


def metric_values(*, not_numbers: bool = True) -> st.SearchStrategy[Any]:
    """A stored metric: eighths of a second (binary floating point adds them exactly, so a
    backend's plain sum and MongoDB's compensated sum agree, and ceil/floor see the same
    value), integers, negatives, the abandonment boundary, null, and strings."""
    values = [
        st.integers(-8000, 80_000).map(lambda eighths: eighths / 8),
        st.integers(-100_000, 100_000),
        st.sampled_from([3600.0, 3600, 3599.875, 0.0, 0, -0.5, 600.5]),
        st.none(),
    ]
    if not_numbers:
        values.append(st.sampled_from(NOT_NUMBERS))
    return st.one_of(*values)


_present = st.sampled_from([True, True, False])


@st.composite
def livechat_rooms(draw: st.DrawFn, number: int, not_numbers: bool = True) -> dict[str, Any]:
    """One room of `rocketchat_room`; `...`-style absence is a missing field."""
    ts = draw(moments())
    document: dict[str, Any] = {
        "_id": f"r{number}",
        "t": draw(st.sampled_from(["l"] * 5 + ["c", "d"])),
        "ts": ts,
    }
    department = draw(st.sampled_from([..., None, *DEPARTMENT_IDS]))
    if department is not ...:
        document["departmentId"] = department
    waiting = draw(st.sampled_from([..., None, True, False]))
    if waiting is not ...:
        document["waitingResponse"] = waiting
    if draw(_present):
        document["closedAt"] = draw(st.one_of(moments(), st.none()))
    metrics: dict[str, Any] = {}
    for name in ("chatDuration", "serviceTimeDuration", "visitorInactivity"):
        if draw(_present):
            metrics[name] = draw(metric_values(not_numbers=not_numbers))
    if draw(_present):
        metrics["response"] = (
            {"ft": draw(metric_values(not_numbers=not_numbers))} if draw(_present) else {}
        )
    document["metrics"] = metrics
    if draw(_present):
        served: dict[str, Any] = {"_id": "agent", "username": "agent"}
        if draw(_present):  # rooms without servedBy.ts exist in old databases
            served["ts"] = draw(
                st.one_of(
                    st.integers(-40, 4000).map(lambda n: ts + timedelta(milliseconds=125 * n)),
                    st.none(),
                )
            )
        document["servedBy"] = served
    if draw(_present):
        response: dict[str, Any] = {"_id": "agent"}
        if draw(_present):
            response["lastMessageTs"] = draw(
                st.one_of(
                    st.integers(-40, 80_000).map(lambda n: ts + timedelta(milliseconds=125 * n)),
                    st.none(),
                )
            )
        document["responseBy"] = response
    return document


@st.composite
def workspaces(
    draw: st.DrawFn, max_rooms: int = 40, not_numbers: bool = True
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(rooms, transfer-history and other messages): some messages name a deleted room."""
    rooms = [
        draw(livechat_rooms(n, not_numbers=not_numbers))
        for n in range(draw(st.integers(0, max_rooms)))
    ]
    room_ids = [r["_id"] for r in rooms] + ["deleted-room"]
    messages = [
        {
            "_id": f"m{n}",
            "t": draw(
                st.sampled_from(["livechat_transfer_history"] * 3 + ["uj", "livechat-close"])
            ),
            "rid": draw(st.sampled_from(room_ids)),
            "ts": draw(moments()),
        }
        for n in range(draw(st.integers(0, max_rooms * 5 // 8)))
    ]
    return rooms, messages


def edge_workspace() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A fixed workspace of the shapes the mutation audit's survivors needed, tried before the
    random ones (`@example`): a null, a negative and a string `serviceTimeDuration` (which
    `$exists` matches and `$gte: 0` would not), a null `lastMessageTs` (which `$exists` matches
    and `$ne: null` would not), a room served without `servedBy.ts`, a string
    `visitorInactivity`, non-ASCII departments and a transfer of a deleted room."""
    t = MIDDLE
    hour, second = timedelta(hours=1), timedelta(seconds=1)
    rooms = [
        {
            "_id": "e1",
            "t": "l",
            "ts": t,
            "departmentId": "dé",
            "closedAt": t + hour,
            "metrics": {
                "serviceTimeDuration": None,
                "chatDuration": -30,
                "visitorInactivity": "abc",
                "response": {"ft": "12"},
            },
            "servedBy": {"_id": "agent", "ts": t},
            "responseBy": {"_id": "agent", "lastMessageTs": None},
        },
        {
            "_id": "e2",
            "t": "l",
            "ts": t,
            "departmentId": "dé",
            "closedAt": t + 2 * hour,
            "metrics": {
                "serviceTimeDuration": -12,
                "chatDuration": 7,
                "visitorInactivity": 4000,
                "response": {"ft": None},
            },
            "servedBy": {"_id": "agent", "ts": t},
            "responseBy": {"_id": "agent", "lastMessageTs": t + 10 * second},
        },
        {
            "_id": "e3",
            "t": "l",
            "ts": t,
            "departmentId": "部門",
            "closedAt": t + hour,
            "waitingResponse": True,
            "metrics": {"serviceTimeDuration": "90", "visitorInactivity": 3600},
            "servedBy": {"_id": "agent", "ts": t},
            "responseBy": {"_id": "agent", "lastMessageTs": t + 100 * second},
        },
        {
            "_id": "e4",
            "t": "l",
            "ts": t,
            "departmentId": "部門",
            "closedAt": t + hour,
            "metrics": {"serviceTimeDuration": 30.5, "response": {"ft": 41}},
            "servedBy": {"_id": "agent"},
            "responseBy": {"_id": "agent", "lastMessageTs": t + 50 * second},
        },
    ]
    messages = [
        {"_id": "em1", "t": "livechat_transfer_history", "rid": "e1", "ts": t},
        {"_id": "em2", "t": "livechat_transfer_history", "rid": "deleted-room", "ts": t},
    ]
    return rooms, messages
