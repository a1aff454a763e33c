"""The whole URL map."""

from aiohttp import web

from service import handlers
from service.reports import AMOUNT_OF_CHATS

DEPARTMENTS = "/api/v1/livechat/analytics/departments"

ROUTES = [
    web.get("/healthz", handlers.healthz),
    web.get("/readyz", handlers.readyz),
    web.get(f"{DEPARTMENTS}/amount-of-chats", handlers.report(AMOUNT_OF_CHATS)),
]
