"""The exact command the service sends for a report, as a MongoDB server receives it (mockupdb,
a scriptable wire-protocol server, playing a mongos so that the read preference is on the wire).
"""

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from mockupdb import MockupDB

from service.app import create_app
from service.core.db import motor_client
from service.settings import load_settings
from tests.factories import MANAGER, hashed

pytestmark = pytest.mark.wire

URL = "/api/v1/livechat/analytics/departments/amount-of-chats"
MAX_TIME_MS = 4321  # distinctive, so the assertion cannot pass by accident
PAGE = {"departments": [{"_id": "d1", "rooms": 3}], "total": 1}
# A page as MongoDB returns it from the report's `$facet`.
FACET = {"total": [{"n": 1}], "rows": [{"_id": "d1", "rooms": 3}]}
HANDSHAKES = {"ismaster", "isMaster", "hello"}


class ScriptedMongo:
    """A mongos that answers the service's reads with a manager, the permission, no stored
    settings and one page of a report, and records every other command it receives."""

    def __init__(self) -> None:
        self.server = MockupDB(
            auto_ismaster={"ismaster": True, "msg": "isdbgrid", "maxWireVersion": 21},
        )
        self.commands: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self.server.autoresponds(self._answer)

    @property
    def url(self) -> str:
        return f"mongodb://127.0.0.1:{self.server.port}"

    def received(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.commands)

    def forget(self) -> None:
        with self._lock:
            self.commands.clear()

    def _answer(self, request: Any) -> bool:
        name = request.command_name
        if name in HANDSHAKES:
            return False  # the auto_ismaster responder answers
        with self._lock:
            self.commands.append(dict(request.doc))
        collection = request.doc.get(name)
        if name == "find":
            return bool(request.ok(cursor=self._cursor(collection, self._found(collection))))
        if name == "aggregate":
            return bool(request.ok(cursor=self._cursor(collection, [FACET])))
        return bool(request.ok())  # endSessions and the like

    @staticmethod
    def _found(collection: str) -> list[dict[str, Any]]:
        if collection == "users":
            token = {"when": datetime.now(UTC), "hashedToken": hashed(MANAGER["X-Auth-Token"])}
            return [
                {
                    "_id": MANAGER["X-User-Id"],
                    "active": True,
                    "roles": ["livechat-manager"],
                    "services": {"resume": {"loginTokens": [token]}},
                }
            ]
        if collection == "rocketchat_permissions":
            return [{"_id": "view-livechat-manager", "roles": ["livechat-manager"]}]
        return []

    @staticmethod
    def _cursor(collection: str, batch: list[dict[str, Any]]) -> dict[str, Any]:
        # Cursor id 0: everything is in the first batch, no getMore follows.
        return {"id": 0, "ns": f"rocketchat.{collection}", "firstBatch": batch}


@pytest.fixture(scope="module")
def running_mongos() -> Iterator[ScriptedMongo]:
    scripted = ScriptedMongo()
    scripted.server.run()
    try:
        yield scripted
    finally:
        scripted.server.stop()  # takes a second: its accept loop polls


@pytest.fixture
def mongos(running_mongos: ScriptedMongo) -> ScriptedMongo:
    running_mongos.forget()
    return running_mongos


async def _service(aiohttp_client: Any, mongos: ScriptedMongo, **environ: str) -> TestClient:
    settings = load_settings(
        {
            "MONGO_URL": f"{mongos.url}/rocketchat",
            "MONGO_MAX_TIME_MS": str(MAX_TIME_MS),
            "RESULT_CACHE_TTL_SECONDS": "0",
            **environ,
        }
    )
    client: TestClient = await aiohttp_client(create_app(settings, client_factory=motor_client))
    return client


def _contains_limit_zero(value: Any) -> bool:
    if isinstance(value, dict):
        return value.get("$limit") == 0 or any(_contains_limit_zero(v) for v in value.values())
    if isinstance(value, list):
        return any(_contains_limit_zero(v) for v in value)
    return False


