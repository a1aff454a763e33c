"""The whole URL map."""

from aiohttp import web

from service import handlers
from service.reports import REPORTS

DEPARTMENTS = "/api/v1/livechat/analytics/departments"

ROUTES = [
    web.get("/healthz", handlers.healthz),
    web.get("/readyz", handlers.readyz),
    web.get("/metrics", handlers.metrics),
    web.get("/api/openapi.json", handlers.openapi),
    *(web.get(f"{DEPARTMENTS}/{report.name}", handlers.report(report)) for report in REPORTS),
]
