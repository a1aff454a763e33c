"""The OpenAPI document: generated, valid, complete, and its examples true to the schemas."""

from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate
from pymongo.errors import ExecutionTimeout

from service.app import create_app
from service.core.db import motor_client
from service.embedded import generate_demo_data
from service.http.openapi import ERROR_EXAMPLES, openapi_spec, report_example
from service.rocketchat.reports import REPORTS
from service.routes import ROUTES
from service.settings import Settings
from tests.factories import AGENT, MANAGER, seed_auth
from tests.service.core.test_db_failure import closed_port


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
    assert len([p for p in routed if "/agents/" in p]) == 3
    assert {p for p in routed if p.startswith("/livechat-analytics/api/")} == {
        "/livechat-analytics/api/v1/scorecard",
        "/livechat-analytics/api/v1/timeseries",
    }


async def test_document_is_served(client: TestClient, document: dict[str, Any]) -> None:
    response = await client.get("/api/openapi.json")
    assert response.status == 200
    assert await response.json() == document


def test_reports_require_both_auth_headers(document: dict[str, Any]) -> None:
    schemes = document["components"]["securitySchemes"]
    assert {schemes[name]["name"] for name in ("authToken", "userId")} == {
        "X-Auth-Token",
        "X-User-Id",
    }
    for report in REPORTS:
        operation = document["paths"][report.path]["get"]
        assert operation["security"] == [{"authToken": [], "userId": []}]
        names = {p["name"] for p in operation["parameters"]}
        assert {"start", "end", "sort", "offset", "count"} <= names
        assert ("answered" in names) == (report.name == "amount-of-chats")
        assert ("departmentId" in names) == (report.family == "departments")
        assert ("fullReport" in names) == (report.name == "available-for-service-history")


def test_operation_ids_are_unique_across_families(document: dict[str, Any]) -> None:
    ids = [op["operationId"] for ops in document["paths"].values() for op in ops.values()]
    assert len(ids) == len(set(ids))


def _report_id(report: Any) -> str:
    return f"{report.family}/{report.name}"


@pytest.mark.parametrize("report", REPORTS, ids=_report_id)
def test_success_example_is_a_valid_response(report: Any) -> None:
    example = report_example(report)
    assert report.response_schema.validate(example) == {}


@pytest.mark.parametrize("name", sorted(ERROR_EXAMPLES))
def test_error_examples_match_their_schemas(name: str) -> None:
    schema, body = ERROR_EXAMPLES[name]
    assert schema().validate(body) == {}
    assert set(body) == set(schema().fields)


