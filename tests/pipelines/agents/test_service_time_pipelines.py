"""agents/average-service-time and agents/total-service-time, written out by hand from
Rocket.Chat's `findAllAverageServiceTime` / `findAllServiceTime` and compared as sent (key
order included): what the oracle tests cannot see, such as the index-served `$match` coming
first, or the sort's key order."""

from datetime import UTC, datetime
from typing import Any

import pytest

from pipelines.agents import average_service_time, total_service_time
from pipelines.params import Page, ReportParams
from tests.pipelines.literal import as_sent

START = datetime(2026, 9, 1, tzinfo=UTC)
END = datetime(2026, 9, 30, 23, 59, 59, 999000, tzinfo=UTC)

AVERAGE = {
    "$cond": [
        {"$gt": ["$chats", 0]},
        {"$ceil": {"$divide": ["$serviceTime", "$chats"]}},
        0,
    ]
}
REPORTS = {
    "average-service-time": (average_service_time.build, {"averageServiceTimeInSeconds": AVERAGE}),
    "total-service-time": (
        total_service_time.build,
        {"chats": 1, "serviceTimeDuration": {"$ceil": "$serviceTime"}},
    ),
}


@pytest.mark.parametrize("report", sorted(REPORTS))
@pytest.mark.parametrize(
    ("page", "rows"), [(Page(0, None), [{"$skip": 0}]), (Page(3, 7), [{"$skip": 3}, {"$limit": 7}])]
)
def test_the_pipeline_is_exactly_this(report: str, page: Page, rows: list[dict[str, Any]]) -> None:
    build, metric = REPORTS[report]
    expected = [
        {"$match": {"t": "l", "ts": {"$gte": START, "$lte": END}}},
        {
            "$match": {
                "servedBy._id": {"$exists": True},
                "metrics.serviceTimeDuration": {"$exists": True},
            }
        },
        {
            "$group": {
                "_id": {
                    "_id": "$servedBy._id",
                    "username": {"$ifNull": ["$servedBy.username", None]},
                },
                "chats": {"$sum": 1},
                "serviceTime": {"$sum": "$metrics.serviceTimeDuration"},
            }
        },
        {"$project": {"_id": "$_id._id", "username": "$_id.username", **metric}},
        {"$sort": {"username": 1, "_id": 1}},
        {"$facet": {"total": [{"$count": "n"}], "rows": rows}},
    ]
    assert as_sent(build(ReportParams(start=START, end=END, page=page))) == as_sent(expected)
