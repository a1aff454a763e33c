"""GET /livechat-analytics/api/v1/scorecard against the plain-Python oracle
(tests/dashboard_oracle.py) over random Rocket.Chat-shaped workspaces, on both tiers; against
the drop-in endpoints themselves; and its CSV parsed back and compared with its JSON."""

from datetime import datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import dashboard_oracle as expected
from tests.conftest import BACKENDS
from tests.factories import MANAGER, seed_auth
from tests.service.dashboard.workspaces import (
    DEPARTMENT_IDS,
    GONE,
    Params,
    csv_rows,
    get_csv,
    get_json,
    seed,
    window_params,
    workspaces,
)

FAST, WIRE = BACKENDS
HYPOTHESIS = {"deadline": None, "suppress_health_check": [HealthCheck.function_scoped_fixture]}


@pytest.fixture
async def manager(db: Any) -> Any:
    await seed_auth(db)
    return db


@st.composite
def scorecard_requests(draw: st.DrawFn) -> tuple[Params, expected.Window, dict[str, Any]]:
    params, window = draw(window_params(longest_days=20))
    options: dict[str, Any] = {}
    if draw(st.booleans()):
        metrics = draw(st.lists(st.sampled_from(expected.METRICS), min_size=1, unique=True))
        params.append(("metrics", ",".join(metrics)))
        options["metrics"] = metrics
    if draw(st.booleans()):
        params.append(("compare", "previous"))
        options["compare"] = True
    if draw(st.integers(0, 3)) == 0:
        named = draw(st.lists(st.sampled_from([*DEPARTMENT_IDS, GONE, "never-seen"]), min_size=1))
        params += [("departmentId", d) for d in named]
        options["department_ids"] = list(dict.fromkeys(named))
    return params, window, options


def edges_of(window: expected.Window) -> tuple[list[datetime], Any, Any]:
    before = expected.previous(window)
    days = expected.buckets(window.start, window.end, window.zone, "day")
    edges = [window.start, window.end, before.start, before.end] + [d.start for d in days[1:4]]
    return edges, before.start - timedelta(days=1), window.end + timedelta(days=1)


async def check_against_oracle(db: Any, client: TestClient, data: st.DataObject) -> None:
    params, window, options = data.draw(scorecard_requests(), label="request")
    workspace = data.draw(workspaces(*edges_of(window)), label="workspace")
    await seed(db, workspace)
    want = expected.scorecard(workspace, window, **options)
    assert await get_json(client, "scorecard", params) == (200, want)


@pytest.mark.parametrize("backend", [FAST], indirect=True)
@settings(max_examples=40, **HYPOTHESIS)
@given(data=st.data())
async def test_scorecard_matches_the_oracle(
    manager: Any, client: TestClient, data: st.DataObject
) -> None:
    await check_against_oracle(manager, client, data)


@pytest.mark.parametrize("backend", [WIRE], indirect=True)
@settings(max_examples=10, **HYPOTHESIS)
@given(data=st.data())
async def test_scorecard_matches_the_oracle_over_the_wire(
    manager: Any, client: TestClient, data: st.DataObject
) -> None:
    await check_against_oracle(manager, client, data)


# Each metric, as the drop-in report (path, extra parameters, row field) that defines it.
DROP_IN: dict[str, list[tuple[str, dict[str, str], str]]] = {
    "chats": [
        ("amount-of-chats", {"answered": "true"}, "rooms"),
        ("amount-of-chats", {}, "rooms"),
    ],
    "answeredChats": [("amount-of-chats", {"answered": "true"}, "rooms")],
    "unansweredChats": [("amount-of-chats", {}, "rooms")],
    "averageChatDurationSeconds": [
        ("average-chat-duration-time", {}, "averageChatDurationTimeInSeconds")
    ],
    "averageServiceTimeSeconds": [("average-service-time", {}, "averageServiceTimeInSeconds")],
    "averageWaitingTimeSeconds": [("average-waiting-time", {}, "averageWaitingTimeInSeconds")],
    "serviceTimeChats": [("total-service-time", {}, "chats")],
    "totalServiceTimeSeconds": [("total-service-time", {}, "serviceTimeDuration")],
    "transferredChats": [("total-transferred-chats", {}, "numberOfTransferredRooms")],
    "abandonedChats": [("total-abandoned-chats", {}, "abandonedRooms")],
    "abandonedPercentage": [("percentage-abandoned-chats", {}, "percentageOfAbandonedChats")],
}


