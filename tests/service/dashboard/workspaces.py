"""Hypothesis strategies for our own API's oracle tests: request parameters in every form the
contract accepts, and Rocket.Chat-shaped workspaces drawn around the window's and the buckets'
edges; plus the seeding and the HTTP calls the oracle tests share."""

import csv
import functools
import io
from datetime import UTC, date, datetime, timedelta
from typing import Any

from aiohttp.test_utils import TestClient
from hypothesis import strategies as st

from tests import dashboard_oracle as expected
from tests.factories import MANAGER

PREFIX = "/livechat-analytics/api/v1"
MS = timedelta(milliseconds=1)
Params = list[tuple[str, str]]

ZONES = [
    "Europe/Berlin",
    "America/Sao_Paulo",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "Pacific/Chatham",
    "America/Santiago",
    "America/Havana",
    "UTC",
]
# Days near clock changes in 2026 (Berlin, Lord Howe, Chatham, Santiago, Havana) and plain ones.
AROUND = [
    date(2026, 3, 8),
    date(2026, 3, 29),
    date(2026, 4, 5),
    date(2026, 9, 6),
    date(2026, 9, 27),
    date(2026, 10, 4),
    date(2026, 10, 25),
    date(2026, 11, 1),
    date(2026, 12, 28),
    date(2026, 6, 15),
]
# Department ids: non-ASCII, formula-looking (CSV defusing), and plain.
DEPARTMENT_IDS = ["sales", "Süd-Vertrieb", "販売", "-x", "+1", "@x"]
NAMES = [
    "Sales",
    "Ünïcødé 販売",
    '=HYPERLINK("http://example.com","click")',
    "+1",
    "-x",
    "@x",
    "\tTab",
    "\rCarriage",
    "\nLine",
    'Quotes "and", commas',
    " =not at the start",
]
UNITS = ["unit-north", "unit-south"]  # business units: in the collection, never departments
GONE = "deleted-department"  # rooms point at it; it is not in the collection
OFFSETS = ["Z", "+00:00", "+05:30", "-03:00", "+13:45", "-09:30"]


def rfc3339(moment: datetime, offset: str, fraction: int) -> str:
    """`moment` written in local time at `offset`, with 0 to 3 fraction digits (or no seconds)."""
    if offset == "Z":
        shift = timedelta(0)
    else:
        sign = -1 if offset[0] == "-" else 1
        shift = sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6]))
    local = moment.astimezone(UTC).replace(tzinfo=None) + shift
    text = f"{local:%Y-%m-%dT%H:%M}"
    if fraction >= 0 or local.second or local.microsecond:
        text += f":{local:%S}"
        digits = f"{local.microsecond // 1000:03d}"
        if fraction > 0 or local.microsecond:
            text += "." + digits[: max(fraction, len(digits.rstrip("0")))]
    return text + offset


@functools.cache
def clock_changes(name: str) -> list[date]:
    """The local dates in 2026 and 2027 on which the zone's UTC offset changes (pinned tzdata),
    found by scanning hours."""
    zone = expected.zone(name)
    found = []
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    while moment < datetime(2028, 1, 1, tzinfo=UTC):
        following = moment + timedelta(hours=1)
        if moment.astimezone(zone).utcoffset() != following.astimezone(zone).utcoffset():
            found.append(following.astimezone(zone).date())
        moment = following
    return found


def spread(draw: st.DrawFn, upper: int) -> int:
    """An integer in [0, upper] anywhere in the range. Hypothesis draws a wide integer range
    mostly near its lower end (a few bits at a time), which would put almost every timestamp
    within a minute of the window's start; so draw a coarse step out of 256, then the rest."""
    step = upper // 256
    return min(upper, step * draw(st.integers(0, 256)) + draw(st.integers(0, step)))


@st.composite
def moments_near(draw: st.DrawFn, around: datetime, days: int) -> datetime:
    return around + (spread(draw, 2 * days * 86400_000) - days * 86400_000) * MS


