"""The scorecard's aggregations: how many, what they match, what they never use; and reading
their output the way every backend and real MongoDB agree on."""

from datetime import UTC, datetime
from typing import Any

import pytest

from pipelines import metrics, scorecard
from pipelines.calendar import Window

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


def test_nothing_returned_is_every_enabled_department_at_zero() -> None:
    names = ("chats", "averageWaitingTimeSeconds")
    departments = [
        {"_id": "b", "name": "B"},
        {"_id": "a", "name": "A", "enabled": True},
        {"_id": "off", "name": "Off", "enabled": False},
        {"_id": "unit", "name": "Unit", "type": "u"},
    ]
    # No cursor at all, `total: []` (MongoDB on empty input), and mongomock's invented row.
    for result in (
        [],
        [{"created": [], "createdTotal": [], "waiting": [], "waitingTotal": []}],
        [{"created": [{"_id": None, "chats": 0}], "createdTotal": [{"_id": None, "chats": 0}]}],
    ):
        body = scorecard.read(params(metrics=names), {"current": result}, departments)
        assert body["departments"] == [
            {"_id": "a", "name": "A", "chats": 0, "averageWaitingTimeSeconds": 0},
            {"_id": "b", "name": "B", "chats": 0, "averageWaitingTimeSeconds": 0},
        ]
        assert body["total"] == {"chats": 0, "averageWaitingTimeSeconds": 0}


def test_doubles_become_integers_and_odd_ids_their_text() -> None:
    result = [{"closed": [{"_id": 7, "averageChatDurationSeconds": 12.0}]}]
    body = scorecard.read(params(metrics=("averageChatDurationSeconds",)), {"current": result}, [])
    assert body["departments"] == [{"_id": "7", "name": None, "averageChatDurationSeconds": 12}]
    assert isinstance(body["departments"][0]["averageChatDurationSeconds"], int)
