"""GET /livechat-analytics/api/v1/timeseries against the plain-Python oracle
(tests/dashboard_oracle.py): buckets from the independent calendar, each bucket's value per the
contract, the split rows, the CSV; on both tiers."""

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
# Longest window drawn per interval (days): enough buckets to cross clock changes, few enough
# to keep each example quick.
LONGEST = {"hour": 3, "day": 40, "week": 120, "month": 400}


@pytest.fixture
async def manager(db: Any) -> Any:
    await seed_auth(db)
    return db


@st.composite
def timeseries_requests(draw: st.DrawFn) -> tuple[Params, expected.Window, dict[str, Any]]:
    interval = draw(st.sampled_from(expected.INTERVALS))
    params, window = draw(window_params(longest_days=LONGEST[interval]))
    options: dict[str, Any] = {"interval": interval}
    if interval != "day" or draw(st.booleans()):
        params.append(("interval", interval))
    metric = draw(st.sampled_from(expected.METRICS))
    options["metric"] = metric
    if metric != "chats" or draw(st.booleans()):
        params.append(("metric", metric))
    if draw(st.booleans()):
        params.append(("split", "department"))
        options["split"] = True
    if draw(st.integers(0, 3)) == 0:
        named = draw(st.lists(st.sampled_from([*DEPARTMENT_IDS, GONE, "never-seen"]), min_size=1))
        params += [("departmentId", d) for d in named]
        options["department_ids"] = list(dict.fromkeys(named))
    return params, window, options


