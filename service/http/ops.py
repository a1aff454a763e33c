"""Operational endpoints: liveness, readiness, Prometheus metrics and the OpenAPI document."""

from aiohttp import web

from service.http.rendering import json_response
from service.keys import metrics_key, mongo_key, openapi_key, settings_key


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
