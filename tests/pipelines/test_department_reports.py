"""The seven sibling reports: each real pipeline on randomized Rocket.Chat-shaped rooms and
transfer messages, against the plain-Python oracle written from the contract."""

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import example, given, settings
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
from tests.factories import WINDOW_END, WINDOW_START, edge_workspace, windows, workspaces

START, END = WINDOW_START, WINDOW_END


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
@settings(deadline=None)
@example(
    workspace=edge_workspace(),
    window=(WINDOW_START, WINDOW_END),
    department=None,
    offset=0,
    limit=None,
    timeout=3600,
)
@given(
    workspace=workspaces(),
    window=windows(),
    department=st.sampled_from([None, "d1", "dé", "部門", "nowhere"]),
    offset=st.integers(0, 4),
    limit=st.one_of(st.none(), st.integers(1, 4)),
    timeout=st.sampled_from([3600.0, 0.0, 600.5, 3600, -1]),
)
def test_pipeline_agrees_with_the_oracle(
    report: str,
    workspace: tuple[list[dict[str, Any]], list[dict[str, Any]]],
    window: tuple[datetime, datetime],
    department: str | None,
    offset: int,
    limit: int | None,
    timeout: float,
) -> None:
    module, collection, expected_rows = REPORTS[report]
    rooms, messages = workspace
    params = ReportParams(
        start=window[0],
        end=window[1],
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
    # Whole numbers: the response schemas write integers, but the values must be whole already.
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
