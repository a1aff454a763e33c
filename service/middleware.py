"""The one middleware every request passes through: it renders failures as Rocket.Chat JSON and
adds `Server-Timing` (milliseconds in MongoDB and in the whole handler) to every answer.

One middleware, not a stack of them: each aiohttp middleware layer costs a few microseconds on
the warm path, which is a cached answer served in tens of microseconds (see `make bench`).
"""

import time

from aiohttp import web
from aiohttp.typedefs import Handler

from service.errors import error_response
from service.timing import end_request, start_request


@web.middleware
async def answer_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    database, token = start_request()
    started = time.perf_counter()
    try:
        response = await handler(request)
    except Exception as error:
        response = error_response(request, error)
    finally:
        end_request(token)
    elapsed = time.perf_counter() - started
    response.headers["Server-Timing"] = (
        f"db;dur={sum(database) * 1000:.3f}, app;dur={elapsed * 1000:.3f}"
    )
    return response
