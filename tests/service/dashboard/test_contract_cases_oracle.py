"""Cases the contract names, made certain rather than left to random draws: every branch of the
scorecard's rows rule in one workspace, the inactivity timeout setting, the contract's own
window and label examples; each answer compared with the oracle, on both tiers."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests import dashboard_oracle as expected
from tests.conftest import BACKENDS
from tests.factories import seed_auth, setting
from tests.service.dashboard.workspaces import get_json, seed

pytestmark = pytest.mark.parametrize("backend", BACKENDS, indirect=True)

NOVEMBER = [("start", "2026-11-01"), ("end", "2026-11-30"), ("timezone", "Europe/Berlin")]
MS = timedelta(milliseconds=1)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def chat(number: int, ts: str, department: Any = ..., **fields: Any) -> dict[str, Any]:
    document: dict[str, Any] = {"_id": f"c{number}", "t": "l", "ts": at(ts), **fields}
    if department is not ...:
        document["departmentId"] = department
    return document


DEPARTMENTS = [
    {"_id": "idle", "name": "Idle but enabled", "enabled": True},
    {"_id": "implicit", "name": "No enabled field"},
    {"_id": "busy", "name": "Busy"},
    {"_id": "off-busy", "name": "Disabled with chats", "enabled": False},
    {"_id": "off-idle", "name": "Disabled without chats", "enabled": False},
    {"_id": "off-waiting", "name": "Disabled, chats only unanswered", "enabled": False},
    {"_id": "unit", "name": "A business unit", "type": "u", "enabled": True},
    {"_id": "off-last-month", "name": "Disabled, chats only in October", "enabled": False},
]
ROOMS = [
    chat(1, "2026-11-01T00:00:00+01:00", "busy", closedAt=at("2026-11-01T00:30:00+01:00")),
    chat(2, "2026-11-30T23:59:59.999+01:00", "busy", waitingResponse=True),
    chat(3, "2026-12-01T00:00:00+01:00", "busy"),  # just after the window
    chat(4, "2026-10-31T23:59:59.999+01:00", "busy"),  # just before: the previous window
    chat(5, "2026-11-15T12:00:00+01:00", "off-busy", metrics={"visitorInactivity": 300}),
    chat(6, "2026-11-15T12:00:00+01:00", "off-waiting", waitingResponse=True),
    chat(7, "2026-11-16T12:00:00+01:00", "deleted", metrics={"visitorInactivity": 299.875}),
    chat(8, "2026-11-17T12:00:00+01:00", None, closedAt=at("2026-11-17T12:10:00+01:00")),
    chat(9, "2026-11-18T12:00:00+01:00", metrics={"response": {"ft": 12.5}}),
    chat(10, "2026-10-10T12:00:00+02:00", "off-last-month"),
    {"_id": "c11", "t": "c", "ts": at("2026-11-18T12:00:00+01:00"), "departmentId": "busy"},
]
MESSAGES = [
    {"_id": "m1", "t": "livechat_transfer_history", "rid": "c1", "ts": at("2026-11-02T10:00Z")},
    {"_id": "m2", "t": "livechat_transfer_history", "rid": "gone", "ts": at("2026-11-02T10:00Z")},
]


@pytest.fixture
async def workspace(db: Any) -> expected.Workspace:
    await seed_auth(db)
    await db.rocketchat_settings.insert_one(setting("Livechat_visitor_inactivity_timeout", 300))
    chosen = expected.Workspace(ROOMS, MESSAGES, DEPARTMENTS, timeout=300)
    await seed(db, chosen)
    return chosen


@pytest.mark.parametrize(
    "extra",
    [
        [],
        [("compare", "previous")],
        [("metrics", "answeredChats,abandonedChats")],
        [("metrics", "unansweredChats"), ("compare", "previous")],
        [("metrics", "abandonedPercentage,chats"), ("departmentId", "off-idle")],
        [("departmentId", "unknown"), ("departmentId", "busy"), ("departmentId", "busy")],
    ],
)
async def test_every_branch_of_the_rows_rule(
    client: TestClient, workspace: expected.Workspace, extra: list[tuple[str, str]]
) -> None:
    window = expected.resolve("2026-11-01", "2026-11-30", "Europe/Berlin")
    metrics = dict(extra).get("metrics")
    named = [value for key, value in extra if key == "departmentId"]
    want = expected.scorecard(
        workspace,
        window,
        metrics.split(",") if metrics else None,
        compare=("compare", "previous") in extra,
        department_ids=list(dict.fromkeys(named)) or None,
    )
    assert await get_json(client, "scorecard", NOVEMBER + extra) == (200, want)


async def test_the_contracts_window_examples(client: TestClient, db: Any) -> None:
    await seed_auth(db)
    status, body = await get_json(client, "scorecard", [*NOVEMBER, ("compare", "previous")])
    assert status == 200
    # EXTENSIONS.md: "all of November in Berlin".
    assert body["window"] == {
        "start": "2026-10-31T23:00:00.000Z",
        "end": "2026-11-30T22:59:59.999Z",
        "timezone": "Europe/Berlin",
    }
    # The same number of local days right before: October 2 to 31, which has a 25-hour day.
    assert body["previousWindow"] == {
        "start": "2026-10-01T22:00:00.000Z",
        "end": "2026-10-31T22:59:59.999Z",
        "timezone": "Europe/Berlin",
    }
    instants = [("start", "2026-11-01T00:00:00+01:00"), ("end", "2026-11-30T23:59:59.999+01:00")]
    status, body = await get_json(client, "scorecard", [*instants, ("compare", "previous")])
    assert status == 200
    # Date-times: the same duration right before, 2*start - end - 1 ms to start - 1 ms.
    assert body["previousWindow"] == {
        "start": "2026-10-01T23:00:00.000Z",
        "end": "2026-10-31T22:59:59.999Z",
        "timezone": "UTC",
    }


async def test_the_contracts_hour_labels(client: TestClient, workspace: expected.Workspace) -> None:
    params = [
        ("start", "2026-10-25"),
        ("end", "2026-10-25"),
        ("timezone", "Europe/Berlin"),
        ("interval", "hour"),
        ("split", "department"),
    ]
    status, body = await get_json(client, "timeseries", params)
    assert status == 200
    labels = [bucket["label"] for bucket in body["buckets"]]
    assert "2026-10-25T02:00+02:00" in labels
    assert "2026-10-25T02:00+01:00" in labels
    window = expected.resolve("2026-10-25", "2026-10-25", "Europe/Berlin")
    assert body == expected.timeseries(workspace, window, "chats", "hour", split=True)
