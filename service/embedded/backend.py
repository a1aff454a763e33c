"""The embedded backend's client: mongomock behind the part of motor's interface that
service/core/db.py uses, every operation run on a worker thread instead of the event loop.

mongomock is synchronous and pure Python: run on the loop, each aggregation stopped every other
request, `/healthz` included, for as long as it took. Here the loop only waits for a future.
Two single-thread executors, one for report aggregations and one for the small reads (auth,
settings, ping): a queue of slow reports never delays the permission check that a cached
answer still needs. One thread each, since mongomock holds the GIL while it works and more
threads would only interleave the same work; the queue keeps arrival order.
"""

import asyncio
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import mongomock

from service.embedded.aggregation import Engine

T = TypeVar("T")
Document = dict[str, Any]


async def _run(executor: ThreadPoolExecutor, call: Callable[[], T]) -> T:
    return await asyncio.get_running_loop().run_in_executor(executor, call)


class _Workers:
    def __init__(self) -> None:
        self.reports = ThreadPoolExecutor(1, thread_name_prefix="embedded-reports")
        self.reads = ThreadPoolExecutor(1, thread_name_prefix="embedded-reads")

    def close(self) -> None:
        # Queued work is dropped; the one operation running finishes on its thread.
        for executor in (self.reports, self.reads):
            executor.shutdown(wait=False, cancel_futures=True)


class _Results:
    """A cursor stand-in: the operation runs when the caller awaits `to_list`, as with motor."""

    def __init__(self, executor: ThreadPoolExecutor, call: Callable[[], list[Any]]) -> None:
        self._executor = executor
        self._call = call

    async def to_list(self, length: int | None = None) -> list[Any]:
        documents = await _run(self._executor, self._call)
        return documents if length is None else documents[:length]


class EmbeddedCollection:
    def __init__(self, collection: Any, engine: Engine, workers: _Workers) -> None:
        self._collection = collection
        self._engine = engine
        self._workers = workers

    def aggregate(self, pipeline: Sequence[Mapping[str, Any]], **options: Any) -> _Results:
        """`options` (maxTimeMS) are accepted and, as by mongomock, not enforced."""
        name = self._collection.name
        return _Results(
            self._workers.reports,
            lambda: self._engine.aggregate(name, list(pipeline)),
        )

    def find(self, *args: Any, **kwargs: Any) -> _Results:
        return _Results(
            self._workers.reads,
            lambda: list(self._collection.find(*args, **kwargs)),
        )

    async def find_one(self, *args: Any, **kwargs: Any) -> Document | None:
        found: Document | None = await _run(
            self._workers.reads, lambda: self._collection.find_one(*args, **kwargs)
        )
        return found


class EmbeddedDatabase:
    def __init__(self, database: Any, engine: Engine, workers: _Workers) -> None:
        self._database = database
        self._engine = engine
        self._workers = workers

    def get_collection(self, name: str, **options: Any) -> EmbeddedCollection:
        return EmbeddedCollection(
            self._database.get_collection(name, **options), self._engine, self._workers
        )

    async def command(self, *args: Any, **kwargs: Any) -> Document:
        answer: Document = await _run(
            self._workers.reads, lambda: self._database.command(*args, **kwargs)
        )
        return answer


class EmbeddedClient:
    """The client `service.core.db.Mongo` is given in embedded mode. The data is seeded before
    it is wrapped and never written afterwards (the service only reads)."""

    def __init__(self, client: "mongomock.MongoClient[Document]") -> None:
        self._client = client
        self._workers = _Workers()
        self._engines: dict[str, Engine] = {}

    def __getitem__(self, name: str) -> EmbeddedDatabase:
        database = self._client[name]
        engine = self._engines.get(name)
        if engine is None:
            engine = self._engines[name] = Engine(database)
        return EmbeddedDatabase(database, engine, self._workers)

    def close(self) -> None:
        self._workers.close()
        self._client.close()
