"""`make bench`: how cheap the warm path is, what a cold request costs, how many round trips a
request makes, and how the aggregation scales — all measured in one run on this machine, and
reported as ratios against yardsticks measured in the same run (never as absolute targets).

Needs the test extras (SecantusDB's wire server for the database side); uses wrk when it is on
the PATH (Debian package `wrk`) and a Python keep-alive load generator otherwise.

    python tests/benchmarks/bench.py [--quick] [--out bench.json]
"""

import argparse
import asyncio
import base64
import hashlib
import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from urllib.request import Request, urlopen

import embedded_bench  # this folder's embedded_bench.py: the "embedded" section
from peer import PEER_ROOMS, peer, peer_table  # tests/benchmarks/peer.py, beside this script
from pymongo import ASCENDING, MongoClient, monitoring
from pymongo.errors import PyMongoError

from service.embedded import DEMO_TOKEN, DEMO_USER_ID

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
PYTHON = sys.executable
PATH = "/api/v1/livechat/analytics/departments/amount-of-chats"
USER_ID, TOKEN = "bench-manager", "bench-manager-token"
HEADERS = {"X-User-Id": USER_ID, "X-Auth-Token": TOKEN}
NOW = datetime(2026, 11, 24, tzinfo=UTC)
QUERY = {"start": "2026-10-25", "end": "2026-11-24", "answered": "true"}
CONCURRENCY = 64
ROCKETCHAT_AGGREGATIONS_PER_REQUEST = 2  # Rocket.Chat runs one for the page, one for the total


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_until(check: Any, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except (OSError, PyMongoError):
            pass
        time.sleep(0.05)
    raise RuntimeError(f"timed out waiting for {what}")


def http_get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    with urlopen(Request(url, headers=headers or {}), timeout=120) as response:
        return response.status, dict(response.headers), response.read()


@contextmanager
def process(*argv: str, env: dict[str, str] | None = None) -> Iterator[subprocess.Popen[bytes]]:
    child = subprocess.Popen(
        argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        yield child
    finally:
        child.terminate()
        try:
            child.wait(timeout=20)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


# ----------------------------------------------------------------------------- data


@contextmanager
def wire_server() -> Iterator[str]:
    binary = shutil.which("secantusd-py", path=str(Path(PYTHON).parent)) or shutil.which(
        "secantusd-py"
    )
    if binary is None:
        raise SystemExit("secantusd-py not found: run `make install` (it is a test dependency)")
    port = free_port()
    argv = [binary, "--host", "127.0.0.1", "--port", str(port), "--storage-path", ":memory:"]
    with process(*argv, "--log-level", "WARNING"):
        url = f"mongodb://127.0.0.1:{port}"
        with MongoClient(url, serverSelectionTimeoutMS=500) as client:
            wait_until(lambda: client.admin.command("ping")["ok"] == 1, 30, "the wire server")
        yield url


def seed(url: str, database: str, rooms: int) -> None:
    """Rocket.Chat-shaped livechat rooms over 120 days, its indexes, and a manager."""
    rng = random.Random(rooms)
    with MongoClient(url) as client:
        db = client[database]
        batch: list[dict[str, Any]] = []
        for number in range(rooms):
            room: dict[str, Any] = {
                "_id": f"room{number}",
                "t": "l",
                "ts": NOW - timedelta(seconds=rng.uniform(0, 120 * 86400)),
                "departmentId": f"department{rng.randrange(12)}",
            }
            if rng.random() < 0.2:
                room["waitingResponse"] = True
            batch.append(room)
            if len(batch) == 5000:
                db.rocketchat_room.insert_many(batch)
                batch = []
        if batch:
            db.rocketchat_room.insert_many(batch)
        db.rocketchat_room.create_index([("t", ASCENDING), ("ts", ASCENDING)])
        db.rocketchat_room.create_index(
            [("departmentId", ASCENDING), ("ts", ASCENDING)],
            partialFilterExpression={"departmentId": {"$exists": True}, "t": "l"},
        )
        hashed = base64.b64encode(hashlib.sha256(TOKEN.encode()).digest()).decode()
        db.users.insert_one(
            {
                "_id": USER_ID,
                "active": True,
                "roles": ["livechat-manager"],
                "services": {"resume": {"loginTokens": [{"when": NOW, "hashedToken": hashed}]}},
            }
        )
        db.rocketchat_permissions.insert_one(
            {"_id": "view-livechat-manager", "roles": ["livechat-manager"]}
        )


# ----------------------------------------------------------------------------- the service


def service_env(mongo_url: str | None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k.startswith(("PATH", "LANG", "HOME"))}
    env.update({"LOG_LEVEL": "WARNING", "MONGO_MAX_TIME_MS": "600000"})
    env.update({"MONGO_SOCKET_TIMEOUT_MS": "600000", "AUTH_CACHE_TTL_SECONDS": "60"})
    if mongo_url:
        env["MONGO_URL"] = mongo_url
    env.update(extra)
    return env


@contextmanager
def service(env: dict[str, str], *args: str) -> Iterator[tuple[str, int]]:
    port = free_port()
    argv = [PYTHON, "-m", "service", "--host", "127.0.0.1", "--port", str(port), *args]
    with process(*argv, env=env) as child:
        base = f"http://127.0.0.1:{port}"
        wait_until(lambda: http_get(f"{base}/healthz")[0] == 200, 60, "the service")
        yield base, child.pid


def peak_rss_mib(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"VmHWM:\s+(\d+) kB", status)
    return int(match.group(1)) / 1024 if match else float("nan")


def server_timing(headers: dict[str, str]) -> dict[str, float]:
    return {
        name: float(value)
        for name, value in re.findall(r"(\w+);dur=([\d.]+)", headers.get("Server-Timing", ""))
    }


# ----------------------------------------------------------------------------- load


@dataclass
class Load:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int
    tool: str


def _wrk_ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def load(url: str, headers: dict[str, str], seconds: float) -> Load:
    if shutil.which("wrk"):
        flags = [arg for name, value in headers.items() for arg in ("-H", f"{name}: {value}")]
        argv = [
            "wrk",
            "-t1",
            f"-c{CONCURRENCY}",
            f"-d{max(1, round(seconds))}s",
            "--latency",
            *flags,
            url,
        ]
        out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
        latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)$", out, re.MULTILINE))
        non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        return Load(
            rps=float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
            p50_ms=_wrk_ms(latency["50"]),
            p99_ms=_wrk_ms(latency["99"]),
            requests=int(re.search(r"(\d+) requests in", out).group(1)),  # type: ignore[union-attr]
            errors=int(non_2xx.group(1)) if non_2xx else 0,
            tool="wrk",
        )
    argv = [PYTHON, str(HERE / "load.py"), url, json.dumps(headers), str(CONCURRENCY), str(seconds)]
    result = json.loads(subprocess.run(argv, capture_output=True, text=True, check=True).stdout)
    return Load(
        rps=result["rps"],
        p50_ms=result["p50_ms"],
        p99_ms=result["p99_ms"],
        requests=result["requests"],
        errors=result["errors"],
        tool="python",
    )


def best_of(runs: list[Load]) -> Load:
    """The median run by throughput: one noisy run on a shared machine does not decide."""
    return sorted(runs, key=lambda run: run.rps)[len(runs) // 2]


# ----------------------------------------------------------------------------- sections


def warm_path(seconds: float, rounds: int) -> dict[str, Any]:
    """Cache hit + cached auth, against a bare aiohttp handler answering the same request with
    a body of the same size; and the same service with its access log on (JSON lines at INFO),
    for what that costs."""
    quiet = service_env(None, RESULT_CACHE_TTL_SECONDS="300")
    logging_on = service_env(
        None, RESULT_CACHE_TTL_SECONDS="300", ACCESS_LOG="true", LOG_LEVEL="INFO", LOG_FORMAT="json"
    )
    with (
        service(quiet, "--embedded") as (base, _),
        service(logging_on, "--embedded") as (logged_base, _),
    ):
        url = f"{base}{PATH}?{urlencode(QUERY)}"
        logged_url = f"{logged_base}{PATH}?{urlencode(QUERY)}"
        demo = {"X-User-Id": DEMO_USER_ID, "X-Auth-Token": DEMO_TOKEN}
        status, _, body = http_get(url, demo)
        assert status == 200, status
        assert http_get(logged_url, demo)[0] == 200
        bare_port = free_port()
        bare_argv = [PYTHON, str(HERE / "bare_server.py"), str(bare_port), str(len(body))]
        with process(*bare_argv):
            # The same request (path, query and credentials) as the service gets, so parsing
            # it is on both sides and the ratio is the service's own work per request.
            bare_url = f"http://127.0.0.1:{bare_port}{PATH}?{urlencode(QUERY)}"
            wait_until(lambda: http_get(bare_url)[0] == 200, 30, "the bare server")
            ours, bare, logged = [], [], []
            for _ in range(rounds):  # interleaved, so drift in the machine hits all alike
                ours.append(load(url, demo, seconds))
                bare.append(load(bare_url, demo, seconds))
                logged.append(load(logged_url, demo, seconds))
    service_run, bare_run, logged_run = best_of(ours), best_of(bare), best_of(logged)
    # Each round's runs are seconds apart, so a ratio within a round cancels the machine's
    # drift (another VM on the host, CPU frequency); the median round decides.
    ratio = statistics.median(o.rps / b.rps for o, b in zip(ours, bare, strict=True))
    log_ratio = statistics.median(lg.rps / o.rps for lg, o in zip(logged, ours, strict=True))
    return {
        "body_bytes": len(body),
        "rounds": rounds,
        "service": service_run.__dict__,
        "bare_aiohttp": bare_run.__dict__,
        "throughput_ratio": ratio,
        "round_ratios": [round(o.rps / b.rps, 3) for o, b in zip(ours, bare, strict=True)],
        "target_ratio": 0.6,
        "p99_ms": service_run.p99_ms,
        "access_log": {
            "service": logged_run.__dict__,
            "throughput_ratio": log_ratio,
        },
    }


def cold_path(mongo_url: str, requests: int) -> dict[str, Any]:
    """Cache off, auth warm, every URL new (so validation runs too): each request aggregates,
    and its overhead is everything but that."""
    seed(mongo_url, "cold", 2000)
    env = service_env(f"{mongo_url}/cold", RESULT_CACHE_TTL_SECONDS="0")
    overheads, totals, databases = [], [], []
    with service(env) as (base, _):
        http_get(f"{base}{PATH}?{urlencode(QUERY)}", HEADERS)  # warms auth and settings
        for number in range(requests):
            end = f"2026-11-24T00:00:{number // 1000:02d}.{number % 1000:03d}Z"
            url = f"{base}{PATH}?{urlencode({**QUERY, 'end': end})}"
            status, headers, _ = http_get(url, HEADERS)
            assert status == 200, status
            timing = server_timing(headers)
            overheads.append(timing["app"] - timing["db"])
            totals.append(timing["app"])
            databases.append(timing["db"])
    return {
        "requests": requests,
        "overhead_p50_ms": statistics.median(overheads),
        "aggregation_p50_ms": statistics.median(databases),
        "service_p50_ms": statistics.median(totals),
        "target_overhead_ms": 1.0,
    }


class CommandCounter(monitoring.CommandListener):
    def __init__(self) -> None:
        self.commands: list[tuple[str, str]] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        name = event.command_name
        self.commands.append((name, str(event.command.get(name, ""))))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass

    def count(self, name: str, collections: tuple[str, ...] = ()) -> int:
        return sum(
            1 for c, coll in self.commands if c == name and (not collections or coll in collections)
        )


async def _round_trips(mongo_url: str, requests: int) -> dict[str, Any]:
    from aiohttp.test_utils import TestClient, TestServer

    from service.app import create_app
    from service.core.db import motor_client
    from service.settings import load_settings

    seed(mongo_url, "trips", 1000)
    counter = CommandCounter()
    settings = load_settings({"MONGO_URL": f"{mongo_url}/trips", "RESULT_CACHE_TTL_SECONDS": "300"})
    app = create_app(settings, client_factory=lambda s: motor_client(s, event_listeners=[counter]))
    auth = ("users", "rocketchat_permissions")
    async with TestClient(TestServer(app)) as client:
        first = await client.get(PATH, params=QUERY, headers=HEADERS)
        assert first.status == 200
        counter.commands.clear()
        for day in range(requests):  # distinct windows: every one a cache miss
            end = (NOW - timedelta(days=day + 1)).date().isoformat()
            response = await client.get(PATH, params={**QUERY, "end": end}, headers=HEADERS)
            assert response.status == 200
        misses = (counter.count("aggregate"), counter.count("find", auth))
        counter.commands.clear()
        for _ in range(requests):
            response = await client.get(PATH, params=QUERY, headers=HEADERS)
            assert response.status == 200
        hits = (counter.count("aggregate"), counter.count("find", auth))
    return {
        "requests_each": requests,
        "aggregations_per_miss": misses[0] / requests,
        "aggregations_per_hit": hits[0] / requests,
        "auth_lookups_per_request_warm": (misses[1] + hits[1]) / (2 * requests),
        "rocketchat_aggregations_per_request": ROCKETCHAT_AGGREGATIONS_PER_REQUEST,
    }


def round_trips(mongo_url: str, requests: int) -> dict[str, Any]:
    return asyncio.run(_round_trips(mongo_url, requests))


def scale(mongo_url: str, sizes: list[int], repeats: int, concurrent: int) -> dict[str, Any]:
    """Aggregation latency as the collection grows, and the service's peak memory under load."""
    rows = []
    for size in sizes:
        database = f"scale{size}"
        seed(mongo_url, database, size)
        env = service_env(f"{mongo_url}/{database}", RESULT_CACHE_TTL_SECONDS="0")
        with service(env) as (base, pid):
            url = f"{base}{PATH}?{urlencode(QUERY)}"
            http_get(url, HEADERS)
            latencies = [server_timing(http_get(url, HEADERS)[1])["db"] for _ in range(repeats)]

            async def burst(target: str = url) -> None:
                loop = asyncio.get_running_loop()
                await asyncio.gather(
                    *(
                        loop.run_in_executor(None, http_get, target, HEADERS)
                        for _ in range(concurrent)
                    )
                )

            asyncio.run(burst())
            rows.append(
                {
                    "rooms": size,
                    "aggregation_p50_ms": statistics.median(latencies),
                    "service_peak_rss_mib": peak_rss_mib(pid),
                }
            )
        with MongoClient(mongo_url) as client:
            client.drop_database(database)
    first, last = rows[0], rows[-1]
    return {
        "rows": rows,
        "size_ratio": last["rooms"] / first["rooms"],
        "latency_growth_ratio": last["aggregation_p50_ms"] / first["aggregation_p50_ms"],
        "rss_growth_ratio": last["service_peak_rss_mib"] / first["service_peak_rss_mib"],
    }


# ----------------------------------------------------------------------------- report


def table(results: dict[str, Any]) -> str:
    warm, cold, trips, growth = (results[k] for k in ("warm", "cold", "round_trips", "scale"))
    ours, bare = warm["service"], warm["bare_aiohttp"]

    def load_row(name: str, run: dict[str, Any]) -> str:
        return f"  {name:22}{run['rps']:>10.0f}{run['p50_ms']:>10.2f}{run['p99_ms']:>10.2f}"

    lines = [
        f"machine: {results['machine']}",
        "",
        f"warm path ({ours['tool']}, {CONCURRENCY} connections, keep-alive, "
        f"{warm['body_bytes']} B body)",
        f"  {'':22}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}",
        load_row("amount-of-chats (hit)", ours),
        load_row("bare aiohttp handler", bare),
        f"  ratio {warm['throughput_ratio']:.2f}, median of {warm['rounds']} rounds "
        f"(target >= {warm['target_ratio']}); "
        f"p99 at {CONCURRENCY} connections {warm['p99_ms']:.2f} ms",
        load_row("with the access log on", warm["access_log"]["service"]),
        f"  access log (ACCESS_LOG=true, LOG_LEVEL=INFO, JSON): "
        f"{warm['access_log']['throughput_ratio']:.2f} of the throughput without it",
        *(
            ["  WARNING: no wrk; the Python load generator saturates first, so this ratio is moot"]
            if ours["tool"] != "wrk"
            else []
        ),
        "",
        f"cold path (cache off, auth warm, {cold['requests']} requests, 2k rooms)",
        f"  overhead p50 {cold['overhead_p50_ms']:.3f} ms "
        f"(target <= {cold['target_overhead_ms']} ms); "
        f"aggregation p50 {cold['aggregation_p50_ms']:.2f} ms; "
        f"whole request p50 {cold['service_p50_ms']:.2f} ms",
        "",
        "round trips per request (counted with the driver's command monitoring)",
        f"  aggregations: {trips['aggregations_per_miss']:.2f} on a miss, "
        f"{trips['aggregations_per_hit']:.2f} on a hit "
        f"(Rocket.Chat: {trips['rocketchat_aggregations_per_request']})",
        f"  auth lookups with a warm auth cache: {trips['auth_lookups_per_request_warm']:.2f}",
        "",
        "scale (wire-protocol test server, cache off)",
        f"  {'rooms':>8}{'aggregation p50 ms':>22}{'service peak RSS MiB':>24}",
    ]
    for row in growth["rows"]:
        rooms, latency, rss = row["rooms"], row["aggregation_p50_ms"], row["service_peak_rss_mib"]
        lines.append(f"  {rooms:>8}{latency:>22.1f}{rss:>24.1f}")
    lines.append(
        f"  x{growth['size_ratio']:.0f} rooms: latency x{growth['latency_growth_ratio']:.1f}, "
        f"peak RSS x{growth['rss_growth_ratio']:.2f}"
    )
    return "\n".join(lines)


def machine() -> str:
    cpu = "unknown cpu"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        found = re.search(r"model name\s*:\s*(.+)", cpuinfo.read_text())
        cpu = found.group(1).strip() if found else cpu
    return f"{os.cpu_count()} cores, {cpu}, Python {sys.version.split()[0]}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes: checks the bench runs")
    parser.add_argument("--out", type=Path, default=ROOT / "bench.json")
    args = parser.parse_args()
    seconds, rounds = (1.0, 1) if args.quick else (3.0, 5)
    sizes = [1_000, 3_000] if args.quick else [10_000, 100_000, 300_000]
    results: dict[str, Any] = {"machine": machine(), "quick": args.quick}
    results["warm"] = warm_path(seconds, rounds)
    with wire_server() as mongo_url:
        results["cold"] = cold_path(mongo_url, 20 if args.quick else 200)
        results["round_trips"] = round_trips(mongo_url, 5 if args.quick else 20)
        results["scale"] = scale(mongo_url, sizes, 2 if args.quick else 3, 8)
        results["peer"] = peer(
            mongo_url,
            rooms=1_000 if args.quick else PEER_ROOMS,
            runs=2 if args.quick else 7,
            now=NOW,
        )
    with service(service_env(None, RESULT_CACHE_TTL_SECONDS="0"), "--embedded") as (base, pid):
        results["embedded"] = embedded_bench.measure(base, pid, http_get, 2 if args.quick else 5)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(table(results))
    print("\n" + "\n".join(peer_table(results["peer"])))
    print("\n" + embedded_bench.table(results["embedded"]))
    print(f"\nwritten to {args.out}")


if __name__ == "__main__":
    main()
