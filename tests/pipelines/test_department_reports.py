"""The seven sibling reports: each real pipeline on randomized Rocket.Chat-shaped rooms and
transfer messages, against the plain-Python oracle written from the contract."""

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mongomock_motor import AsyncMongoMockClient

from pipelines import (
    average_chat_duration_time,
    average_service_time,
    average_waiting_time,
    percentage_abandoned_chats,
    total_abandoned_chats,
    total_service_time,
    total_transferred_chats,
)
from pipelines.params import Page, ReportParams
from pipelines.stages import read_page
from tests import oracle

START = datetime(2026, 9, 1, tzinfo=UTC)
END = datetime(2026, 9, 30, 23, 59, 59, 999000, tzinfo=UTC)
MS = timedelta(milliseconds=1)
DEPARTMENTS = [..., None, "d1", "d2", "d3"]

_moment = st.one_of(
    st.sampled_from([START, END, START - MS, END + MS]),
    st.integers(-2 * 86400_000, 32 * 86400_000).map(lambda ms: START + timedelta(milliseconds=ms)),
)
# Eighths of a second: binary floating point adds these exactly, so the backend's plain sum and
# MongoDB's compensated sum (the oracle's fsum) agree and ceil/floor see the same value.
_seconds = st.integers(0, 80_000).map(lambda eighths: eighths / 8)
_optional = st.sampled_from([True, True, False])


@st.composite
def _room(draw: st.DrawFn, number: int) -> dict[str, Any]:
    ts = draw(_moment)
    document: dict[str, Any] = {
        "_id": f"r{number}",
        "t": draw(st.sampled_from(["l"] * 5 + ["c", "d"])),
        "ts": ts,
    }
    department = draw(st.sampled_from(DEPARTMENTS))
    if department is not ...:
        document["departmentId"] = department
    waiting = draw(st.sampled_from([..., None, True, False]))
    if waiting is not ...:
        document["waitingResponse"] = waiting
    if draw(_optional):
        document["closedAt"] = draw(_moment)
    metrics: dict[str, Any] = {}
    for name in ("chatDuration", "serviceTimeDuration", "visitorInactivity"):
        if draw(_optional):
            metrics[name] = draw(st.one_of(_seconds, st.sampled_from([3600.0, 3599.875, 0.0])))
    if draw(_optional):
        metrics["response"] = {"ft": draw(_seconds)} if draw(_optional) else {}
    document["metrics"] = metrics
    if draw(_optional):
        served: dict[str, Any] = {"_id": "agent", "username": "agent"}
        if draw(_optional):  # rooms without servedBy.ts exist in old databases
            served["ts"] = ts + timedelta(milliseconds=125 * draw(st.integers(0, 4000)))
        document["servedBy"] = served
    if draw(_optional):
        answer = ts + timedelta(milliseconds=125 * draw(st.integers(0, 80_000)))
        document["responseBy"] = {"_id": "agent", "lastMessageTs": answer}
    return document


@st.composite
def _workspace(draw: st.DrawFn) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    rooms = [draw(_room(n)) for n in range(draw(st.integers(0, 40)))]
    room_ids = [r["_id"] for r in rooms] + ["deleted-room"]
    messages = [
        {
            "_id": f"m{n}",
            "t": draw(
                st.sampled_from(["livechat_transfer_history"] * 3 + ["uj", "livechat-close"])
            ),
            "rid": draw(st.sampled_from(room_ids)),
            "ts": draw(_moment),
        }
        for n in range(draw(st.integers(0, 25)))
    ]
    return rooms, messages


def _run(
    collections: dict[str, list[dict[str, Any]]], collection: str, pipeline: list[Any]
) -> tuple[list[Any], int]:
    async def run() -> tuple[list[Any], int]:
        db = AsyncMongoMockClient()["rocketchat"]
        for name, documents in collections.items():
            if documents:
                await db[name].insert_many([dict(d) for d in documents])
        return read_page(await db[collection].aggregate(pipeline).to_list(None))

    return asyncio.run(run())


Oracle = Callable[[list[dict[str, Any]], list[dict[str, Any]], ReportParams], list[dict[str, Any]]]

REPORTS: dict[str, tuple[Any, str, Oracle]] = {
    "average-service-time": (
        average_service_time,
        "rocketchat_room",
        lambda rooms, _, p: oracle.average_service_time(rooms, p.start, p.end, p.department_id),
    ),
    "average-chat-duration-time": (
        average_chat_duration_time,
        "rocketchat_room",
        lambda rooms, _, p: oracle.average_chat_duration_time(
            rooms, p.start, p.end, p.department_id
        ),
    ),
    "total-service-time": (
        total_service_time,
        "rocketchat_room",
        lambda rooms, _, p: oracle.total_service_time(rooms, p.start, p.end, p.department_id),
    ),
    "average-waiting-time": (
        average_waiting_time,
        "rocketchat_room",
        lambda rooms, _, p: oracle.average_waiting_time(rooms, p.start, p.end, p.department_id),
    ),
    "total-transferred-chats": (
        total_transferred_chats,
        "rocketchat_message",
        lambda rooms, messages, p: oracle.total_transferred_chats(
            messages, rooms, p.start, p.end, p.department_id
        ),
    ),
    "total-abandoned-chats": (
        total_abandoned_chats,
        "rocketchat_room",
        lambda rooms, _, p: oracle.total_abandoned_chats(
            rooms, p.start, p.end, p.inactivity_timeout, p.department_id
        ),
    ),
    "percentage-abandoned-chats": (
        percentage_abandoned_chats,
        "rocketchat_room",
        lambda rooms, _, p: oracle.percentage_abandoned_chats(
            rooms, p.start, p.end, p.inactivity_timeout, p.department_id
        ),
    ),
}


