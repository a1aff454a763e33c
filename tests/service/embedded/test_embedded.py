"""The embedded backend: generated demo data, mongoexport fixtures and their errors."""

import shlex
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from bson import json_util

from service.app import create_app
from service.embedded import (
    DEMO_TOKEN,
    DEMO_USER_ID,
    FixtureError,
    embedded_client_factory,
    generate_demo_data,
    load_fixtures,
    read_export,
    with_demo_manager,
)
from service.settings import Settings

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
URL = "/api/v1/livechat/analytics/departments/amount-of-chats"
DEMO_HEADERS = {"X-User-Id": DEMO_USER_ID, "X-Auth-Token": DEMO_TOKEN}


@pytest.fixture(scope="module")
def demo() -> dict[str, list[dict[str, Any]]]:
    return generate_demo_data(NOW)


def test_demo_data_looks_like_a_busy_rocketchat_workspace(
    demo: dict[str, list[dict[str, Any]]],
) -> None:
    rooms = demo["rocketchat_room"]
    livechat = [r for r in rooms if r["t"] == "l"]
    assert len(demo["rocketchat_livechat_department"]) >= 5
    assert len(livechat) >= 5000
    assert {r["t"] for r in rooms} >= {"l", "c", "p", "d"}
    assert any("departmentId" not in r for r in livechat)
    assert any("departmentId" in r and r["departmentId"] is None for r in livechat)
    assert any(r.get("waitingResponse") is True for r in livechat)
    assert any("closedAt" in r and "chatDuration" in r["metrics"] for r in livechat)
    assert all(NOW - timedelta(days=121) <= r["ts"] <= NOW for r in rooms)
    assert any(m["t"] == "livechat_transfer_history" for m in demo["rocketchat_message"])


def test_demo_agents_include_a_rename_a_missing_username_and_a_deleted_agent(
    demo: dict[str, list[dict[str, Any]]],
) -> None:
    served = {
        (r["servedBy"]["_id"], r["servedBy"].get("username"))
        for r in demo["rocketchat_room"]
        if "servedBy" in r
    }
    users = {u["_id"]: u for u in demo["users"]}
    ids = [agent for agent, _ in served]
    assert any(ids.count(agent) == 2 for agent in ids)  # renamed: one id, two usernames
    assert any(username is None and agent in users for agent, username in served)
    assert any(agent not in users for agent, _ in served)  # deleted since
    activity = demo["rocketchat_livechat_agent_activity"]
    assert {d["agentId"] for d in activity} >= {agent for agent, _ in served}
    assert all(isinstance(d["date"], int) and d["availableTime"] >= 0 for d in activity)
    assert any("stoppedAt" not in i for d in activity for i in d["serviceHistory"])


async def test_every_agents_report_has_numbers_in_the_demo(aiohttp_client: Any, demo: Any) -> None:
    client = await _serve(aiohttp_client, demo)
    window = {"start": "2026-10-25", "end": "2026-11-24"}
    for report, extra in [
        ("average-service-time", {}),
        ("total-service-time", {}),
        ("available-for-service-history", {"fullReport": "true"}),
    ]:
        response = await client.get(
            f"/api/v1/livechat/analytics/agents/{report}",
            params={**window, **extra},
            headers=DEMO_HEADERS,
        )
        body = await response.json()
        assert response.status == 200
        assert body["total"] == len(body["agents"]) >= 6, report
        assert body["agents"][0]["username"] is None  # the agent without a username sorts first
        assert all(value for row in body["agents"] for k, value in row.items() if k != "username")


async def _serve(aiohttp_client: Any, collections: dict[str, list[dict[str, Any]]]) -> TestClient:
    app = create_app(Settings(), client_factory=embedded_client_factory(collections))
    client: TestClient = await aiohttp_client(app)
    return client


