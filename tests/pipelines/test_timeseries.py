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


def test_missing_buckets_are_zero_and_stray_rows_are_ignored() -> None:
    result = [
        {"total": [{"_id": 1, "value": 4.0}, {"_id": None, "value": 0}, {"_id": 9, "value": 1}]}
    ]
    body = timeseries.read(params(), result, [])
    assert body["values"] == [0, 4, 0]
    assert timeseries.read(params(), [], [])["values"] == [0, 0, 0]