# The window every test below asks for, as the server decodes it (BSON dates come back naive
# UTC from mockupdb).
SEPT_1 = datetime(2026, 9, 1)
SEPT_30_END = datetime(2026, 9, 30, 23, 59, 59, 999000)
WINDOW = {"start": "2026-09-01", "end": "2026-09-30T23:59:59.999Z"}
# A department and a page, so the department filter, `$skip` and `$limit` are all on the wire.
PAGED = {**WINDOW, "departmentId": "d1", "offset": "2", "count": "5"}
PAGE_OF_FIVE = {"$facet": {"total": [{"$count": "n"}], "rows": [{"$skip": 2}, {"$limit": 5}]}}


def _ceil_average(total: str) -> dict[str, Any]:
    return {"$cond": [{"$gt": ["$rooms", 0]}, {"$ceil": {"$divide": [total, "$rooms"]}}, 0]}


# Each report's `aggregate` for PAGED, written out from the contract's description of
# Rocket.Chat's pipelines (not built with pipelines/): the window's `{t, ts}` part first (the
# part Rocket.Chat's `{t: 1, ts: 1}` index serves), the rest of the filter, the group by
# department, the metric, the order (metric descending, `_id` ascending) and one `$facet` page.
# The inactivity timeout is Rocket.Chat's default, 3600 s (no setting is stored).
EXPECTED_PIPELINES: dict[str, tuple[str, list[dict[str, Any]]]] = {
    "average-chat-duration-time": (
        "rocketchat_room",
        [
            {"$match": {"t": "l", "ts": {"$gte": SEPT_1}}},
            {"$match": {"closedAt": {"$lte": SEPT_30_END}, "departmentId": "d1"}},
            {
                "$group": {
                    "_id": "$departmentId",
                    "rooms": {"$sum": 1},
                    "duration": {"$sum": "$metrics.chatDuration"},
                }
            },
            {
                "$project": {
                    "averageChatDurationTimeInSeconds": _ceil_average("$duration"),
                }
            },
            {"$sort": {"averageChatDurationTimeInSeconds": -1, "_id": 1}},
            PAGE_OF_FIVE,
        ],
    ),
    "average-service-time": (
        "rocketchat_room",
        [
            {"$match": {"t": "l", "ts": {"$gte": SEPT_1, "$lte": SEPT_30_END}}},
            {
                "$match": {
                    "departmentId": "d1",
                    "responseBy.lastMessageTs": {"$exists": True},
                    "servedBy._id": {"$exists": True},
                }
            },
            {
                "$group": {
                    "_id": "$departmentId",
                    "rooms": {"$sum": 1},
                    "serviceSeconds": {
                        "$sum": {
                            "$divide": [
                                {"$subtract": ["$responseBy.lastMessageTs", "$servedBy.ts"]},
                                1000,
                            ]
                        }
                    },
                }
            },
            {
                "$project": {
                    "averageServiceTimeInSeconds": _ceil_average("$serviceSeconds"),
                }
            },
            {"$sort": {"averageServiceTimeInSeconds": -1, "_id": 1}},
            PAGE_OF_FIVE,
        ],
    ),
    "average-waiting-time": (
        "rocketchat_room",
        [
            {"$match": {"t": "l", "ts": {"$gte": SEPT_1, "$lte": SEPT_30_END}}},
            {"$match": {"departmentId": "d1", "waitingResponse": {"$ne": True}}},
            {
                "$group": {
                    "_id": "$departmentId",
                    "rooms": {"$sum": 1},
                    "firstResponse": {"$sum": "$metrics.response.ft"},
                }
            },
            {
                "$project": {
                    "averageWaitingTimeInSeconds": _ceil_average("$firstResponse"),
                }
            },
            {"$sort": {"averageWaitingTimeInSeconds": -1, "_id": 1}},
            PAGE_OF_FIVE,
        ],
    ),
    "total-service-time": (
        "rocketchat_room",
        [
            {"$match": {"t": "l", "ts": {"$gte": SEPT_1}}},
            {
                "$match": {
                    "closedAt": {"$lte": SEPT_30_END},
                    "departmentId": "d1",
                    "metrics.serviceTimeDuration": {"$exists": True},
                }
            },
            {
                "$group": {
                    "_id": "$departmentId",
                    "chats": {"$sum": 1},
                    "serviceTime": {"$sum": "$metrics.serviceTimeDuration"},
                }
            },
            {"$project": {"chats": 1, "serviceTimeDuration": {"$ceil": "$serviceTime"}}},
            {"$sort": {"serviceTimeDuration": -1, "_id": 1}},
            PAGE_OF_FIVE,
        ],
    ),
    "total-transferred-chats": (
        "rocketchat_message",
        [
            {
                "$match": {
                    "t": "livechat_transfer_history",
                    "ts": {"$gte": SEPT_1, "$lte": SEPT_30_END},
                }
            },
            {
                "$lookup": {
                    "from": "rocketchat_room",
                    "localField": "rid",
                    "foreignField": "_id",
                    "as": "room",
                }
            },
            {"$unwind": {"path": "$room", "preserveNullAndEmptyArrays": True}},
            {"$match": {"room.departmentId": "d1"}},
            {"$group": {"_id": "$room.departmentId", "numberOfTransferredRooms": {"$sum": 1}}},
            {"$sort": {"numberOfTransferredRooms": -1, "_id": 1}},
            PAGE_OF_FIVE,
        ],
    ),
    "total-abandoned-chats": (
        "rocketchat_room",
        [
            {"$match": {"t": "l", "ts": {"$gte": SEPT_1}}},
            {
                "$match": {
                    "closedAt": {"$lte": SEPT_30_END},
                    "departmentId": "d1",
                    "metrics.visitorInactivity": {"$gte": 3600},
                }
            },
            {"$group": {"_id": "$departmentId", "abandonedRooms": {"$sum": 1}}},
            {"$sort": {"abandonedRooms": -1, "_id": 1}},
            PAGE_OF_FIVE,
        ],
    ),
    "percentage-abandoned-chats": (
        "rocketchat_room",
        [
            {"$match": {"t": "l", "ts": {"$gte": SEPT_1, "$lte": SEPT_30_END}}},
            {"$match": {"departmentId": "d1"}},
            {
                "$group": {
                    "_id": "$departmentId",
                    "rooms": {"$sum": 1},
                    "abandoned": {
                        "$sum": {"$cond": [{"$gte": ["$metrics.visitorInactivity", 3600]}, 1, 0]}
                    },
                }
            },
            {
                "$project": {
                    "percentageOfAbandonedChats": {
                        "$cond": [
                            {"$gt": ["$rooms", 0]},
                            {"$floor": {"$divide": [{"$multiply": ["$abandoned", 100]}, "$rooms"]}},
                            0,
                        ]
                    },
                }
            },
            {"$sort": {"percentageOfAbandonedChats": -1, "_id": 1}},
            PAGE_OF_FIVE,
        ],
    ),
}


