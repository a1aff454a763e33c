"""CSV answers: parsed back with Python's csv module they hold the JSON answer's numbers and
order; RFC 4180 layout, the attachment's name, and formula-looking names defused."""

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from service.dashboard.csv import defused
from service.embedded import generate_demo_data
from tests.factories import MANAGER, room, seed_auth
from tests.service.dashboard.test_scorecard_http import seed_demo

SCORECARD = "/livechat-analytics/api/v1/scorecard"
TIMESERIES = "/livechat-analytics/api/v1/timeseries"
NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)
WINDOW = {"start": "2026-10-20", "end": "2026-11-19", "timezone": "Europe/Berlin"}


@pytest.fixture(scope="module")
def demo() -> dict[str, list[Any]]:
    return generate_demo_data(NOW, rooms=600)


async def both(client: TestClient, url: str, **params: Any) -> tuple[Any, str, Any]:
    """(the JSON body, the CSV text, the CSV response)."""
    as_json = await client.get(url, params=params, headers=MANAGER)
    as_csv = await client.get(url, params={**params, "format": "csv"}, headers=MANAGER)
    assert as_json.status == as_csv.status == 200
    raw = await as_csv.read()
    return await as_json.json(), raw.decode("utf-8"), as_csv


def parsed(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def cell(text: str | None) -> str:
    return "" if text is None else text


async def test_scorecard_csv_holds_the_json_numbers_in_the_same_order(
    db: Any, demo: dict[str, list[Any]], client: TestClient
) -> None:
    await seed_demo(db, demo)
    metrics = "averageWaitingTimeSeconds,chats,transferredChats"
    body, text, response = await both(
        client, SCORECARD, **WINDOW, metrics=metrics, compare="previous"
    )
    names = metrics.split(",")
    rows = parsed(text)
    assert rows[0] == [
        "department_id",
        "department_name",
        *names,
        *(f"previous_{name}" for name in names),
    ]
    expected = [
        [
            cell(row["_id"]),
            cell(row["name"]),
            *(str(row[n]) for n in names),
            *(str(row["previous"][n]) for n in names),
        ]
        for row in body["departments"]
    ]
    total = body["total"]
    expected.append(
        ["total", "", *(str(total[n]) for n in names), *(str(total["previous"][n]) for n in names)]
    )
    assert rows[1:] == expected
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="scorecard_20261019T220000Z_20261119T225959Z.csv"'
    )
    assert text.endswith("\r\n")
    assert "\n" not in text.replace("\r\n", "")
    assert not text.startswith("\ufeff")


async def test_timeseries_csv_is_long_format_bucket_by_bucket(
    db: Any, demo: dict[str, list[Any]], client: TestClient
) -> None:
    await seed_demo(db, demo)
    body, text, response = await both(
        client, TIMESERIES, **WINDOW, metric="abandonedChats", interval="week", split="department"
    )
    rows = parsed(text)
    assert rows[0] == [
        "bucket",
        "bucket_start",
        "bucket_end",
        "department_id",
        "department_name",
        "abandonedChats",
    ]
    expected = []
    for index, bucket in enumerate(body["buckets"]):
        where = [bucket["label"], bucket["start"], bucket["end"]]
        expected.append([*where, "total", "", str(body["values"][index])])
        for row in body["departments"]:
            expected.append(
                [*where, cell(row["_id"]), cell(row["name"]), str(row["values"][index])]
            )
    assert rows[1:] == expected
    assert len(rows) == 1 + len(body["buckets"]) * (1 + len(body["departments"]))
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="timeseries_20261019T220000Z_20261119T225959Z.csv"'
    )


async def test_accept_text_csv_chooses_csv_and_the_etag_tells_them_apart(
    db: Any, client: TestClient
) -> None:
    await seed_auth(db)
    as_csv = await client.get(SCORECARD, params=WINDOW, headers={**MANAGER, "Accept": "text/csv"})
    as_json = await client.get(SCORECARD, params=WINDOW, headers=MANAGER)
    assert as_csv.content_type == "text/csv"
    assert as_json.content_type == "application/json"
    assert as_csv.headers["ETag"] != as_json.headers["ETag"]


@pytest.mark.parametrize(
    ("name", "written"),
    [
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tTab", "'\tTab"),
        ("\rCR", "'\rCR"),
        ("\nLF", "'\nLF"),
        ("Sales, EMEA", "Sales, EMEA"),
        ('Say "hi"', 'Say "hi"'),
        ("a=b", "a=b"),
    ],
)
async def test_formula_looking_text_is_defused_and_quoting_round_trips(
    db: Any, client: TestClient, name: str, written: str
) -> None:
    at = datetime(2026, 11, 1, tzinfo=UTC)
    await db.rocketchat_livechat_department.insert_one({"_id": name, "name": name})
    await db.rocketchat_room.insert_one(room("r", at + timedelta(days=1), department=name))
    await seed_auth(db)
    _, text, _ = await both(client, SCORECARD, **WINDOW, metrics="chats")
    assert parsed(text)[1] == [written, written, "1"]
    assert defused(name) == written


def test_null_text_is_an_empty_cell() -> None:
    assert defused(None) == ""
