"""The embedded backend: an in-process MongoDB stand-in, seeded with demo data or mongoexport files.

`make run` serves this, so the service can be tried with nothing installed. It runs the same
pipelines through mongomock, off the event loop (backend.py, aggregation.py); see
../shared/TESTING.md for where that backend and MongoDB differ (none of the differences shows in
these reports' answers).
"""

import json
import random
import string
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import mongomock
from bson import json_util
from bson.errors import BSONError

from service.core.auth import PERMISSIONS, USERS, VIEW_LIVECHAT_MANAGER, hash_token
from service.embedded.backend import EmbeddedClient
from service.settings import Settings

Document = dict[str, Any]
Collections = dict[str, list[Document]]

DEMO_USER_ID = "demo-manager"
DEMO_TOKEN = "demo-manager-token"
DEMO_AGENT_ID = "demo-agent"
DEMO_AGENT_TOKEN = "demo-agent-token"
MANAGER_ROLE = "livechat-manager"
ROOMS = "rocketchat_room"

_METEOR_ID_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTWXYZabcdefghijkmnopqrstuvwxyz"
_DEPARTMENTS = ("Sales", "Support", "Billing", "Onboarding", "Technical", "Partners")
_AGENTS = ("alice", "bruno", "chen", "dara", "emeka")
# The agents family's awkward cases: `chen` was renamed (rooms served before the rename keep
# the old name), one agent account has no username, and one agent was deleted since.
_RENAMED = ("chen", "chen.wei")
_DELETED_AGENT = "former.agent"
ACTIVITY = "rocketchat_livechat_agent_activity"


class FixtureError(Exception):
    """A fixture file that cannot be loaded; the message names the file and the line."""

    def __init__(self, path: Path, line: int | None, reason: str) -> None:
        where = f"{path}:{line}" if line is not None else str(path)
        super().__init__(f"{where}: {reason}")


# ----------------------------------------------------------------------------- demo data


def _meteor_id(rng: random.Random) -> str:
    return "".join(rng.choice(_METEOR_ID_ALPHABET) for _ in range(17))


def _login_token(token: str, when: datetime) -> Document:
    return {"when": when, "hashedToken": hash_token(token)}


def _user(user_id: str, username: str, roles: list[str], tokens: list[Document]) -> Document:
    return {
        "_id": user_id,
        "username": username,
        "name": username.title(),
        "active": True,
        "roles": roles,
        "type": "user",
        "services": {"resume": {"loginTokens": tokens}},
    }


def _demo_identities(now: datetime) -> list[Document]:
    """The manager whose token the start-up banner prints, and an agent who lacks the permission
    (to see a 403)."""
    return [
        _user(DEMO_USER_ID, "manager", ["user", MANAGER_ROLE], [_login_token(DEMO_TOKEN, now)]),
        _user(
            DEMO_AGENT_ID,
            "agent",
            ["user", "livechat-agent"],
            [_login_token(DEMO_AGENT_TOKEN, now)],
        ),
    ]


