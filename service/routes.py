"""The whole URL map."""

from aiohttp import web

from service.dashboard import handlers as dashboard
from service.dashboard import page
from service.http import ops
from service.rocketchat import handlers
from service.rocketchat.reports import REPORTS

DEPARTMENTS = "/api/v1/livechat/analytics/departments"
# Our own API: one prefix, so one Ingress rule routes it and Rocket.Chat's /api/v1/ is untouched.
DASHBOARD_API = "/livechat-analytics/api/v1"

ROUTES = [
    web.get("/healthz", ops.healthz),
    web.get("/readyz", ops.readyz),
    web.get("/metrics", ops.metrics),
    web.get("/api/openapi.json", ops.openapi),
    # Rocket.Chat's analytics, both families (departments, agents): each report's own path.
    *(web.get(report.path, handlers.report(report)) for report in REPORTS),
    web.get(f"{DASHBOARD_API}/scorecard", dashboard.scorecard_handler),
    web.get(f"{DASHBOARD_API}/timeseries", dashboard.timeseries_handler),
    # The dashboard page and its files.
    web.get(page.PAGE.rstrip("/"), page.to_page),
    web.get(page.PAGE, page.index),
    web.get(page.PAGE + "static/{path:.+}", page.asset),
]
