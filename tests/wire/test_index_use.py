"""Every room report's `$match` is served by Rocket.Chat's own indexes: explain shows an index
scan and no collection scan, with and without a department, and the scan examines no more
rooms than the window's part of the `{t: 1, ts: 1}` index holds; the agents family too."""

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from bson import SON

from pipelines.agents import available_for_service_history
from pipelines.agents import average_service_time as agent_average_service_time
from pipelines.agents import total_service_time as agent_total_service_time
from pipelines.params import ReportParams
from service.rocketchat.reports import DEPARTMENT_REPORTS, ROOMS
from tests.factories import create_rocketchat_room_indexes, room

pytestmark = pytest.mark.wire

START = datetime(2026, 9, 1, tzinfo=UTC)
END = datetime(2026, 9, 30, 23, 59, 59, 999000, tzinfo=UTC)


def plan_stages(plan: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """Every node of a query plan tree (`inputStage`, `inputStages`)."""
    yield plan
    children = [plan["inputStage"]] if "inputStage" in plan else []
    children += list(plan.get("inputStages", []))
    for child in children:
        yield from plan_stages(child)


def winning_plan(explained: Mapping[str, Any]) -> Mapping[str, Any]:
    """The plan of the pipeline's initial cursor: top-level `queryPlanner` or the first stage's
    `$cursor.queryPlanner`, depending on the server's explain shape."""
    planner = explained.get("queryPlanner") or explained["stages"][0]["$cursor"]["queryPlanner"]
    plan: Mapping[str, Any] = planner["winningPlan"]
    # MongoDB 7+ with the slot-based engine nests the classic plan under `queryPlan`.
    return plan.get("queryPlan", plan)


# The reports on `rocketchat_room` (total-transferred-chats reads messages), and which window
# each matches on per the contract: created in [start, end], or created at or after start and
# closed at or before end (only `ts >= start` is in the index's range then).
ROOM_REPORTS = {report.name: report for report in DEPARTMENT_REPORTS if report.collection == ROOMS}
CLOSED_WINDOW = {"average-chat-duration-time", "total-service-time", "total-abandoned-chats"}


def test_every_room_report_is_covered() -> None:
    assert len(ROOM_REPORTS) == 7
    assert set(ROOM_REPORTS) >= CLOSED_WINDOW


@pytest.fixture
async def indexed_rooms(db: Any) -> list[dict[str, Any]]:
    """Rooms in and around September, of every type, with Rocket.Chat's indexes."""
    await create_rocketchat_room_indexes(db)
    documents = [
        room(
            f"r{n}",
            START + timedelta(hours=n * 7 - 24 * 40),
            t="lcdp"[n % 4],
            department=[..., "d1", "d2"][n % 3],
            waiting=[..., True, False][n % 5 % 3],
        )
        for n in range(400)
    ]
    await db[ROOMS].insert_many(documents)
    return documents


@pytest.mark.parametrize("department", [None, "d1"])
@pytest.mark.parametrize("report", sorted(ROOM_REPORTS))
async def test_report_match_uses_an_index_scan_never_a_collection_scan(
    db: Any, indexed_rooms: list[dict[str, Any]], report: str, department: str | None
) -> None:
    params = ReportParams(start=START, end=END, department_id=department, answered=True)
    pipeline = ROOM_REPORTS[report].build(params)
    explained = await db.command(
        SON([("explain", {"aggregate": ROOMS, "pipeline": pipeline, "cursor": {}})]),
        verbosity="executionStats",
    )

    stages = [node["stage"] for node in plan_stages(winning_plan(explained))]
    assert "IXSCAN" in stages, stages
    assert "COLLSCAN" not in stages, stages
    # The index bounds the work to the window's livechat rooms, not the whole collection.
    in_range = sum(
        1
        for d in indexed_rooms
        if d["t"] == "l" and d["ts"] >= START and (report in CLOSED_WINDOW or d["ts"] <= END)
    )
    statistics = explained.get("executionStats") or explained["stages"][0]["$cursor"].get(
        "executionStats", {}
    )
    assert 0 < statistics["totalDocsExamined"] <= in_range < len(indexed_rooms)


# ----------------------------------------------------------------------------- agents family


def _index_scan_only(explained: Mapping[str, Any]) -> Mapping[str, Any]:
    """The plan's stages hold an index scan and no collection scan; returns the statistics."""
    stages = [node["stage"] for node in plan_stages(winning_plan(explained))]
    assert "IXSCAN" in stages, stages
    assert "COLLSCAN" not in stages, stages
    statistics: Mapping[str, Any] = explained.get("executionStats") or explained["stages"][0][
        "$cursor"
    ].get("executionStats", {})
    return statistics


@pytest.mark.parametrize("report", [agent_average_service_time, agent_total_service_time])
async def test_agent_service_time_reports_use_the_rooms_index(
    db: Any, indexed_rooms: list[dict[str, Any]], report: Any
) -> None:
    pipeline = report.build(ReportParams(start=START, end=END))
    explained = await db.command(
        SON([("explain", {"aggregate": ROOMS, "pipeline": pipeline, "cursor": {}})]),
        verbosity="executionStats",
    )
    in_window = sum(1 for d in indexed_rooms if d["t"] == "l" and START <= d["ts"] <= END)
    assert 0 < _index_scan_only(explained)["totalDocsExamined"] <= in_window


@pytest.mark.parametrize("full_report", [False, True])
async def test_availability_report_uses_the_activity_date_index(db: Any, full_report: bool) -> None:
    """Rocket.Chat's indexes on the activity collection: `{date: 1}` and unique `{agentId: 1,
    date: 1}`. 60 days of 5 agents; the window holds 10 of the days."""
    activity = db[available_for_service_history.ACTIVITY]
    await activity.create_index([("date", 1)])
    await activity.create_index([("agentId", 1), ("date", 1)], unique=True)
    await db.users.insert_many([{"_id": f"u{n}", "username": f"agent{n}"} for n in range(5)])
    first = datetime(2026, 8, 1, tzinfo=UTC)
    await activity.insert_many(
        [
            {
                "_id": f"u{n}-{day}",
                "agentId": f"u{n}",
                "date": int((first + timedelta(days=day)).strftime("%Y%m%d")),
                "availableTime": 3600,
                "serviceHistory": [],
            }
            for n in range(5)
            for day in range(60)
        ]
    )
    params = ReportParams(
        start=datetime(2026, 8, 11, tzinfo=UTC),
        end=datetime(2026, 8, 20, 12, tzinfo=UTC),
        full_report=full_report,
    )
    pipeline = available_for_service_history.build(params)
    explained = await db.command(
        SON(
            [
                (
                    "explain",
                    {
                        "aggregate": available_for_service_history.ACTIVITY,
                        "pipeline": pipeline,
                        "cursor": {},
                    },
                )
            ]
        ),
        verbosity="executionStats",
    )
    assert 0 < _index_scan_only(explained)["totalDocsExamined"] <= 5 * 10