def _livechat_room(
    rng: random.Random,
    now: datetime,
    ts: datetime,
    department: str,
    agents: list[Document],
) -> Document:
    room: Document = {
        "_id": _meteor_id(rng),
        "t": "l",
        "ts": ts,
        "fname": f"Visitor {rng.randrange(10_000)}",
        "v": {"_id": _meteor_id(rng), "token": _meteor_id(rng)},
        "source": {"type": rng.choice(["widget", "widget", "email", "api"])},
        "open": True,
        "metrics": {},
    }
    roll = rng.random()
    if roll < 0.02:
        room["departmentId"] = None
    elif roll > 0.05:
        room["departmentId"] = department
    # else: no departmentId at all, as for chats that arrived before departments existed.

    if rng.random() < 0.04:  # still queued: nobody took it
        room["waitingResponse"] = True
        return room
    agent = rng.choice(agents)
    taken = ts + timedelta(seconds=rng.expovariate(1 / 45))
    served: Document = {"_id": agent["_id"], "username": agent["username"], "ts": taken}
    if rng.random() < 0.01:
        del served["ts"]  # seen in old databases; the service-time report must tolerate it
    room["servedBy"] = served

    if rng.random() < 0.14:  # taken but never answered
        room["waitingResponse"] = True
        first_response = None
    else:
        # Rocket.Chat unsets waitingResponse on the agent's first reply.
        first_response = rng.expovariate(1 / 60) + 5
        room["metrics"]["response"] = {
            "ft": round(first_response, 2),
            "avg": round(first_response * rng.uniform(0.6, 1.4), 2),
            "total": rng.randint(1, 30),
            "tt": round(first_response * rng.uniform(2, 12), 2),
        }
        room["metrics"]["reaction"] = {
            "fd": taken,
            "ft": round(rng.expovariate(1 / 20), 2),
            "tt": round(rng.expovariate(1 / 200), 2),
        }

    duration = rng.expovariate(1 / 900) + 30
    closed_at = ts + timedelta(seconds=duration)
    if first_response is not None:
        room["responseBy"] = {
            "_id": agent["_id"],
            "username": agent["username"],
            "firstResponseTs": ts + timedelta(seconds=first_response),
            "lastMessageTs": ts + timedelta(seconds=duration * rng.uniform(0.5, 0.98)),
        }
    if closed_at < now and rng.random() < 0.92:
        room["open"] = False
        room["closedAt"] = closed_at
        room["closer"] = rng.choice(["user", "visitor"])
        room["metrics"]["chatDuration"] = round(duration, 3)
        room["metrics"]["serviceTimeDuration"] = round(duration - (taken - ts).total_seconds(), 3)
        # About one chat in ten is abandoned: the visitor went quiet past the timeout.
        inactivity = rng.uniform(3600, 9000) if rng.random() < 0.1 else rng.uniform(0, 600)
        room["metrics"]["visitorInactivity"] = round(inactivity, 3)
    return room


def _departments_beyond_the_active(
    now: datetime, room_docs: list[Document], agents: list[Document], window: float, seed: int
) -> list[Document]:
    """What real workspaces also hold, so our own API's row rules show on the demo: an enabled
    department without chats (a zero row), a disabled one that still has old chats (a row with
    its name, only where it has them), a business unit (`type: "u"`, not a department), and
    chats of a department deleted since (a row named null). Drawn from a generator of their own
    and appended, so the active departments' rooms are the same as without them."""
    rng = random.Random(seed + 1)
    idle = {"_id": _meteor_id(rng), "name": "Returns", "enabled": True, "numAgents": 0}
    disabled = {"_id": _meteor_id(rng), "name": "Legacy support", "enabled": False}
    unit = {"_id": _meteor_id(rng), "name": "EMEA", "type": "u", "numAgents": 0}
    deleted = _meteor_id(rng)
    for department, count in ((disabled["_id"], 30), (deleted, 25)):
        for _ in range(count):
            ts = now - timedelta(seconds=rng.uniform(0, window))
            room_docs.append(_livechat_room(rng, now, ts, str(department), agents))
    return [idle, disabled, unit]


