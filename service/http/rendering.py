"""JSON bodies (orjson) and conditional responses (ETag, Cache-Control, 304)."""

import hashlib
from collections.abc import Mapping
from typing import Any

import orjson
from aiohttp import hdrs, web
from multidict import CIMultiDict

JSON = "application/json"


def json_response(data: Any, status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(data), status=status, content_type=JSON)


class Rendered:
    """A report's body, serialized once and reused for every answer the cache gives, with the
    headers of its 200 and 304 answers built once too (a cached answer is served in tens of
    microseconds, and building headers is a good part of that).

    `headers` go on the full answer only (such as Content-Disposition); `vary` (such as Vary)
    on the 304 too."""

    __slots__ = ("_extra", "_headers", "_max_age", "_vary", "body", "content_type", "etag")

    def __init__(
        self,
        body: bytes,
        etag: str,
        content_type: str = JSON,
        headers: Mapping[str, str] | None = None,
        vary: Mapping[str, str] | None = None,
    ) -> None:
        self.body = body
        self.etag = etag
        self.content_type = content_type
        self._extra = dict(headers or {})
        self._vary = dict(vary or {})
        self._max_age = -1
        self._headers: tuple[CIMultiDict[str], CIMultiDict[str]] = (CIMultiDict(), CIMultiDict())

    @classmethod
    def of(cls, data: Any, vary: Mapping[str, str] | None = None) -> "Rendered":
        return cls.of_bytes(orjson.dumps(data), vary=vary)

    @classmethod
    def of_bytes(
        cls,
        body: bytes,
        content_type: str = JSON,
        headers: Mapping[str, str] | None = None,
        vary: Mapping[str, str] | None = None,
    ) -> "Rendered":
        etag = hashlib.blake2b(body, digest_size=16).hexdigest()
        return cls(body, etag, content_type=content_type, headers=headers, vary=vary)

    def nbytes(self) -> int:
        """The bytes this answer holds (for the result cache's byte bound)."""
        extra = sum(len(k) + len(v) for k, v in (*self._extra.items(), *self._vary.items()))
        return len(self.body) + len(self.etag) + extra

    def _headers_for(self, max_age: int) -> tuple[CIMultiDict[str], CIMultiDict[str]]:
        if max_age != self._max_age:
            not_modified = CIMultiDict(
                {
                    **self._vary,
                    # `private`: answers depend on who may see them; shared caches must not
                    # keep them.
                    hdrs.CACHE_CONTROL: f"private, max-age={max_age}",
                    hdrs.ETAG: f'"{self.etag}"',
                }
            )
            ok = not_modified.copy()
            ok[hdrs.CONTENT_TYPE] = self.content_type
            ok.update(self._extra)
            self._headers, self._max_age = (ok, not_modified), max_age
        return self._headers

    def respond(self, request: web.Request, max_age: int) -> web.Response:
        ok, not_modified = self._headers_for(max_age)
        # If-None-Match uses the weak comparison (RFC 9110 §13.1.2): W/"x" matches "x".
        if hdrs.IF_NONE_MATCH in request.headers and any(
            tag.value in (self.etag, "*") for tag in request.if_none_match or ()
        ):
            return web.Response(status=304, headers=not_modified)
        # aiohttp copies the headers into the answer's own, so the shared ones stay as built.
        return web.Response(body=self.body, headers=ok)
