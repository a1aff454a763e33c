"""The only module that talks to MongoDB: the client's lifecycle and the few reads we make.

Motor reached end of life in May 2026; moving to PyMongo's async client
(`pymongo.AsyncMongoClient`) changes this module only.
"""

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager
from typing import Any

from aiohttp import web
from bson import SON
from motor.motor_asyncio import AsyncIOMotorClient
from pymongo.errors import (
    ExecutionTimeout,
    OperationFailure,
    PyMongoError,
    ServerSelectionTimeoutError,
)
from pymongo.read_preferences import ReadPreference

from service.core.metrics import Metrics
from service.core.timing import record_database_time
from service.http.errors import DatabaseTimeout, DatabaseUnavailable
from service.keys import metrics_key, mongo_key, settings_key
from service.settings import Settings

log = logging.getLogger(__name__)

ClientFactory = Callable[[Settings], Any]
Document = dict[str, Any]

# MongoDB's code for "operation exceeded time limit" (MaxTimeMSExpired).
MAX_TIME_MS_EXPIRED = 50

_READ_PREFERENCES: dict[str, Any] = {
    "primary": ReadPreference.PRIMARY,
    "primaryPreferred": ReadPreference.PRIMARY_PREFERRED,
    "secondary": ReadPreference.SECONDARY,
    "secondaryPreferred": ReadPreference.SECONDARY_PREFERRED,
    "nearest": ReadPreference.NEAREST,
}


def motor_client(settings: Settings, **options: Any) -> Any:
    """The production client. Creating it does no I/O: the service starts with MongoDB down.
    `options` go to the driver as they are (the benchmark adds a command listener)."""
    return AsyncIOMotorClient(
        settings.mongo_url,
        **options,
        appname="livechat-analytics",
        tz_aware=True,
        serverSelectionTimeoutMS=settings.server_selection_timeout_ms,
        connectTimeoutMS=settings.connect_timeout_ms,
        socketTimeoutMS=settings.socket_timeout_ms,
    )


class OutageGate:
    """While MongoDB is unreachable, one request at a time waits out the driver's server
    selection (and so notices when MongoDB is back); the others get their 503 at once.

    Without it every request of an outage holds one of motor's worker threads (5 per core) for
    the whole server selection timeout, and the rest queue behind them: with 40 concurrent
    requests and a 1 s timeout, the last 503 came after 4.5 s, and later with more load.
    "Unreachable" means a server selection timed out, not a single dropped connection (which
    the driver retries); any answer from MongoDB, error or not, ends it.
    """

    def __init__(self) -> None:
        self.unreachable = False
        self._probing = False

    @contextmanager
    def admit(self) -> Iterator[None]:
        """Let an operation through, or raise DatabaseUnavailable if another is already
        finding out whether MongoDB is back."""
        if not self.unreachable:
            yield
            return
        if self._probing:
            raise DatabaseUnavailable()
        self._probing = True
        try:
            yield
        finally:
            self._probing = False


@asynccontextmanager
async def _translated_errors(
    operation: str, metrics: Metrics, gate: OutageGate
) -> AsyncIterator[None]:
    try:
        with gate.admit():
            yield
    except DatabaseUnavailable:
        metrics.database_errors.labels("unavailable").inc()
        raise  # turned away by the gate: the probe's failure is the one logged
    except PyMongoError as error:
        gate.unreachable = isinstance(error, ServerSelectionTimeoutError)
        timed_out = isinstance(error, ExecutionTimeout) or (
            isinstance(error, OperationFailure) and error.code == MAX_TIME_MS_EXPIRED
        )
        kind = "timeout" if timed_out else "unavailable"
        metrics.database_errors.labels(kind).inc()
        # The cause goes to the log (the URL's credentials are never in pymongo's messages);
        # the client gets Rocket.Chat's shape without internals.
        log.warning("mongodb %s failed (%s): %s: %s", operation, kind, type(error).__name__, error)
        raise (DatabaseTimeout() if timed_out else DatabaseUnavailable()) from error
    gate.unreachable = False


