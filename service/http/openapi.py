"""The OpenAPI 3 document, generated with apispec from the marshmallow schemas and the report
registry, so a new report is documented the moment it is routed. Error examples are the bodies
the error classes actually send."""

import re
from collections.abc import Iterable
from importlib.metadata import version
from typing import Any

import orjson
from aiohttp import web
from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import Schema, fields

from pipelines import metrics
from service.dashboard import schemas as dashboard
from service.dashboard.page import OPENAPI_OPERATIONS as PAGE_OPERATIONS
from service.http.errors import (
    BadRequest,
    DatabaseTimeout,
    DatabaseUnavailable,
    Forbidden,
    InvalidParams,
    Unauthorized,
)
from service.rocketchat.reports import AGENTS, REPORTS, Report
from service.rocketchat.schemas import JsDate, JsNumber

JSON = "application/json"
CSV = "text/csv"
_CUSTOM_PATTERN = re.compile(r"\{(\w+):[^}]+\}")
# Both headers, as Rocket.Chat requires.
SECURITY: list[dict[str, list[str]]] = [{"authToken": [], "userId": []}]
# Our own API also takes Rocket.Chat's cookies from same-origin browser requests.
DASHBOARD_SECURITY: list[dict[str, list[str]]] = [
    *SECURITY,
    {"userIdCookie": [], "tokenCookie": []},
]

# The error bodies, as marshmallow schemas: Rocket.Chat's shapes, every key always sent.
TypedFailureBody = Schema.from_dict(
    {
        "success": fields.Boolean(required=True),
        "error": fields.String(required=True),
        "errorType": fields.String(required=True),
    },
    name="TypedFailure",
)
FailureBody = Schema.from_dict(
    {"success": fields.Boolean(required=True), "error": fields.String(required=True)},
    name="Failure",
)
UnauthorizedBody = Schema.from_dict(
    {
        "success": fields.Boolean(required=True),
        "error": fields.String(required=True),
        "status": fields.String(required=True),
        "message": fields.String(required=True),
    },
    name="Unauthorized",
)

# Every documented example, with the schema it must satisfy (checked by the tests).
ERROR_EXAMPLES: dict[str, tuple[type[Schema], dict[str, Any]]] = {
    "missingStart": (TypedFailureBody, InvalidParams("must have required property 'start'").body),
    "unknownParameter": (
        TypedFailureBody,
        InvalidParams("must NOT have additional properties").body,
    ),
    "invalidDate": (
        FailureBody,
        BadRequest('The "start" query parameter must be a valid date.').body,
    ),
    "unauthorized": (UnauthorizedBody, Unauthorized().body),
    "forbidden": (FailureBody, Forbidden().body),
    "unavailable": (TypedFailureBody, DatabaseUnavailable().body),
    "timeout": (TypedFailureBody, DatabaseTimeout().body),
}


# Example values of a row's fields by name; every other field is a metric, shown as 13.
_EXAMPLE_VALUES: dict[str, Any] = {
    "_id": "NJaMpSvZFZ4NAXm3j",
    "username": "maria.silva",
    "serviceHistory": [
        {"startedAt": "2026-10-25T08:00:00.000Z", "stoppedAt": "2026-10-25T12:30:00.000Z"}
    ],
}


def report_example(report: Report) -> dict[str, Any]:
    """A 200 body for `report`, shaped by its response schema (as in Rocket.Chat's docs)."""
    row_schema = report.response_schema.fields[report.family].inner.schema  # type: ignore[attr-defined]
    row = {name: _EXAMPLE_VALUES.get(name, 13) for name in row_schema.fields}
    return {report.family: [row], "count": 1, "offset": 0, "total": 11, "success": True}


def _error(description: str, schema: type[Schema], *examples: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {
            JSON: {
                "schema": schema,
                "examples": {name: {"value": ERROR_EXAMPLES[name][1]} for name in examples},
            }
        },
    }


def _header(description: str) -> dict[str, Any]:
    return {"description": description, "schema": {"type": "string"}}


