"""Hostile requests, sent as raw bytes (no client library tidies them up) to the service on the
wire backend: each gets a 4xx (JSON whenever it reaches the application), nothing is ever read
as a MongoDB operator, and the service goes on serving."""

import asyncio
import json
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.factories import MANAGER, hashed, login_token, seed_auth, user
from tests.wire.faults import REPORT, URL, seed

pytestmark = pytest.mark.wire

WINDOW = "start=2026-09-01&end=2026-09-30&answered=true"
KIB_64 = 64 * 1024
Headers = list[tuple[bytes, bytes]]
CREDENTIALS: Headers = [
    (b"X-User-Id", MANAGER["X-User-Id"].encode()),
    (b"X-Auth-Token", MANAGER["X-Auth-Token"].encode()),
]

UNAUTHORIZED = {
    "success": False,
    "error": "You must be logged in to do this.",
    "status": "error",
    "message": "You must be logged in to do this.",
}
NOTHING = {"departments": [], "count": 0, "offset": 0, "total": 0, "success": True}


def invalid_params(message: str) -> dict[str, Any]:
    return {"success": False, "error": f"{message} [invalid-params]", "errorType": "invalid-params"}


def invalid_date(name: str) -> dict[str, Any]:
    return {"success": False, "error": f'The "{name}" query parameter must be a valid date.'}


def repeated(pair: str, times: int = 10_000) -> str:
    return "&".join([pair] * times)


async def raw_get(
    client: TestClient, query: bytes, headers: Headers = CREDENTIALS
) -> tuple[int, str, bytes]:
    """(status, content type, body) of a GET of the report with this exact query string."""
    assert client.server.host is not None
    assert client.server.port is not None
    reader, writer = await asyncio.open_connection(client.server.host, client.server.port)
    lines = [b"GET " + URL.encode() + b"?" + query + b" HTTP/1.1", b"Host: test"]
    lines += [b"Connection: close", *(name + b": " + value for name, value in headers)]
    writer.write(b"\r\n".join(lines) + b"\r\n\r\n")
    await writer.drain()
    async with asyncio.timeout(10):
        answer = await reader.read()
    writer.close()
    await writer.wait_closed()
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    fields = dict(line.split(": ", 1) for line in header_lines)
    content_type = fields.get("Content-Type", "").split(";")[0]
    return int(status_line.split()[1]), content_type, body


@pytest.fixture
async def serving(db: Any, client: TestClient) -> TestClient:
    await seed(db)
    return client


async def assert_still_serving(client: TestClient) -> None:
    status, content_type, body = await raw_get(client, WINDOW.encode())
    assert (status, content_type) == (200, "application/json")
    assert json.loads(body) == REPORT


# ----------------------------------------------------------------------------- JSON 4xx


@pytest.mark.parametrize(
    ("query", "headers", "status", "expected"),
    [
        pytest.param(b"start=2026-09-01%00&end=2026-09-30", CREDENTIALS, 400,
                     invalid_date("start"), id="NUL in a query value"),
        pytest.param(b"start=%ff%fe&end=2026-09-30", CREDENTIALS, 400,
                     invalid_date("start"), id="non-UTF-8 percent-encoding in a value"),
        pytest.param(WINDOW.encode() + b"&%ff%fe=1", CREDENTIALS, 400,
                     invalid_params("must NOT have additional properties"),
                     id="non-UTF-8 percent-encoding in a name"),
        pytest.param(WINDOW.encode() + b"&departmentId[$ne]=x", CREDENTIALS, 400,
                     invalid_params("must NOT have additional properties"),
                     id="operator-shaped name"),
        pytest.param(WINDOW.encode() + b"&departmentId%5B%24ne%5D=x", CREDENTIALS, 400,
                     invalid_params("must NOT have additional properties"),
                     id="operator-shaped name, percent-encoded"),
        pytest.param(b"start=" + b"2" * KIB_64 + b"&end=2026-09-30", CREDENTIALS, 400,
                     invalid_date("start"), id="64 KiB value"),
        pytest.param(WINDOW.encode() + b"&" + b"x" * KIB_64 + b"=1", CREDENTIALS, 400,
                     invalid_params("must NOT have additional properties"), id="64 KiB name"),
        pytest.param(WINDOW.encode() + b"&offset=" + b"9" * KIB_64, CREDENTIALS, 400,
                     invalid_params("must be <= 9007199254740991"), id="64 KiB of digits"),
        pytest.param(WINDOW.encode() + b"&count=1e400", CREDENTIALS, 400,
                     invalid_params("must be <= 9007199254740991"), id="huge count"),
        pytest.param(WINDOW.encode() + b"&offset=-1e300", CREDENTIALS, 400,
                     invalid_params("must be >= 0"), id="huge negative offset"),
        pytest.param(WINDOW.encode() + b"&" + repeated("count=1").encode(), CREDENTIALS, 400,
                     invalid_params("must be number"), id="10 000 repeated counts"),
        pytest.param(WINDOW.encode() + b"&" + repeated("sort=x").encode(), CREDENTIALS, 400,
                     invalid_params("must be string"), id="10 000 repeated sorts"),
        pytest.param(WINDOW.encode() + b"&" + repeated("a=1").encode(), CREDENTIALS, 400,
                     invalid_params("must NOT have additional properties"),
                     id="10 000 repeated unknown names"),
        pytest.param(WINDOW.encode(), [CREDENTIALS[0], (b"X-Auth-Token", b"t" * KIB_64)], 401,
                     UNAUTHORIZED, id="64 KiB token"),
        pytest.param(WINDOW.encode(), [(b"X-User-Id", b"u" * KIB_64), CREDENTIALS[1]], 401,
                     UNAUTHORIZED, id="64 KiB user id"),
        pytest.param(WINDOW.encode(), [CREDENTIALS[0], (b"X-Auth-Token", b"manager-token\xff")],
                     401, UNAUTHORIZED, id="non-UTF-8 token"),
        pytest.param(WINDOW.encode(), [(b"X-User-Id", b"manager\xff"), CREDENTIALS[1]], 401,
                     UNAUTHORIZED, id="non-UTF-8 user id"),
        pytest.param(WINDOW.encode(), [(b"X-User-Id", b'{"$ne": null}'), CREDENTIALS[1]], 401,
                     UNAUTHORIZED, id="JSON in the user id"),
    ],
)  # fmt: skip
async def test_hostile_input_gets_a_json_4xx_and_the_service_goes_on(
    serving: TestClient, query: bytes, headers: Headers, status: int, expected: dict[str, Any]
) -> None:
    answer_status, content_type, body = await raw_get(serving, query, headers)
    assert (answer_status, content_type) == (status, "application/json")
    assert json.loads(body) == expected
    await assert_still_serving(serving)