def _agent_roster(
    rng: random.Random, agents: list[Document], rooms: list[Document], now: datetime
) -> list[Document]:
    """Rename one agent half-way through the window, and hand some rooms to an agent without a
    username and to one deleted since. Only `servedBy`/`responseBy` change, so the department
    reports' numbers do not. Returns the agent users (the deleted one is not among them)."""
    renamed = next(a for a in agents if a["username"] == _RENAMED[0])
    renamed["username"] = _RENAMED[1]
    renamed_at = now - timedelta(days=60)
    nameless = _user(_meteor_id(rng), "nameless", ["user", "livechat-agent"], [])
    del nameless["username"]  # e.g. an account created by an import, never given one
    deleted_id = _meteor_id(rng)
    for room in rooms:
        served = room.get("servedBy")
        if room["t"] != "l" or served is None:
            continue
        roll = rng.random()
        if roll < 0.06:
            served.pop("username", None)
            served["_id"] = nameless["_id"]
        elif roll < 0.12:
            served.update({"_id": deleted_id, "username": _DELETED_AGENT})
        elif served["_id"] == renamed["_id"] and room["ts"] >= renamed_at:
            served["username"] = _RENAMED[1]
        if "responseBy" in room:  # the same agent answered
            room["responseBy"] = {**room["responseBy"], "_id": served["_id"]}
            room["responseBy"].pop("username", None)
            if "username" in served:
                room["responseBy"]["username"] = served["username"]
    return [*agents, nameless]


def _agent_activity(
    rng: random.Random, agent_ids: list[str], now: datetime, days: int
) -> list[Document]:
    """Rocket.Chat's `rocketchat_livechat_agent_activity`: one document per agent and (UTC)
    day the agent went available, `availableTime` the seconds of that day's intervals. Today's
    last interval is still open (no `stoppedAt`) and counts up to `now`."""
    documents = []
    today = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    for agent_id in agent_ids:
        for back in range(days, -1, -1):
            midnight = today - timedelta(days=back)
            if (midnight.weekday() >= 5 and rng.random() < 0.8) or rng.random() < 0.1:
                continue  # weekends, days off
            intervals: list[Document] = []
            available = 0
            started = midnight + timedelta(hours=rng.randint(6, 10), minutes=rng.randrange(60))
            for _ in range(rng.choice([1, 2, 2, 3])):
                if started >= now:
                    break
                stopped = started + timedelta(minutes=rng.randint(30, 240))
                if stopped > now or stopped.date() != midnight.date():
                    intervals.append({"startedAt": started})
                    available += int(
                        (min(now, midnight + timedelta(days=1)) - started).total_seconds()
                    )
                    break
                intervals.append({"startedAt": started, "stoppedAt": stopped})
                available += int((stopped - started).total_seconds())
                started = stopped + timedelta(minutes=rng.randint(15, 90))
            if intervals:
                documents.append(
                    {
                        "_id": _meteor_id(rng),
                        "agentId": agent_id,
                        "date": int(midnight.strftime("%Y%m%d")),
                        "availableTime": available,
                        "serviceHistory": intervals,
                    }
                )
    return documents


