"""Thin handlers: authorize → load the query → build the pipeline → run it → dump the result."""

from aiohttp import web
from aiohttp.typedefs import Handler

from pipelines.params import ReportParams
from service.auth import VIEW_LIVECHAT_MANAGER
from service.db import Mongo
from service.keys import (
    authenticator_key,
    metrics_key,
    mongo_key,
    openapi_key,
    query_memo_key,
    result_cache_key,
    settings_key,
    workspace_key,
)
from service.rendering import Rendered, json_response
from service.reports import Report


async def _render(mongo: Mongo, spec: Report, params: ReportParams) -> Rendered:
    result = await mongo.aggregate(spec.collection, spec.build(params))
    return Rendered.of(spec.body(result, params))


def report(spec: Report) -> Handler:
    """The handler of one department report. Checks run in Rocket.Chat's order: 401, 403, 400;
    the permission is checked on every request, cached answers or not."""

    async def handle(request: web.Request) -> web.StreamResponse:
        app = request.app
        await app[authenticator_key].require(request.headers, VIEW_LIVECHAT_MANAGER)
        workspace = await app[workspace_key].current()
        # The path is part of the target, so one memo serves every report.
        params = app[query_memo_key].params(
            spec.query_schema, request.raw_path, lambda: request.query, workspace
        )
        cache = app[result_cache_key]
        rendered = await cache.get_or_compute(
            (spec.name, params), lambda: _render(app[mongo_key], spec, params)
        )
        return rendered.respond(request, max_age=int(cache.ttl_seconds))

    return handle


async def metrics(request: web.Request) -> web.StreamResponse:
    """Prometheus scrape, from this app's registry."""
    return await request.app[metrics_key].handler(request)


async def openapi(request: web.Request) -> web.StreamResponse:
    return web.Response(body=request.app[openapi_key], content_type="application/json")


async def healthz(request: web.Request) -> web.StreamResponse:
    """Liveness: the process answers. Deliberately ignores MongoDB, so a database outage does
    not make Kubernetes restart every replica."""
    return json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.StreamResponse:
    """Readiness: MongoDB answers a ping within the readiness timeout."""
    timeout = request.app[settings_key].readiness_timeout_ms / 1000
    if await request.app[mongo_key].ping(timeout):
        return json_response({"status": "ok"})
    return json_response({"status": "unavailable", "mongo": "unreachable"}, status=503)
