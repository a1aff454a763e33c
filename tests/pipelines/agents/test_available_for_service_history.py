"""agents/available-for-service-history: the real pipeline on random activity, users and
windows, on both backends, against the plain-Python oracle written from the contract (days in
a non-UTC server zone, bounds written as a date alone or as a date-time, activity of deleted
users, agents without a username or sharing one, `fullReport` on and off)."""

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.agents import available_for_service_history
from pipelines.params import Page, ReportParams
from pipelines.stages import read_page
from tests import agents_oracle
from tests.conftest import BACKENDS, Backend
from tests.pipelines.literal import as_sent

ACTIVITY = "rocketchat_livechat_agent_activity"
FIRST = date(2026, 10, 20)
ZONES = ["UTC", "America/New_York", "Asia/Kolkata", "Pacific/Kiritimati", "Pacific/Pago_Pago"]

# Users as Rocket.Chat stores them: one without a username, two sharing one, usernames whose
# byte order differs from a case-insensitive order. Activity also names `deleted`, a user who
# no longer exists.
USERS = [
    {"_id": "u1", "username": "maria.silva"},
    {"_id": "u2"},
    {"_id": "u3", "username": "Zoe"},
    {"_id": "u4", "username": "zoë"},
    {"_id": "u5", "username": "maria.silva"},
    {"_id": "u6", "username": "émile"},
]
AGENT_IDS = [*(u["_id"] for u in USERS), "deleted"]


def _at(day: date, milliseconds: int) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(milliseconds=milliseconds)


@st.composite
def _interval(draw: st.DrawFn, day: date) -> dict[str, Any]:
    """One stretch of availability that day; the last one of today has no `stoppedAt` yet."""
    started = _at(day, draw(st.integers(0, 86_399_999)))
    interval = {"startedAt": started}
    if draw(st.sampled_from(["stopped"] * 4 + ["open"])) == "stopped":
        interval["stoppedAt"] = started + timedelta(milliseconds=draw(st.integers(0, 9_000_000)))
    return interval


@st.composite
def _day_of_activity(draw: st.DrawFn, agent: str, day: date, number: int) -> dict[str, Any]:
    document: dict[str, Any] = {
        "_id": f"x{number}",
        "agentId": agent,
        "date": agents_oracle.yyyymmdd(day),
    }
    available = draw(
        st.one_of(
            st.integers(0, 86_400),
            st.integers(0, 80_000).map(lambda eighths: eighths / 8),
            st.sampled_from(["missing", None]),
        )
    )
    if available != "missing":
        document["availableTime"] = available
    if draw(st.sampled_from(["stored"] * 5 + ["missing"])) == "stored":
        document["serviceHistory"] = draw(st.lists(_interval(day), max_size=3))
    return document


@st.composite
def _activity(draw: st.DrawFn) -> list[dict[str, Any]]:
    # Rocket.Chat's unique {agentId: 1, date: 1} index: at most one document per agent and day.
    pairs = draw(
        st.sets(st.tuples(st.sampled_from(AGENT_IDS), st.integers(0, 12)), min_size=4, max_size=40)
    )
    # Stored in any order, so "the earliest day" cannot come from insertion order.
    return [
        draw(_day_of_activity(agent, FIRST + timedelta(days=offset), n))
        for n, (agent, offset) in enumerate(draw(st.permutations(sorted(pairs))))
    ]


@st.composite
def _bound(draw: st.DrawFn, first: int, last: int) -> tuple[datetime, date | None]:
    """An instant around the activity's days `first` to `last`, and the day it names when
    written as a date alone (that day's UTC midnight, as a date without an offset parses), or
    None."""
    day = FIRST + timedelta(days=draw(st.integers(first, last)))
    if draw(st.booleans()):
        return _at(day, 0), day
    return _at(day, draw(st.integers(-86_400_000, 86_400_000))), None