async def test_demo_manager_token_reads_the_report(aiohttp_client: Any, demo: Any) -> None:
    client = await _serve(aiohttp_client, demo)
    response = await client.get(
        URL,
        params={"start": "2026-10-01", "end": "2026-11-24", "answered": "true"},
        headers=DEMO_HEADERS,
    )
    body = await response.json()
    assert response.status == 200
    assert body["success"] is True
    assert body["total"] == len(body["departments"]) >= 5
    assert all(row["rooms"] > 0 for row in body["departments"])


async def test_the_demo_shows_our_own_apis_row_rule(aiohttp_client: Any) -> None:
    demo = generate_demo_data(NOW, rooms=600)
    client = await _serve(aiohttp_client, demo)
    response = await client.get(
        "/livechat-analytics/api/v1/scorecard",
        params={"start": "2026-08-01", "end": "2026-11-24", "metrics": "chats"},
        headers=DEMO_HEADERS,
    )
    assert response.status == 200
    rows = {row["name"]: row["chats"] for row in (await response.json())["departments"]}
    assert rows["Returns"] == 0  # enabled and idle: a zero row
    assert rows["Legacy support"] > 0  # disabled, but it has chats
    assert "EMEA" not in rows  # a business unit is not a department
    assert rows[None] > 0  # rooms without a department, and of a deleted one
    departments = demo["rocketchat_livechat_department"]
    deleted = (
        {r.get("departmentId") for r in demo["rocketchat_room"]}
        - {d["_id"] for d in departments}
        - {None}
    )
    assert len(deleted) == 1
    series = await client.get(
        "/livechat-analytics/api/v1/timeseries",
        params={"start": "2026-08-01", "end": "2026-11-24", "interval": "month"},
        headers=DEMO_HEADERS,
    )
    assert [b["label"] for b in (await series.json())["buckets"]] == [
        "2026-08",
        "2026-09",
        "2026-10",
        "2026-11",
    ]


def _write_mongoexport(directory: Path, collections: dict[str, list[dict[str, Any]]]) -> None:
    """Rooms as one document per line (mongoexport's default), the rest as --jsonArray."""
    for name, documents in collections.items():
        path = directory / f"{name}.json"
        if name == "rocketchat_room":
            lines = (
                json_util.dumps(d, json_options=json_util.RELAXED_JSON_OPTIONS) for d in documents
            )
            path.write_text("\n".join(lines) + "\n")
        else:
            path.write_text(json_util.dumps(documents, indent=2))


async def test_mongoexport_round_trip_answers_like_the_original_data(
    aiohttp_client: Any, tmp_path: Path, demo: Any
) -> None:
    _write_mongoexport(tmp_path, demo)
    assert (tmp_path / "rocketchat_livechat_agent_activity.json").is_file()
    original = await _serve(aiohttp_client, demo)
    exported = await _serve(aiohttp_client, with_demo_manager(load_fixtures(tmp_path), NOW))
    agents = "/api/v1/livechat/analytics/agents"
    for url, extra in [
        (URL, {"answered": "true"}),
        (URL, {"answered": "false"}),
        (f"{agents}/total-service-time", {}),
        (f"{agents}/available-for-service-history", {"fullReport": "true"}),
    ]:
        query = {"start": "2026-08-01", "end": "2026-11-24", "count": "0", **extra}
        before = await original.get(url, params=query, headers=DEMO_HEADERS)
        after = await exported.get(url, params=query, headers=DEMO_HEADERS)
        assert after.status == before.status == 200
        assert await after.json() == await before.json()


def test_fixture_collections_are_named_after_their_files(tmp_path: Path) -> None:
    (tmp_path / "rocketchat_room.json").write_text(
        '{"_id": "r1", "t": "l", "ts": {"$date": "2026-01-02T03:04:05.678Z"}}\n'
        '\n{"_id": "r2", "t": "c"}\n'
    )
    (tmp_path / "users.json").write_text(
        '[\n  {"_id": "u1"},\n  {"_id": {"$oid": "5f1d7f3e9d1e8a2b3c4d5e6f"}}\n]\n'
    )
    (tmp_path / "notes.txt").write_text("ignored")
    loaded = load_fixtures(tmp_path)
    assert sorted(loaded) == ["rocketchat_room", "users"]
    assert loaded["rocketchat_room"][0]["ts"] == datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    assert [str(u["_id"]) for u in loaded["users"]] == ["u1", "5f1d7f3e9d1e8a2b3c4d5e6f"]


