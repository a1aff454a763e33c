"""The time series' aggregation: documents go to the bucket whose boundaries (computed in Python)
hold their `ts`, checked on mongomock against `bisect`; zero-filling and defensive reading."""

import bisect
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from mongomock_motor import AsyncMongoMockClient

from pipelines import timeseries
from pipelines.calendar import MS, Bucket, Window

START = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.mark.parametrize("count", [1, 2, 3, 7, 64, 1000])
async def test_each_document_lands_in_the_bucket_holding_its_ts(count: int) -> None:
    rng = random.Random(count)
    starts = sorted({START + timedelta(minutes=rng.randrange(1, 10**6)) for _ in range(count - 1)})
    moments = [START, *starts, *(s - MS for s in starts)]
    moments += [START + timedelta(minutes=rng.uniform(0, 10**6)) for _ in range(200)]
    documents = [{"_id": n, "ts": moment} for n, moment in enumerate(moments)]
    collection = AsyncMongoMockClient().db.rooms
    await collection.insert_many(documents)
    stage = {
        "$project": {
            "bucket": timeseries.bucket_of("$ts", [timeseries.naive_utc(s) for s in starts])
        }
    }
    found = {d["_id"]: d["bucket"] for d in await collection.aggregate([stage]).to_list(None)}
    expected = {
        n: bisect.bisect_right(
            starts, moment.replace(microsecond=moment.microsecond // 1000 * 1000)
        )
        for n, moment in enumerate(moments)
    }
    assert found == expected


def test_the_tree_is_shallow() -> None:
    starts = [START + timedelta(hours=n) for n in range(1, 1000)]

    def depth(expression: Any) -> int:
        if isinstance(expression, dict) and "$cond" in expression:
            return 1 + max(depth(branch) for branch in expression["$cond"][1:])
        return 0

    assert depth(timeseries.bucket_of("$ts", starts)) == 10


def params(**changes: Any) -> timeseries.TimeseriesParams:
    buckets = tuple(
        Bucket(f"b{n}", START + timedelta(days=n), START + timedelta(days=n + 1) - MS)
        for n in range(3)
    )
    values: dict[str, Any] = {
        "window": Window(START, buckets[-1].end),
        "timezone": "UTC",
        "metric": "chats",
        "interval": "day",
        "buckets": buckets,
        "split": False,
        "department_ids": None,
        "inactivity_timeout": 3600,
        **changes,
    }
    return timeseries.TimeseriesParams(**values)


def test_without_split_only_the_overall_series_is_grouped() -> None:
    collection, stages = timeseries.build(params())
    assert collection == "rocketchat_room"
    assert set(stages[-1]["$facet"]) == {"total"}
    collection, stages = timeseries.build(params(split=True, metric="transferredChats"))
    assert collection == "rocketchat_message"
    assert set(stages[-1]["$facet"]) == {"total", "departments", "series"}


def test_departments_are_filtered_on_the_room_or_the_joined_room() -> None:
    """A transfer's department is its room's: known only after the join, filtered there."""
    _, stages = timeseries.build(params(metric="transferredChats", department_ids=("a", "b")))
    lookup = next(i for i, s in enumerate(stages) if "$lookup" in s)
    assert {"$match": {"room.departmentId": {"$in": ["a", "b"]}}} in stages[lookup:]
    _, stages = timeseries.build(params(department_ids=("a", "b")))
    assert {"$match": {"departmentId": {"$in": ["a", "b"]}}} in stages


def test_missing_buckets_are_zero_and_stray_rows_are_ignored() -> None:
    total = [{"_id": 1, "value": 4.0}, {"_id": None, "value": 0}, {"_id": 3, "value": 1}]
    body = timeseries.read(params(), [{"total": total}], [])
    assert body["values"] == [0, 4, 0]
    assert timeseries.read(params(), [], [])["values"] == [0, 0, 0]
    series = [{"_id": "stray", "value": 5}, {"_id": {"d": "a", "b": 2}, "value": 3.0}]
    facet = {"total": total, "departments": [{"_id": "a", "value": 3}], "series": series}
    body = timeseries.read(params(split=True), [facet], [])
    assert body["departments"] == [{"_id": "a", "name": None, "values": [0, 0, 3]}]


def test_an_idle_department_ranks_as_zero() -> None:
    """Idle "z" ties with "b", whose chats add up to 0, and follows it by `_id`."""
    facet = {
        "total": [],
        "departments": [{"_id": "b", "value": 0}, {"_id": "c", "value": 1}],
        "series": [],
    }
    known = [{"_id": key, "name": key.upper()} for key in ("b", "c", "z")]
    body = timeseries.read(params(split=True, metric="abandonedChats"), [facet], known)
    assert [row["_id"] for row in body["departments"]] == ["c", "b", "z"]