@pytest.mark.parametrize("backend", BACKENDS, indirect=True)
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    activity=_activity(),
    # Mostly windows that hold several days of one agent (so "the earliest day" matters),
    # sometimes an end before the start.
    start=_bound(-1, 7),
    end=_bound(3, 13),
    zone=st.sampled_from(ZONES),
    full_report=st.booleans(),
    offset=st.integers(0, 3),
    limit=st.one_of(st.none(), st.integers(1, 3)),
)
async def test_pipeline_agrees_with_the_oracle(
    backend: Backend,
    activity: list[dict[str, Any]],
    start: tuple[datetime, date | None],
    end: tuple[datetime, date | None],
    zone: str,
    full_report: bool,
    offset: int,
    limit: int | None,
) -> None:
    db = backend.db
    await db[ACTIVITY].delete_many({})
    await db.users.delete_many({})
    await db.users.insert_many([dict(u) for u in USERS])
    if activity:
        await db[ACTIVITY].insert_many([dict(d) for d in activity])
    params = ReportParams(
        start=start[0],
        end=end[0],
        start_day=start[1],
        end_day=end[1],
        server_timezone=zone,
        full_report=full_report,
        page=Page(offset, limit),
    )
    result = await db[ACTIVITY].aggregate(available_for_service_history.build(params)).to_list(None)
    rows, total = read_page(result)

    expected = agents_oracle.available_for_service_history(
        activity,
        USERS,
        agents_oracle.server_day(start[0], start[1], zone),
        agents_oracle.server_day(end[0], end[1], zone),
        full_report=full_report,
    )
    assert total == len(expected)
    # The pipeline hands the dates over as stored; the response schema writes them as strings.
    for row in rows:
        if row.get("serviceHistory"):
            row["serviceHistory"] = [
                {k: agents_oracle.js_date(v) for k, v in interval.items()}
                for interval in row["serviceHistory"]
            ]
    assert rows == agents_oracle.page(expected, offset, limit)


@pytest.mark.parametrize(
    ("moment", "written", "zone", "day"),
    [
        # A date alone is that day in every zone.
        (datetime(2026, 10, 25, tzinfo=UTC), date(2026, 10, 25), "America/New_York", 20261025),
        (datetime(2026, 10, 25, tzinfo=UTC), date(2026, 10, 25), "Asia/Tokyo", 20261025),
        # A date-time is converted to the server zone first.
        (datetime(2026, 10, 25, tzinfo=UTC), None, "America/New_York", 20261024),
        (datetime(2026, 10, 25, 3, 59, tzinfo=UTC), None, "America/New_York", 20261024),
        (datetime(2026, 10, 25, 4, tzinfo=UTC), None, "America/New_York", 20261025),
        (datetime(2026, 10, 25, 14, 59, tzinfo=UTC), None, "Asia/Tokyo", 20261025),
        (datetime(2026, 10, 25, 15, tzinfo=UTC), None, "Asia/Tokyo", 20261026),
        # Across a DST change: Berlin is UTC+2 until 01:00 UTC on 25 October 2026, then UTC+1.
        (datetime(2026, 10, 24, 21, 59, tzinfo=UTC), None, "Europe/Berlin", 20261024),
        (datetime(2026, 10, 24, 22, tzinfo=UTC), None, "Europe/Berlin", 20261025),
        (datetime(2026, 10, 25, 22, 59, tzinfo=UTC), None, "Europe/Berlin", 20261025),
        (datetime(2026, 10, 25, 23, tzinfo=UTC), None, "Europe/Berlin", 20261026),
    ],
)
def test_a_bound_is_a_day_of_the_server_zone(
    moment: datetime, written: date | None, zone: str, day: int
) -> None:
    params = ReportParams(
        start=moment, end=moment, start_day=written, end_day=written, server_timezone=zone
    )
    assert available_for_service_history.days(params) == (day, day)


