"""Prometheus metrics, one registry per app (tests build many apps; the global registry would
refuse the second set of names).

What to alert on is in the README's "Operate" section.
"""

import itertools
from bisect import bisect_left
from collections.abc import Iterator

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    Metric,
    PlatformCollector,
    ProcessCollector,
)
from prometheus_client.aiohttp import make_aiohttp_handler
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily
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


class Tally:
    """A counter bumped on the request path with a plain `+= 1` (no lock: requests and scrapes
    run on the event loop's one thread), read when Prometheus scrapes."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = 0

    def inc(self) -> None:
        self.value += 1


class _LatencyHistogram:
    """Counts per latency bucket and their sum, as Prometheus' histogram exposes them."""

    __slots__ = ("counts", "total")

    def __init__(self) -> None:
        self.counts = [0] * (len(_LATENCY_BUCKETS) + 1)  # the last one is +Inf
        self.total = 0.0


class _RequestCollector(Collector):
    """The per-request series, kept as plain numbers and turned into Prometheus families only
    when scraped: every answer updates them, and prometheus_client's locked counters and
    histograms cost several microseconds of a cached answer's tens."""

    def __init__(self, metrics: "Metrics") -> None:
        self._metrics = metrics

    def collect(self) -> Iterator[Metric]:
        metrics = self._metrics
        requests = CounterMetricFamily(
            f"{PREFIX}_http_requests",
            "HTTP requests answered, by route template, method and status.",
            labels=["route", "method", "status"],
        )
        for (route, method, status), count in list(metrics.request_counts.items()):
            requests.add_metric([route, method, str(status)], count.value)
        yield requests
        durations = HistogramMetricFamily(
            f"{PREFIX}_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template and status.",
            labels=["route", "status"],
        )
        bounds = [*(f"{bound:g}" for bound in _LATENCY_BUCKETS), "+Inf"]
        for (route, status), histogram in list(metrics.request_durations.items()):
            cumulative = list(itertools.accumulate(histogram.counts))
            durations.add_metric(
                [route, str(status)], list(zip(bounds, cumulative, strict=True)), histogram.total
            )
        yield durations
        for name, documentation, hit, miss in (
            (
                "auth_cache_lookups",
                "Permission checks answered from the auth cache (hit) or the database (miss).",
                metrics.auth_hit,
                metrics.auth_miss,
            ),
            (
                "result_cache_lookups",
                "Report requests answered from memory (hit, including joins of a running "
                "aggregation) or by an aggregation (miss).",
                metrics.result_hit,
                metrics.result_miss,
            ),
        ):
            lookups = CounterMetricFamily(f"{PREFIX}_{name}", documentation, labels=["result"])
            lookups.add_metric(["hit"], hit.value)
            lookups.add_metric(["miss"], miss.value)
            yield lookups


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        # The standard process_* (CPU, memory, file descriptors) and python_* (version, garbage
        # collector) series, on this app's registry rather than the global one.
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        GCCollector(registry=self.registry)
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
        # The request path's series (see _RequestCollector).
        self.request_counts: dict[tuple[str, str, int], Tally] = {}
        self.request_durations: dict[tuple[str, int], _LatencyHistogram] = {}
        self.auth_hit, self.auth_miss = Tally(), Tally()
        self.result_hit, self.result_miss = Tally(), Tally()
        self.registry.register(_RequestCollector(self))
        exposed = CollectorRegistry(support_collectors_without_names=True)
        exposed.register(WithoutCreated(self.registry))
        self.handler = make_aiohttp_handler(exposed)

    def observe_request(self, route: str, method: str, status: int, seconds: float) -> None:
        count = self.request_counts.get((route, method, status))
        if count is None:
            count = self.request_counts[(route, method, status)] = Tally()
        count.value += 1
        histogram = self.request_durations.get((route, status))
        if histogram is None:
            histogram = self.request_durations[(route, status)] = _LatencyHistogram()
        histogram.counts[bisect_left(_LATENCY_BUCKETS, seconds)] += 1
        histogram.total += seconds
