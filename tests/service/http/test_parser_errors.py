"""What aiohttp's HTTP parser refuses, sent as raw bytes over a socket: a JSON answer in
Rocket.Chat's error shape that echoes nothing, at most one WARNING line per minute that carries
none of the request's bytes, and a service that goes on serving."""

import asyncio
import hashlib
import inspect
import json
import logging
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from tests.conftest import MakeClient
from tests.factories import seed_auth

URL = b"/api/v1/livechat/analytics/departments/amount-of-chats"
WINDOW = b"start=2026-09-01&end=2026-09-30"
TOKEN = b"s3cret-token-never-logged"
USER = b"X-User-Id: manager"
BAD_REQUEST = {"success": False, "error": "Bad Request"}

# Each is refused by aiohttp's parser before any application code runs.
REFUSED = {
    "NUL in the token": [USER, b"X-Auth-Token: " + TOKEN + b"\x00"],
    "bare CR in the token": [USER, b"X-Auth-Token: " + TOKEN + b"\rX: y"],
    "obsolete line folding": [USER, b"X-Auth-Token: " + TOKEN, b" folded"],
    "a header over the limit": [USER, b"X-Auth-Token: " + TOKEN + b"t" * 140_000],
    "10 000 headers": [USER, b"X-Auth-Token: " + TOKEN, *[b"X-Pad: 1"] * 10_000],
    "a space in the header name": [USER, b"X-Auth Token: " + TOKEN],
}


async def exchange(client: TestClient, raw: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send `raw` on a new connection; (status, headers, body) of the answer."""
    assert client.server.host is not None
    assert client.server.port is not None
    reader, writer = await asyncio.open_connection(client.server.host, client.server.port)
    writer.write(raw)
    await writer.drain()
    async with asyncio.timeout(10):
        answer = await reader.read()
    writer.close()
    await writer.wait_closed()
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value for name, value in (line.split(": ", 1) for line in lines)}
    return int(status_line.split()[1]), headers, body


def request(header_lines: list[bytes], target: bytes = URL + b"?" + WINDOW) -> bytes:
    lines = [b"GET " + target + b" HTTP/1.1", b"Host: test", b"Connection: close", *header_lines]
    return b"\r\n".join(lines) + b"\r\n\r\n"


@pytest.fixture
async def client(make_client: MakeClient, db: Any) -> TestClient:
    await seed_auth(db)
    return await make_client()


async def assert_still_serving(client: TestClient) -> None:
    good = [USER, b"X-Auth-Token: manager-token"]
    status, headers, _ = await exchange(client, request(good))
    assert (status, headers["content-type"].split(";")[0]) == (200, "application/json")


@pytest.mark.parametrize("header_lines", REFUSED.values(), ids=REFUSED.keys())
async def test_a_refused_request_gets_rocketchats_json_error_without_its_bytes(
    client: TestClient, header_lines: list[bytes]
) -> None:
    status, headers, body = await exchange(client, request(header_lines))
    assert status == 400
    assert headers["content-type"].split(";")[0] == "application/json"
    assert json.loads(body) == BAD_REQUEST
    assert TOKEN not in body
    await assert_still_serving(client)


async def test_a_request_line_over_the_limit_is_json_too(client: TestClient) -> None:
    target = URL + b"?" + WINDOW + b"&sort=" + b"s" * 140_000
    status, _, body = await exchange(client, request([USER], target))
    assert (status, json.loads(body)) == (400, BAD_REQUEST)
    assert b"sss" not in body
    await assert_still_serving(client)


async def test_garbage_instead_of_http_is_json_too(client: TestClient) -> None:
    tls_hello = b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n"
    status, _, body = await exchange(client, tls_hello)
    assert (status, json.loads(body)) == (400, BAD_REQUEST)
    await assert_still_serving(client)


async def test_a_token_in_a_refused_header_reaches_no_log_record(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for header_lines in REFUSED.values():
        await exchange(client, request(header_lines))
    refused = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(refused) == 1, "the first refusal is reported, once"
    assert refused[0].levelno == logging.WARNING
    for record in caplog.records:
        assert record.exc_info is None
        text = f"{record.getMessage()} {record.exc_text or ''} {record.__dict__}"
        assert TOKEN.decode() not in text
        assert "s3cret" not in text


async def test_a_flood_of_refused_requests_is_not_a_flood_of_log_records(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    limit = asyncio.Semaphore(20)

    async def one() -> None:
        async with limit:
            status, _, _ = await exchange(client, request(REFUSED["NUL in the token"]))
            assert status == 400

    await asyncio.gather(*(one() for _ in range(2000)))
    # The test server writes aiohttp's own access log; the service runs without it (__main__).
    records = [r for r in caplog.records if r.name != "aiohttp.access"]
    assert len(records) <= 1
    await assert_still_serving(client)


# aiohttp has no supported hook for these answers (they bypass middlewares and signals), so the
# service replaces `RequestHandler.handle_error` (service/http/parser_errors.py) for aiohttp's
# pinned version (pyproject.toml: aiohttp==3.14.5). These are the methods that override depends
# on: how the parser's error becomes a request (`data_received`), how that request reaches the
# hook (`_make_error_handler`), and what the hook replaces (`handle_error`).
AIOHTTP_HOOK_SOURCES = {
    "data_received": "1ee57ebe052e6c80ced26c96e4ccb1223172e1d55afba460353c5e414914d3f6",
    "_make_error_handler": "b73dcf1dd177a2437d6fc48ffdc9099ddd6212afb81bc23065b53bde4ea5fd1c",
    "handle_error": "94962ffef500c17222910ffeb4dc46ab273ed0bce8622472138f316d4a5cb1f6",
}


def test_aiohttps_parser_error_hook_is_the_one_the_override_was_written_for() -> None:
    """Fails when an aiohttp upgrade changes the methods the override depends on: re-read them
    in aiohttp/web_protocol.py, adapt service/http/parser_errors.py, then record the new
    digests here."""
    from service.http.parser_errors import AIOHTTP_HANDLE_ERROR

    methods = {
        "data_received": web.RequestHandler.data_received,
        "_make_error_handler": web.RequestHandler._make_error_handler,
        "handle_error": AIOHTTP_HANDLE_ERROR,
    }
    digests = {
        name: hashlib.sha256(inspect.getsource(method).encode()).hexdigest()
        for name, method in methods.items()
    }
    assert digests == AIOHTTP_HOOK_SOURCES
