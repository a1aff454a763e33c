"""amount-of-chats: the stages' guarantees, and the real pipeline against the oracle."""

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mongomock_motor import AsyncMongoMockClient

from pipelines import amount_of_chats
from pipelines.params import Page, ReportParams
from pipelines.stages import read_page
from tests import oracle
from tests.factories import room

START = datetime(2026, 9, 1, tzinfo=UTC)
END = datetime(2026, 9, 30, 23, 59, 59, 999000, tzinfo=UTC)
MS = timedelta(milliseconds=1)


def _params(**overrides: Any) -> ReportParams:
    return ReportParams(**{"start": START, "end": END, **overrides})


def _stage(pipeline: list[dict[str, Any]], name: str) -> Any:
    (found,) = [stage[name] for stage in pipeline if name in stage]
    return found


def _match(pipeline: list[dict[str, Any]]) -> dict[str, Any]:
    """The pipeline's filter as MongoDB runs it: adjacent leading `$match` stages coalesced."""
    merged: dict[str, Any] = {}
    for stage in pipeline:
        if "$match" not in stage:
            break
        assert not merged.keys() & stage["$match"].keys(), "a field matched twice"
        merged.update(stage["$match"])
    return merged


@pytest.mark.parametrize("department", [None, "d1"])
def test_first_match_holds_exactly_the_fields_of_rocketchats_t_ts_index(
    department: str | None,
) -> None:
    first = amount_of_chats.build(_params(department_id=department))[0]
    assert first == {"$match": {"t": "l", "ts": {"$gte": START, "$lte": END}}}


def test_match_counts_livechat_rooms_in_the_inclusive_window() -> None:
    match = _match(amount_of_chats.build(_params()))
    assert match["t"] == "l"
    assert match["ts"] == {"$gte": START, "$lte": END}
    assert "departmentId" not in match


@pytest.mark.parametrize(("answered", "condition"), [(True, {"$ne": True}), (False, {"$eq": True})])
def test_answered_selects_not_waiting_and_otherwise_waiting(
    answered: bool, condition: dict[str, bool]
) -> None:
    match = _match(amount_of_chats.build(_params(answered=answered)))
    assert match["waitingResponse"] == condition


def test_department_is_matched_only_when_given() -> None:
    match = _match(amount_of_chats.build(_params(department_id="d1")))
    assert match["departmentId"] == "d1"


def test_groups_on_the_bare_department_path_and_sorts_ties_by_id() -> None:
    pipeline = amount_of_chats.build(_params())
    assert _stage(pipeline, "$group") == {"_id": "$departmentId", "rooms": {"$sum": 1}}
    assert list(_stage(pipeline, "$sort").items()) == [("rooms", -1), ("_id", 1)]


@pytest.mark.parametrize(
    ("page", "rows"),
    [
        (Page(0, 50), [{"$skip": 0}, {"$limit": 50}]),
        (Page(7, 3), [{"$skip": 7}, {"$limit": 3}]),
        # "No limit" leaves $limit out: MongoDB rejects $limit: 0, and $skip keeps the
        # sub-pipeline non-empty (an empty $facet sub-pipeline is an error too).
        (Page(0, None), [{"$skip": 0}]),
    ],
)
def test_facet_counts_groups_and_pages_without_limit_zero(page: Page, rows: list[Any]) -> None:
    facet = _stage(amount_of_chats.build(_params(page=page)), "$facet")
    assert facet == {"total": [{"$count": "n"}], "rows": rows}


@pytest.mark.parametrize("page", [(-1, 5), (0, 0), (0, -3)])
def test_page_refuses_what_mongodb_would_reject(page: tuple[int, int]) -> None:
    with pytest.raises(ValueError, match="must be"):
        Page(*page)


def test_naive_dates_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        ReportParams(start=START.replace(tzinfo=None), end=END)


# ----------------------------------------------------------------------------- property tests

# Timestamps on, and a millisecond either side of, each bound, plus anywhere around the window.
_bounds = st.sampled_from([START, END, START - MS, END + MS])
_anywhere = st.integers(-2 * 86400_000, 32 * 86400_000).map(
    lambda ms: START + timedelta(milliseconds=ms)
)
_rooms = st.lists(
    st.builds(
        room,
        room_id=st.just(""),
        ts=st.one_of(_bounds, _anywhere),
        t=st.sampled_from(["l", "l", "l", "c", "d", "p"]),
        department=st.sampled_from([..., None, "d1", "d2", "d3", "NJaMpSvZFZ4NAXm3j"]),
        waiting=st.sampled_from([..., None, True, False]),
    ),
    max_size=60,
)


def _run(rooms: list[dict[str, Any]], params: ReportParams) -> tuple[list[Any], int]:
    async def run() -> tuple[list[Any], int]:
        collection = AsyncMongoMockClient()["rocketchat"]["rocketchat_room"]
        if rooms:
            await collection.insert_many([{**r, "_id": f"r{i}"} for i, r in enumerate(rooms)])
        result = await collection.aggregate(amount_of_chats.build(params)).to_list(None)
        return read_page(result)

    return asyncio.run(run())


@settings(max_examples=120, deadline=None)
@given(
    rooms=_rooms,
    answered=st.booleans(),
    department=st.sampled_from([None, "d1", "d2", "missing", "NJaMpSvZFZ4NAXm3j"]),
    offset=st.integers(0, 8),
    limit=st.one_of(st.none(), st.integers(1, 6)),
)
def test_pipeline_agrees_with_the_oracle(
    rooms: list[dict[str, Any]],
    answered: bool,
    department: str | None,
    offset: int,
    limit: int | None,
) -> None:
    params = _params(answered=answered, department_id=department, page=Page(offset, limit))
    rows, total = _run(rooms, params)
    expected = oracle.amount_of_chats(rooms, START, END, answered=answered, department=department)
    assert total == len(expected)
    assert rows == oracle.page(expected, offset, limit)


@settings(max_examples=40, deadline=None)
@given(rooms=_rooms, answered=st.booleans(), size=st.integers(1, 4))
def test_pages_concatenate_to_the_whole_answer(
    rooms: list[dict[str, Any]], answered: bool, size: int
) -> None:
    everything, total = _run(rooms, _params(answered=answered, page=Page(0, None)))
    pages = [
        _run(rooms, _params(answered=answered, page=Page(offset, size)))[0]
        for offset in range(0, total + size, size)
    ]
    assert [row for chunk in pages for row in chunk] == everything
    assert len(everything) == total
