"""GET /livechat-analytics/api/v1/scorecard over HTTP: the numbers are the drop-in reports'
for the same bounds (on both backends), the row rule, totals, the previous window, the cost in
aggregations, and the caching and security headers."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from service.embedded import generate_demo_data
from service.keys import metrics_key
from tests.conftest import BACKENDS, MakeClient
from tests.dashboard_oracle import METRICS
from tests.factories import MANAGER, room, seed_auth

URL = "/livechat-analytics/api/v1/scorecard"
DROP_IN = "/api/v1/livechat/analytics/departments"
NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)
START_AT, END_AT = NOW - timedelta(days=30), NOW - timedelta(days=2, milliseconds=1)
WINDOW = {
    "start": START_AT.isoformat().replace("+00:00", "Z"),
    "end": END_AT.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
}
# (drop-in report, its query, its row field) for each metric but `chats` (EXTENSIONS.md).
DROP_IN_OF = {
    "answeredChats": ("amount-of-chats", {"answered": "true"}, "rooms"),
    "unansweredChats": ("amount-of-chats", {}, "rooms"),
    "averageChatDurationSeconds": (
        "average-chat-duration-time",
        {},
        "averageChatDurationTimeInSeconds",
    ),
    "averageServiceTimeSeconds": ("average-service-time", {}, "averageServiceTimeInSeconds"),
    "averageWaitingTimeSeconds": ("average-waiting-time", {}, "averageWaitingTimeInSeconds"),
    "serviceTimeChats": ("total-service-time", {}, "chats"),
    "totalServiceTimeSeconds": ("total-service-time", {}, "serviceTimeDuration"),
    "transferredChats": ("total-transferred-chats", {}, "numberOfTransferredRooms"),
    "abandonedChats": ("total-abandoned-chats", {}, "abandonedRooms"),
    "abandonedPercentage": ("percentage-abandoned-chats", {}, "percentageOfAbandonedChats"),
}


@pytest.fixture(scope="module")
def demo() -> dict[str, list[Any]]:
    return generate_demo_data(NOW, rooms=900)


async def seed_demo(db: Any, demo: dict[str, list[Any]]) -> None:
    for name in ("rocketchat_room", "rocketchat_message", "rocketchat_livechat_department"):
        await db[name].insert_many([dict(d) for d in demo[name]])
    await seed_auth(db)


async def scorecard(client: TestClient, **params: Any) -> Any:
    response = await client.get(URL, params={**WINDOW, **params}, headers=MANAGER)
    assert response.status == 200, await response.text()
    return await response.json()


async def drop_in(client: TestClient, report: str, **params: Any) -> dict[Any, dict[str, int]]:
    query = {**WINDOW, "count": "0", **params}
    response = await client.get(f"{DROP_IN}/{report}", params=query, headers=MANAGER)
    assert response.status == 200
    return {row["_id"]: row for row in (await response.json())["departments"]}


def aggregations(client: TestClient) -> float:
    registry = client.app[metrics_key].registry
    return sum(
        registry.get_sample_value(
            "livechat_analytics_mongodb_aggregation_duration_seconds_count",
            {"collection": collection},
        )
        or 0
        for collection in ("rocketchat_room", "rocketchat_message")
    )


@pytest.mark.parametrize("backend", BACKENDS, indirect=True)
async def test_every_number_is_the_drop_in_reports_number_for_the_same_bounds(
    db: Any, demo: dict[str, list[Any]], client: TestClient
) -> None:
    await seed_demo(db, demo)
    body = await scorecard(client)
    rows = {row["_id"]: row for row in body["departments"]}
    expected: dict[str, dict[Any, int]] = {}
    for metric, (report, query, field) in DROP_IN_OF.items():
        expected[metric] = {
            k: r[field] for k, r in (await drop_in(client, report, **query)).items()
        }
    answered, unanswered = expected["answeredChats"], expected["unansweredChats"]
    expected["chats"] = {
        key: answered.get(key, 0) + unanswered.get(key, 0) for key in {*answered, *unanswered}
    }
    for metric in METRICS:
        # A department missing from the report's rows has 0.
        assert {k: row[metric] for k, row in rows.items() if row[metric]} == {
            k: v for k, v in expected[metric].items() if v
        }, metric
    # Counts add up to the total; every non-zero drop-in row is a scorecard row.
    for metric in ("chats", "answeredChats", "serviceTimeChats", "transferredChats"):
        assert body["total"][metric] == sum(expected[metric].values())
    assert {k for values in expected.values() for k, v in values.items() if v} <= set(rows)


@pytest.mark.parametrize("backend", BACKENDS, indirect=True)
async def test_a_departments_total_is_that_departments_row_computed_over_its_own_rooms(
    db: Any, demo: dict[str, list[Any]], client: TestClient
) -> None:
    await seed_demo(db, demo)
    everyone = await scorecard(client)
    busiest = everyone["departments"][0]
    alone = await scorecard(client, departmentId=busiest["_id"])
    assert alone["departments"] == [busiest]
    assert alone["total"] == {metric: busiest[metric] for metric in METRICS}
    # The whole total is a mean over all rooms, not a mean of the departments' means.
    rooms = {row["_id"]: row["answeredChats"] for row in everyone["departments"]}
    waits = {row["_id"]: row["averageWaitingTimeSeconds"] for row in everyone["departments"]}
    assert everyone["total"]["averageWaitingTimeSeconds"] <= max(waits.values())
    assert everyone["total"]["answeredChats"] == sum(rooms.values())


@pytest.mark.parametrize("backend", BACKENDS, indirect=True)
async def test_a_request_is_one_aggregation_per_collection_and_window(
    db: Any, demo: dict[str, list[Any]], client: TestClient
) -> None:
    await seed_demo(db, demo)
    ids = [str(n) for n in range(100)]

    async def count(**params: Any) -> float:
        before = aggregations(client)
        await scorecard(client, **params)
        return aggregations(client) - before

    assert await count() == 2  # rooms and transfer messages
    assert await count(compare="previous") == 4
    assert await count(metrics="chats,abandonedChats") == 1  # no transfers asked for
    assert await count(compare="previous", departmentId=ids) == 4


async def _row_rule_workspace(db: Any) -> None:
    at = START_AT + timedelta(days=1)
    await db.rocketchat_livechat_department.insert_many(
        [
            {"_id": "active", "name": "Active", "enabled": True},
            {"_id": "idle", "name": "Idle", "enabled": True},
            {"_id": "no-flag", "name": "No flag"},  # `enabled` missing: not disabled
            {"_id": "off-quiet", "name": "Off, quiet", "enabled": False},
            {"_id": "off-busy", "name": "Off, busy", "enabled": False},
            {"_id": "unit", "name": "A business unit", "type": "u", "enabled": True},
        ]
    )
    await db.rocketchat_room.insert_many(
        [
            room("r1", at, department="active"),
            room("r2", at, department="active"),
            room("r3", at, department="off-busy"),
            room("r4", at, department="gone"),  # a deleted department
            room("r5", at),  # no department
            room("r6", at, department="unit"),
            room("r7", START_AT - timedelta(days=1), department="off-quiet"),  # before the window
        ]
    )
    await seed_auth(db)


async def test_rows_are_enabled_departments_and_every_id_with_a_value(
    db: Any, client: TestClient
) -> None:
    await _row_rule_workspace(db)
    body = await scorecard(client, metrics="chats,transferredChats")
    assert body == {
        "window": {
            "start": WINDOW["start"].replace("Z", ".000Z"),
            "end": WINDOW["end"],
            "timezone": "UTC",
        },
        "metrics": ["chats", "transferredChats"],
        "departments": [
            {"_id": "active", "name": "Active", "chats": 2, "transferredChats": 0},
            {"_id": None, "name": None, "chats": 1, "transferredChats": 0},
            {"_id": "gone", "name": None, "chats": 1, "transferredChats": 0},
            {"_id": "off-busy", "name": "Off, busy", "chats": 1, "transferredChats": 0},
            {"_id": "unit", "name": None, "chats": 1, "transferredChats": 0},
            {"_id": "idle", "name": "Idle", "chats": 0, "transferredChats": 0},
            {"_id": "no-flag", "name": "No flag", "chats": 0, "transferredChats": 0},
        ],
        "total": {"chats": 6, "transferredChats": 0},
        "success": True,
    }


async def test_named_departments_are_exactly_the_rows_with_their_real_values(
    db: Any, client: TestClient
) -> None:
    await _row_rule_workspace(db)
    body = await scorecard(
        client,
        metrics="chats",
        departmentId=["off-quiet", "active", "gone", "active", "unit"],
    )
    assert body["departments"] == [
        {"_id": "active", "name": "Active", "chats": 2},
        {"_id": "gone", "name": None, "chats": 1},
        {"_id": "unit", "name": None, "chats": 1},
        {"_id": "off-quiet", "name": "Off, quiet", "chats": 0},
    ]
    assert body["total"] == {"chats": 4}


async def test_previous_window_of_dates_is_as_many_local_days_before(
    db: Any, client: TestClient
) -> None:
    await _row_rule_workspace(db)
    query = {"start": "2026-11-01", "end": "2026-11-30", "timezone": "Europe/Berlin"}
    response = await client.get(
        URL, params={**query, "compare": "previous", "metrics": "chats"}, headers=MANAGER
    )
    body = await response.json()
    assert body["window"] == {
        "start": "2026-10-31T23:00:00.000Z",
        "end": "2026-11-30T22:59:59.999Z",
        "timezone": "Europe/Berlin",
    }
    # 30 local days before 1 November: 2 to 31 October, which has a 25-hour day in Berlin.
    assert body["previousWindow"] == {
        "start": "2026-10-01T22:00:00.000Z",
        "end": "2026-10-31T22:59:59.999Z",
        "timezone": "Europe/Berlin",
    }
    rows = {row["_id"]: row for row in body["departments"]}
    # r1..r6 are on 26 October; r7 on 24 October: all in the previous window.
    assert rows["active"] == {
        "_id": "active",
        "name": "Active",
        "chats": 0,
        "previous": {"chats": 2},
    }
    assert rows["off-quiet"]["previous"] == {"chats": 1}
    assert body["total"] == {"chats": 0, "previous": {"chats": 7}}


async def test_previous_window_of_instants_is_the_same_duration_before(
    db: Any, client: TestClient
) -> None:
    await seed_auth(db)
    query = {
        "start": "2026-11-10T12:00:00Z",
        "end": "2026-11-10T13:30:00.250+01:00",
        "compare": "previous",
        "timezone": "America/Sao_Paulo",
    }
    body = await (await client.get(URL, params=query, headers=MANAGER)).json()
    assert body["window"]["start"] == "2026-11-10T12:00:00.000Z"
    assert body["window"]["end"] == "2026-11-10T12:30:00.250Z"
    assert body["previousWindow"] == {
        "start": "2026-11-10T11:29:59.749Z",
        "end": "2026-11-10T11:59:59.999Z",
        "timezone": "America/Sao_Paulo",
    }


async def test_order_is_the_first_metric_descending_then_id_with_null_first(
    db: Any, client: TestClient
) -> None:
    at = START_AT + timedelta(hours=5)
    await db.rocketchat_room.insert_many(
        [
            room("a", at, department="b", waiting=True),
            room("b", at, department="a", waiting=True),
            room("c", at, waiting=True),
            room("d", at, department="c"),
            room("e", at, department="c"),
        ]
    )
    await seed_auth(db)
    body = await scorecard(client, metrics="unansweredChats,chats")
    assert [(row["_id"], row["unansweredChats"]) for row in body["departments"]] == [
        (None, 1),
        ("a", 1),
        ("b", 1),
        ("c", 0),
    ]


async def test_answers_carry_caching_and_security_headers_and_304(
    db: Any, client: TestClient
) -> None:
    await seed_auth(db)
    response = await client.get(URL, params=WINDOW, headers=MANAGER)
    assert response.status == 200
    assert response.headers["Cache-Control"].startswith("private, max-age=")
    assert response.headers["Vary"] == "Accept, Cookie, X-User-Id, X-Auth-Token"
    assert response.headers["Cross-Origin-Resource-Policy"] == "same-origin"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Access-Control-Allow-Origin" not in response.headers
    etag = response.headers["ETag"]
    again = await client.get(URL, params=WINDOW, headers={**MANAGER, "If-None-Match": etag})
    assert again.status == 304
    assert again.headers["Vary"] == response.headers["Vary"]
    for failing in (
        await client.get(URL, params=WINDOW),
        await client.get(URL, params={"start": "x"}, headers=MANAGER),
        await client.get("/livechat-analytics/api/v1/no-such-thing", headers=MANAGER),
        await client.post(URL, headers=MANAGER),
    ):
        assert failing.status in (400, 401, 404, 405)
        assert failing.headers["Cross-Origin-Resource-Policy"] == "same-origin"
        assert failing.headers["X-Content-Type-Options"] == "nosniff"


async def test_the_drop_in_answers_carry_none_of_our_headers(db: Any, client: TestClient) -> None:
    await seed_auth(db)
    response = await client.get(f"{DROP_IN}/amount-of-chats", params=WINDOW, headers=MANAGER)
    assert response.status == 200
    assert "Cross-Origin-Resource-Policy" not in response.headers
    assert "Vary" not in response.headers


async def test_cached_answers_still_check_the_permission(db: Any, make_client: MakeClient) -> None:
    await seed_auth(db)
    client = await make_client(result_cache_ttl_seconds=60, auth_cache_ttl_seconds=0)
    assert (await client.get(URL, params=WINDOW, headers=MANAGER)).status == 200
    await db.rocketchat_permissions.update_one(
        {"_id": "view-livechat-manager"}, {"$set": {"roles": ["admin"]}}
    )
    assert (await client.get(URL, params=WINDOW, headers=MANAGER)).status == 403
