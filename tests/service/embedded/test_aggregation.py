"""The embedded backend's aggregation gives exactly the rows of mongomock's own `aggregate`.

The yardstick is mongomock itself (what the embedded backend ran before), on the same documents:
every report pipeline over the demo data, and random documents and stages built to reach the
edges of the indexes (odd types, missing fields, boundary timestamps, joins that cannot be
looked up by key).
"""

import copy
import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import mongomock
import pytest
from bson import ObjectId
from hypothesis import given, settings
from hypothesis import strategies as st
from mongomock import helpers

from pipelines import metrics, scorecard, timeseries
from pipelines.calendar import Window, buckets
from pipelines.params import Page, ReportParams
from service.embedded import generate_demo_data
from service.embedded.aggregation import Engine
from service.rocketchat.reports import REPORTS

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
OBJECT_ID = ObjectId("5f1d7f3e9d1e8a2b3c4d5e6f")
Collections = dict[str, list[dict[str, Any]]]


def seeded(collections: Collections) -> Any:
    database = mongomock.MongoClient()["rocketchat"]
    for name, documents in collections.items():
        if documents:
            database[name].insert_many(copy.deepcopy(documents))
    return database


@pytest.fixture(scope="module")
def demo() -> Any:
    # A smaller workspace than `make run`'s: mongomock's own transfers join is quadratic.
    return seeded(generate_demo_data(NOW, rooms=400))


def _department_ids(database: Any) -> list[str | None]:
    known = [d["_id"] for d in database["rocketchat_livechat_department"].find()]
    return [known[0], known[-1], "no-such-department"]


WINDOWS = [
    (NOW - timedelta(days=30), NOW),
    (NOW - timedelta(days=121), NOW),
    (NOW - timedelta(days=3), NOW - timedelta(days=2)),
    (NOW, NOW - timedelta(days=10)),  # end before start: no rows
]


@pytest.mark.parametrize("report", REPORTS, ids=lambda r: r.name)
def test_every_report_gives_mongomocks_rows_on_the_demo_data(demo: Any, report: Any) -> None:
    engine = Engine(demo)
    whole_window = WINDOWS[1]
    cases = [
        *((window, None, True) for window in WINDOWS),
        *((whole_window, d, a) for d, a in itertools.product(_department_ids(demo), [True, False])),
    ]
    for (start, end), department, answered in cases:
        params = ReportParams(
            start, end, page=Page(1, 3), department_id=department, answered=answered
        )
        pipeline = report.build(params)
        expected = list(demo[report.collection].aggregate(copy.deepcopy(pipeline)))
        assert engine.aggregate(report.collection, pipeline) == expected, params


BERLIN = ZoneInfo("Europe/Berlin")
LAST_30_DAYS = Window(NOW - timedelta(days=30), NOW)
PREVIOUS_30_DAYS = Window(NOW - timedelta(days=61), NOW - timedelta(days=31))


def _scorecard(**changes: Any) -> scorecard.ScorecardParams:
    values: dict[str, Any] = {
        "window": LAST_30_DAYS,
        "previous": PREVIOUS_30_DAYS,
        "timezone": "Europe/Berlin",
        "metrics": metrics.NAMES,
        "department_ids": None,
        "inactivity_timeout": 3600,
        **changes,
    }
    return scorecard.ScorecardParams(**values)


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"previous": None, "metrics": ("abandonedPercentage", "chats")},
        {"department_ids": "chosen"},
        {"window": Window(NOW, NOW - timedelta(days=10)), "previous": None},
    ],
    ids=["compare", "two-metrics", "departments", "empty"],
)
def test_the_scorecards_aggregations_give_mongomocks_rows(
    demo: Any, changes: dict[str, Any]
) -> None:
    if changes.get("department_ids") == "chosen":
        changes = {**changes, "department_ids": tuple(sorted(map(str, _department_ids(demo))))}
    engine = Engine(demo)
    queries = scorecard.build(_scorecard(**changes))
    assert queries
    for query in queries:
        expected = list(demo[query.collection].aggregate(copy.deepcopy(query.stages)))
        assert engine.aggregate(query.collection, query.stages) == expected, query


def _series(
    metric: str, interval: str, split: bool, department_ids: tuple[str, ...] | None = None
) -> timeseries.TimeseriesParams:
    window = LAST_30_DAYS if interval != "hour" else Window(NOW - timedelta(days=2), NOW)
    return timeseries.TimeseriesParams(
        window=window,
        timezone="Europe/Berlin",
        metric=metric,
        interval=interval,
        buckets=tuple(buckets(window.start, window.end, BERLIN, interval)),
        split=split,
        department_ids=department_ids,
        inactivity_timeout=3600,
    )