# ----------------------------------------------------------------------------- literal values


@pytest.mark.parametrize(
    "department",
    [
        pytest.param(b"%7B%22%24ne%22%3Anull%7D", id='JSON {"$ne":null} in departmentId'),
        pytest.param(b"%7B%22%24gt%22%3A%22%22%7D", id='JSON {"$gt":""} in departmentId'),
        pytest.param(b"d1%00", id="NUL in departmentId"),
        pytest.param(b"%ff%fe", id="non-UTF-8 departmentId"),
        pytest.param(b"d" * KIB_64, id="64 KiB departmentId"),
    ],
)
async def test_department_ids_are_matched_literally_never_as_operators(
    serving: TestClient, department: bytes
) -> None:
    """Rocket.Chat's schema accepts any string as `departmentId`, so these are valid requests
    (a 4xx would differ from Rocket.Chat): each is compared as a literal string and finds
    nothing, although every seeded room would match the operators they spell."""
    status, content_type, body = await raw_get(
        serving, WINDOW.encode() + b"&departmentId=" + department
    )
    assert (status, content_type) == (200, "application/json")
    assert json.loads(body) == NOTHING
    await assert_still_serving(serving)


async def test_the_largest_offset_is_an_empty_page(serving: TestClient) -> None:
    largest = 2**53 - 1  # larger ones are a 400 (above)
    status, _, body = await raw_get(serving, WINDOW.encode() + f"&offset={largest}".encode())
    assert (status, json.loads(body)) == (
        200,
        {**REPORT, "departments": [], "count": 0, "offset": largest},
    )
    await assert_still_serving(serving)


# ----------------------------------------------------------------------------- the HTTP parser


@pytest.mark.parametrize(
    ("query", "headers"),
    [
        pytest.param(WINDOW.encode(), [CREDENTIALS[0], (b"X-Auth-Token", b"manager\x00token")],
                     id="NUL in a header value"),
        pytest.param(WINDOW.encode() + b"&departmentId=d1\x00", CREDENTIALS,
                     id="raw NUL in the request target"),
        pytest.param(WINDOW.encode() + b"&" + repeated("departmentId=d1").encode(), CREDENTIALS,
                     id="request line over 128 KiB (10 000 repeated departmentIds)"),
        pytest.param(WINDOW.encode(), CREDENTIALS + [(b"X-Pad", b"1")] * 10_000,
                     id="10 000 headers"),
    ],
)  # fmt: skip
async def test_what_the_http_parser_rejects_is_a_400_and_the_service_goes_on(
    serving: TestClient, query: bytes, headers: Headers
) -> None:
    """aiohttp's HTTP parser refuses these before any application code runs; the service
    answers them in Rocket.Chat's error shape, echoing nothing (service/http/parser_errors.py),
    does no database work, and still answers."""
    status, content_type, body = await raw_get(serving, query, headers)
    assert (status, content_type) == (400, "application/json")
    assert json.loads(body) == {"success": False, "error": "Bad Request"}
    await assert_still_serving(serving)


# ----------------------------------------------------------------------------- tokens

TOKENS = {"manager": "manager-token", "agent": "agent-token", "boss": "boss-token"}


def credentials(user_id: str, token: str) -> Headers:
    return [(b"X-User-Id", user_id.encode()), (b"X-Auth-Token", token.encode())]


async def test_a_token_authenticates_only_its_own_user(db: Any, client: TestClient) -> None:
    await seed_auth(db)  # the manager, and the agent (no permission)
    await db.users.insert_one(user("boss", [login_token("boss-token")]))
    own_answer = {"manager": 200, "agent": 403, "boss": 200}
    for user_id, expected in own_answer.items():
        for owner, token in TOKENS.items():
            status, _, _ = await raw_get(client, WINDOW.encode(), credentials(user_id, token))
            assert status == (expected if owner == user_id else 401), (user_id, owner)
        # The stored hash is not a token: reading the database does not let anyone log in.
        stolen = credentials(user_id, hashed(TOKENS[user_id]))
        assert (await raw_get(client, WINDOW.encode(), stolen))[0] == 401
