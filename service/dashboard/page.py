"""The dashboard page: `index.html` and its static assets, served from the package with the
page's security headers.

Everything is read into memory once, when the app is built: a handful of small files, so a
request never touches the filesystem and no path from a URL ever reaches it.
"""

import hashlib
import html
import json
import re
from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any

from aiohttp import hdrs, web

from service.keys import page_key

PAGE = "/livechat-analytics/"

# The page's own files and nothing else: scripts and styles only from this origin (no inline
# script, so an injected `<script>` or `onerror=` attribute cannot run), API calls only to this
# origin, framed only by this origin (Rocket.Chat's host), no <base> rewriting, forms post here.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'self'; base-uri 'none'; form-action 'self'; "
    "object-src 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    # For browsers that predate `frame-ancestors`.
    "X-Frame-Options": "SAMEORIGIN",
}

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}
# An asset asked for with its current version (`?v=<hash>`, which index.html carries) never
# changes under that URL; a new release changes the hash, so browsers may keep it a year.
IMMUTABLE = "public, max-age=31536000, immutable"
# The page itself is revalidated every time, so a new release is picked up at once.
REVALIDATE = "no-cache"

# `src="static/…"` / `href="static/…"` in index.html: rewritten to carry the asset's version.
_ASSET_REFERENCE = re.compile(r'(?P<attr>src|href)="static/(?P<path>[^"?#]+)"')
# Where the embedded demo's credentials go (empty everywhere else).
_DEMO_PLACEHOLDER = '<meta name="demo-sign-in" content="">'


@dataclass(frozen=True, slots=True)
class DemoSignIn:
    """The embedded demo's manager, pre-filled on the sign-in form. Only `--embedded` sets it:
    against a real database the page never carries a credential."""

    user_id: str
    token: str


@dataclass(frozen=True, slots=True)
class Asset:
    body: bytes
    content_type: str
    version: str


@dataclass(frozen=True, slots=True)
class Page:
    index: bytes
    assets: dict[str, Asset]


def _walk(folder: Traversable, prefix: str = "") -> dict[str, Asset]:
    found: dict[str, Asset] = {}
    for entry in folder.iterdir():
        name = f"{prefix}{entry.name}"
        if entry.is_dir():
            found.update(_walk(entry, f"{name}/"))
            continue
        suffix = "." + entry.name.rpartition(".")[2]
        if suffix in CONTENT_TYPES and name != "index.html":
            body = entry.read_bytes()
            version = hashlib.sha256(body).hexdigest()[:12]
            found[name] = Asset(body, CONTENT_TYPES[suffix], version)
    return found


def load_page(demo: DemoSignIn | None = None) -> Page:
    """Read the package's static files; version the asset references in index.html and, for
    the embedded demo only, fill in its credentials."""
    static = files("service.dashboard").joinpath("static")
    assets = _walk(static)
    template = static.joinpath("index.html").read_text(encoding="utf-8")

    def versioned(match: re.Match[str]) -> str:
        path = match["path"]
        if path not in assets:
            raise LookupError(f"index.html refers to static/{path}, which is not in the package")
        return f'{match["attr"]}="static/{path}?v={assets[path].version}"'

    index = _ASSET_REFERENCE.sub(versioned, template)
    if _DEMO_PLACEHOLDER not in index:
        raise LookupError(f"index.html lacks {_DEMO_PLACEHOLDER}")
    if demo is not None:
        credentials = json.dumps({"userId": demo.user_id, "token": demo.token})
        value = html.escape(credentials, quote=True)
        index = index.replace(_DEMO_PLACEHOLDER, f'<meta name="demo-sign-in" content="{value}">')
    return Page(index=index.encode(), assets=assets)


def _headers(content_type: str, cache_control: str) -> dict[str, str]:
    return {
        **SECURITY_HEADERS,
        hdrs.CONTENT_TYPE: content_type,
        hdrs.CACHE_CONTROL: cache_control,
    }


async def index(request: web.Request) -> web.StreamResponse:
    """The page. It holds no data: everything it shows comes from the API, as the signed-in
    user, so the page itself needs no authentication."""
    page = request.app[page_key]
    return web.Response(body=page.index, headers=_headers(CONTENT_TYPES[".html"], REVALIDATE))


async def asset(request: web.Request) -> web.StreamResponse:
    """One of the package's static files, looked up by name (never a filesystem path)."""
    found = request.app[page_key].assets.get(request.match_info["path"])
    if found is None:
        raise web.HTTPNotFound()
    cache = IMMUTABLE if request.query.get("v") == found.version else REVALIDATE
    return web.Response(body=found.body, headers=_headers(found.content_type, cache))


async def to_page(request: web.Request) -> web.StreamResponse:
    """`/livechat-analytics` → `/livechat-analytics/`, so the page's relative URLs resolve.
    Relative, so it stays right behind a proxy that mounts the service under another path."""
    raise web.HTTPPermanentRedirect("livechat-analytics/")


_TEXT = {"schema": {"type": "string"}}
OPENAPI_OPERATIONS: dict[str, dict[str, Any]] = {
    PAGE.rstrip("/"): {
        "get": {
            "operationId": "dashboardRedirect",
            "summary": "Redirects to the dashboard page (with its trailing slash).",
            "tags": ["dashboard"],
            "responses": {"308": {"description": "Location: livechat-analytics/"}},
        }
    },
    PAGE: {
        "get": {
            "operationId": "dashboard",
            "summary": "The dashboard page (HTML). It holds no data and needs no credentials; "
            "its data comes from the scorecard and time-series API as the signed-in user.",
            "tags": ["dashboard"],
            "responses": {"200": {"description": "The page.", "content": {"text/html": _TEXT}}},
        }
    },
    PAGE + "static/{path}": {
        "get": {
            "operationId": "dashboardAsset",
            "summary": "One of the page's scripts, styles or images, from the package. With "
            "`v` equal to the file's current version the answer may be cached for a year.",
            "tags": ["dashboard"],
            "parameters": [
                {"name": "path", "in": "path", "required": True, "schema": {"type": "string"}},
                {"name": "v", "in": "query", "required": False, "schema": {"type": "string"}},
            ],
            "responses": {
                "200": {
                    "description": "The file.",
                    "content": {media.partition(";")[0]: _TEXT for media in CONTENT_TYPES.values()},
                },
                "404": {"description": "No such file."},
            },
        }
    },
}