@st.composite
def window_params(draw: st.DrawFn, longest_days: int) -> tuple[Params, expected.Window]:
    """`start`, `end`, maybe `timezone`: both dates, both date-times, or one of each."""
    timezone = draw(st.sampled_from(ZONES))
    zone = expected.zone(timezone)
    changes = clock_changes(timezone)
    if changes and draw(st.booleans()):
        # Start a few days before one of this zone's clock changes, so the window (or, with
        # compare=previous, only the window and not the period before it) holds a day of
        # 23, 25 or 23.5 hours: where "n local days" and "the same duration" part ways.
        first = draw(st.sampled_from(changes)) - timedelta(days=draw(st.integers(0, 3)))
    else:
        first = draw(st.sampled_from(AROUND)) - timedelta(days=draw(st.integers(0, 3)))
    span = draw(st.integers(0, longest_days - 1))
    form = draw(st.sampled_from(["dates", "dates", "instants", "mixed"]))
    if form == "dates":
        start, end = first.isoformat(), (first + timedelta(days=span)).isoformat()
    else:
        low = draw(moments_near(datetime(first.year, first.month, first.day, tzinfo=UTC), 1))
        high = low + spread(draw, span * 86400_000 + 86400_000) * MS
        start = rfc3339(low, draw(st.sampled_from(OFFSETS)), draw(st.integers(-1, 3)))
        end = rfc3339(high, draw(st.sampled_from(OFFSETS)), draw(st.integers(-1, 3)))
        if form == "mixed":
            if draw(st.booleans()):
                start = low.astimezone(zone).date().isoformat()
            else:
                end = high.astimezone(zone).date().isoformat()
    # Never inverted: a date bound widens to its whole local day, which holds the instant.
    window = expected.resolve(start, end, timezone)
    params: Params = [("start", start), ("end", end)]
    if timezone != "UTC" or draw(st.booleans()):
        params.append(("timezone", timezone))
    return params, window


_seconds = st.one_of(
    # Eighths of a second add exactly in binary floating point, so MongoDB's compensated sum,
    # a plain sum and the oracle's fsum agree; integers as Rocket.Chat often stores them.
    st.integers(0, 40_000).map(lambda eighths: eighths / 8),
    st.integers(0, 5000),
    st.sampled_from([0, 0.0, 3599.875, 3600, 3600.0, 3600.125]),
)
_sometimes = st.sampled_from([True, True, False])


