"""The one middleware every request passes through. It gives the request an id (the caller's
`X-Request-Id`, or a new one) and echoes it, renders failures as Rocket.Chat JSON, adds
`Server-Timing` (milliseconds in MongoDB and in the whole handler), counts and times the answer
for Prometheus, and writes the access log line.

One middleware, not a stack of them: each aiohttp middleware layer costs a few microseconds on
the warm path, which is a cached answer served in tens of microseconds (see `make bench`).
"""

import itertools
import logging
import os
import re
from collections.abc import Mapping
from time import perf_counter

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from service.core.metrics import Metrics
from service.core.timing import end_request, start_request
from service.http.errors import error_response
from service.settings import Settings

access_log = logging.getLogger("service.access")

REQUEST_ID = "X-Request-Id"
SERVER_TIMING = "Server-Timing"
# An id we echo must be harmless in a header and a log line; anything else is replaced.
_SAFE_ID = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


# New ids: a random per-process prefix and a counter, unique across replicas and restarts without
# a system call per request (uuid4 reads the OS's randomness every time).
_ID_PREFIX = os.urandom(8).hex()
_ID_SEQUENCE = itertools.count(1)


def _route(request: web.Request) -> str:
    """The route template, never the raw path: metric labels and logs stay bounded."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "unmatched"


def answer_middleware(
    metrics: Metrics,
    settings: Settings,
    scoped_headers: tuple[str, Mapping[str, str]] = ("/", {}),
) -> Middleware:
    """The middleware for one app, its metrics and settings bound once (not looked up on the
    app for every request). `scoped_headers` is (path prefix, headers): every answer under the
    prefix carries them, errors included. Added here rather than by an `on_response_prepare`
    signal, whose dispatch cost every request a few microseconds (see `make bench`)."""
    access_log_on = settings.access_log
    scope, scoped = scoped_headers
    observe = metrics.observe_request

    @web.middleware
    async def answer(request: web.Request, handler: Handler) -> web.StreamResponse:
        offered = request.headers.get(REQUEST_ID)
        request_id = (
            offered
            if offered and _SAFE_ID.fullmatch(offered)
            else f"{_ID_PREFIX}{next(_ID_SEQUENCE):016x}"
        )
        metrics.requests_in_flight += 1
        database, token = start_request()
        started = perf_counter()
        try:
            response = await handler(request)
        except Exception as error:
            response = error_response(request, error)
        finally:
            end_request(token)
            metrics.requests_in_flight -= 1
        elapsed = perf_counter() - started
        headers = response.headers
        headers[REQUEST_ID] = request_id
        if scoped and request.path.startswith(scope):
            headers.update(scoped)
        # The database's part only when the database was asked (not for a cached answer).
        headers[SERVER_TIMING] = (
            f"db;dur={sum(database) * 1000:.3f}, app;dur={elapsed * 1000:.3f}"
            if database
            else f"app;dur={elapsed * 1000:.3f}"
        )
        route = _route(request)
        method = request.method
        if method not in _METHODS:
            method = "OTHER"
        status = response.status
        observe(route, method, status, elapsed)
        if access_log_on and access_log.isEnabledFor(logging.INFO):
            # Headers are never logged (they carry tokens), nor the query string (a caller may
            # put anything there). The message repeats the essentials for the text format.
            access_log.info(
                "%s %s %s %.1fms %s",
                method,
                route,
                status,
                elapsed * 1000,
                request_id,
                extra={
                    "request_id": request_id,
                    "method": method,
                    "route": route,
                    "path": request.path,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 3),
                    "db_ms": round(sum(database) * 1000, 3),
                    "remote": request.remote,
                },
            )
        return response

    return answer
