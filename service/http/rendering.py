"""JSON bodies (orjson) and conditional responses (ETag, Cache-Control, 304)."""

import hashlib
from dataclasses import dataclass
from typing import Any

import orjson
from aiohttp import hdrs, web

JSON = "application/json"


def json_response(data: Any, status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(data), status=status, content_type=JSON)


@dataclass(frozen=True, slots=True)
class Rendered:
    """A report's body, serialized once and reused for every answer the cache gives."""

    body: bytes
    etag: str

    @classmethod
    def of(cls, data: Any) -> "Rendered":
        body = orjson.dumps(data)
        return cls(body=body, etag=hashlib.blake2b(body, digest_size=16).hexdigest())

    def nbytes(self) -> int:
        """The bytes this answer holds (for the result cache's byte bound)."""
        return len(self.body) + len(self.etag)

    def respond(self, request: web.Request, max_age: int) -> web.Response:
        headers = {
            # `private`: answers depend on who may see them; shared caches must not keep them.
            hdrs.CACHE_CONTROL: f"private, max-age={max_age}",
            hdrs.ETAG: f'"{self.etag}"',
        }
        # If-None-Match uses the weak comparison (RFC 9110 §13.1.2): W/"x" matches "x".
        if hdrs.IF_NONE_MATCH in request.headers and any(
            tag.value in (self.etag, "*") for tag in request.if_none_match or ()
        ):
            return web.Response(status=304, headers=headers)
        headers[hdrs.CONTENT_TYPE] = JSON
        return web.Response(body=self.body, headers=headers)