def _sort_keys(pipeline: list[dict[str, Any]]) -> list[list[tuple[str, Any]]]:
    """Each `$sort`'s keys in order: dict equality ignores order, MongoDB's `$sort` does not."""
    return [list(stage["$sort"].items()) for stage in pipeline if "$sort" in stage]


@pytest.mark.parametrize(
    ("configured", "sent"),
    [({}, "secondaryPreferred"), ({"MONGO_READ_PREFERENCE": "nearest"}, "nearest")],
)
async def test_report_is_one_aggregate_with_max_time_and_the_read_preference(
    aiohttp_client: Any, mongos: ScriptedMongo, configured: dict[str, str], sent: str
) -> None:
    client = await _service(aiohttp_client, mongos, **configured)
    # count=0 is "no limit": the request most likely to produce a `$limit: 0`.
    query = {**WINDOW, "answered": "true", "count": "0"}
    response = await client.get(URL, params=query, headers=MANAGER)
    assert response.status == 200
    assert await response.json() == {**PAGE, "count": 1, "offset": 0, "success": True}

    (aggregate,) = [c for c in mongos.received() if "aggregate" in c]
    expected = [
        {"$match": {"t": "l", "ts": {"$gte": SEPT_1, "$lte": SEPT_30_END}}},
        {"$match": {"waitingResponse": {"$ne": True}}},
        {"$group": {"_id": "$departmentId", "rooms": {"$sum": 1}}},
        {"$sort": {"rooms": -1, "_id": 1}},
        {"$facet": {"total": [{"$count": "n"}], "rows": [{"$skip": 0}]}},
    ]
    assert aggregate == {
        "aggregate": "rocketchat_room",
        "pipeline": expected,
        "cursor": {},
        "maxTimeMS": MAX_TIME_MS,
        "$db": "rocketchat",
        "$readPreference": {"mode": sent},
        # The driver's own session and cluster-time bookkeeping, whatever their values.
        **{k: aggregate[k] for k in ("lsid", "$clusterTime") if k in aggregate},
    }
    assert _sort_keys(aggregate["pipeline"]) == [[("rooms", -1), ("_id", 1)]]
    assert not _contains_limit_zero(aggregate["pipeline"])
    # Auth and settings read the primary when there is one, whatever reports use.
    lookups = [c for c in mongos.received() if "find" in c]
    assert {c["find"] for c in lookups} == {
        "users",
        "rocketchat_permissions",
        "rocketchat_settings",
    }
    assert all(c["$readPreference"] == {"mode": "primaryPreferred"} for c in lookups)


