"""JSON bodies (orjson) and conditional responses (ETag, Cache-Control, 304)."""

import hashlib
from collections.abc import Mapping
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
    content_type: str = JSON
    # Headers of a full answer only (not of a 304), such as Content-Disposition.
    headers: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, data: Any) -> "Rendered":
        return cls.of_bytes(orjson.dumps(data))

    @classmethod
    def of_bytes(
        cls, body: bytes, content_type: str = JSON, headers: Mapping[str, str] | None = None
    ) -> "Rendered":
        return cls(
            body=body,
            etag=hashlib.blake2b(body, digest_size=16).hexdigest(),
            content_type=content_type,
            headers=tuple((headers or {}).items()),
        )

    def respond(
        self, request: web.Request, max_age: int, vary: Mapping[str, str] | None = None
    ) -> web.Response:
        """The 200 (or 304) answer; `vary` (headers such as Vary) go on both."""
        headers = {
            **(vary or {}),
            # `private`: answers depend on who may see them; shared caches must not keep them.
            hdrs.CACHE_CONTROL: f"private, max-age={max_age}",
            hdrs.ETAG: f'"{self.etag}"',
        }
        # If-None-Match uses the weak comparison (RFC 9110 §13.1.2): W/"x" matches "x".
        if hdrs.IF_NONE_MATCH in request.headers and any(
            tag.value in (self.etag, "*") for tag in request.if_none_match or ()
        ):
            return web.Response(status=304, headers=headers)
        headers[hdrs.CONTENT_TYPE] = self.content_type
        headers.update(self.headers)
        return web.Response(body=self.body, headers=headers)