@pytest.mark.parametrize("full_report", [False, True])
def test_the_pipeline_is_exactly_this(full_report: bool) -> None:
    """Written out by hand from Rocket.Chat's `findAvailableServiceTimeHistory`: the window on
    the indexed `date`, the earliest day first only when `serviceHistory` is asked for (a sum
    needs no order), and ids dropped after paging. Compared as sent, key order included."""
    params = ReportParams(
        start=datetime(2026, 10, 1, tzinfo=UTC),
        end=datetime(2026, 10, 31, 12, tzinfo=UTC),
        start_day=date(2026, 10, 1),
        page=Page(5, 10) if full_report else Page(0, None),
        full_report=full_report,
    )
    history = {"serviceHistory": {"$first": {"$ifNull": ["$serviceHistory", None]}}}
    expected = [
        {"$match": {"date": {"$gte": 20261001, "$lte": 20261031}}},
        *([{"$sort": {"date": 1}}] if full_report else []),
        {
            "$lookup": {
                "from": "users",
                "localField": "agentId",
                "foreignField": "_id",
                "as": "user",
            }
        },
        {"$unwind": "$user"},
        {
            "$group": {
                "_id": {"_id": "$user._id", "username": {"$ifNull": ["$user.username", None]}},
                "availableTimeInSeconds": {"$sum": "$availableTime"},
                **(history if full_report else {}),
            }
        },
        {
            "$project": {
                "_id": "$_id._id",
                "username": "$_id.username",
                "availableTimeInSeconds": 1,
                **({"serviceHistory": 1} if full_report else {}),
            }
        },
        {"$sort": {"username": 1, "_id": 1}},
        {
            "$facet": {
                "total": [{"$count": "n"}],
                "rows": [
                    {"$skip": 5 if full_report else 0},
                    *([{"$limit": 10}] if full_report else []),
                    {"$project": {"_id": 0}},
                ],
            }
        },
    ]
    assert as_sent(available_for_service_history.build(params)) == as_sent(expected)


@pytest.mark.parametrize("backend", BACKENDS, indirect=True)
async def test_service_history_is_the_earliest_days_whatever_the_stored_order(
    backend: Backend,
) -> None:
    db = backend.db
    await db.users.insert_one({"_id": "u1", "username": "maria"})
    days = [date(2026, 10, 27), date(2026, 10, 21), date(2026, 10, 25), date(2026, 10, 19)]
    await db[ACTIVITY].insert_many(
        [
            {
                "_id": f"x{n}",
                "agentId": "u1",
                "date": agents_oracle.yyyymmdd(day),
                "availableTime": 3600,
                "serviceHistory": [{"startedAt": _at(day, 8 * 3_600_000)}],
            }
            for n, day in enumerate(days)
        ]
    )
    params = ReportParams(
        start=_at(date(2026, 10, 20), 0),
        end=_at(date(2026, 10, 31), 0),
        start_day=date(2026, 10, 20),
        full_report=True,
    )
    pipeline = available_for_service_history.build(params)
    rows, total = read_page(await db[ACTIVITY].aggregate(pipeline).to_list(None))
    # 19 October is outside the window; 21 October is the earliest day inside it.
    assert (total, len(rows)) == (1, 1)
    assert rows[0]["availableTimeInSeconds"] == 3 * 3600
    (interval,) = rows[0]["serviceHistory"]
    assert agents_oracle.js_date(interval["startedAt"]) == "2026-10-21T08:00:00.000Z"


@pytest.mark.parametrize("backend", BACKENDS, indirect=True)
async def test_an_earliest_day_without_intervals_gives_null_not_a_later_days(
    backend: Backend,
) -> None:
    db = backend.db
    await db.users.insert_one({"_id": "u1", "username": "maria"})
    await db[ACTIVITY].insert_many(
        [
            {"_id": "x1", "agentId": "u1", "date": 20261021, "availableTime": 60},
            {
                "_id": "x2",
                "agentId": "u1",
                "date": 20261022,
                "availableTime": 60,
                "serviceHistory": [{"startedAt": _at(date(2026, 10, 22), 0)}],
            },
        ]
    )
    params = ReportParams(
        start=_at(date(2026, 10, 20), 0),
        end=_at(date(2026, 10, 31), 0),
        full_report=True,
    )
    pipeline = available_for_service_history.build(params)
    rows, _ = read_page(await db[ACTIVITY].aggregate(pipeline).to_list(None))
    assert rows == [{"username": "maria", "availableTimeInSeconds": 120, "serviceHistory": None}]
