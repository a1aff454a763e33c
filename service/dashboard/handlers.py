"""Our own API's thin handlers: authorize → load the query → build → run → read → dump.

Authentication is the drop-in's, plus Rocket.Chat's own cookies for same-origin browser requests
(`credentials_from_cookies`). The permission is checked on every request, cached answer or not.
"""

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from aiohttp import hdrs, web

from pipelines import scorecard, timeseries
from service.core.auth import VIEW_LIVECHAT_MANAGER, credentials_from_cookies
from service.core.db import Document, Mongo
from service.dashboard import csv, schemas
from service.http.rendering import Rendered
from service.keys import authenticator_key, mongo_key, result_cache_key, workspace_key

PREFIX = "/livechat-analytics/"
# The answer depends on all of these: the format negotiated from Accept, and who asks.
VARY = {"Vary": "Accept, Cookie, X-User-Id, X-Auth-Token"}
# On every answer under PREFIX, errors included (the answer middleware adds them).
SECURITY_HEADERS = {
    # Only this origin's pages may embed or fetch-and-read these answers; no CORS is sent.
    "Cross-Origin-Resource-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}


async def _authorize(request: web.Request) -> None:
    headers = credentials_from_cookies(request.headers)
    await request.app[authenticator_key].require(headers, VIEW_LIVECHAT_MANAGER)


async def _departments(mongo: Mongo, ids: Sequence[str] | None) -> list[Document]:
    where, projection = scorecard.departments_query(ids)
    return await mongo.find(scorecard.DEPARTMENTS, where, projection)


def _rendered(kind: str, body: Mapping[str, Any], format: str) -> Rendered:
    if format == "json":
        return Rendered.of(body, vary=VARY)
    render = csv.scorecard if kind == "scorecard" else csv.timeseries
    disposition = f'attachment; filename="{csv.filename(kind, body["window"])}"'
    return Rendered.of_bytes(
        render(body), csv.CONTENT_TYPE, {hdrs.CONTENT_DISPOSITION: disposition}, vary=VARY
    )


async def _scorecard(mongo: Mongo, params: scorecard.ScorecardParams, format: str) -> Rendered:
    queries = scorecard.build(params)
    results, departments = await asyncio.gather(
        asyncio.gather(*(mongo.aggregate(q.collection, q.stages) for q in queries)),
        _departments(mongo, params.department_ids),
    )
    by_window: dict[str, list[Document]] = {}
    for query, documents in zip(queries, results, strict=True):
        by_window.setdefault(query.window, []).extend(documents)
    body = scorecard.read(params, by_window, departments)
    schema = schemas.scorecard_response(params.metrics, params.previous is not None)
    return _rendered("scorecard", schema.dump(body), format)


async def _timeseries(mongo: Mongo, params: timeseries.TimeseriesParams, format: str) -> Rendered:
    collection, stages = timeseries.build(params)
    result, departments = await asyncio.gather(
        mongo.aggregate(collection, stages), _departments(mongo, params.department_ids)
    )
    body = timeseries.read(params, result, departments)
    if params.split and len(body["departments"]) * len(params.buckets) > schemas.MAX_SPLIT_VALUES:
        # Without `departmentId` the number of series is known only now.
        raise schemas.too_many_values()
    return _rendered("timeseries", schemas.TimeseriesResponse().dump(body), format)


Loader = Callable[..., tuple[Any, str | None]]
Compute = Callable[[Mongo, Any, str], Awaitable[Rendered]]


def _endpoint(
    kind: str, load: Loader, compute: Compute
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handle(request: web.Request) -> web.StreamResponse:
        app = request.app
        await _authorize(request)
        workspace = await app[workspace_key].current()
        params, asked = load(request.query, workspace)
        format = schemas.negotiated_format(asked, request.headers.get(hdrs.ACCEPT))
        cache = app[result_cache_key]
        rendered = await cache.get_or_compute(
            (kind, params, format),
            lambda: compute(app[mongo_key], params, format),
            # The key holds up to 100 department ids: weigh it like the URL that named them.
            key_bytes=len(request.raw_path),
        )
        return rendered.respond(request, max_age=int(cache.ttl_seconds))

    return handle


scorecard_handler = _endpoint("scorecard", schemas.load_scorecard, _scorecard)
timeseries_handler = _endpoint("timeseries", schemas.load_timeseries, _timeseries)
