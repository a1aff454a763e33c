"""The scorecard's aggregations: how many, what they match, what they never use; and reading
their output the way every backend and real MongoDB agree on."""

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mongomock_motor import AsyncMongoMockClient

from pipelines import (
    amount_of_chats,
    average_chat_duration_time,
    average_service_time,
    average_waiting_time,
    metrics,
    percentage_abandoned_chats,
    scorecard,
    total_abandoned_chats,
    total_service_time,
    total_transferred_chats,
)
from pipelines.calendar import Window
from pipelines.params import Page, ReportParams
from pipelines.stages import read_page
from tests.factories import WINDOW_END as END
from tests.factories import WINDOW_START as START
from tests.factories import workspaces

CURRENT = Window(datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 30, tzinfo=UTC))
PREVIOUS = Window(datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 10, 31, tzinfo=UTC))
# Stages that some backend lacks or answers differently (TESTING.md), and time-zone operators.
FORBIDDEN = {
    "$dateTrunc",
    "$densify",
    "$fill",
    "$unionWith",
    "$setWindowFields",
    "$dateToString",
    "$dateToParts",
    "$dateAdd",
    "$dateDiff",
    "timezone",
    "pipeline",
    "let",
}


def params(**changes: Any) -> scorecard.ScorecardParams:
    values: dict[str, Any] = {
        "window": CURRENT,
        "previous": None,
        "timezone": "UTC",
        "metrics": metrics.NAMES,
        "department_ids": None,
        "inactivity_timeout": 3600,
        **changes,
    }
    return scorecard.ScorecardParams(**values)


def keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value).union(*(keys(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(keys(v) for v in value))
    return set()


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, [("current", "rocketchat_room"), ("current", "rocketchat_message")]),
        ({"metrics": ("abandonedChats", "chats")}, [("current", "rocketchat_room")]),
        ({"metrics": ("transferredChats",)}, [("current", "rocketchat_message")]),
        (
            {"previous": PREVIOUS, "department_ids": tuple(f"d{n}" for n in range(100))},
            [
                ("current", "rocketchat_room"),
                ("current", "rocketchat_message"),
                ("previous", "rocketchat_room"),
                ("previous", "rocketchat_message"),
            ],
        ),
    ],
)
def test_one_aggregation_per_collection_and_window(
    changes: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    queries = scorecard.build(params(**changes))
    assert [(q.window, q.collection) for q in queries] == expected


def test_every_aggregation_starts_with_a_two_sided_ts_range_and_uses_nothing_forbidden() -> None:
    for query in scorecard.build(params(previous=PREVIOUS, department_ids=("a", "b"))):
        first = query.stages[0]["$match"]
        window = CURRENT if query.window == "current" else PREVIOUS
        assert first["ts"] == {"$gte": window.start, "$lte": window.end}
        assert first["t"] == (
            "l" if query.collection == "rocketchat_room" else "livechat_transfer_history"
        )
        assert not keys(query.stages) & FORBIDDEN


def test_departments_are_filtered_on_the_room_or_the_joined_room() -> None:
    rooms, messages = scorecard.build(params(department_ids=("a", "b")))
    assert {"$match": {"departmentId": {"$in": ["a", "b"]}}} in rooms.stages
    lookup = next(i for i, s in enumerate(messages.stages) if "$lookup" in s)
    assert {"$match": {"room.departmentId": {"$in": ["a", "b"]}}} in messages.stages[lookup:]
    # Names come from one find: of the departments asked for, or of all of them.
    fields = {"name": 1, "enabled": 1, "type": 1}
    assert scorecard.departments_query(("a", "b")) == ({"_id": {"$in": ["a", "b"]}}, fields)
    assert scorecard.departments_query(None) == ({}, fields)


def test_no_stage_is_a_no_op() -> None:
    """A `$match` on nothing would cost a pass over the documents for no filtering."""
    for query in scorecard.build(params(department_ids=("a",))):
        assert {"$match": {}} not in query.stages
        for branch in query.stages[-1]["$facet"].values():
            assert {"$match": {}} not in branch


def test_nothing_returned_is_every_enabled_department_at_zero() -> None:
    names = ("chats", "averageWaitingTimeSeconds")
    departments = [
        {"_id": "b", "name": "B"},
        {"_id": "a", "name": "A", "enabled": True},
        {"_id": "off", "name": "Off", "enabled": False},
        {"_id": "unit", "name": "Unit", "type": "u"},
    ]
    # No cursor at all, empty branches (MongoDB's `$group` on empty input), and mongomock's
    # invented row of zeros (no department rows, a total of zeros).
    for result in (
        [],
        [{"created": [], "waiting": []}],
        [{"created": [{"rows": [], "chats": 0}], "waiting": [{"averageWaitingTimeSeconds": 0}]}],
    ):
        body = scorecard.read(params(metrics=names), {"current": result}, departments)
        assert body["departments"] == [
            {"_id": "a", "name": "A", "chats": 0, "averageWaitingTimeSeconds": 0},
            {"_id": "b", "name": "B", "chats": 0, "averageWaitingTimeSeconds": 0},
        ]
        assert body["total"] == {"chats": 0, "averageWaitingTimeSeconds": 0}


def test_doubles_become_integers_and_odd_ids_their_text() -> None:
    """And null (what `$ceil` gives for a null input) or a non-number becomes 0; a department
    whose stored name is not a string is shown without a name."""
    branch = {
        "rows": [
            {"_id": 7, "averageChatDurationSeconds": 12.0},
            {"_id": "n", "averageChatDurationSeconds": None},
            {"_id": "s", "averageChatDurationSeconds": "12"},
        ],
        "averageChatDurationSeconds": 12.0,
    }
    # An empty branch first (no room created): the branches after it are still read.
    result = [{"created": [], "closed": [branch]}]
    departments = [{"_id": "n", "name": 5}, {"_id": "s", "name": "Sales"}]
    card = params(metrics=("averageChatDurationSeconds",), department_ids=("7", "n", "s"))
    body = scorecard.read(card, {"current": result}, departments)
    assert body["departments"] == [
        {"_id": "7", "name": None, "averageChatDurationSeconds": 12},
        {"_id": "n", "name": None, "averageChatDurationSeconds": 0},
        {"_id": "s", "name": "Sales", "averageChatDurationSeconds": 0},
    ]
    assert isinstance(body["departments"][0]["averageChatDurationSeconds"], int)
    assert body["total"] == {"averageChatDurationSeconds": 12}
    assert isinstance(body["total"]["averageChatDurationSeconds"], int)


# ------------------------------------------------- the scorecard agrees with the drop-in reports

DROP_INS = {
    "answeredChats": (amount_of_chats, {"answered": True}, "rooms"),
    "unansweredChats": (amount_of_chats, {}, "rooms"),
    "averageChatDurationSeconds": (
        average_chat_duration_time,
        {},
        "averageChatDurationTimeInSeconds",
    ),
    "averageServiceTimeSeconds": (average_service_time, {}, "averageServiceTimeInSeconds"),
    "averageWaitingTimeSeconds": (average_waiting_time, {}, "averageWaitingTimeInSeconds"),
    "serviceTimeChats": (total_service_time, {}, "chats"),
    "totalServiceTimeSeconds": (total_service_time, {}, "serviceTimeDuration"),
    "transferredChats": (total_transferred_chats, {}, "numberOfTransferredRooms"),
    "abandonedChats": (total_abandoned_chats, {}, "abandonedRooms"),
    "abandonedPercentage": (percentage_abandoned_chats, {}, "percentageOfAbandonedChats"),
}


def _closed_after_created(room: dict[str, Any]) -> dict[str, Any]:
    # Rocket.Chat closes a room after creating it; the scorecard relies on it to bound `ts` on
    # both sides for the closed-chat metrics (EXTENSIONS.md, "Cost").
    if isinstance(room.get("closedAt"), datetime) and isinstance(room.get("ts"), datetime):
        return {**room, "closedAt": max(room["closedAt"], room["ts"])}
    return room


@settings(max_examples=30, deadline=None)
@given(workspace=workspaces(), subset=st.sampled_from([None, ("d1",), ("d2", "d3", "nowhere")]))
def test_on_random_rooms_every_value_is_the_drop_in_reports(
    workspace: tuple[list[dict[str, Any]], list[dict[str, Any]]],
    subset: tuple[str, ...] | None,
) -> None:
    rooms, messages = workspace
    rooms = [_closed_after_created(room) for room in rooms]
    window = Window(START, END)
    card = params(window=window, department_ids=subset, inactivity_timeout=3600)

    async def run() -> tuple[dict[str, Any], dict[str, dict[Any, int]]]:
        db = AsyncMongoMockClient()["rocketchat"]
        for name, documents in (("rocketchat_room", rooms), ("rocketchat_message", messages)):
            if documents:
                await db[name].insert_many([dict(d) for d in documents])
        results: dict[str, list[Any]] = {}
        for query in scorecard.build(card):
            found = await db[query.collection].aggregate(query.stages).to_list(None)
            results.setdefault(query.window, []).extend(found)
        body = scorecard.read(card, results, [])
        reports: dict[str, dict[Any, int]] = {}
        for metric, (module, extra, field) in DROP_INS.items():
            collection = "rocketchat_message" if metric == "transferredChats" else "rocketchat_room"
            for department in subset or (None,):
                report = ReportParams(START, END, Page(0, None), department_id=department, **extra)
                page, _ = read_page(
                    await db[collection].aggregate(module.build(report)).to_list(None)
                )
                for row in page:
                    reports.setdefault(metric, {})[row["_id"]] = row[field]
        return body, reports

    body, reports = asyncio.run(run())
    answered, unanswered = reports.get("answeredChats", {}), reports.get("unansweredChats", {})
    reports["chats"] = {
        key: answered.get(key, 0) + unanswered.get(key, 0) for key in {*answered, *unanswered}
    }
    rows = {row["_id"]: row for row in body["departments"]}
    for metric in metrics.NAMES:
        assert {k: row[metric] for k, row in rows.items() if row[metric]} == {
            k: v for k, v in reports.get(metric, {}).items() if v
        }, metric
    for metric in ("chats", "answeredChats", "serviceTimeChats", "transferredChats"):
        assert body["total"][metric] == sum(reports.get(metric, {}).values()), metric
