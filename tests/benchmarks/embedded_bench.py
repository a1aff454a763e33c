"""`make bench`'s "embedded" section: each department report on `make run`'s demo data, and
our own API's scorecard (`compare=previous`) and time series (`split=department`), and
`/healthz` while reports run.

The service is started as `make run` starts it, with the result cache off so that every request
aggregates. Targets (median of the requests), on the last 30 days (the printed command's window)
and on the whole demo (four months): every report under 300 ms; the scorecard and the time series,
which the dashboard page asks for on every change of window, under 1 s.
"""

import os
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from service.embedded import DEMO_TOKEN, DEMO_USER_ID
from service.rocketchat.reports import REPORTS
from service.routes import DASHBOARD_API

TARGET_MS = 300.0
DASHBOARD_TARGET_MS = 1000.0
# Our own API's two heaviest asks, as the dashboard page makes them.
DASHBOARD = {
    "scorecard compare=previous": ("scorecard", {"compare": "previous"}),
    "timeseries split=department": ("timeseries", {"split": "department"}),
}
HEADERS = {"X-User-Id": DEMO_USER_ID, "X-Auth-Token": DEMO_TOKEN}


def _windows() -> dict[str, dict[str, str]]:
    today = datetime.now(UTC).date()
    return {
        "last 30 days": {"start": str(today - timedelta(days=30)), "end": str(today)},
        "whole demo": {"start": str(today - timedelta(days=121)), "end": str(today)},
    }


def _cpu_ms(pid: int) -> float:
    """The process's user + system CPU time so far: on a busy shared machine, the part of a
    request's time that is its own."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def measure(base: str, pid: int, http_get: Any, repeats: int) -> dict[str, Any]:
    """`http_get(url, headers) -> (status, headers, body)` is bench.py's."""
    rows = []
    for window, query in _windows().items():
        asks = [
            (
                report.path.rsplit("/", 2)[-2] + "/" + report.name,
                f"{report.path}?{urlencode({**query, 'count': '0'})}",
            )
            for report in REPORTS
        ]
        for name, (endpoint, extra) in DASHBOARD.items():
            where = {**query, "timezone": "Europe/Berlin", **extra}
            asks.append((name, f"{DASHBOARD_API}/{endpoint}?{urlencode(where)}"))
        for name, path in asks:
            url = f"{base}{path}"
            times = []
            cpu_before = _cpu_ms(pid)
            for _ in range(repeats):
                started = time.perf_counter()
                status, _, _ = http_get(url, HEADERS)
                times.append((time.perf_counter() - started) * 1000)
                assert status == 200, (name, status)
            rows.append(
                {
                    "report": name,
                    "window": window,
                    "p50_ms": statistics.median(times),
                    "cpu_ms": (_cpu_ms(pid) - cpu_before) / repeats,
                    "target_ms": DASHBOARD_TARGET_MS if name in DASHBOARD else TARGET_MS,
                }
            )

    # Liveness while eight distinct (so uncached) reports queue up behind one another.
    query = _windows()["whole demo"]
    slow = [
        f"{base}{report.path}?{urlencode({**query, 'count': str(n)})}"
        for n, report in enumerate(REPORTS, start=1)
    ]
    with ThreadPoolExecutor(len(slow)) as pool:
        misses = [pool.submit(http_get, url, HEADERS) for url in slow]
        time.sleep(0.05)
        health = []
        while not all(miss.done() for miss in misses):
            started = time.perf_counter()
            assert http_get(f"{base}/healthz")[0] == 200
            health.append((time.perf_counter() - started) * 1000)
            time.sleep(0.02)
    return {
        "rows": rows,
        "target_ms": TARGET_MS,
        "dashboard_target_ms": DASHBOARD_TARGET_MS,
        "all_under_target": all(row["p50_ms"] < row["target_ms"] for row in rows),
        "all_under_target_cpu": all(row["cpu_ms"] < row["target_ms"] for row in rows),
        "healthz_during_misses_p50_ms": statistics.median(health) if health else float("nan"),
        "healthz_during_misses_max_ms": max(health, default=float("nan")),
        "healthz_samples": len(health),
    }


# The longest report name, "departments/percentage-abandoned-chats", and a space.
NAME_WIDTH = 39


def table(results: dict[str, Any]) -> str:
    lines = [
        "embedded backend (make run's demo data, cache off, count=0; ms per request: median of",
        "the whole request, and the service's own CPU time, which a busy machine inflates less)",
        f"  {'':{NAME_WIDTH}}{'last 30 days':>20}{'whole demo':>20}",
        f"  {'report':{NAME_WIDTH}}{'p50':>10}{'cpu':>10}{'p50':>10}{'cpu':>10}",
    ]
    by_report: dict[str, list[str]] = {}
    for row in results["rows"]:
        by_report.setdefault(row["report"], []).append(
            f"{row['p50_ms']:>10.1f}{row['cpu_ms']:>10.1f}"
        )
    for name, cells in by_report.items():
        lines.append(f"  {name:{NAME_WIDTH}}{''.join(cells)}")
    for column, key in (("p50", "all_under_target"), ("cpu", "all_under_target_cpu")):
        verdict = "all under" if results[key] else "NOT all under"
        lines.append(
            f"  {column}: {verdict} the targets of {results['target_ms']:.0f} ms (reports) and "
            f"{results['dashboard_target_ms']:.0f} ms (scorecard, timeseries)"
        )
    lines.append(
        f"  /healthz while 8 uncached reports run: {results['healthz_samples']} answers, "
        f"p50 {results['healthz_during_misses_p50_ms']:.1f} ms, "
        f"slowest {results['healthz_during_misses_max_ms']:.1f} ms"
    )
    return "\n".join(lines)


if __name__ == "__main__":  # this section alone: python tests/benchmarks/embedded_bench.py
    import sys

    import bench

    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    env = bench.service_env(None, RESULT_CACHE_TTL_SECONDS="0")
    with bench.service(env, "--embedded") as (base, pid):
        print(table(measure(base, pid, bench.http_get, repeats)))