def edges_of(window: expected.Window, interval: str) -> tuple[list[datetime], Any, Any]:
    """The window's bounds and a handful of bucket boundaries, where off-by-one errors live."""
    spans = expected.buckets(window.start, window.end, window.zone, interval)
    inner = [s.start for s in spans[1:]]
    chosen = inner[:: max(1, len(inner) // 6)]
    margin = timedelta(days=2)
    return [window.start, window.end, *chosen], window.start - margin, window.end + margin


async def check_against_oracle(db: Any, client: TestClient, data: st.DataObject) -> None:
    params, window, options = data.draw(timeseries_requests(), label="request")
    workspace = data.draw(workspaces(*edges_of(window, options["interval"])), label="workspace")
    await seed(db, workspace)
    want = expected.timeseries(workspace, window, **options)
    assert await get_json(client, "timeseries", params) == (200, want)
    if options["metric"] in expected.COUNT_METRICS:
        # The contract's promise, checked on the service alone: buckets add up to the scorecard.
        status, card = await get_json(
            client,
            "scorecard",
            [p for p in params if p[0] not in ("interval", "metric", "split")]
            + [("metrics", options["metric"])],
        )
        assert status == 200
        assert sum(want["values"]) == card["total"][options["metric"]]


@pytest.mark.parametrize("backend", [FAST], indirect=True)
@settings(max_examples=40, **HYPOTHESIS)
@given(data=st.data())
async def test_timeseries_matches_the_oracle(
    manager: Any, client: TestClient, data: st.DataObject
) -> None:
    await check_against_oracle(manager, client, data)


@pytest.mark.parametrize("backend", [WIRE], indirect=True)
@settings(max_examples=10, **HYPOTHESIS)
@given(data=st.data())
async def test_timeseries_matches_the_oracle_over_the_wire(
    manager: Any, client: TestClient, data: st.DataObject
) -> None:
    await check_against_oracle(manager, client, data)


@pytest.mark.parametrize("backend", [FAST], indirect=True)
@settings(max_examples=25, **HYPOTHESIS)
@given(asked=timeseries_requests())
async def test_empty_workspace_gives_every_bucket_zero_filled(
    manager: Any, client: TestClient, asked: tuple[Params, expected.Window, dict[str, Any]]
) -> None:
    """Calendar through HTTP: with no rooms, the answer is the oracle's buckets, all zero."""
    params, window, options = asked
    status, body = await get_json(client, "timeseries", params)
    assert status == 200
    spans = expected.buckets(window.start, window.end, window.zone, options["interval"])
    assert body["window"] == window.echo()
    assert body["buckets"] == [
        {"label": s.label, "start": expected.instant(s.start), "end": expected.instant(s.end)}
        for s in spans
    ]
    assert body["values"] == [0] * len(spans)


# ----------------------------------------------------------------------------- CSV


async def check_csv(db: Any, client: TestClient, data: st.DataObject) -> None:
    params, window, options = data.draw(timeseries_requests(), label="request")
    workspace = data.draw(workspaces(*edges_of(window, options["interval"])), label="workspace")
    await seed(db, workspace)
    status, body = await get_json(client, "timeseries", params)
    assert status == 200
    headers = dict(MANAGER)
    if data.draw(st.booleans(), label="by format"):
        params = [*params, ("format", "csv")]
    else:
        headers["Accept"] = "text/csv"
    text, disposition = await get_csv(client, "timeseries", params, headers)
    lines = expected.timeseries_csv_rows(body)
    assert csv_rows(text) == lines
    assert text == expected.csv_text(lines)
    name = expected.file_name("timeseries", window)
    assert disposition == f'attachment; filename="{name}"'


@pytest.mark.parametrize("backend", [FAST], indirect=True)
@settings(max_examples=20, **HYPOTHESIS)
@given(data=st.data())
async def test_timeseries_csv_is_the_json_answer_in_long_format(
    manager: Any, client: TestClient, data: st.DataObject
) -> None:
    await check_csv(manager, client, data)


@pytest.mark.parametrize("backend", [WIRE], indirect=True)
@settings(max_examples=3, **HYPOTHESIS)
@given(data=st.data())
async def test_timeseries_csv_is_the_json_answer_over_the_wire(
    manager: Any, client: TestClient, data: st.DataObject
) -> None:
    await check_csv(manager, client, data)


# ----------------------------------------------------------------------------- limits


@pytest.mark.parametrize("backend", [FAST], indirect=True)
async def test_a_thousand_buckets_are_served_and_one_more_is_refused(
    manager: Any, client: TestClient
) -> None:
    start = datetime.fromisoformat("2026-01-01T00:00:00+00:00")
    last = start + timedelta(hours=1000) - expected.MS
    window = [("start", "2026-01-01T00:00:00Z"), ("interval", "hour")]
    status, body = await get_json(client, "timeseries", [*window, ("end", expected.instant(last))])
    assert status == 200
    assert len(body["buckets"]) == len(body["values"]) == 1000
    over = expected.instant(last + expected.MS)
    status, body = await get_json(client, "timeseries", [*window, ("end", over)])
    assert status == 400
    assert body["success"] is False
    assert body["errorType"] == "invalid-params"


@pytest.mark.parametrize("backend", [FAST], indirect=True)
@pytest.mark.parametrize(("departments", "status"), [(99, 200), (101, 400)])
async def test_split_answers_are_bounded_to_a_hundred_thousand_values(
    manager: Any, client: TestClient, departments: int, status: int
) -> None:
    """1 000 hourly buckets: 99 department series (99 000 values, 100 000 with the overall one)
    are served; 101 (over 100 000 however counted) are refused."""
    await manager.rocketchat_livechat_department.insert_many(
        [{"_id": f"d{n:03d}", "name": f"Department {n}"} for n in range(departments)]
    )
    last = expected.instant(datetime.fromisoformat("2026-02-11T15:59:59.999+00:00"))
    params = [("start", "2026-01-01T00:00Z"), ("end", last), ("interval", "hour")]
    got, body = await get_json(client, "timeseries", [*params, ("split", "department")])
    assert got == status, body
    if status == 200:
        assert len(body["departments"]) == departments
        assert all(row["values"] == [0] * 1000 for row in body["departments"])
    else:
        assert body["errorType"] == "invalid-params"