@pytest.mark.parametrize("metric", metrics.NAMES)
def test_every_metrics_time_series_gives_mongomocks_rows(demo: Any, metric: str) -> None:
    engine = Engine(demo)
    chosen = tuple(sorted(map(str, _department_ids(demo))))
    buckets_with_rows = 0
    for params in [
        _series(metric, "day", split=True),
        _series(metric, "week", split=False),
        _series(metric, "hour", split=True, department_ids=chosen),
    ]:
        collection, stages = timeseries.build(params)
        expected = list(demo[collection].aggregate(copy.deepcopy(stages)))
        assert engine.aggregate(collection, stages) == expected, params
        buckets_with_rows += len(expected[0]["total"])
    if metric == "chats":  # the demo has rows in these windows: a real comparison
        assert buckets_with_rows > 0


def test_running_reports_leaves_the_stored_documents_as_they_were(demo: Any) -> None:
    engine = Engine(demo)
    names = demo.list_collection_names()
    before = {name: list(demo[name].find()) for name in names}
    params = ReportParams(NOW - timedelta(days=121), NOW, page=Page(0, None))
    first = [engine.aggregate(r.collection, r.build(params)) for r in REPORTS]
    # A `$group` can hand back whole stored documents (`$first` of `$$ROOT`).
    whole = [{"$match": {"t": "l"}}, {"$group": {"_id": "$t", "first": {"$first": "$$ROOT"}}}]
    first.append(engine.aggregate("rocketchat_room", whole))
    for rows in first:  # what a caller does with the answer does not reach the store
        for row in rows:
            for value in row.values():
                if isinstance(value, dict):
                    value.clear()
            row.clear()
    second = [engine.aggregate(r.collection, r.build(params)) for r in REPORTS]
    assert second == [list(demo[r.collection].aggregate(r.build(params))) for r in REPORTS]
    # What the engine serves, seen through an empty pipeline, is still what was stored.
    assert {name: engine.aggregate(name, []) for name in names} == before


def test_stored_documents_are_already_in_mongomocks_match_form(demo: Any) -> None:
    """Why the leading `$match` may skip mongomock's per-document date conversion."""
    for name in demo.list_collection_names():
        for document in demo[name].find():
            assert helpers.patch_datetime_awareness_in_document(document) == document


# ----------------------------------------------------------------------------- chosen edges

T0 = datetime(2026, 1, 1, tzinfo=UTC)
T1 = T0 + timedelta(hours=1)
EDGE_MESSAGES = [
    {"_id": "m1", "t": "l", "ts": T0, "rid": "r1"},
    {"_id": "m2", "t": "l", "ts": T1, "rid": "r2"},
    {"_id": "m3", "t": "l", "ts": T0 + timedelta(microseconds=400), "rid": OBJECT_ID},
    {"_id": "m4", "t": "l", "ts": T0 - timedelta(milliseconds=1), "rid": "gone"},
    {"_id": "m5", "t": "l", "ts": T1 + timedelta(milliseconds=1)},
    {"_id": "m6", "t": ["c", "l"], "ts": T0, "rid": ["r1", "r2"]},
    {"_id": "m7", "t": "l", "ts": "2026-01-01", "rid": None},
    {"_id": "m8", "t": "c", "ts": T0, "rid": 1},
    {"_id": "m9", "ts": T0, "rid": "r1"},
    {"_id": "m10", "t": "l", "rid": {"nested": 1}},
]
ROOMS_BY_KEY = [
    {"_id": "r1", "departmentId": "d1"},
    {"_id": "r2"},
    {"_id": OBJECT_ID, "departmentId": "d2"},
]
# An integer `_id` among them: `{_id: v}` is no longer plain equality of one type.
ROOMS_MIXED = [*ROOMS_BY_KEY, {"_id": 1, "departmentId": "d3"}]
EDGE_MATCHES: list[dict[str, Any]] = [
    {},
    {"t": "l"},
    {"t": "l", "ts": {"$gte": T0, "$lte": T1}},
    {"t": "l", "ts": {"$gt": T0, "$lt": T1}},
    {"t": "l", "ts": {"$gte": T0 + timedelta(microseconds=900)}},
    {"t": "l", "ts": {"$lte": T0}},
    {"t": "l", "ts": T0},
    {"t": "l", "ts": {"$exists": False}},
    {"t": "c", "ts": {"$gte": T0, "$lte": T1}},
    {"t": "x", "ts": {"$gte": T0}},
    {"t": {"$in": ["l", "c"]}, "ts": {"$gte": T0}},
    {"ts": {"$gte": T0, "$lte": T1}},
    {"t": "l", "ts": {"$gte": "2026-01-01"}},
    {"t": "l", "ts": {"$gte": T0, "$lte": T1}, "rid": "r1"},
]
EDGE_JOINS: list[list[dict[str, Any]]] = [
    [],
    [{"$lookup": {"from": "rooms", "localField": "rid", "foreignField": "_id", "as": "room"}}],
    [
        {"$lookup": {"from": "rooms", "localField": "rid", "foreignField": "_id", "as": "room"}},
        {"$unwind": {"path": "$room", "preserveNullAndEmptyArrays": True}},
        {"$group": {"_id": "$room.departmentId", "n": {"$sum": 1}}},
        {"$sort": {"_id": 1}},
    ],
    [{"$lookup": {"from": "rooms", "localField": "t", "foreignField": "_id", "as": "room"}}],
    [{"$lookup": {"from": "nowhere", "localField": "rid", "foreignField": "_id", "as": "room"}}],
]


