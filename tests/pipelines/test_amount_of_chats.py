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
#
# The real pipeline runs through mongomock and must agree with the oracle. What mongomock cannot
# show (TESTING.md), and what therefore rests on the structural tests above:
# - `$group` emits its groups in `_id` order and `$sort` is stable, so a `$sort` without the
#   `_id` tie-breaker would still agree with the oracle here (MongoDB gives ties no order);
# - `$limit: 0` is accepted (a Python slice), where MongoDB rejects it;
# - `$count` on empty input yields `{n: 0}`, where MongoDB yields nothing (`total: []`), so the
#   empty cases below do not exercise read_page's `total: []` path (test_stages.py does).

# Timestamps on, and a millisecond either side of, each bound, plus anywhere around the window.
_bounds = st.sampled_from([START, END, START - MS, END + MS])
_anywhere = st.integers(-2 * 86400_000, 32 * 86400_000).map(
    lambda ms: START + timedelta(milliseconds=ms)
)
_room = st.builds(
    room,
    room_id=st.just(""),
    ts=st.one_of(_bounds, _anywhere),
    t=st.sampled_from(["l", "l", "l", "c", "d", "p"]),
    # Missing and null are one group; "" is a department of its own; case and non-ASCII
    # ids check the order of `_id` (MongoDB compares strings by their UTF-8 bytes).
    department=st.sampled_from(
        [..., None, "", "d1", "d2", "d3", "NJaMpSvZFZ4NAXm3j", "Zeta", "zeta", "Ärzte"]
    ),
    waiting=st.sampled_from([..., None, True, False]),
)
# A size drawn first: plain st.lists favours a handful of rooms, which seldom makes the ties in
# `rooms` that the order's `_id` tie-breaker is about.
_rooms = st.integers(0, 60).flatmap(lambda n: st.lists(_room, min_size=n, max_size=n))


def _run(rooms: list[dict[str, Any]], *queries: ReportParams) -> list[tuple[list[Any], int]]:
    """(rows, total) of each query, on a database holding `rooms`. The client is made here, not
    in a fixture: function-scoped fixtures are not reset between hypothesis examples."""

    async def run() -> list[tuple[list[Any], int]]:
        collection = AsyncMongoMockClient()["rocketchat"]["rocketchat_room"]
        if rooms:
            await collection.insert_many([{**r, "_id": f"r{i}"} for i, r in enumerate(rooms)])
        return [
            read_page(await collection.aggregate(amount_of_chats.build(params)).to_list(None))
            for params in queries
        ]

    return asyncio.run(run())


# Mostly the usual window; also a reversed one (empty, not an error) and a single instant on
# each bound, where only rooms exactly on it count.
_windows = st.sampled_from([(START, END), (START, END), (END, START), (START, START), (END, END)])


@settings(max_examples=2 * settings.default.max_examples)
@given(
    rooms=_rooms,
    window=_windows,
    department=st.sampled_from(["", "d1", "d2", "Zeta", "missing", "NJaMpSvZFZ4NAXm3j"]),
    offset=st.integers(0, 8),
    limit=st.one_of(st.none(), st.integers(1, 6)),
)
def test_pipeline_agrees_with_the_oracle(
    rooms: list[dict[str, Any]],
    window: tuple[datetime, datetime],
    department: str,
    offset: int,
    limit: int | None,
) -> None:
    start, end = window
    # Every answered/department combination on the same rooms: one insert, four queries.
    combinations = [(a, d) for a in (False, True) for d in (None, department)]
    results = _run(
        rooms,
        *(
            ReportParams(
                start=start, end=end, answered=a, department_id=d, page=Page(offset, limit)
            )
            for a, d in combinations
        ),
    )
    for (answered, chosen), (rows, total) in zip(combinations, results, strict=True):
        expected = oracle.amount_of_chats(rooms, start, end, answered=answered, department=chosen)
        assert total == len(expected)
        assert rows == oracle.page(expected, offset, limit)


@settings(max_examples=max(10, settings.default.max_examples * 2 // 3))
@given(rooms=_rooms, answered=st.booleans(), size=st.integers(1, 4))
def test_pages_concatenate_to_the_whole_answer(
    rooms: list[dict[str, Any]], answered: bool, size: int
) -> None:
    ((everything, total),) = _run(rooms, _params(answered=answered, page=Page(0, None)))
    pages = _run(
        rooms,
        *(
            _params(answered=answered, page=Page(offset, size))
            for offset in range(0, total + size, size)
        ),
    )
    assert [row for chunk, _ in pages for row in chunk] == everything
    assert {page_total for _, page_total in pages} == {total}
    assert len(everything) == total
