"""The whole URL map."""

from aiohttp import web

from service.http import ops
from service.rocketchat import handlers
from service.rocketchat.reports import REPORTS

DEPARTMENTS = "/api/v1/livechat/analytics/departments"

ROUTES = [
    web.get("/healthz", ops.healthz),
    web.get("/readyz", ops.readyz),
    web.get("/metrics", ops.metrics),
    web.get("/api/openapi.json", ops.openapi),
    # Rocket.Chat's analytics, both families (departments, agents): each report's own path.
    *(web.get(report.path, handlers.report(report)) for report in REPORTS),
]