@pytest.mark.parametrize("rooms", [ROOMS_BY_KEY, ROOMS_MIXED], ids=["keyed", "mixed"])
@pytest.mark.parametrize("joins", EDGE_JOINS, ids=range(len(EDGE_JOINS)))
@pytest.mark.parametrize("match", EDGE_MATCHES, ids=range(len(EDGE_MATCHES)))
def test_boundaries_odd_types_and_joins_give_mongomocks_rows(
    match: dict[str, Any], joins: list[dict[str, Any]], rooms: list[dict[str, Any]]
) -> None:
    database = seeded({"messages": EDGE_MESSAGES, "rooms": rooms})
    pipeline = [{"$match": match}, {"$match": {"_id": {"$ne": "m10"}}}, *joins]
    expected = list(database["messages"].aggregate(copy.deepcopy(pipeline)))
    assert Engine(database).aggregate("messages", pipeline) == expected


# ----------------------------------------------------------------------------- random edges

BASE = datetime(2026, 1, 1, tzinfo=UTC)
# Boundary instants, including two that differ below mongomock's millisecond precision.
INSTANTS = [BASE + timedelta(hours=h) for h in range(4)] + [BASE + timedelta(microseconds=400)]

BUCKET = timeseries.bucket_of("$ts", [timeseries.naive_utc(i) for i in sorted(INSTANTS)[1:]])

ROOM_IDS = [f"r{n}" for n in range(4)]
OBJECT_IDS = [ObjectId(f"{n:024x}") for n in range(2)]
odd = st.one_of(
    st.sampled_from([None, 0, 1, 1.0, True, "2026-01-01"]),
    st.lists(st.sampled_from(["l", "c", "r1"]), max_size=2),
    st.just({"departmentId": "d1"}),
)
# Mostly the types the indexes serve, sometimes anything else.
FIELD_VALUES = {
    "t": st.one_of(st.sampled_from(["l", "l", "c"]), odd),
    "ts": st.one_of(st.sampled_from(INSTANTS), st.sampled_from(INSTANTS), odd),
    "rid": st.one_of(st.sampled_from([*ROOM_IDS, *OBJECT_IDS, "gone"]), odd),
    "departmentId": st.one_of(st.sampled_from(["d1", "d2", None]), odd),
    "v": st.one_of(st.integers(0, 3), odd),
}
ids = st.one_of(st.sampled_from(ROOM_IDS), st.sampled_from(OBJECT_IDS), st.integers(0, 3))


@st.composite
def documents(draw: Callable[..., Any], id_types: st.SearchStrategy[Any]) -> list[Any]:
    chosen_ids = draw(st.lists(id_types, max_size=8, unique_by=lambda i: (type(i).__name__, i)))
    fields = st.fixed_dictionaries({}, optional=FIELD_VALUES)
    return [{"_id": i, **draw(fields)} for i in chosen_ids]