@pytest.mark.parametrize("report", sorted(REPORTS))
@settings(max_examples=60, deadline=None)
@given(
    workspace=_workspace(),
    department=st.sampled_from([None, "d1", "d2", "nowhere"]),
    offset=st.integers(0, 4),
    limit=st.one_of(st.none(), st.integers(1, 4)),
    timeout=st.sampled_from([3600.0, 0.0, 600.5]),
)
def test_pipeline_agrees_with_the_oracle(
    report: str,
    workspace: tuple[list[dict[str, Any]], list[dict[str, Any]]],
    department: str | None,
    offset: int,
    limit: int | None,
    timeout: float,
) -> None:
    module, collection, expected_rows = REPORTS[report]
    rooms, messages = workspace
    params = ReportParams(
        start=START,
        end=END,
        page=Page(offset, limit),
        department_id=department,
        inactivity_timeout=timeout,
    )
    rows, total = _run(
        {"rocketchat_room": rooms, "rocketchat_message": messages}, collection, module.build(params)
    )
    expected = expected_rows(rooms, messages, params)
    assert total == len(expected)
    assert rows == oracle.page(expected, offset, limit)
    # Whole numbers, not 13.0: the response schemas write integers, but the values must be whole.
    assert all(float(v).is_integer() for row in rows for k, v in row.items() if k != "_id")


@pytest.mark.parametrize("report", sorted(REPORTS))
def test_every_report_sorts_by_its_metric_then_id_and_never_limits_to_zero(report: str) -> None:
    module = REPORTS[report][0]
    pipeline = module.build(ReportParams(start=START, end=END, page=Page(0, None)))
    (sort,) = [stage["$sort"] for stage in pipeline if "$sort" in stage]
    assert list(sort) == [module.METRIC, "_id"]
    assert list(sort.values()) == [-1, 1]
    assert {"$limit": 0} not in pipeline[-1]["$facet"]["rows"]


def test_percentage_multiplies_before_dividing() -> None:
    rooms = [
        {
            "_id": f"r{n}",
            "t": "l",
            "ts": START,
            "departmentId": "d",
            "metrics": {"visitorInactivity": 4000 if n < 29 else 1},
        }
        for n in range(100)
    ]
    params = ReportParams(start=START, end=END)
    rows, _ = _run(
        {"rocketchat_room": rooms}, "rocketchat_room", percentage_abandoned_chats.build(params)
    )
    assert rows == [{"_id": "d", "percentageOfAbandonedChats": 29}]  # 0.29 * 100 would floor to 28


def test_transfers_of_deleted_rooms_count_under_no_department() -> None:
    rooms = [{"_id": "r1", "t": "l", "ts": START, "departmentId": "d"}]
    messages = [
        {"_id": "m1", "t": "livechat_transfer_history", "rid": "r1", "ts": START},
        {"_id": "m2", "t": "livechat_transfer_history", "rid": "r1", "ts": END},
        {"_id": "m3", "t": "livechat_transfer_history", "rid": "gone", "ts": START},
    ]
    collections = {"rocketchat_room": rooms, "rocketchat_message": messages}
    everyone = total_transferred_chats.build(ReportParams(start=START, end=END))
    only_d = total_transferred_chats.build(ReportParams(start=START, end=END, department_id="d"))
    assert _run(collections, "rocketchat_message", everyone)[0] == [
        {"_id": "d", "numberOfTransferredRooms": 2},
        {"_id": None, "numberOfTransferredRooms": 1},
    ]
    assert _run(collections, "rocketchat_message", only_d)[0] == [
        {"_id": "d", "numberOfTransferredRooms": 2}
    ]


def test_rooms_without_served_ts_count_but_add_no_service_time() -> None:
    taken = START + timedelta(minutes=1)
    rooms = [
        {
            "_id": "timed",
            "t": "l",
            "ts": START,
            "departmentId": "d",
            "servedBy": {"_id": "a", "ts": taken},
            "responseBy": {"_id": "a", "lastMessageTs": taken + timedelta(seconds=100)},
        },
        {
            "_id": "untimed",
            "t": "l",
            "ts": START,
            "departmentId": "d",
            "servedBy": {"_id": "a"},
            "responseBy": {"_id": "a", "lastMessageTs": taken},
        },
    ]
    pipeline = average_service_time.build(ReportParams(start=START, end=END))
    rows, _ = _run({"rocketchat_room": rooms}, "rocketchat_room", pipeline)
    assert rows == [{"_id": "d", "averageServiceTimeInSeconds": 50}]  # 100 s over 2 rooms