def generate_demo_data(now: datetime, *, rooms: int = 6000, seed: int = 7) -> Collections:
    """A Rocket.Chat-shaped workspace: departments, agents, livechat rooms over the last four
    months (some without department, some unanswered, some open), other room types, transfer
    history messages (a few pointing at deleted rooms), the agents' availability history (with
    a renamed agent, one without a username and one deleted), the settings and the
    permission."""
    rng = random.Random(seed)
    departments = [
        {
            "_id": _meteor_id(rng),
            "name": name,
            "enabled": True,
            "showOnRegistration": True,
            "numAgents": 2,
        }
        for name in _DEPARTMENTS
    ]
    agents = [_user(_meteor_id(rng), name, ["user", "livechat-agent"], []) for name in _AGENTS]
    # Uneven traffic, as in real workspaces: Sales and Support carry most chats.
    weights = [30, 35, 12, 10, 9, 4]
    window = timedelta(days=120).total_seconds()
    room_docs: list[Document] = []
    for _ in range(rooms):
        ts = now - timedelta(seconds=rng.uniform(0, window))
        department = str(rng.choices(departments, weights)[0]["_id"])
        room_docs.append(_livechat_room(rng, now, ts, department, agents))
    for _ in range(rooms // 4):
        room_docs.append(
            {
                "_id": _meteor_id(rng),
                "t": rng.choice(["c", "p", "d"]),
                "ts": now - timedelta(seconds=rng.uniform(0, window)),
                "name": "".join(rng.choices(string.ascii_lowercase, k=8)),
                "departmentId": rng.choice(departments)["_id"],
            }
        )

    messages: list[Document] = []
    for room in room_docs:
        if room["t"] != "l" or rng.random() > 0.07:
            continue
        for hop in range(rng.choice([1, 1, 1, 2])):
            messages.append(
                {
                    "_id": _meteor_id(rng),
                    "t": "livechat_transfer_history",
                    "rid": room["_id"],
                    "ts": room["ts"] + timedelta(seconds=60 * (hop + 1)),
                    "msg": "",
                    "u": {"_id": DEMO_USER_ID, "username": "manager"},
                    "transferData": {"scope": "department", "comment": ""},
                }
            )
    for _ in range(5):  # transfers whose room was deleted since
        messages.append(
            {
                "_id": _meteor_id(rng),
                "t": "livechat_transfer_history",
                "rid": _meteor_id(rng),
                "ts": now - timedelta(seconds=rng.uniform(0, window)),
                "msg": "",
            }
        )
    departments += _departments_beyond_the_active(now, room_docs, agents, window, seed)
    # A generator of its own, so the rooms and messages above stay what they were before the
    # agents family arrived (the README quotes their numbers).
    agent_rng = random.Random(seed + 2)
    agent_users = _agent_roster(agent_rng, agents, room_docs, now)
    deleted = sorted(
        {r["servedBy"]["_id"] for r in room_docs if "servedBy" in r}
        - {a["_id"] for a in agent_users}
    )
    activity = _agent_activity(agent_rng, [a["_id"] for a in agent_users] + deleted, now, 120)
    return {
        "rocketchat_livechat_department": departments,
        "rocketchat_room": room_docs,
        "rocketchat_message": messages,
        ACTIVITY: activity,
        USERS: [*_demo_identities(now), *agent_users],
        PERMISSIONS: [
            {"_id": VIEW_LIVECHAT_MANAGER, "roles": ["admin", MANAGER_ROLE, "livechat-monitor"]}
        ],
        "rocketchat_settings": [
            {"_id": "API_Default_Count", "value": 50},
            {"_id": "API_Upper_Count_Limit", "value": 100},
            {"_id": "API_Allow_Infinite_Count", "value": True},
            {"_id": "Accounts_LoginExpiration", "value": 90},
            {"_id": "Livechat_visitor_inactivity_timeout", "value": 3600},
        ],
    }


# ----------------------------------------------------------------------------- mongoexport files

# Dates come back timezone-aware (UTC), like the driver's with tz_aware=True.
_ejson_hook = partial(
    json_util.object_pairs_hook,
    json_options=json_util.RELAXED_JSON_OPTIONS.with_options(tz_aware=True, tzinfo=UTC),
)
_decoder = json.JSONDecoder(object_pairs_hook=_ejson_hook)
_CONVERSION_ERRORS = (ValueError, TypeError, KeyError, OverflowError, BSONError)


def _line_of(text: str, index: int) -> int:
    return text.count("\n", 0, index) + 1


def _skip_space(text: str, index: int) -> int:
    while index < len(text) and text[index] in " \t\r\n":
        index += 1
    return index


def _decode_at(path: Path, text: str, index: int, first_line: int = 1) -> tuple[Any, int]:
    """One JSON value starting at `index`; `first_line` is the file line `text` starts on."""
    try:
        return _decoder.raw_decode(text, index)
    except json.JSONDecodeError as error:
        raise FixtureError(path, first_line - 1 + error.lineno, error.msg) from None
    except _CONVERSION_ERRORS as error:
        line = first_line - 1 + _line_of(text, index)
        raise FixtureError(path, line, f"invalid Extended JSON: {error}") from None


def _array_documents(path: Path, text: str) -> Iterator[tuple[int, Any]]:
    """`mongoexport --jsonArray`: decoded element by element so an error names its line."""
    index = _skip_space(text, text.index("[") + 1)
    if text.startswith("]", index):
        index += 1
    else:
        while True:
            line = _line_of(text, index)
            document, index = _decode_at(path, text, index)
            yield line, document
            index = _skip_space(text, index)
            if text.startswith(",", index):
                index = _skip_space(text, index + 1)
            elif text.startswith("]", index):
                index += 1
                break
            else:
                raise FixtureError(path, _line_of(text, index), "expected ',' or ']'")
    index = _skip_space(text, index)
    if index != len(text):
        raise FixtureError(path, _line_of(text, index), "unexpected content after the array")


def _line_documents(path: Path, text: str) -> Iterator[tuple[int, Any]]:
    """mongoexport's default: one Extended JSON document per line."""
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            start = len(line) - len(line.lstrip())
            document, end = _decode_at(path, line, start, first_line=number)
            if line[end:].strip():
                raise FixtureError(path, number, "unexpected content after the document")
            yield number, document


def read_export(path: Path) -> list[Document]:
    """The documents of one mongoexport file (lines or `--jsonArray`)."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        line = _line_of(error.object.decode("utf-8", "replace"), error.start)
        raise FixtureError(path, line, "not UTF-8 text") from None
    except OSError as error:
        raise FixtureError(path, None, error.strerror or str(error)) from None
    source = _array_documents if text.lstrip().startswith("[") else _line_documents
    documents = []
    for line, document in source(path, text):
        if not isinstance(document, dict):
            raise FixtureError(path, line, "expected a JSON object (one document)")
        documents.append(document)
    return documents


def load_fixtures(directory: Path) -> Collections:
    """`DIR/<collection>.json` for every collection to load."""
    if not directory.is_dir():
        raise FixtureError(directory, None, "not a directory")
    files = sorted(directory.glob("*.json"))
    if not files:
        raise FixtureError(directory, None, "no <collection>.json files found")
    if not (directory / f"{ROOMS}.json").is_file():
        # Every report reads the rooms: without them the service would answer empty reports.
        raise FixtureError(
            directory, None, f"no {ROOMS}.json (export the rooms: mongoexport -c {ROOMS})"
        )
    return {path.stem: read_export(path) for path in files}


def with_demo_manager(collections: Collections, now: datetime) -> Collections:
    """An export of a real workspace carries no token we know: add the demo users and make sure
    their role holds the permission, so the printed curl works against any export."""
    users = [
        u for u in collections.get(USERS, []) if u.get("_id") not in (DEMO_USER_ID, DEMO_AGENT_ID)
    ]
    permissions = [
        p for p in collections.get(PERMISSIONS, []) if p.get("_id") != VIEW_LIVECHAT_MANAGER
    ]
    granted = next(
        (p for p in collections.get(PERMISSIONS, []) if p.get("_id") == VIEW_LIVECHAT_MANAGER),
        {"_id": VIEW_LIVECHAT_MANAGER, "roles": []},
    )
    roles = list(granted.get("roles") or [])
    if MANAGER_ROLE not in roles:
        roles.append(MANAGER_ROLE)
    return {
        **collections,
        USERS: [*users, *_demo_identities(now)],
        PERMISSIONS: [*permissions, {**granted, "roles": roles}],
    }


# ----------------------------------------------------------------------------- the client


def embedded_client_factory(collections: Mapping[str, list[Document]]) -> Callable[[Settings], Any]:
    """A `client_factory` for `create_app` that serves `collections` from memory."""

    def factory(settings: Settings) -> Any:
        # Seeded through mongomock's synchronous client, then wrapped so that every operation
        # runs off the event loop (backend.py): no event loop is needed to load the data, and
        # start-up stays a plain function call.
        backend: Any = mongomock.MongoClient()
        database = backend[settings.mongo_database]
        for name, documents in collections.items():
            if documents:
                database[name].insert_many([dict(d) for d in documents])
        return EmbeddedClient(backend)

    return factory
