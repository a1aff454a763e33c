"""Failures rendered as Rocket.Chat-shaped JSON: the exact bodies of the answers no report test
reaches (an unexpected exception, aiohttp's own 404, 405 and 413), and nothing internal in them.

The app is built by `create_app`, as in production; the test adds the two routes production has
no use for (one that fails unexpectedly, one that reads a body) to the app before it starts.
"""

import io
import logging
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from service.app import create_app
from service.settings import Settings

REPORT = "/api/v1/livechat/analytics/departments/amount-of-chats"
SECRET = "mongodb://admin:hunter2@db.internal:27017 at 0x7f00"


async def _crash(request: web.Request) -> web.StreamResponse:
    raise RuntimeError(f"unexpected state from {SECRET}")


async def _redirect(request: web.Request) -> web.StreamResponse:
    raise web.HTTPFound("/healthz")


async def _refuse(request: web.Request) -> web.StreamResponse:
    raise web.HTTPBadRequest()


async def _read_body(request: web.Request) -> web.StreamResponse:
    await request.read()  # past aiohttp's client_max_size: HTTPRequestEntityTooLarge
    return web.json_response({"read": True})


@pytest.fixture
async def client(aiohttp_client: Any, mongo_client: Any) -> TestClient:
    app = create_app(Settings(mongo_database="rocketchat"), client_factory=lambda _: mongo_client)
    app.router.add_get("/test/crash", _crash)
    app.router.add_post("/test/upload", _read_body)
    app.router.add_get("/test/redirect", _redirect)
    app.router.add_get("/test/refuse", _refuse)
    started: TestClient = await aiohttp_client(app)
    return started


async def _answer(response: Any) -> tuple[int, str, bytes]:
    return response.status, response.content_type, await response.read()


async def test_an_unexpected_exception_is_a_500_without_internals(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="service.http.errors"):
        response = await client.get("/test/crash")
    assert await _answer(response) == (
        500,
        "application/json",
        b'{"success":false,"error":"Internal server error"}',
    )
    # The cause goes to the log for the operator, never to the caller.
    (record,) = [r for r in caplog.records if r.name == "service.http.errors"]
    assert record.exc_info is not None
    assert SECRET in str(record.exc_info[1])
    assert record.getMessage() == "unhandled error on GET /test/crash"


async def test_a_wrong_method_is_a_json_405(client: TestClient) -> None:
    response = await client.post(REPORT, data=b"{}")
    assert await _answer(response) == (
        405,
        "application/json",
        b'{"success":false,"error":"Method Not Allowed"}',
    )


async def test_a_body_past_the_size_limit_is_a_json_413(client: TestClient) -> None:
    # aiohttp's default client_max_size is 1 MiB; one byte more is refused.
    response = await client.post("/test/upload", data=io.BytesIO(b"x" * (1024**2 + 1)))
    assert await _answer(response) == (
        413,
        "application/json",
        b'{"success":false,"error":"Request Entity Too Large"}',
    )


async def test_an_unknown_path_is_a_json_404(client: TestClient) -> None:
    response = await client.get("/api/v1/livechat/analytics/departments/nothing-here")
    assert await _answer(response) == (
        404,
        "application/json",
        b'{"success":false,"error":"Not Found"}',
    )


async def test_an_aiohttp_400_is_json_too(client: TestClient) -> None:
    response = await client.get("/test/refuse")
    assert await _answer(response) == (
        400,
        "application/json",
        b'{"success":false,"error":"Bad Request"}',
    )


async def test_a_redirect_is_an_answer_not_a_failure(client: TestClient) -> None:
    response = await client.get("/test/redirect", allow_redirects=False)
    assert (response.status, response.headers["Location"]) == (302, "/healthz")


async def test_a_wrong_method_is_a_json_405_that_says_which_methods_are_allowed(
    client: TestClient,
) -> None:
    response = await client.post("/api/v1/livechat/analytics/departments/amount-of-chats")
    assert response.status == 405
    assert await response.json() == {"success": False, "error": "Method Not Allowed"}
    # RFC 9110 §15.5.6: a 405 MUST carry Allow.
    assert set(response.headers["Allow"].split(",")) == {"GET", "HEAD"}
    assert response.headers["Content-Type"].startswith("application/json")
