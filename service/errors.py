"""Rocket.Chat-shaped errors and the one middleware that renders every failure as JSON."""

import logging
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

log = logging.getLogger(__name__)


class ApiError(Exception):
    """An answer other than 200, with Rocket.Chat's exact body. Raised, never returned."""

    status = 400

    def __init__(self, body: dict[str, Any]) -> None:
        super().__init__(body.get("error") or body.get("message"))
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


def _error_response(status: int, body: dict[str, Any]) -> web.Response:
    return web.json_response(body, status=status)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as error:
        return _error_response(error.status, error.body)
    except web.HTTPException as error:
        # aiohttp's own 404/405/413...: same JSON shape instead of its text/plain page.
        if error.status < 400:
            raise
        return _error_response(error.status, {"success": False, "error": error.reason})
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return _error_response(500, {"success": False, "error": "Internal server error"})