@st.composite
def workspaces(
    draw: st.DrawFn, edges: list[datetime], low: datetime, high: datetime
) -> expected.Workspace:
    """Departments (enabled, disabled, enabled missing, business units), livechat rooms and
    other rooms with every field shape, transfer messages (some to deleted rooms), with
    timestamps on and next to `edges` and anywhere in [low, high]."""
    near_edges = [e + d for e in edges for d in (-MS, timedelta(0), MS)]
    span = int((high - low) / MS)

    # Drawn from plain integers, not strategies built per call: hypothesis labels every new
    # strategy (parsing its lambdas), which costs more than the HTTP round trip.
    def moment(after: datetime | None = None) -> datetime:
        candidates = near_edges if after is None else [e for e in near_edges if e >= after]
        if candidates and draw(st.integers(0, 2)) == 0:
            return candidates[draw(st.integers(0, len(candidates) - 1))]
        if after is None:
            return low + spread(draw, span) * MS
        return after + spread(draw, 3 * 86400 * 8) * 125 * MS

    departments: list[dict[str, Any]] = []
    for department in draw(st.lists(st.sampled_from(DEPARTMENT_IDS), unique=True)):
        document: dict[str, Any] = {"_id": department}
        name = draw(st.sampled_from([*NAMES, ..., None]))  # old documents without a name
        if name is not ...:
            document["name"] = name
        enabled = draw(st.sampled_from([..., None, True, True, False]))
        if enabled is not ...:
            document["enabled"] = enabled
        departments.append(document)
    for unit in draw(st.lists(st.sampled_from(UNITS), unique=True, max_size=2)):
        departments.append({"_id": unit, "name": f"Unit {unit}", "type": "u", "enabled": True})

    rooms = []
    for number in range(draw(st.integers(0, 30))):
        ts = moment()
        room: dict[str, Any] = {
            "_id": f"room-{number}-ü",
            "t": draw(st.sampled_from(["l", "l", "l", "l", "c", "d", "p"])),
            "ts": ts,
        }
        if draw(st.integers(0, 40)) == 0:  # broken documents exist; they count nowhere
            room["ts"] = draw(st.sampled_from([None, "2026-11-01"]))
        department = draw(st.sampled_from([..., None, "", GONE, *DEPARTMENT_IDS]))
        if department is not ...:
            room["departmentId"] = department
        waiting = draw(st.sampled_from([..., None, True, False]))
        if waiting is not ...:
            room["waitingResponse"] = waiting
        if draw(_sometimes):
            # Closed after it was created, sometimes exactly on an edge.
            room["closedAt"] = moment(after=ts)
            room["open"] = False
        else:
            room["open"] = True
        metrics: dict[str, Any] = {}
        for name in ("chatDuration", "serviceTimeDuration", "visitorInactivity"):
            if draw(_sometimes):
                metrics[name] = draw(st.one_of(_seconds, st.none()))
        if draw(_sometimes):
            metrics["response"] = {"ft": draw(_seconds)} if draw(_sometimes) else {}
        if metrics or draw(st.booleans()):
            room["metrics"] = metrics
        if draw(_sometimes):
            served: dict[str, Any] = {"_id": "agent-1", "username": "agent.one"}
            if draw(_sometimes):
                served["ts"] = ts + spread(draw, 4000) * 125 * MS
            room["servedBy"] = served
        if draw(_sometimes):
            answer = ts + spread(draw, 80_000) * 125 * MS
            room["responseBy"] = {"_id": "agent-1", "lastMessageTs": answer}
        rooms.append(room)

    room_ids = [r["_id"] for r in rooms] + ["deleted-room"]
    messages = [
        {
            "_id": f"message-{number}",
            "t": draw(st.sampled_from(["livechat_transfer_history"] * 3 + ["uj", "command"])),
            "rid": draw(st.sampled_from(room_ids)),
            "ts": moment() if draw(st.integers(0, 40)) else None,
            "msg": "",
        }
        for number in range(draw(st.integers(0, 15)))
    ]
    return expected.Workspace(rooms, messages, departments)


COLLECTIONS = ("rocketchat_room", "rocketchat_message", "rocketchat_livechat_department")


async def seed(db: Any, workspace: expected.Workspace) -> None:
    """Replace the workspace's collections (the auth documents stay)."""
    documents = (workspace.rooms, workspace.messages, workspace.departments)
    for name, stored in zip(COLLECTIONS, documents, strict=True):
        await db[name].delete_many({})
        if stored:
            await db[name].insert_many([dict(d) for d in stored])


async def get_json(client: TestClient, path: str, params: Params) -> tuple[int, Any]:
    response = await client.get(f"{PREFIX}/{path}", params=params, headers=MANAGER)
    assert response.content_type == "application/json", await response.text()
    return response.status, await response.json()


async def get_csv(
    client: TestClient, path: str, params: Params, headers: dict[str, str] | None = None
) -> tuple[str, str]:
    """The CSV answer's text and its Content-Disposition, after checking the framing the
    contract fixes for every CSV answer."""
    response = await client.get(f"{PREFIX}/{path}", params=params, headers=headers or MANAGER)
    raw = await response.read()
    assert response.status == 200, raw[:500]
    assert response.headers["Content-Type"].replace(" ", "").lower() == "text/csv;charset=utf-8"
    assert not raw.startswith(b"\xef\xbb\xbf"), "no byte-order mark"
    text = raw.decode("utf-8")
    assert text.endswith("\r\n")
    return text, response.headers.get("Content-Disposition", "")


def csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))
