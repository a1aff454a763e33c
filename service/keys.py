"""Every typed application key, and nothing else."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from service.core.auth import Authenticator
    from service.core.db import Mongo
    from service.core.metrics import Metrics
    from service.core.workspace import WorkspaceSettings
    from service.dashboard.page import Page
    from service.http.rendering import Rendered
    from service.http.result_cache import ResultCache
    from service.rocketchat.schemas import QueryMemo
    from service.settings import Settings

settings_key: web.AppKey[Settings] = web.AppKey("settings")
metrics_key: web.AppKey[Metrics] = web.AppKey("metrics")
openapi_key: web.AppKey[bytes] = web.AppKey("openapi")
mongo_key: web.AppKey[Mongo] = web.AppKey("mongo")
workspace_key: web.AppKey[WorkspaceSettings] = web.AppKey("workspace")
authenticator_key: web.AppKey[Authenticator] = web.AppKey("authenticator")
result_cache_key: web.AppKey[ResultCache[Rendered]] = web.AppKey("result_cache")
query_memo_key: web.AppKey[QueryMemo] = web.AppKey("query_memo")
page_key: web.AppKey[Page] = web.AppKey("page")
