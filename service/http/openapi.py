"""The OpenAPI 3 document, generated with apispec from the marshmallow schemas and the report
registry, so a new report is documented the moment it is routed. Error examples are the bodies
the error classes actually send."""

from collections.abc import Iterable
from importlib.metadata import version
from typing import Any

import orjson
from aiohttp import web
from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import Schema, fields

from service.http.errors import (
    BadRequest,
    DatabaseTimeout,
    DatabaseUnavailable,
    Forbidden,
    InvalidParams,
    Unauthorized,
)
from service.rocketchat.reports import REPORTS, Report
from service.rocketchat.schemas import JsNumber

JSON = "application/json"
# Both headers, as Rocket.Chat requires.
SECURITY: list[dict[str, list[str]]] = [{"authToken": [], "userId": []}]

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


def report_example(report: Report) -> dict[str, Any]:
    """A 200 body for `report`, shaped by its response schema (as in Rocket.Chat's docs)."""
    row_schema = report.response_schema.fields["departments"].inner.schema  # type: ignore[attr-defined]
    row = {name: 13 for name in row_schema.fields if name != "_id"}
    department = {"_id": "NJaMpSvZFZ4NAXm3j", **row}
    return {"departments": [department], "count": 1, "offset": 0, "total": 11, "success": True}


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


def _report_operation(report: Report) -> dict[str, Any]:
    return {
        "get": {
            "operationId": report.name,
            "summary": f"Rocket.Chat's livechat department analytics: {report.name}",
            "tags": ["department analytics"],
            "security": SECURITY,
            "parameters": [{"in": "query", "schema": report.query_schema}, IF_NONE_MATCH],
            "responses": {
                "200": {
                    "description": "One page of departments; `total` counts departments.",
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
        info={"description": "Rocket.Chat's omnichannel department analytics, as a drop-in."},
        servers=[
            {
                "url": "/",
                "description": "The host serving this document: Rocket.Chat's own, when its "
                "report paths are routed to this service.",
            }
        ],
    )
    marshmallow.map_to_openapi_type(JsNumber, "integer", None)  # type: ignore[no-untyped-call]
    spec.components.security_scheme(
        "authToken", {"type": "apiKey", "in": "header", "name": "X-Auth-Token"}
    )
    spec.components.security_scheme(
        "userId", {"type": "apiKey", "in": "header", "name": "X-User-Id"}
    )
    for schema in (TypedFailureBody, FailureBody, UnauthorizedBody):
        spec.components.schema(schema.__name__, schema=schema)
    reports = {report.name: report for report in REPORTS}
    for route in routes:
        path = route.path
        name = path.rsplit("/", 1)[-1]
        if path in _OPERATIONS:
            spec.path(path=path, operations=_OPERATIONS[path])
        elif name in reports:
            spec.path(path=path, operations=_report_operation(reports[name]))
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
