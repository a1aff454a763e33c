"""The commands our own API sends, as a MongoDB server receives them (mockupdb playing a mongos):
a bounded number of aggregations, each with `maxTimeMS` and the configured read preference, and
one `find` of the department names, whatever the number of buckets or departments."""

from typing import Any

import pytest

from tests.factories import MANAGER
from tests.wire.test_aggregate_command import (  # noqa: F401 - fixtures
    MAX_TIME_MS,
    ScriptedMongo,
    _service,
    mongos,
    running_mongos,
)

pytestmark = pytest.mark.wire

API = "/livechat-analytics/api/v1"


@pytest.mark.parametrize(
    ("path", "query", "aggregates"),
    [
        ("scorecard", {"compare": "previous"}, ["rocketchat_room", "rocketchat_message"] * 2),
        (
            "scorecard",
            {"metrics": "chats", "departmentId": [f"d{n}" for n in range(100)]},
            ["rocketchat_room"],
        ),
        ("timeseries", {"interval": "hour", "split": "department"}, ["rocketchat_room"]),
        ("timeseries", {"metric": "transferredChats", "interval": "day"}, ["rocketchat_message"]),
    ],
)
async def test_a_request_sends_bounded_aggregations_and_one_find_of_names(
    aiohttp_client: Any,
    mongos: ScriptedMongo,  # noqa: F811 - the fixture imported above
    path: str,
    query: dict[str, Any],
    aggregates: list[str],
) -> None:
    # Caches that outlive a slow machine: the second request must find auth and settings cached.
    client = await _service(
        aiohttp_client, mongos, AUTH_CACHE_TTL_SECONDS="3600", SETTINGS_CACHE_TTL_SECONDS="3600"
    )
    window = {"start": "2026-09-01", "end": "2026-10-10", "timezone": "Europe/Berlin"}
    first = await client.get(f"{API}/{path}", params={**window, **query}, headers=MANAGER)
    assert first.status == 200
    mongos.forget()
    # Auth and settings are cached now: what is left is the request's own reads.
    again = {**window, **query, "end": "2026-10-11"}
    response = await client.get(f"{API}/{path}", params=again, headers=MANAGER)
    assert response.status == 200
    commands = mongos.received()
    sent = sorted(c["aggregate"] for c in commands if "aggregate" in c)
    assert sent == sorted(aggregates)
    assert all(
        c["maxTimeMS"] == MAX_TIME_MS and c["$readPreference"] == {"mode": "secondaryPreferred"}
        for c in commands
        if "aggregate" in c
    )
    finds = [c for c in commands if "find" in c]
    assert [c["find"] for c in finds] == ["rocketchat_livechat_department"]
    assert finds[0]["maxTimeMS"] == MAX_TIME_MS
    assert len(commands) == len(aggregates) + 1