@pytest.mark.parametrize("backend", [FAST], indirect=True)
@settings(max_examples=10, **HYPOTHESIS)
@given(data=st.data())
async def test_every_metric_equals_its_drop_in_report_for_the_same_bounds(
    manager: Any, client: TestClient, data: st.DataObject
) -> None:
    """Independent of the oracle: the scorecard's department values are what Rocket.Chat's
    endpoints (our drop-in) answer for the resolved window's instants."""
    params, window = data.draw(window_params(longest_days=10), label="window")
    workspace = data.draw(workspaces(*edges_of(window)), label="workspace")
    await seed(manager, workspace)
    status, body = await get_json(client, "scorecard", params)
    assert status == 200
    bounds = {"start": body["window"]["start"], "end": body["window"]["end"], "count": "0"}
    for metric, reports in DROP_IN.items():
        drop_in: dict[Any, int] = {}
        for path, extra, field in reports:
            response = await client.get(
                f"/api/v1/livechat/analytics/departments/{path}",
                params={**bounds, **extra},
                headers=MANAGER,
            )
            for row in (await response.json())["departments"]:
                drop_in[row["_id"]] = drop_in.get(row["_id"], 0) + row[field]
        shown = {row["_id"]: row[metric] for row in body["departments"]}
        for department, value in drop_in.items():
            if value:
                assert shown.get(department) == value, (metric, department)
        for department, value in shown.items():
            assert value == drop_in.get(department, 0), (metric, department)
        if metric in expected.COUNT_METRICS:
            assert body["total"][metric] == sum(drop_in.values()), metric


# ----------------------------------------------------------------------------- CSV


async def check_csv(db: Any, client: TestClient, data: st.DataObject) -> None:
    params, window, _ = data.draw(scorecard_requests(), label="request")
    workspace = data.draw(workspaces(*edges_of(window)), label="workspace")
    await seed(db, workspace)
    status, body = await get_json(client, "scorecard", params)
    assert status == 200
    how = data.draw(st.sampled_from(["format", "accept", "weighted accept"]), label="ask for csv")
    headers = dict(MANAGER)
    if how == "format":
        params = [*params, ("format", "csv")]
    elif how == "accept":
        headers["Accept"] = "text/csv"
    else:
        headers["Accept"] = "application/json;q=0.5, text/csv;q=0.9"
    text, disposition = await get_csv(client, "scorecard", params, headers)
    lines = expected.scorecard_csv_rows(body)
    assert csv_rows(text) == lines
    assert text == expected.csv_text(lines)
    name = expected.file_name("scorecard", window)
    assert disposition == f'attachment; filename="{name}"'


@pytest.mark.parametrize("backend", [FAST], indirect=True)
@settings(max_examples=20, **HYPOTHESIS)
@given(data=st.data())
async def test_scorecard_csv_is_the_json_answer_defused(
    manager: Any, client: TestClient, data: st.DataObject
) -> None:
    await check_csv(manager, client, data)


@pytest.mark.parametrize("backend", [WIRE], indirect=True)
@settings(max_examples=3, **HYPOTHESIS)
@given(data=st.data())
async def test_scorecard_csv_is_the_json_answer_defused_over_the_wire(
    manager: Any, client: TestClient, data: st.DataObject
) -> None:
    await check_csv(manager, client, data)


@pytest.mark.parametrize("backend", [FAST], indirect=True)
@pytest.mark.parametrize(
    "accept",
    ["application/json", "application/json, text/csv;q=0.5", "*/*", "text/*;q=0.9, */*"],
)
async def test_json_unless_csv_is_the_most_preferred_type(
    manager: Any, client: TestClient, accept: str
) -> None:
    response = await client.get(
        "/livechat-analytics/api/v1/scorecard",
        params={"start": "2026-11-01", "end": "2026-11-30"},
        headers={**MANAGER, "Accept": accept},
    )
    assert response.status == 200
    assert response.content_type == "application/json"


@pytest.mark.parametrize("backend", [FAST], indirect=True)
async def test_defused_names_and_ids_in_the_csv(manager: Any, client: TestClient) -> None:
    """Every formula-looking id and name comes back prefixed with `'`, quoted where needed."""
    hostile = ['=HYPERLINK("http://x","y")', "+1", "-x", "@x", "\tt", "\rr", "\nn"]
    await manager.rocketchat_livechat_department.insert_many(
        [{"_id": text, "name": text, "enabled": True} for text in hostile]
    )
    text, _ = await get_csv(
        client,
        "scorecard",
        [("start", "2026-11-01"), ("end", "2026-11-02"), ("format", "csv")],
    )
    cells = {(row[0], row[1]) for row in csv_rows(text)[1:-1]}
    assert cells == {("'" + t, "'" + t) for t in hostile}
