"""Prometheus metrics, one registry per app (tests build many apps; the global registry would
refuse the second set of names).

What to alert on is in the README's "Operate" section.
"""

from collections.abc import Iterator

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
)
from prometheus_client.aiohttp import make_aiohttp_handler
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

PREFIX = "livechat_analytics"
# Cached answers take tens of microseconds, aggregations up to MONGO_MAX_TIME_MS.
_LATENCY_BUCKETS = (
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1,
    2.5,
    5,
    10,
    30,
)


# The `kind` labels of the MongoDB error counter (service.core.db): exported at 0 from the start,
# so `rate()` and `increase()` alerts see a series before the first error.
DATABASE_ERROR_KINDS = ("timeout", "unavailable")


class WithoutCreated(Collector):
    """`registry`'s metrics without the `<name>_created` series of counters and histograms.

    Those series hold each child's creation time: one more series per label set, which no
    dashboard or alert here reads. prometheus_client can drop them only process-wide
    (`disable_created_metrics()`, or PROMETHEUS_DISABLE_CREATED_SERIES read when it is first
    imported), which would reach every registry in the process; filtering the scrape keeps the
    choice with this app's own registry.
    """

    def __init__(self, registry: CollectorRegistry) -> None:
        self._registry = registry

    def describe(self) -> list[Metric]:
        # No names up front: a registry built with `support_collectors_without_names` then
        # collects this on every scrape, `name[]` filters included, and filters the samples.
        return []

    def collect(self) -> Iterator[Metric]:
        for metric in self._registry.collect():  # fresh Metric objects on every collect
            created = f"{metric.name}_created"
            metric.samples = [sample for sample in metric.samples if sample.name != created]
            yield metric


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        # The standard process_* (CPU, memory, file descriptors) and python_* (version, garbage
        # collector) series, on this app's registry rather than the global one.
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        GCCollector(registry=self.registry)
        self.requests = Counter(
            f"{PREFIX}_http_requests",
            "HTTP requests answered, by route template, method and status.",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.request_seconds = Histogram(
            f"{PREFIX}_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template and status.",
            ["route", "status"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        # A plain counter read at scrape time: no lock on the request path.
        self.requests_in_flight = 0
        Gauge(
            f"{PREFIX}_http_requests_in_flight",
            "HTTP requests being answered now.",
            registry=self.registry,
        ).set_function(lambda: self.requests_in_flight)
        self.aggregation_seconds = Histogram(
            f"{PREFIX}_mongodb_aggregation_duration_seconds",
            "Time of one report aggregation in MongoDB, by collection.",
            ["collection"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.database_errors = Counter(
            f"{PREFIX}_mongodb_errors",
            "MongoDB operations that failed, by kind (timeout: maxTimeMS exceeded; "
            "unavailable: unreachable or failed).",
            ["kind"],
            registry=self.registry,
        )
        for kind in DATABASE_ERROR_KINDS:
            self.database_errors.labels(kind)
        self.auth_cache = Counter(
            f"{PREFIX}_auth_cache_lookups",
            "Permission checks answered from the auth cache (hit) or the database (miss).",
            ["result"],
            registry=self.registry,
        )
        self.result_cache = Counter(
            f"{PREFIX}_result_cache_lookups",
            "Report requests answered from memory (hit, including joins of a running "
            "aggregation) or by an aggregation (miss).",
            ["result"],
            registry=self.registry,
        )
        # Label children resolved once: `.labels()` is the costly part of an update.
        self._children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}
        self.auth_hit, self.auth_miss = (self.auth_cache.labels(r) for r in ("hit", "miss"))
        self.result_hit, self.result_miss = (self.result_cache.labels(r) for r in ("hit", "miss"))
        exposed = CollectorRegistry(support_collectors_without_names=True)
        exposed.register(WithoutCreated(self.registry))
        self.handler = make_aiohttp_handler(exposed)

    def observe_request(self, route: str, method: str, status: int, seconds: float) -> None:
        key = (route, method, status)
        children = self._children.get(key)
        if children is None:
            children = (
                self.requests.labels(route, method, str(status)),
                self.request_seconds.labels(route, str(status)),
            )
            self._children[key] = children
        children[0].inc()
        children[1].observe(seconds)
