"""GET /livechat-analytics/api/v1/timeseries over HTTP: calendar buckets of a time zone, grouped
in the database on boundaries computed in Python, zero-filled, overall and per department; count
metrics add up to the scorecard's value on both backends."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from service.embedded import generate_demo_data
from tests.conftest import BACKENDS
from tests.factories import MANAGER, room, seed_auth
from tests.service.dashboard.test_scorecard_http import aggregations, seed_demo

URL = "/livechat-analytics/api/v1/timeseries"
SCORECARD = "/livechat-analytics/api/v1/scorecard"
NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)
COUNTS = ("chats", "answeredChats", "unansweredChats", "serviceTimeChats", "transferredChats")
COUNTS += ("abandonedChats", "totalServiceTimeSeconds")


async def series(client: TestClient, **params: Any) -> Any:
    response = await client.get(URL, params=params, headers=MANAGER)
    assert response.status == 200, await response.text()
    return await response.json()


@pytest.fixture(scope="module")
def demo() -> dict[str, list[Any]]:
    return generate_demo_data(NOW, rooms=900)


@pytest.mark.parametrize("backend", BACKENDS, indirect=True)
async def test_count_metrics_add_up_to_the_scorecard_per_department_and_overall(
    db: Any, demo: dict[str, list[Any]], client: TestClient
) -> None:
    await seed_demo(db, demo)
    window = {"start": "2026-10-20", "end": "2026-11-19", "timezone": "America/Sao_Paulo"}
    card = await (await client.get(SCORECARD, params=window, headers=MANAGER)).json()
    for metric in COUNTS[:-1]:
        body = await series(client, **window, metric=metric, interval="week", split="department")
        assert sum(body["values"]) == card["total"][metric], metric
        rows = {row["_id"]: row[metric] for row in card["departments"] if row[metric]}
        split = {
            row["_id"]: sum(row["values"]) for row in body["departments"] if any(row["values"])
        }
        assert split == rows, metric
    # An average's bucket is the scorecard's value over the chats created in that bucket.
    for day in ("2026-10-27", "2026-11-03"):
        one_day = {**window, "start": day, "end": day}
        card = await (await client.get(SCORECARD, params=one_day, headers=MANAGER)).json()
        body = await series(client, **window, metric="averageWaitingTimeSeconds")
        index = [bucket["label"] for bucket in body["buckets"]].index(day)
        assert body["values"][index] == card["total"]["averageWaitingTimeSeconds"]


@pytest.mark.parametrize("backend", BACKENDS, indirect=True)
async def test_a_repeated_local_hour_is_two_buckets_grouped_in_the_database(
    db: Any, client: TestClient
) -> None:
    # Europe/Berlin, 25 October 2026: 02:00-03:00 happens twice (CEST, then CET).
    at = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 CEST
    await db.rocketchat_room.insert_many(
        [
            room("a", at, department="d1"),
            room("b", at + timedelta(hours=1), department="d1"),  # 02:30 CET
            room("c", at + timedelta(hours=1), department="d2"),
            room("d", datetime(2026, 10, 25, 22, 59, 59, 999000, tzinfo=UTC)),  # last ms of day
        ]
    )
    await seed_auth(db)
    query = {"start": "2026-10-25", "end": "2026-10-25", "timezone": "Europe/Berlin"}
    body = await series(client, **query, interval="hour", split="department")
    labels = [bucket["label"] for bucket in body["buckets"]]
    assert len(labels) == 25
    assert labels[:5] == [
        "2026-10-25T00:00+02:00",
        "2026-10-25T01:00+02:00",
        "2026-10-25T02:00+02:00",
        "2026-10-25T02:00+01:00",
        "2026-10-25T03:00+01:00",
    ]
    assert body["buckets"][3] == {
        "label": "2026-10-25T02:00+01:00",
        "start": "2026-10-25T01:00:00.000Z",
        "end": "2026-10-25T01:59:59.999Z",
    }
    assert body["values"] == [0, 0, 1, 2] + [0] * 20 + [1]
    # By the whole window's value, then `_id` with null first.
    assert body["departments"] == [
        {"_id": "d1", "name": None, "values": [0, 0, 1, 1] + [0] * 21},
        {"_id": None, "name": None, "values": [0] * 24 + [1]},
        {"_id": "d2", "name": None, "values": [0, 0, 0, 1] + [0] * 21},
    ]


async def test_closed_chat_metrics_count_chats_created_in_the_bucket_closed_by_the_window_end(
    db: Any, client: TestClient
) -> None:
    created = datetime(2026, 11, 2, 23, 30, tzinfo=UTC)
    late = {"closedAt": created + timedelta(hours=1), "metrics": {"chatDuration": 3600}}
    never = {"closedAt": datetime(2026, 11, 9, tzinfo=UTC), "metrics": {"chatDuration": 60}}
    await db.rocketchat_room.insert_many(
        [{**room("crosses", created), **late}, {**room("after", created), **never}]
    )
    await seed_auth(db)
    body = await series(
        client, start="2026-11-02", end="2026-11-03", metric="averageChatDurationSeconds"
    )
    # Closed after midnight, still counted in its creation day; closed after the window: not.
    assert body["values"] == [3600, 0]


@pytest.mark.parametrize("backend", BACKENDS, indirect=True)
async def test_a_window_within_one_bucket_is_one_clipped_bucket(
    db: Any, client: TestClient
) -> None:
    inside = datetime(2026, 11, 3, 10, 17, tzinfo=UTC)
    await db.rocketchat_room.insert_many(
        [
            room("in", inside),
            room("before", inside - timedelta(minutes=3)),
            room("after", inside + timedelta(minutes=4)),
        ]
    )
    await seed_auth(db)
    body = await series(
        client,
        start="2026-11-03T10:15:00Z",
        end="2026-11-03T10:20:00.5+00:00",
        interval="month",
        timezone="Asia/Kolkata",
    )
    assert body == {
        "metric": "chats",
        "interval": "month",
        "window": {
            "start": "2026-11-03T10:15:00.000Z",
            "end": "2026-11-03T10:20:00.500Z",
            "timezone": "Asia/Kolkata",
        },
        "buckets": [
            {
                "label": "2026-11",
                "start": "2026-11-03T10:15:00.000Z",
                "end": "2026-11-03T10:20:00.500Z",
            }
        ],
        "values": [1],
        "success": True,
    }


async def test_weeks_are_iso_weeks_from_monday(db: Any, client: TestClient) -> None:
    await seed_auth(db)
    body = await series(client, start="2026-12-30", end="2027-01-12", interval="week")
    assert [(b["label"], b["start"]) for b in body["buckets"]] == [
        ("2026-W53", "2026-12-30T00:00:00.000Z"),
        ("2027-W01", "2027-01-04T00:00:00.000Z"),
        ("2027-W02", "2027-01-11T00:00:00.000Z"),
    ]


async def test_split_rows_follow_the_scorecards_rule_ordered_by_the_whole_window(
    db: Any, client: TestClient
) -> None:
    day = datetime(2026, 11, 2, 12, tzinfo=UTC)
    await db.rocketchat_livechat_department.insert_many(
        [
            {"_id": "quiet", "name": "Quiet", "enabled": True},
            {"_id": "off", "name": "Off", "enabled": False},
            {"_id": "unit", "name": "Unit", "type": "u"},
        ]
    )
    await db.rocketchat_room.insert_many(
        [
            room("1", day, department="busy"),
            room("2", day + timedelta(days=1), department="busy"),
            room("3", day + timedelta(days=1), department="other"),
        ]
    )
    await seed_auth(db)
    body = await series(client, start="2026-11-02", end="2026-11-04", split="department")
    assert body["values"] == [1, 2, 0]
    assert body["departments"] == [
        {"_id": "busy", "name": None, "values": [1, 1, 0]},
        {"_id": "other", "name": None, "values": [0, 1, 0]},
        {"_id": "quiet", "name": "Quiet", "values": [0, 0, 0]},
    ]


async def test_a_series_is_one_aggregation_whatever_the_buckets(
    db: Any, client: TestClient
) -> None:
    await seed_auth(db)
    before = aggregations(client)
    await series(client, start="2026-01-01", end="2026-02-10", interval="hour", split="department")
    await series(client, start="2026-01-01", end="2026-12-31", metric="transferredChats")
    assert aggregations(client) - before == 2
