"""Requests aiohttp's HTTP parser refuses: answered in Rocket.Chat's JSON error shape without
echoing the request, and logged as one rate-limited WARNING line without its bytes.

A bare CR or a NUL in a header, obsolete line folding, a header or request line over the limit,
or bytes that are not HTTP at all are refused by aiohttp's parser before any application code
runs: no middleware, no signal sees them. aiohttp then calls `RequestHandler.handle_error`,
which answers `text/plain` with the parser's message — the offending bytes, an
`X-Auth-Token: …` line included — and logs that message at ERROR with a traceback, once per
request (aiohttp issues #3287 and #9882 ask for a hook; there is none). So, for aiohttp's
pinned version, `install()` replaces that one method; the replacement applies only to the
connections of apps that pass a `ParserErrorLog` as their `logger` handler argument (what
`create_app` does) and leaves every other aiohttp server to aiohttp's own. A test hashes the
aiohttp methods this depends on and fails when an upgrade changes them.
"""

import logging
import math
import time
from collections.abc import Callable
from http import HTTPStatus

from aiohttp import web
from aiohttp.web_request import BaseRequest

from service.http.rendering import json_response

# Refusals are reported at most this often; each report counts the ones it stood for.
REPORT_INTERVAL_SECONDS = 60.0

AIOHTTP_HANDLE_ERROR = web.RequestHandler.handle_error


class ParserErrorLog(logging.LoggerAdapter[logging.Logger]):
    """aiohttp's connection-level logger for one app (`handler_args["logger"]`): what aiohttp
    logs itself goes to `service.http.server`, and refused requests are reported here, rate
    limited, per app."""

    def __init__(
        self,
        interval_seconds: float = REPORT_INTERVAL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(logging.getLogger("service.http.server"), {})
        self._interval = interval_seconds
        self._clock = clock
        self._next_report = -math.inf
        self._unreported = 0

    def refused(self, reason: str, remote: str | None) -> None:
        """One refused request. Only the exception's class name and the peer's address are
        logged: the parser's message quotes the request's bytes."""
        self._unreported += 1
        now = self._clock()
        if now < self._next_report:
            return
        self._next_report = now + self._interval
        count, self._unreported = self._unreported, 0
        self.warning(
            "refused %d request(s) the HTTP parser could not read in the last %gs "
            "(latest: %s from %s); reported at most once per %gs",
            count,
            self._interval,
            reason,
            remote,
            self._interval,
        )


def _handle_error(
    self: web.RequestHandler,
    request: BaseRequest,
    status: int = 500,
    exc: BaseException | None = None,
    message: str | None = None,
) -> web.StreamResponse:
    """`RequestHandler.handle_error` for our apps: the same status and connection close as
    aiohttp's, a JSON body that echoes nothing, and the logging above."""
    log = self.logger
    if not isinstance(log, ParserErrorLog):
        return AIOHTTP_HANDLE_ERROR(self, request, status, exc, message)
    if status >= 500:
        # Not the parser: something escaped the answer middleware (a bug of ours), or aiohttp's
        # own handler timeout. The request's bytes are not in this exception.
        log.error("unhandled error answering %s", request.remote, exc_info=exc)
    else:
        log.refused(type(exc).__name__ if exc is not None else str(status), request.remote)
    if request.writer.output_size > 0:
        # As aiohttp: part of an answer is out, so there is no way to send this one.
        raise ConnectionError("an answer was already being sent; cannot send the error")
    response = json_response({"success": False, "error": HTTPStatus(status).phrase}, status)
    response.force_close()
    return response


def install() -> None:
    """Replace aiohttp's `RequestHandler.handle_error` (idempotent; see the module's doc)."""
    web.RequestHandler.handle_error = _handle_error  # type: ignore[method-assign]
