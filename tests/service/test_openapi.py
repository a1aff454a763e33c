"""The OpenAPI document: generated, valid, complete, and its examples true to the schemas."""

from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from openapi_spec_validator import validate

from service.openapi import ERROR_EXAMPLES, openapi_spec, report_example
from service.reports import REPORTS
from service.routes import ROUTES


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return openapi_spec(ROUTES)


def test_document_is_valid_openapi_3(document: dict[str, Any]) -> None:
    validate(document)
    assert document["openapi"].startswith("3.")


async def test_every_route_of_the_app_is_documented(
    client: TestClient, document: dict[str, Any]
) -> None:
    routed = {
        resource.canonical
        for resource in client.app.router.resources()
        if resource.canonical != "/"
    }
    assert routed == set(document["paths"])
    assert len([p for p in routed if "/departments/" in p]) == 8


async def test_document_is_served(client: TestClient, document: dict[str, Any]) -> None:
    response = await client.get("/api/openapi.json")
    assert response.status == 200
    assert await response.json() == document


def test_reports_require_both_auth_headers(document: dict[str, Any]) -> None:
    schemes = document["components"]["securitySchemes"]
    assert {s["name"] for s in schemes.values()} == {"X-Auth-Token", "X-User-Id"}
    for report in REPORTS:
        operation = document["paths"][f"/api/v1/livechat/analytics/departments/{report.name}"][
            "get"
        ]
        assert operation["security"] == [{"authToken": [], "userId": []}]
        names = {p["name"] for p in operation["parameters"]}
        assert {"start", "end", "departmentId", "offset", "count"} <= names
        assert ("answered" in names) == (report.name == "amount-of-chats")


@pytest.mark.parametrize("report", REPORTS, ids=lambda r: r.name)
def test_success_example_is_a_valid_response(report: Any) -> None:
    example = report_example(report)
    assert report.response_schema.validate(example) == {}


@pytest.mark.parametrize("name", sorted(ERROR_EXAMPLES))
def test_error_examples_match_their_schemas_and_the_sent_bodies(name: str) -> None:
    schema, body = ERROR_EXAMPLES[name]
    assert schema().validate(body) == {}
    assert set(body) == set(schema().fields)


def test_error_examples_in_the_document_are_the_bodies_we_send(document: dict[str, Any]) -> None:
    operation = document["paths"]["/api/v1/livechat/analytics/departments/amount-of-chats"]["get"]
    unauthorized = operation["responses"]["401"]["content"]["application/json"]["examples"]
    assert unauthorized["unauthorized"]["value"] == ERROR_EXAMPLES["unauthorized"][1]
