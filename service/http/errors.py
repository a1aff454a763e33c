"""Rocket.Chat-shaped errors, and how every failure is rendered as JSON."""

import logging
from typing import Any

from aiohttp import hdrs, web

from service.http.rendering import json_response

log = logging.getLogger(__name__)

# Describe aiohttp's text body, which the JSON one replaces.
_BODY_HEADERS = frozenset({hdrs.CONTENT_TYPE, hdrs.CONTENT_LENGTH, hdrs.CONTENT_ENCODING})


class ApiError(Exception):
    """An answer other than 200, with Rocket.Chat's exact body. Raised, never returned."""

    status = 400

    def __init__(self, body: dict[str, Any]) -> None:
        # No message of its own: the body is the answer, and nothing logs an ApiError.
        super().__init__()
        self.body = body


class InvalidParams(ApiError):
    """Rocket.Chat's schema validation failure (`API.v1.failure(msg, 'invalid-params')`)."""

    def __init__(self, message: str) -> None:
        super().__init__(
            {
                "success": False,
                "error": f"{message} [invalid-params]",
                "errorType": "invalid-params",
            }
        )


class BadRequest(ApiError):
    """A plain `API.v1.failure(msg)`: no errorType (used for unparsable dates)."""

    def __init__(self, message: str) -> None:
        super().__init__({"success": False, "error": message})


class Unauthorized(ApiError):
    status = 401
    MESSAGE = "You must be logged in to do this."

    def __init__(self) -> None:
        # Current Rocket.Chat sends all four keys; older docs show only status/message.
        super().__init__(
            {"success": False, "error": self.MESSAGE, "status": "error", "message": self.MESSAGE}
        )


class Forbidden(ApiError):
    status = 403

    def __init__(self) -> None:
        super().__init__(
            {
                "success": False,
                "error": "User does not have the permissions required for this action "
                "[error-unauthorized]",
            }
        )


class DatabaseUnavailable(ApiError):
    """MongoDB could not be reached or failed the command; the cause is logged, not sent."""

    status = 503

    def __init__(self) -> None:
        super().__init__(
            {
                "success": False,
                "error": "The analytics database is unavailable, try again later "
                "[error-database-unavailable]",
                "errorType": "error-database-unavailable",
            }
        )


class DatabaseTimeout(ApiError):
    """The aggregation ran past `maxTimeMS` (MongoDB error code 50)."""

    status = 504

    def __init__(self) -> None:
        super().__init__(
            {
                "success": False,
                "error": "The report took longer than the configured time limit; narrow the "
                "date range or try again later [error-database-timeout]",
                "errorType": "error-database-timeout",
            }
        )


def error_response(request: web.Request, error: Exception) -> web.StreamResponse:
    """The JSON answer for a failure. Driver errors arrive here already translated (db.py)."""
    if isinstance(error, ApiError):
        return json_response(error.body, status=error.status)
    if isinstance(error, web.HTTPException):
        if error.status < 400:
            raise error  # redirects and the like are answers, not failures
        # aiohttp's own 404/405/413...: the same JSON shape instead of its text/plain page,
        # keeping the headers it set (a 405's `Allow`, which RFC 9110 requires) but its body's.
        response = json_response({"success": False, "error": error.reason}, status=error.status)
        for name, value in error.headers.items():
            if name not in _BODY_HEADERS:
                response.headers.add(name, value)
        return response
    log.error("unhandled error on %s %s", request.method, request.path, exc_info=error)
    return json_response({"success": False, "error": "Internal server error"}, status=500)