class Mongo:
    """Rocket.Chat's database, seen through the operations this service needs."""

    def __init__(self, client: Any, settings: Settings, metrics: Metrics) -> None:
        self._client = client
        self._metrics = metrics
        self._db = client[settings.mongo_database]
        self._max_time_ms = settings.max_time_ms
        self._report_reads = _READ_PREFERENCES[settings.read_preference]
        self._gate = OutageGate()

    async def aggregate(
        self, collection: str, pipeline: Sequence[Mapping[str, Any]]
    ) -> list[Document]:
        """Run a report pipeline: one `aggregate` command, bounded by `maxTimeMS`."""
        target = self._db.get_collection(collection, read_preference=self._report_reads)
        started = time.perf_counter()
        try:
            async with _translated_errors(f"aggregate on {collection}", self._metrics, self._gate):
                cursor = target.aggregate(list(pipeline), maxTimeMS=self._max_time_ms)
                result: list[Document] = await cursor.to_list(None)
                return result
        finally:
            elapsed = time.perf_counter() - started
            record_database_time(elapsed)
            self._metrics.aggregation_seconds.labels(collection).observe(elapsed)

    async def find_one(
        self, collection: str, query: Mapping[str, Any], projection: Mapping[str, Any]
    ) -> Document | None:
        # Auth and settings read the primary when it is up: a token issued a moment ago may not
        # have reached a secondary yet, and a lagging secondary would turn it into a 401.
        target = self._db.get_collection(
            collection, read_preference=ReadPreference.PRIMARY_PREFERRED
        )
        async with _translated_errors(f"find_one on {collection}", self._metrics, self._gate):
            found: Document | None = await target.find_one(
                dict(query), dict(projection), max_time_ms=self._max_time_ms
            )
            return found

    async def find(
        self, collection: str, query: Mapping[str, Any], projection: Mapping[str, Any]
    ) -> list[Document]:
        target = self._db.get_collection(
            collection, read_preference=ReadPreference.PRIMARY_PREFERRED
        )
        async with _translated_errors(f"find on {collection}", self._metrics, self._gate):
            cursor = target.find(dict(query), dict(projection), max_time_ms=self._max_time_ms)
            found: list[Document] = await cursor.to_list(None)
            return found

    async def ping(self, timeout_seconds: float) -> bool:
        try:
            await asyncio.wait_for(self._db.command("ping"), timeout_seconds)
        except (PyMongoError, TimeoutError) as error:
            log.warning("mongodb ping failed: %s: %s", type(error).__name__, error)
            return False
        return True

    def close(self) -> None:
        self._client.close()


class ProbeError(Exception):
    """A read of `python -m service check` that MongoDB refused or could not answer.

    `code` is MongoDB's error code (13 is Unauthorized), None when there was no answer;
    `unreachable` is a server selection that timed out. pymongo's messages carry host names,
    never the URL's credentials.
    """

    def __init__(self, message: str, code: int | None = None, *, unreachable: bool = False):
        super().__init__(message)
        self.code = code
        self.unreachable = unreachable


# MongoDB's code for "not authorized on <db> to execute command".
UNAUTHORIZED = 13


@asynccontextmanager
async def _probe_errors() -> AsyncIterator[None]:
    try:
        yield
    except ServerSelectionTimeoutError as error:
        raise ProbeError(str(error), unreachable=True) from error
    except OperationFailure as error:
        raise ProbeError(str((error.details or {}).get("errmsg", error)), error.code) from error
    except PyMongoError as error:
        raise ProbeError(f"{type(error).__name__}: {error}") from error