@pytest.mark.parametrize("report", sorted(EXPECTED_PIPELINES))
async def test_each_sibling_sends_the_pipeline_the_contract_describes(
    aiohttp_client: Any, mongos: ScriptedMongo, report: str
) -> None:
    client = await _service(aiohttp_client, mongos)
    path = URL.replace("amount-of-chats", report)
    assert (await client.get(path, params=PAGED, headers=MANAGER)).status == 200
    (aggregate,) = [c for c in mongos.received() if "aggregate" in c]
    collection, pipeline = EXPECTED_PIPELINES[report]
    assert (aggregate["aggregate"], aggregate["maxTimeMS"]) == (collection, MAX_TIME_MS)
    assert aggregate["pipeline"] == pipeline
    assert _sort_keys(aggregate["pipeline"]) == _sort_keys(pipeline)


async def test_a_warm_request_is_one_round_trip(aiohttp_client: Any, mongos: ScriptedMongo) -> None:
    client = await _service(aiohttp_client, mongos)
    query = {"start": "2026-09-01", "end": "2026-09-30"}
    assert (await client.get(URL, params=query, headers=MANAGER)).status == 200
    mongos.forget()

    # Auth and settings are now cached (for seconds): the report itself is the only command.
    for offset in ("0", "1", "2"):
        response = await client.get(URL, params={**query, "offset": offset}, headers=MANAGER)
        assert response.status == 200
    assert [next(iter(c)) for c in mongos.received()] == ["aggregate"] * 3


async def test_agents_availability_is_one_aggregate_on_the_activity_collection(
    aiohttp_client: Any, mongos: ScriptedMongo
) -> None:
    client = await _service(
        aiohttp_client,
        mongos,
        MONGO_READ_PREFERENCE="secondary",
        ROCKETCHAT_SERVER_TIMEZONE="America/New_York",
    )
    query = {"start": "2026-09-10T02:00:00Z", "end": "2026-09-20", "fullReport": "true"}
    response = await client.get(
        "/api/v1/livechat/analytics/agents/available-for-service-history",
        params=query,
        headers=MANAGER,
    )
    assert response.status == 200

    (aggregate,) = [c for c in mongos.received() if "aggregate" in c]
    assert aggregate["aggregate"] == "rocketchat_livechat_agent_activity"
    assert (aggregate["maxTimeMS"], aggregate["$readPreference"]) == (
        MAX_TIME_MS,
        {"mode": "secondary"},
    )
    # 02:00 UTC on 10 September is still the 9th in New York; a date alone is that day.
    assert aggregate["pipeline"][0] == {"$match": {"date": {"$gte": 20260909, "$lte": 20260920}}}
    assert "$facet" in aggregate["pipeline"][-1]