def test_an_empty_json_array_is_an_empty_collection(tmp_path: Path) -> None:
    (tmp_path / "rocketchat_room.json").write_text('{"_id": "r1"}\n')
    (tmp_path / "users.json").write_text("[ ]\n")
    assert load_fixtures(tmp_path) == {"rocketchat_room": [{"_id": "r1"}], "users": []}


@pytest.mark.parametrize(
    ("content", "where", "reason"),
    [
        ('{"_id": 1}\n{"_id": 2\n', "rocketchat_room.json:2", "Expecting"),
        ('{"_id": 1}\n\n[1, 2]\n', "rocketchat_room.json:3", "expected a JSON object"),
        (
            '{"_id": 1}\n{"ts": {"$date": "not a date"}}\n',
            "rocketchat_room.json:2",
            "invalid Extended JSON",
        ),
        ('{"_id": 1} {"_id": 2}\n', "rocketchat_room.json:1", "unexpected content"),
        ('[\n {"_id": 1},\n {"_id": 2,}\n]\n', "rocketchat_room.json:3", "Expecting"),
        ('[\n {"_id": 1},\n "text"\n]\n', "rocketchat_room.json:3", "expected a JSON object"),
        ('[\n {"_id": 1}\n {"_id": 2}\n]\n', "rocketchat_room.json:3", "expected ',' or ']'"),
        ('[\n {"_id": 1}\n]\n]\n', "rocketchat_room.json:4", "unexpected content after the array"),
        (
            '[\n {"_id": 1},\n {"ts": {"$date": {"$numberLong": "x"}}}\n]',
            "rocketchat_room.json:3",
            "invalid Extended JSON",
        ),
    ],
)
def test_malformed_fixture_names_the_file_and_line(
    tmp_path: Path, content: str, where: str, reason: str
) -> None:
    (tmp_path / "rocketchat_room.json").write_text(content)
    with pytest.raises(FixtureError) as raised:
        load_fixtures(tmp_path)
    assert where in str(raised.value)
    assert reason in str(raised.value)


def test_non_utf8_fixture_is_rejected_with_its_line(tmp_path: Path) -> None:
    (tmp_path / "users.json").write_bytes(b'{"_id": 1}\n{"_id": "\xff"}\n')
    with pytest.raises(FixtureError, match=r"users\.json:2: not UTF-8"):
        read_export(tmp_path / "users.json")


def test_fixture_directory_must_exist_and_hold_json_files(tmp_path: Path) -> None:
    with pytest.raises(FixtureError, match="not a directory"):
        load_fixtures(tmp_path / "missing")
    with pytest.raises(FixtureError, match=r"no <collection>\.json files"):
        load_fixtures(tmp_path)


def test_fixture_directory_without_rooms_is_refused(tmp_path: Path) -> None:
    (tmp_path / "users.json").write_text('{"_id": "u1"}\n')
    with pytest.raises(FixtureError, match=r"no rocketchat_room\.json"):
        load_fixtures(tmp_path)


def test_demo_manager_is_added_to_an_export_and_granted_the_permission() -> None:
    export = {
        "users": [{"_id": "someone", "roles": ["admin"]}],
        "rocketchat_permissions": [{"_id": "view-livechat-manager", "roles": ["admin"]}],
    }
    merged = with_demo_manager(export, NOW)
    assert {u["_id"] for u in merged["users"]} >= {"someone", DEMO_USER_ID}
    (permission,) = merged["rocketchat_permissions"]
    assert permission["roles"] == ["admin", "livechat-manager"]
    assert shlex.quote(DEMO_TOKEN) == DEMO_TOKEN  # printable in a curl without quoting surprises
