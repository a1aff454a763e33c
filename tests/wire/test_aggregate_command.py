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

from pipelines import amount_of_chats
from pipelines.params import Page, ReportParams
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


def _naive_utc(stages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Dates as the wire server decodes them (BSON dates are UTC instants; decoded naive)."""

    def convert(value: Any) -> Any:
        if isinstance(value, datetime):
            return value.astimezone(UTC).replace(tzinfo=None)
        if isinstance(value, dict):
            return {k: convert(v) for k, v in value.items()}
        if isinstance(value, list):
            return [convert(v) for v in value]
        return value

    converted: list[dict[str, Any]] = convert(stages)
    return converted


@pytest.mark.parametrize(
    ("configured", "sent"),
    [({}, "secondaryPreferred"), ({"MONGO_READ_PREFERENCE": "nearest"}, "nearest")],
)
async def test_report_is_one_aggregate_with_max_time_and_the_read_preference(
    aiohttp_client: Any, mongos: ScriptedMongo, configured: dict[str, str], sent: str
) -> None:
    client = await _service(aiohttp_client, mongos, **configured)
    # count=0 is "no limit": the request most likely to produce a `$limit: 0`.
    query = {"start": "2026-09-01", "end": "2026-09-30", "answered": "true", "count": "0"}
    response = await client.get(URL, params=query, headers=MANAGER)
    assert response.status == 200
    assert await response.json() == {**PAGE, "count": 1, "offset": 0, "success": True}

    (aggregate,) = [c for c in mongos.received() if "aggregate" in c]
    expected = amount_of_chats.build(
        ReportParams(
            start=datetime(2026, 9, 1, tzinfo=UTC),
            end=datetime(2026, 9, 30, tzinfo=UTC),
            page=Page(0, None),
            answered=True,
        )
    )
    assert aggregate == {
        "aggregate": "rocketchat_room",
        "pipeline": _naive_utc(expected),
        "cursor": {},
        "maxTimeMS": MAX_TIME_MS,
        "$db": "rocketchat",
        "$readPreference": {"mode": sent},
        # The driver's own session and cluster-time bookkeeping, whatever their values.
        **{k: aggregate[k] for k in ("lsid", "$clusterTime") if k in aggregate},
    }
    assert not _contains_limit_zero(aggregate["pipeline"])
    # Auth and settings read the primary when there is one, whatever reports use.
    lookups = [c for c in mongos.received() if "find" in c]
    assert {c["find"] for c in lookups} == {
        "users",
        "rocketchat_permissions",
        "rocketchat_settings",
    }
    assert all(c["$readPreference"] == {"mode": "primaryPreferred"} for c in lookups)


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