class _TimingOut:
    """A database client on which every aggregation ends as MongoDB ends one that ran past
    maxTimeMS (error code 50); everything else goes on to the in-process database."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def __getitem__(self, name: str) -> Any:
        database = self._client[name]

        class Database:
            def get_collection(self, collection: str, **options: Any) -> Any:
                real = database.get_collection(collection, **options)

                class Collection:
                    def __getattr__(self, attribute: str) -> Any:
                        return getattr(real, attribute)

                    def aggregate(self, *args: Any, **kwargs: Any) -> Any:
                        return self

                    async def to_list(self, length: Any) -> Any:
                        raise ExecutionTimeout("operation exceeded time limit", 50)

                return Collection()

        return Database()

    def close(self) -> None:
        self._client.close()


@pytest.fixture
async def answers(aiohttp_client: Any, mongo_client: Any, db: Any) -> Any:
    """`await answers(path, example_name)`: the real (status, body) the app sends for the case
    each documented error example stands for."""
    await seed_auth(db)
    healthy: TestClient = await aiohttp_client(
        create_app(
            Settings(mongo_database="rocketchat", result_cache_ttl_seconds=0),
            client_factory=lambda _: mongo_client,
        )
    )
    unreachable: TestClient = await aiohttp_client(
        create_app(
            Settings(
                mongo_url=f"mongodb://127.0.0.1:{closed_port()}/rocketchat",
                server_selection_timeout_ms=200,
            ),
            client_factory=motor_client,
        )
    )
    timing_out: TestClient = await aiohttp_client(
        create_app(
            Settings(mongo_database="rocketchat", result_cache_ttl_seconds=0),
            client_factory=lambda _: _TimingOut(mongo_client),
        )
    )
    window = {"start": "2026-09-01", "end": "2026-09-30"}
    cases: dict[str, tuple[TestClient, dict[str, str], dict[str, str]]] = {
        "missingStart": (healthy, {"end": "2026-09-30"}, MANAGER),
        "unknownParameter": (healthy, {**window, "colour": "red"}, MANAGER),
        "invalidDate": (healthy, {**window, "start": "someday"}, MANAGER),
        "unauthorized": (healthy, window, {}),
        "forbidden": (healthy, window, AGENT),
        "unavailable": (unreachable, window, MANAGER),
        "timeout": (timing_out, window, MANAGER),
    }

    async def answer(path: str, name: str) -> tuple[int, Any]:
        client, params, headers = cases[name]
        response = await client.get(path, params=params, headers=headers)
        assert response.content_type == "application/json"
        return response.status, await response.json()

    return answer


@pytest.mark.parametrize("report", REPORTS, ids=lambda r: r.name)
async def test_every_documented_error_example_is_the_body_the_app_sends(
    document: dict[str, Any], answers: Any, report: Any
) -> None:
    path = report.path
    documented = {
        (status, name): example["value"]
        for status, response in document["paths"][path]["get"]["responses"].items()
        # A 304 has no body to document.
        if status not in ("200", "304")
        for name, example in response["content"]["application/json"]["examples"].items()
    }
    # Every error a report can answer with is documented by an example.
    assert {status for status, _ in documented} == {"400", "401", "403", "503", "504"}
    for (status, name), example in sorted(documented.items()):
        assert await answers(path, name) == (int(status), example), name


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
    for name in (
        "rocketchat_room",
        "rocketchat_message",
        "rocketchat_livechat_department",
        "rocketchat_livechat_agent_activity",
        "users",
    ):
        await db[name].insert_many([dict(row) for row in demo[name]])
    await seed_auth(db)


@pytest.mark.usefixtures("demo_workspace")
@pytest.mark.parametrize("report", REPORTS, ids=_report_id)
async def test_every_answer_of_a_report_matches_the_document(
    client: TestClient, document: dict[str, Any], report: Any
) -> None:
    path = report.path
    responses = document["paths"][path]["get"]["responses"]
    window = {"start": "2026-08-01", "end": "2026-11-24", "count": "3"}
    if report.name == "amount-of-chats":
        window["answered"] = "true"
    if report.name == "available-for-service-history":
        window["fullReport"] = "true"
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
            assert body[report.family], "the demo workspace gives every report rows"
    assert seen == {200, 400, 401, 403}


@pytest.mark.usefixtures("demo_workspace")
@pytest.mark.parametrize(
    ("path", "extra"),
    [
        ("/livechat-analytics/api/v1/scorecard", {"compare": "previous"}),
        ("/livechat-analytics/api/v1/scorecard", {"metrics": "abandonedPercentage,chats"}),
        ("/livechat-analytics/api/v1/timeseries", {"split": "department", "interval": "week"}),
        ("/livechat-analytics/api/v1/timeseries", {"metric": "transferredChats"}),
    ],
)
async def test_every_answer_of_our_own_api_matches_the_document(
    client: TestClient, document: dict[str, Any], path: str, extra: dict[str, str]
) -> None:
    responses = document["paths"][path]["get"]["responses"]
    assert set(responses["200"]["content"]) == {"application/json", "text/csv"}
    window = {"start": "2026-10-01", "end": "2026-11-24", "timezone": "Europe/Berlin", **extra}
    seen = set()
    for params, headers in [
        (window, MANAGER),
        ({"end": "2026-11-24"}, MANAGER),
        ({**window, "timezone": "Nowhere"}, MANAGER),
        (window, {}),
        (window, AGENT),
    ]:
        answer = await client.get(path, params=params, headers=headers)
        body = await answer.json()
        schema = responses[str(answer.status)]["content"]["application/json"]["schema"]
        errors = [e.message for e in _validator(document, schema).iter_errors(body)]
        assert errors == [], (answer.status, body)
        seen.add(answer.status)
    assert seen == {200, 400, 401, 403}


def test_our_own_api_documents_its_parameters_enums_and_cookies(document: dict[str, Any]) -> None:
    scorecard = document["paths"]["/livechat-analytics/api/v1/scorecard"]["get"]
    timeseries = document["paths"]["/livechat-analytics/api/v1/timeseries"]["get"]
    common = {"start", "end", "timezone", "departmentId", "format"}

    def query(operation: dict[str, Any]) -> set[str]:
        return {p["name"] for p in operation["parameters"] if p["in"] == "query"}

    assert query(scorecard) == common | {"metrics", "compare"}
    assert query(timeseries) == common | {"metric", "interval", "split"}
    assert "If-None-Match" in {p["name"] for p in scorecard["parameters"]}
    by_name = {p["name"]: p for p in timeseries["parameters"]}
    assert by_name["interval"]["schema"]["enum"] == ["hour", "day", "week", "month"]
    assert len(by_name["metric"]["schema"]["enum"]) == 11
    assert by_name["start"]["required"] is True
    assert {"userIdCookie": [], "tokenCookie": []} in scorecard["security"]
    schemes = document["components"]["securitySchemes"]
    assert {schemes["userIdCookie"]["name"], schemes["tokenCookie"]["name"]} == {
        "rc_uid",
        "rc_token",
    }


def _report_operations(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [document["paths"][report.path]["get"] for report in REPORTS]


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
