"""The application factory: the one place an app is assembled, for production and tests."""

from collections.abc import AsyncIterator
from functools import cache

from aiohttp import web

from service.core.auth import Authenticator
from service.core.db import ClientFactory, mongo_ctx, motor_client
from service.core.metrics import Metrics
from service.core.workspace import WorkspaceSettings
from service.dashboard.handlers import PREFIX, SECURITY_HEADERS
from service.dashboard.page import DemoSignIn, load_page
from service.http import parser_errors
from service.http.middleware import answer_middleware
from service.http.openapi import openapi_document
from service.http.rendering import Rendered
from service.http.result_cache import ResultCache
from service.keys import (
    authenticator_key,
    metrics_key,
    mongo_key,
    openapi_key,
    page_key,
    query_memo_key,
    result_cache_key,
    settings_key,
    workspace_key,
)
from service.rocketchat.schemas import QueryMemo
from service.routes import ROUTES
from service.settings import Settings

# Long enough for any legitimate query string, and for hostile ones to reach our validation
# (and its JSON errors) instead of the HTTP parser's plain-text 400.
MAX_REQUEST_LINE = 128 * 1024


@cache
def _openapi_document() -> bytes:
    """Built once per process: it depends only on the routes and schemas, fixed at import, and
    building it (apispec walking every schema) costs more than the rest of an app's set-up."""
    return openapi_document(ROUTES)


async def _analytics_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[settings_key]
    workspace = WorkspaceSettings(
        app[mongo_key],
        settings.overrides,
        settings.settings_cache_ttl_seconds,
        server_timezone=settings.rocketchat_server_timezone,
    )
    app[workspace_key] = workspace
    metrics = app[metrics_key]
    app[authenticator_key] = Authenticator(
        app[mongo_key], workspace, settings.auth_cache_ttl_seconds, metrics=metrics
    )
    app[query_memo_key] = QueryMemo()
    app[result_cache_key] = ResultCache(
        settings.result_cache_ttl_seconds,
        settings.result_cache_max_entries,
        observe=lambda hit: (metrics.result_hit if hit else metrics.result_miss).inc(),
        max_bytes=settings.result_cache_max_bytes,
        weigh=Rendered.nbytes,
    )
    yield


def create_app(
    settings: Settings,
    *,
    client_factory: ClientFactory = motor_client,
    demo_sign_in: DemoSignIn | None = None,
) -> web.Application:
    """`demo_sign_in`: the embedded demo's credentials, pre-filled on the page's sign-in form.
    Refused with the production client, so a real database's page never carries one."""
    if demo_sign_in is not None and client_factory is motor_client:
        raise ValueError("demo credentials belong to the embedded backend only")
    # Requests the HTTP parser refuses never reach the middleware; see parser_errors.py.
    parser_errors.install()
    metrics = Metrics()
    app = web.Application(
        middlewares=[answer_middleware(metrics, settings, (PREFIX, SECURITY_HEADERS))],
        handler_args={
            "max_line_size": MAX_REQUEST_LINE,
            "max_field_size": MAX_REQUEST_LINE,
            "logger": parser_errors.ParserErrorLog(),
        },
    )
    app[settings_key] = settings
    app[metrics_key] = metrics
    app[openapi_key] = _openapi_document()
    app[page_key] = load_page(demo_sign_in)
    app.cleanup_ctx.append(mongo_ctx(client_factory))
    app.cleanup_ctx.append(_analytics_ctx)
    app.add_routes(ROUTES)
    return app