# What the answer middleware adds to every answer of the application.
EVERY_ANSWER_HEADERS = {
    "X-Request-Id": _header(
        "The request's id: the caller's `X-Request-Id` when it is 1-128 characters of "
        "`A-Za-z0-9._:@/+=-`, else a new one. Also in the access log line."
    ),
    "Server-Timing": _header(
        "`db;dur=<ms>, app;dur=<ms>`: milliseconds spent in MongoDB (only when it was asked: "
        "not for an answer from the result cache), and in the whole handler."
    ),
}
# What a report's answer from the result cache (fresh or not) carries.
CACHING_HEADERS = {
    "ETag": _header("A strong validator of the body; send it back in `If-None-Match`."),
    "Cache-Control": _header(
        "`private, max-age=<RESULT_CACHE_TTL_SECONDS>`: answers depend on who asks, so only "
        "the caller's own cache may keep them."
    ),
}
IF_NONE_MATCH = {
    "in": "header",
    "name": "If-None-Match",
    "required": False,
    "description": "ETags of answers the caller holds; the current one gives a 304 without a "
    "body (weak comparison, `*` matches any).",
    "schema": {"type": "string"},
}


# Our own API's examples: what the contract shows, shaped by the response schemas.
_WINDOW = {
    "start": "2026-10-31T23:00:00.000Z",
    "end": "2026-11-30T22:59:59.999Z",
    "timezone": "Europe/Berlin",
}
SCORECARD_EXAMPLE: dict[str, Any] = {
    "window": _WINDOW,
    "previousWindow": {
        **_WINDOW,
        "start": "2026-10-01T22:00:00.000Z",
        "end": "2026-10-31T22:59:59.999Z",
    },
    "metrics": ["chats", "averageWaitingTimeSeconds"],
    "departments": [
        {
            "_id": "W6H7fX5xg9Gkkh5gh",
            "name": "Sales",
            "chats": 412,
            "averageWaitingTimeSeconds": 61,
            "previous": {"chats": 380, "averageWaitingTimeSeconds": 75},
        }
    ],
    "total": {
        "chats": 1093,
        "averageWaitingTimeSeconds": 66,
        "previous": {"chats": 990, "averageWaitingTimeSeconds": 70},
    },
    "success": True,
}
SCORECARD_CSV_EXAMPLE = (
    "department_id,department_name,chats,averageWaitingTimeSeconds,previous_chats,"
    "previous_averageWaitingTimeSeconds\r\n"
    "W6H7fX5xg9Gkkh5gh,Sales,412,61,380,75\r\ntotal,,1093,66,990,70\r\n"
)
TIMESERIES_EXAMPLE: dict[str, Any] = {
    "metric": "chats",
    "interval": "day",
    "window": {**_WINDOW, "start": "2026-10-24T22:00:00.000Z", "end": "2026-10-25T22:59:59.999Z"},
    "buckets": [
        {
            "label": "2026-10-25",
            "start": "2026-10-24T22:00:00.000Z",
            "end": "2026-10-25T22:59:59.999Z",
        }
    ],
    "values": [17],
    "departments": [{"_id": "W6H7fX5xg9Gkkh5gh", "name": "Sales", "values": [9]}],
    "success": True,
}
TIMESERIES_CSV_EXAMPLE = (
    "bucket,bucket_start,bucket_end,department_id,department_name,chats\r\n"
    "2026-10-25,2026-10-24T22:00:00.000Z,2026-10-25T22:59:59.999Z,total,,17\r\n"
    "2026-10-25,2026-10-24T22:00:00.000Z,2026-10-25T22:59:59.999Z,W6H7fX5xg9Gkkh5gh,Sales,9\r\n"
)
DASHBOARD_ERROR_EXAMPLES = {
    "missingStart": InvalidParams("must have required property 'start'").body,
    "unknownZone": InvalidParams(
        "'timezone' must be an IANA time zone name, such as Europe/Berlin or UTC"
    ).body,
    "endBeforeStart": InvalidParams("'end' must not be before 'start'").body,
}


