"""The page's files over HTTP: content types, caching, security headers, and the demo's
credentials only where the embedded backend runs. (What the page does is in
test_page_browser.py, in a real browser.)"""

import html
import json
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from mongomock_motor import AsyncMongoMockClient

from service.app import create_app
from service.core.db import motor_client
from service.dashboard.page import PAGE, DemoSignIn, load_page
from service.http.openapi import openapi_spec
from service.routes import ROUTES
from service.settings import Settings

ROOT = Path(__file__).resolve().parents[3]
STATIC = ROOT / "service" / "dashboard" / "static"

EXPECTED_CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "connect-src": "'self'",
    "frame-ancestors": "'self'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "object-src": "'none'",
}


def _csp(header: str) -> dict[str, str]:
    directives = (part.strip().split(" ", 1) for part in header.split(";") if part.strip())
    return {name: value for name, value in directives}


def _references(page: str) -> list[str]:
    return re.findall(r'(?:src|href)="(static/[^"]+)"', page)


def _demo_meta(page: str) -> str:
    (content,) = re.findall(r'<meta name="demo-sign-in" content="([^"]*)">', page)
    return html.unescape(content)


async def test_page_is_html_with_the_security_headers(client: TestClient) -> None:
    response = await client.get(PAGE)
    assert response.status == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert _csp(response.headers["Content-Security-Policy"]) == EXPECTED_CSP
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "no-cache"


async def test_page_has_no_inline_script_or_style(client: TestClient) -> None:
    page = await (await client.get(PAGE)).text()
    scripts = re.findall(r"<script[^>]*>", page)
    assert len(scripts) == 2
    assert all(re.fullmatch(r'<script src="static/[^"]+" defer>', tag) for tag in scripts)
    assert "<style" not in page
    assert " style=" not in page
    assert not re.search(r"\son[a-z]+=", page)


async def test_every_referenced_asset_is_served_versioned_and_cacheable(
    client: TestClient,
) -> None:
    page = await (await client.get(PAGE)).text()
    references = _references(page)
    assert len(references) == 5  # favicon, two stylesheets, two scripts
    types = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}
    for reference in references:
        path, _, version = reference.partition("?v=")
        assert re.fullmatch(r"[0-9a-f]{12}", version), reference
        response = await client.get(PAGE + reference)
        assert response.status == 200, reference
        assert response.content_type == types[Path(path).suffix]
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert await response.read() == (STATIC / path.removeprefix("static/")).read_bytes()


async def test_an_asset_without_its_current_version_is_revalidated(client: TestClient) -> None:
    for query in ("", "?v=000000000000"):
        response = await client.get(f"{PAGE}static/app.js{query}")
        assert response.status == 200
        assert response.headers["Cache-Control"] == "no-cache"


@pytest.mark.parametrize(
    "path",
    [
        "static/nothing.js",
        "static/index.html",
        "static/vendor/uplot/LICENSE",
        "static/vendor/uplot/UPDATING.txt",
        "static/../page.py",
        "static/%2e%2e/page.py",
    ],
)
async def test_only_the_packaged_assets_are_served(client: TestClient, path: str) -> None:
    response = await client.get(PAGE + path)
    assert response.status == 404
    assert (await response.json())["success"] is False


async def test_the_address_without_its_slash_redirects_to_the_page(client: TestClient) -> None:
    response = await client.get(PAGE.rstrip("/"), allow_redirects=False)
    assert response.status == 308
    assert response.headers["Location"] == "livechat-analytics/"
    followed = await client.get(PAGE.rstrip("/"))
    assert str(followed.url).endswith(PAGE)
    assert followed.status == 200


async def test_without_the_embedded_backend_the_page_carries_no_credential(
    client: TestClient,
) -> None:
    page = await (await client.get(PAGE)).text()
    assert _demo_meta(page) == ""


async def test_the_embedded_demo_page_prefills_the_demo_manager(aiohttp_client: Any) -> None:
    demo = DemoSignIn("demo-manager", 'tok"<en>&')
    app = create_app(Settings(), client_factory=lambda _: AsyncMongoMockClient(), demo_sign_in=demo)
    client = await aiohttp_client(app)
    page = await (await client.get(PAGE)).text()
    assert json.loads(_demo_meta(page)) == {"userId": "demo-manager", "token": 'tok"<en>&'}


def test_demo_credentials_are_refused_with_the_production_client() -> None:
    settings = Settings(mongo_url="mongodb://db.example/rocketchat")
    with pytest.raises(ValueError, match="embedded"):
        create_app(settings, client_factory=motor_client, demo_sign_in=DemoSignIn("u", "t"))


def test_the_page_packages_its_script_styles_and_chart_library() -> None:
    page = load_page()
    assert set(page.assets) >= {
        "app.js",
        "style.css",
        "favicon.svg",
        "vendor/uplot/uPlot.iife.min.js",
        "vendor/uplot/uPlot.min.css",
    }


def test_vendored_uplot_version_is_the_one_the_note_and_readme_name() -> None:
    vendor = STATIC / "vendor" / "uplot"
    banner = (vendor / "uPlot.iife.min.js").read_text().splitlines()[0]
    (version,) = re.findall(r"\(v(\d+\.\d+\.\d+)\)", banner)
    assert f"uPlot {version} from npm" in (vendor / "UPDATING.txt").read_text()
    assert f"uPlot {version}" in (ROOT / "README.md").read_text()
    assert "MIT License" in (vendor / "LICENSE").read_text()


def test_package_data_ships_every_file_of_the_page() -> None:
    """The image installs a wheel, not the source tree: every file under static/ (the licence
    too) must match a package-data pattern, which setuptools expands as these globs."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["service.dashboard"]
    package = STATIC.parent
    shipped = {path for pattern in patterns for path in package.glob(pattern) if path.is_file()}
    every = {path for path in STATIC.rglob("*") if path.is_file()}
    assert len(every) == 8
    assert shipped == every


def test_the_page_and_its_files_are_in_the_openapi_document() -> None:
    paths = openapi_spec(ROUTES)["paths"]
    assert {"/livechat-analytics", PAGE, PAGE + "static/{path}"} <= set(paths)
    assert "text/html" in paths[PAGE]["get"]["responses"]["200"]["content"]
