"""Thin handlers: authorize → load the query → build the pipeline → run it → dump the result."""

from aiohttp import web
from aiohttp.typedefs import Handler

from service.auth import VIEW_LIVECHAT_MANAGER
from service.keys import authenticator_key, mongo_key, settings_key, workspace_key
from service.reports import Report
from service.schemas import load_query


def report(spec: Report) -> Handler:
    """The handler of one department report. Checks run in Rocket.Chat's order: 401, 403, 400."""

    async def handle(request: web.Request) -> web.StreamResponse:
        app = request.app
        await app[authenticator_key].require(request.headers, VIEW_LIVECHAT_MANAGER)
        workspace = await app[workspace_key].current()
        params = load_query(spec.query_schema, request.query).params(workspace)
        result = await app[mongo_key].aggregate(spec.collection, spec.build(params))
        return web.json_response(spec.body(result, params))

    return handle


async def healthz(request: web.Request) -> web.StreamResponse:
    """Liveness: the process answers. Deliberately ignores MongoDB, so a database outage does
    not make Kubernetes restart every replica."""
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.StreamResponse:
    """Readiness: MongoDB answers a ping within the readiness timeout."""
    timeout = request.app[settings_key].readiness_timeout_ms / 1000
    if await request.app[mongo_key].ping(timeout):
        return web.json_response({"status": "ok"})
    return web.json_response({"status": "unavailable", "mongo": "unreachable"}, status=503)