def _dashboard_operation(
    name: str, summary: str, query: type[Schema], response: Schema, example: Any, csv: str
) -> dict[str, Any]:
    return {
        "get": {
            "operationId": name,
            "summary": summary,
            "description": "Our own API (not Rocket.Chat's): see EXTENSIONS.md. Authenticated "
            "by the `X-User-Id`/`X-Auth-Token` headers, or, when both are absent and "
            "`Sec-Fetch-Site` is `same-origin` or `none`, by Rocket.Chat's `rc_uid`/`rc_token` "
            "cookies.",
            "tags": ["dashboard"],
            "security": DASHBOARD_SECURITY,
            "parameters": [{"in": "query", "schema": query}, IF_NONE_MATCH],
            "responses": {
                "200": {
                    "description": "JSON, or CSV (`format=csv`, or `Accept: text/csv` first) "
                    "as an attachment with the same numbers.",
                    "headers": CACHING_HEADERS,
                    "content": {
                        JSON: {"schema": response, "example": example},
                        CSV: {"schema": {"type": "string"}, "example": csv},
                    },
                },
                "304": {"description": "Not modified (`If-None-Match`)."},
                "400": {
                    "description": "A parameter is missing, unknown, repeated, empty or invalid; "
                    "the message names it.",
                    "content": {
                        JSON: {
                            "schema": TypedFailureBody,
                            "examples": {
                                key: {"value": body}
                                for key, body in DASHBOARD_ERROR_EXAMPLES.items()
                            },
                        }
                    },
                },
                "401": _error("No valid token for the user.", UnauthorizedBody, "unauthorized"),
                "403": _error(
                    "No role of the user holds view-livechat-manager.", FailureBody, "forbidden"
                ),
                "503": _error("MongoDB is unreachable.", TypedFailureBody, "unavailable"),
                "504": _error("An aggregation exceeded maxTimeMS.", TypedFailureBody, "timeout"),
            },
        }
    }


def _dashboard_operations() -> dict[str, dict[str, Any]]:
    """By the last segment of the path."""
    return {
        "scorecard": _dashboard_operation(
            "scorecard",
            "Every department x the chosen metrics for one window, with totals.",
            dashboard.ScorecardQuery,
            dashboard.scorecard_response(metrics.NAMES, True),
            SCORECARD_EXAMPLE,
            SCORECARD_CSV_EXAMPLE,
        ),
        "timeseries": _dashboard_operation(
            "timeseries",
            "One metric in calendar buckets of a time zone, overall or per department.",
            dashboard.TimeseriesQuery,
            dashboard.TimeseriesResponse(),
            TIMESERIES_EXAMPLE,
            TIMESERIES_CSV_EXAMPLE,
        ),
    }


def _report_operation(report: Report) -> dict[str, Any]:
    family = "agent" if report.family == AGENTS else "department"
    return {
        "get": {
            # Unique across families: both have an average-service-time.
            "operationId": report.name if family == "department" else f"agents-{report.name}",
            "summary": f"Rocket.Chat's livechat {family} analytics: {report.name}",
            "tags": [f"{family} analytics"],
            "security": SECURITY,
            "parameters": [{"in": "query", "schema": report.query_schema}, IF_NONE_MATCH],
            "responses": {
                "200": {
                    "description": f"One page of {family}s; `total` counts {family}s.",
                    "headers": CACHING_HEADERS,
                    "content": {
                        JSON: {"schema": report.response_schema, "example": report_example(report)}
                    },
                },
                "304": {
                    "description": "Not modified: `If-None-Match` named the current answer's "
                    "ETag. No body; the permission was checked all the same.",
                    "headers": CACHING_HEADERS,
                },
                "400": {
                    "description": "A parameter failed validation (`errorType: invalid-params`), "
                    "or `start`/`end` is not a date (no `errorType`).",
                    "content": {
                        JSON: {
                            "schema": {
                                "oneOf": [
                                    {"$ref": "#/components/schemas/TypedFailure"},
                                    {"$ref": "#/components/schemas/Failure"},
                                ]
                            },
                            "examples": {
                                name: {"value": ERROR_EXAMPLES[name][1]}
                                for name in ("missingStart", "unknownParameter", "invalidDate")
                            },
                        }
                    },
                },
                "401": _error("No valid token for the user.", UnauthorizedBody, "unauthorized"),
                "403": _error(
                    "No role of the user holds view-livechat-manager.", FailureBody, "forbidden"
                ),
                "503": _error("MongoDB is unreachable.", TypedFailureBody, "unavailable"),
                "504": _error("The aggregation exceeded maxTimeMS.", TypedFailureBody, "timeout"),
            },
        }
    }


