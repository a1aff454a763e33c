"""agents/average-service-time and agents/total-service-time: each real pipeline on random
Rocket.Chat-shaped rooms, on both backends, against the plain-Python oracle written from the
contract (agents without a username, renamed agents, rooms without `servedBy` or without a
service time, other room types, rooms on and just outside the window)."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.agents import average_service_time, total_service_time
from pipelines.params import Page, ReportParams
from pipelines.stages import read_page
from tests import agents_oracle
from tests.conftest import BACKENDS, Backend

pytestmark = pytest.mark.parametrize("backend", BACKENDS, indirect=True)

START = datetime(2026, 9, 1, tzinfo=UTC)
END = datetime(2026, 9, 30, 23, 59, 59, 999000, tzinfo=UTC)
MS = timedelta(milliseconds=1)
ROOMS = "rocketchat_room"
BUILDERS = {
    "average-service-time": (average_service_time.build, agents_oracle.average_service_time),
    "total-service-time": (total_service_time.build, agents_oracle.total_service_time),
}

# Agents as Rocket.Chat stores them in `servedBy`: a renamed agent (same id, two usernames),
# one without a username (missing or null), usernames that byte order sorts differently from
# a case-insensitive or locale order, and two agents sharing a username.
_AGENTS = [
    {"_id": "a1", "username": "maria"},
    {"_id": "a1", "username": "maria.silva"},
    {"_id": "a2"},
    {"_id": "a2", "username": None},
    {"_id": "a3", "username": "Zoe"},
    {"_id": "a4", "username": "zoë"},
    {"_id": "a5", "username": "émile"},
    {"_id": "a6", "username": "maria"},
]
_moment = st.one_of(
    st.sampled_from([START, END, START - MS, END + MS]),
    st.integers(-2 * 86400_000, 32 * 86400_000).map(lambda ms: START + timedelta(milliseconds=ms)),
)
# Eighths of a second add exactly in binary floating point, so every backend's sum agrees with
# MongoDB's compensated one; integers as Rocket.Chat often stores them; null counts but adds 0.
_duration = st.one_of(
    st.integers(0, 80_000).map(lambda eighths: eighths / 8),
    st.integers(0, 10_000),
    st.sampled_from([None, 0.0]),
)


@st.composite
def _room(draw: st.DrawFn, number: int) -> dict[str, Any]:
    room: dict[str, Any] = {
        "_id": f"r{number}",
        "t": draw(st.sampled_from(["l"] * 5 + ["c", "d", "p"])),
        "ts": draw(_moment),
        "metrics": {},
    }
    if draw(st.integers(0, 5)):
        room["servedBy"] = dict(draw(st.sampled_from(_AGENTS)))
    if draw(st.integers(0, 4)):
        room["metrics"]["serviceTimeDuration"] = draw(_duration)
    return room


_rooms = st.integers(0, 30).flatmap(lambda n: st.tuples(*(_room(i) for i in range(n))))


async def _run(db: Any, documents: list[dict[str, Any]], pipeline: list[Any]) -> Any:
    await db[ROOMS].delete_many({})
    if documents:
        await db[ROOMS].insert_many([dict(d) for d in documents])
    return read_page(await db[ROOMS].aggregate(pipeline).to_list(None))


@pytest.mark.parametrize("report", sorted(BUILDERS))
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    rooms=_rooms,
    offset=st.integers(0, 4),
    limit=st.one_of(st.none(), st.integers(1, 4)),
)
async def test_pipeline_agrees_with_the_oracle(
    backend: Backend, report: str, rooms: tuple[dict[str, Any], ...], offset: int, limit: int | None
) -> None:
    build, oracle = BUILDERS[report]
    params = ReportParams(start=START, end=END, page=Page(offset, limit))
    rows, total = await _run(backend.db, list(rooms), build(params))
    expected = oracle(rooms, START, END)
    assert total == len(expected)
    assert rows == agents_oracle.page(expected, offset, limit)
