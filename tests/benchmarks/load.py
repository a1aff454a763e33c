"""A keep-alive HTTP load generator for machines without wrk: one process, N concurrent workers.

Prints one JSON line: requests, seconds, rps, p50_ms, p99_ms, errors.
"""

import asyncio
import json
import statistics
import sys
import time

import aiohttp


async def run(
    url: str, headers: dict[str, str], concurrency: int, seconds: float
) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:

        async def worker() -> None:
            nonlocal errors
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                async with session.get(url) as response:
                    await response.read()
                    if response.status != 200:
                        errors += 1
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    cuts = statistics.quantiles(latencies, n=100)
    return {
        "requests": len(latencies),
        "seconds": elapsed,
        "rps": len(latencies) / elapsed,
        "p50_ms": cuts[49] * 1000,
        "p99_ms": cuts[98] * 1000,
        "errors": errors,
    }


def main() -> None:
    url, headers_json, concurrency, seconds = sys.argv[1:5]
    result = asyncio.run(run(url, json.loads(headers_json), int(concurrency), float(seconds)))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