_STATUS = {
    "type": "object",
    "properties": {"status": {"type": "string"}, "mongo": {"type": "string"}},
}
_OPERATIONS: dict[str, dict[str, Any]] = {
    "/healthz": {
        "get": {
            "operationId": "healthz",
            "summary": "Liveness: the process answers (MongoDB is not consulted).",
            "tags": ["operations"],
            "responses": {"200": {"description": "Alive.", "content": {JSON: {"schema": _STATUS}}}},
        }
    },
    "/readyz": {
        "get": {
            "operationId": "readyz",
            "summary": "Readiness: MongoDB answers a ping within READINESS_TIMEOUT_MS.",
            "tags": ["operations"],
            "responses": {
                "200": {"description": "Ready.", "content": {JSON: {"schema": _STATUS}}},
                "503": {
                    "description": "MongoDB unreachable.",
                    "content": {JSON: {"schema": _STATUS}},
                },
            },
        }
    },
    "/metrics": {
        "get": {
            "operationId": "metrics",
            "summary": "Prometheus metrics (text exposition format).",
            "tags": ["operations"],
            "responses": {
                "200": {
                    "description": "Metrics.",
                    "content": {"text/plain": {"schema": {"type": "string"}}},
                }
            },
        }
    },
    "/api/openapi.json": {
        "get": {
            "operationId": "openapi",
            "summary": "This document.",
            "tags": ["operations"],
            "responses": {
                "200": {
                    "description": "OpenAPI 3.",
                    "content": {JSON: {"schema": {"type": "object"}}},
                }
            },
        }
    },
    **PAGE_OPERATIONS,
}


def openapi_spec(routes: Iterable[web.RouteDef]) -> dict[str, Any]:
    """The document for `routes`: every report in REPORTS that is routed, and the operational
    endpoints."""
    marshmallow = MarshmallowPlugin()
    spec = APISpec(
        title="livechat-analytics",
        version=version("livechat-analytics"),
        openapi_version="3.0.3",
        plugins=[marshmallow],
        info={
            "description": "Rocket.Chat's omnichannel analytics (the department and agent "
            "families), as a drop-in."
        },
        servers=[
            {
                "url": "/",
                "description": "The host serving this document: Rocket.Chat's own, when its "
                "report paths are routed to this service.",
            }
        ],
    )
    marshmallow.map_to_openapi_type(JsNumber, "integer", None)  # type: ignore[no-untyped-call]
    marshmallow.map_to_openapi_type(JsDate, "string", "date-time")  # type: ignore[no-untyped-call]
    for text in (dashboard.BoundField, dashboard.ZoneField, dashboard.MetricList):
        marshmallow.map_to_openapi_type(text, "string", None)  # type: ignore[no-untyped-call]
    marshmallow.map_to_openapi_type(dashboard.UtcInstant, "string", "date-time")  # type: ignore[no-untyped-call]
    spec.components.security_scheme(
        "authToken", {"type": "apiKey", "in": "header", "name": "X-Auth-Token"}
    )
    spec.components.security_scheme(
        "userId", {"type": "apiKey", "in": "header", "name": "X-User-Id"}
    )
    spec.components.security_scheme(
        "userIdCookie", {"type": "apiKey", "in": "cookie", "name": "rc_uid"}
    )
    spec.components.security_scheme(
        "tokenCookie", {"type": "apiKey", "in": "cookie", "name": "rc_token"}
    )
    for schema in (TypedFailureBody, FailureBody, UnauthorizedBody):
        spec.components.schema(schema.__name__, schema=schema)
    reports = {report.path: report for report in REPORTS}
    ours = _dashboard_operations()
    for route in routes:
        path = _CUSTOM_PATTERN.sub(r"{\1}", route.path)  # aiohttp's `{name:regex}` → `{name}`
        name = path.rsplit("/", 1)[-1]
        if path in _OPERATIONS:
            spec.path(path=path, operations=_OPERATIONS[path])
        elif path in reports:
            spec.path(path=path, operations=_report_operation(reports[path]))
        elif name in ours and path.startswith("/livechat-analytics/"):
            spec.path(path=path, operations=ours[name])
        else:
            raise LookupError(f"route {path} has no OpenAPI description")
    document = spec.to_dict()
    for operations in document["paths"].values():
        for operation in operations.values():
            for response in operation["responses"].values():
                response["headers"] = {**response.get("headers", {}), **EVERY_ANSWER_HEADERS}
    return document


def openapi_document(routes: Iterable[web.RouteDef]) -> bytes:
    """The document, serialized once at start-up."""
    return orjson.dumps(openapi_spec(routes))
