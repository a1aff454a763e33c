"""The drop-in's thin handlers: authorize → load the query → build → run → dump."""

from aiohttp import web
from aiohttp.typedefs import Handler

from pipelines.params import ReportParams
from service.core.auth import VIEW_LIVECHAT_MANAGER
from service.core.db import Mongo
from service.http.rendering import Rendered
from service.keys import (
    authenticator_key,
    mongo_key,
    query_memo_key,
    result_cache_key,
    workspace_key,
)
from service.rocketchat.reports import Report


async def _render(mongo: Mongo, spec: Report, params: ReportParams) -> Rendered:
    result = await mongo.aggregate(spec.collection, spec.build(params))
    return Rendered.of(spec.body(result, params))


def report(spec: Report) -> Handler:
    """The handler of one report, of either family. Checks run in Rocket.Chat's order: 401,
    403, 400; the permission is checked on every request, cached answers or not."""

    async def handle(request: web.Request) -> web.StreamResponse:
        app = request.app
        await app[authenticator_key].require(request.headers, VIEW_LIVECHAT_MANAGER)
        settings = app[workspace_key]
        workspace = settings.fresh() or await settings.current()
        # The path is part of the target, so one memo serves every report.
        memo = app[query_memo_key].lookup(
            spec.path, spec.query_schema, request.raw_path, lambda: request.query, workspace
        )
        cache = app[result_cache_key]
        rendered = cache.fresh(memo.key) or await cache.get_or_compute(
            memo.key,
            lambda: _render(app[mongo_key], spec, memo.params),
            key_bytes=memo.key_bytes,
        )
        return rendered.respond(request, max_age=int(cache.ttl_seconds))

    return handle
