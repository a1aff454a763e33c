"""The OpenAPI document: generated, valid, complete, and its examples true to the schemas."""

from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate

from service.embedded import generate_demo_data
from service.http.openapi import ERROR_EXAMPLES, openapi_spec, report_example
from service.rocketchat.reports import REPORTS
from service.routes import ROUTES
from tests.factories import AGENT, MANAGER, seed_auth


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


def _validator(document: dict[str, Any], schema: dict[str, Any]) -> OAS30Validator:
    """A validator for `schema`, resolving `#/components/...` references in `document`."""
    return OAS30Validator({"components": document["components"], "allOf": [schema]})


def _documented_examples(document: dict[str, Any]) -> list[tuple[str, Any, dict[str, Any]]]:
    found = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                for media in response.get("content", {}).values():
                    examples = {"example": media["example"]} if "example" in media else {}
                    examples.update(
                        {name: e["value"] for name, e in media.get("examples", {}).items()}
                    )
                    for name, value in examples.items():
                        found.append((f"{method} {path} {status} {name}", value, media["schema"]))
    return found


def test_every_documented_example_validates_against_the_documented_schema(
    document: dict[str, Any],
) -> None:
    examples = _documented_examples(document)
    # Each report documents a 200 and the 400, 401, 403, 503 and 504 bodies.
    assert len(examples) >= 8 * 8
    for name, value, schema in examples:
        errors = [e.message for e in _validator(document, schema).iter_errors(value)]
        assert errors == [], name


def test_schemas_reject_a_body_of_the_wrong_shape(document: dict[str, Any]) -> None:
    """The check above has teeth: required keys, value types and unknown keys all count."""
    operation = document["paths"]["/api/v1/livechat/analytics/departments/amount-of-chats"]["get"]
    ok = operation["responses"]["200"]["content"]["application/json"]
    validator = _validator(document, ok["schema"])
    assert validator.is_valid(ok["example"])
    for wrong in (
        {**ok["example"], "extra": 1},
        {k: v for k, v in ok["example"].items() if k != "total"},
        {**ok["example"], "departments": [{"_id": "a", "rooms": "13"}]},
        {**ok["example"], "departments": [{"_id": "a"}]},
    ):
        assert not validator.is_valid(wrong)


@pytest.fixture
async def demo_workspace(db: Any) -> None:
    demo = generate_demo_data(datetime(2026, 11, 24, tzinfo=UTC), rooms=300)
    for name in ("rocketchat_room", "rocketchat_message", "rocketchat_livechat_department"):
        await db[name].insert_many([dict(row) for row in demo[name]])
    await seed_auth(db)


@pytest.mark.usefixtures("demo_workspace")
@pytest.mark.parametrize("report", REPORTS, ids=lambda r: r.name)
async def test_every_answer_of_a_report_matches_the_document(
    client: TestClient, document: dict[str, Any], report: Any
) -> None:
    path = f"/api/v1/livechat/analytics/departments/{report.name}"
    responses = document["paths"][path]["get"]["responses"]
    window = {"start": "2026-08-01", "end": "2026-11-24", "count": "3"}
    if report.name == "amount-of-chats":
        window["answered"] = "true"
    seen = set()
    for params, headers in [
        (window, MANAGER),
        ({"end": "2026-11-24"}, MANAGER),
        ({**window, "start": "someday"}, MANAGER),
        ({**window, "colour": "red"}, MANAGER),
        (window, {}),
        (window, AGENT),
    ]:
        answer = await client.get(path, params=params, headers=headers)
        body = await answer.json()
        schema = responses[str(answer.status)]["content"]["application/json"]["schema"]
        errors = [e.message for e in _validator(document, schema).iter_errors(body)]
        assert errors == [], (answer.status, body)
        seen.add(answer.status)
        if answer.status == 200:
            assert body["departments"], "the demo workspace gives every report rows"
    assert seen == {200, 400, 401, 403}


def _report_operations(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        document["paths"][f"/api/v1/livechat/analytics/departments/{report.name}"]["get"]
        for report in REPORTS
    ]


def test_paging_parameters_state_the_bounds_the_server_enforces(document: dict[str, Any]) -> None:
    for operation in _report_operations(document):
        parameters = {p["name"]: p["schema"] for p in operation["parameters"]}
        for name in ("offset", "count"):
            assert parameters[name]["minimum"] == 0
            assert parameters[name]["maximum"] == 2**53 - 1  # larger ones are a 400


def test_a_server_is_named(document: dict[str, Any]) -> None:
    assert document["servers"]
    assert all(server["url"] for server in document["servers"])


def test_every_answer_documents_its_request_id_and_timing(document: dict[str, Any]) -> None:
    for operations in document["paths"].values():
        for operation in operations.values():
            for status, response in operation["responses"].items():
                assert {"X-Request-Id", "Server-Timing"} <= set(response["headers"]), status


def test_reports_document_the_conditional_answer(document: dict[str, Any]) -> None:
    for operation in _report_operations(document):
        responses = operation["responses"]
        assert {"ETag", "Cache-Control"} <= set(responses["200"]["headers"])
        assert {"ETag", "Cache-Control"} <= set(responses["304"]["headers"])
        assert "content" not in responses["304"]
        assert "If-None-Match" in {p["name"] for p in operation["parameters"]}


async def test_real_answers_carry_the_documented_headers(
    make_client: Any, document: dict[str, Any], db: Any
) -> None:
    await seed_auth(db)
    client = await make_client(result_cache_ttl_seconds=30)
    path = "/api/v1/livechat/analytics/departments/amount-of-chats"
    responses = document["paths"][path]["get"]["responses"]
    query = {"start": "2026-08-01", "end": "2026-11-24"}
    first = await client.get(path, params=query, headers=MANAGER)
    again = await client.get(
        path, params=query, headers={**MANAGER, "If-None-Match": first.headers["ETag"]}
    )
    refused = await client.get(path, params=query)
    for answer, status in ((first, 200), (again, 304), (refused, 401)):
        assert answer.status == status
        missing = [name for name in responses[str(status)]["headers"] if name not in answer.headers]
        assert missing == [], (status, dict(answer.headers))