bound = st.sampled_from(INSTANTS)
range_spec = st.dictionaries(st.sampled_from(["$gte", "$gt", "$lte", "$lt"]), bound, min_size=1)
first_match = st.fixed_dictionaries(
    {},
    optional={
        "t": st.one_of(st.sampled_from(["l", "c"]), st.just({"$in": ["l", "c"]})),
        "ts": st.one_of(range_spec, bound, st.just({"$exists": False})),
        "departmentId": st.sampled_from(["d1", None]),
    },
)
lookup = st.fixed_dictionaries(
    {
        "from": st.sampled_from(["rooms", "rooms", "missing"]),
        "localField": st.sampled_from(["rid", "rid", "t", "v", "room.departmentId"]),
        "foreignField": st.sampled_from(["_id", "_id", "departmentId"]),
        "as": st.just("room"),
    }
)
stages = st.lists(
    st.one_of(
        first_match.map(lambda m: {"$match": m}),
        lookup.map(lambda o: {"$lookup": o}),
        st.just({"$unwind": {"path": "$room", "preserveNullAndEmptyArrays": True}}),
        st.just({"$group": {"_id": "$room.departmentId", "n": {"$sum": 1}, "f": {"$first": "$v"}}}),
        st.just({"$group": {"_id": "$t", "rows": {"$push": "$$ROOT"}}}),
        # Keys of every kind: 1, 1.0 and True, lists, dicts, missing; compound keys.
        st.just({"$group": {"_id": "$v", "n": {"$sum": 1}, "ids": {"$push": "$_id"}}}),
        st.just({"$group": {"_id": {"d": "$departmentId", "v": "$v"}, "n": {"$sum": "$v"}}}),
        # The time series' keys: a `$cond` tree of dates on `ts` (of any type here, or missing).
        st.just({"$group": {"_id": BUCKET, "n": {"$sum": 1}}}),
        st.just({"$group": {"_id": {"d": {"$ifNull": ["$departmentId", None]}, "b": BUCKET}}}),
        st.just({"$sort": {"_id": 1}}),
    ),
    max_size=4,
)
# A `$facet` of such stages, branches opening with the same `$match` among them.
facet = st.dictionaries(
    st.sampled_from(["a", "b", "c"]),
    st.lists(
        st.one_of(first_match.map(lambda m: {"$match": m}), st.just({"$match": {"t": "l"}})),
        max_size=1,
    ).flatmap(lambda head: stages.map(lambda tail: head + tail)),
    min_size=1,
    max_size=3,
).map(lambda branches: {"$facet": branches})


@settings(max_examples=150, deadline=None)
@given(
    messages=documents(ids),
    # Rooms whose ids are all strings or ObjectIds get the `_id` index; others do not.
    rooms=st.one_of(documents(st.sampled_from([*ROOM_IDS, *OBJECT_IDS])), documents(ids)),
    leading=st.lists(first_match.map(lambda m: {"$match": m}), max_size=2),
    rest=stages,
    last=st.lists(facet, max_size=1),
)
def test_random_documents_and_stages_give_mongomocks_rows(
    messages: list[dict[str, Any]],
    rooms: list[dict[str, Any]],
    leading: list[dict[str, Any]],
    rest: list[dict[str, Any]],
    last: list[dict[str, Any]],
) -> None:
    database = seeded({"messages": messages, "rooms": rooms})
    pipeline = [*leading, *rest, *last]

    def outcome(run: Callable[[], list[Any]]) -> Any:
        try:
            return run()
        except Exception as error:  # the same refusal counts as the same answer
            return type(error)

    expected = outcome(lambda: list(database["messages"].aggregate(copy.deepcopy(pipeline))))
    assert outcome(lambda: Engine(database).aggregate("messages", pipeline)) == expected


@pytest.mark.parametrize(
    "key",
    [BUCKET, {"d": {"$ifNull": ["$departmentId", None]}, "b": BUCKET}, "$departmentId"],
    ids=["bucket", "department-and-bucket", "department"],
)
def test_group_keys_of_the_time_series_give_mongomocks_rows(key: Any) -> None:
    """Every boundary instant (a document on one is in the later bucket), the instant below
    mongomock's precision, and `ts` or `departmentId` of other types or missing."""
    values = [*INSTANTS, None, 0, "2026-01-01", [INSTANTS[1]], {"x": 1}]
    messages = [
        {"_id": f"m{n}", "ts": v, "departmentId": f"d{n % 3}"} for n, v in enumerate(values)
    ]
    messages += [{"_id": "no-ts", "departmentId": None}, {"_id": "nothing", "ts": INSTANTS[2]}]
    database = seeded({"messages": messages})
    pipeline = [{"$group": {"_id": key, "n": {"$sum": 1}, "ids": {"$push": "$_id"}}}]
    expected = list(database["messages"].aggregate(copy.deepcopy(pipeline)))
    assert Engine(database).aggregate("messages", pipeline) == expected