class Probe:
    """The read-only questions `python -m service check` asks, on its own client: the
    deployment's shape, what this user may read, the indexes there are, and how each report
    pipeline would run (`explain`). Nothing here writes, and errors stay MongoDB's (code and
    message) instead of becoming HTTP answers."""

    def __init__(self, client: Any, settings: Settings) -> None:
        self._client = client
        self._db = client[settings.mongo_database]
        self._max_time_ms = settings.max_time_ms
        self._reads = _READ_PREFERENCES[settings.read_preference]

    async def admin_command(self, name: str) -> Document:
        """`buildInfo`, `hello`, `ping`, `replSetGetStatus`: from any reachable member."""
        async with _probe_errors():
            answer: Document = await self._client.admin.command(
                name, read_preference=ReadPreference.PRIMARY_PREFERRED
            )
            return answer

    async def ping_as_reports_read(self) -> str:
        """Ping the member a report would read from under the configured read preference;
        returns its address. A preference no member satisfies ends in server selection's
        timeout (ProbeError with `unreachable`)."""
        async with _probe_errors():
            await self._db.command("ping", read_preference=self._reads)
        return self._address_of_reads()

    def _address_of_reads(self) -> str:
        description = self._client.topology_description
        servers = description.apply_selector(self._reads)
        return ", ".join(f"{host}:{port}" for host, port in (s.address for s in servers))

    def members(self) -> list[tuple[str, str, float | None]]:
        """(address, state, round-trip seconds) of every member as the driver sees them."""
        description = self._client.topology_description
        return [
            (f"{host}:{port}", server.server_type_name, server.round_trip_time)
            for (host, port), server in description.server_descriptions().items()
        ]

    async def read_one(self, collection: str) -> None:
        """One `find` as the reports read: proves this user may read `collection`."""
        target = self._db.get_collection(collection, read_preference=self._reads)
        async with _probe_errors():
            await target.find_one({}, {"_id": 1}, max_time_ms=self._max_time_ms)

    async def estimated_count(self, collection: str) -> int:
        """From the collection's metadata (the `count` command without a filter): instant."""
        target = self._db.get_collection(collection, read_preference=self._reads)
        async with _probe_errors():
            count: int = await target.estimated_document_count(maxTimeMS=self._max_time_ms)
            return count

    async def collection_stats(self, collection: str) -> Document:
        async with _probe_errors():
            stats: Document = await self._db.command(
                "collStats", collection, read_preference=self._reads
            )
            return stats

    async def index_specs(self, collection: str) -> list[Document]:
        """`listIndexes`; an absent collection has none (the driver hides NamespaceNotFound)."""
        async with _probe_errors():
            cursor = self._db[collection].list_indexes()
            specs: list[Document] = await cursor.to_list(None)
            return specs

    async def find_one(self, collection: str, query: Mapping[str, Any]) -> Document | None:
        target = self._db.get_collection(collection, read_preference=self._reads)
        async with _probe_errors():
            found: Document | None = await target.find_one(
                dict(query), max_time_ms=self._max_time_ms
            )
            return found

    async def explain_aggregate(
        self, collection: str, pipeline: Sequence[Mapping[str, Any]]
    ) -> Document:
        """`explain` of the aggregation at `executionStats` verbosity, which runs the query
        part for real, so it is bounded by MONGO_MAX_TIME_MS as the report itself is."""
        command = SON(
            [
                (
                    "explain",
                    SON(
                        [
                            ("aggregate", collection),
                            ("pipeline", list(pipeline)),
                            ("cursor", {}),
                        ]
                    ),
                ),
                ("verbosity", "executionStats"),
                ("maxTimeMS", self._max_time_ms),
            ]
        )
        async with _probe_errors():
            explained: Document = await self._db.command(command, read_preference=self._reads)
            return explained

    def close(self) -> None:
        self._client.close()


def open_probe(settings: Settings) -> Probe:
    """The check's client, configured as the service's; a malformed MONGO_URL is a ProbeError."""
    try:
        return Probe(motor_client(settings), settings)
    except PyMongoError as error:
        raise ProbeError(f"{type(error).__name__}: {error}") from error


def mongo_ctx(client_factory: ClientFactory) -> Callable[[web.Application], AsyncIterator[None]]:
    """The cleanup context that opens the client at start-up and closes it at shutdown."""

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        settings = app[settings_key]
        mongo = Mongo(client_factory(settings), settings, app[metrics_key])
        app[mongo_key] = mongo
        yield
        mongo.close()

    return ctx
