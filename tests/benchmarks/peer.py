"""`make bench`'s peer section: our plan beside Rocket.Chat's own, on the same wire-protocol
server, data and indexes, in the same run, as ratios of database time.

Rocket.Chat answers each department report with two aggregations run one after the other: a
count pipeline ending in `$count` and a page pipeline with `$skip`/`$limit`, both starting with
the same `$match` → `$group` by `{_id: null, departmentId: "$departmentId"}` → `$project` →
`$sort: {name: 1}` (a field that no longer exists there). They are written below as Rocket.Chat
builds them (`apps/meteor/server/models/raw/LivechatRooms.ts`, `findAll*`;
`packages/models/src/models/Messages.ts`, `findAllNumberOfTransferredRooms`), with one change
that keeps the comparison fair: the leading `$match` is split into its `{t, ts}` part and the
rest exactly as ours is (`pipelines.stages.match_on_index`). MongoDB coalesces adjacent `$match`
stages, so on MongoDB this changes nothing; the test server's planner needs the split to use the
index for either plan.
"""

import json
import random
import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pymongo import ASCENDING, MongoClient

from pipelines import calendar, metrics, scorecard, timeseries
from pipelines.calendar import Window
from pipelines.params import ReportParams
from pipelines.stages import Stage, match_on_index, read_page
from service.rocketchat.reports import REPORTS, ROOMS, Report

MESSAGES = "rocketchat_message"
USERS = "users"
ACTIVITY = "rocketchat_livechat_agent_activity"
AGENTS = 30
TRANSFER = "livechat_transfer_history"
DEPARTMENTS = 12
PAGE = 50  # Rocket.Chat's default `count`, and ours
INACTIVITY_TIMEOUT = 3600
# Rooms over 120 days (about a quarter in the 30-day window): enough for the aggregations to
# dominate their round trips, few enough for the section to take a few minutes on 2 busy cores.
PEER_ROOMS = 5_000
TARGET_REPORT_RATIO = 0.55
TARGET_SCORECARD_RATIO = 0.25
TARGET_SCORECARD_VS_REPORTS = 1.0
TARGET_SERIES_VS_SCORECARD = 1.5


# ----------------------------------------------------------------------------- Rocket.Chat's plan


def _rocketchat(
    match: dict[str, Any],
    accumulators: dict[str, Any],
    projection: dict[str, Any],
    params: ReportParams,
    *,
    joins: tuple[Stage, ...] = (),
    department_field: str = "departmentId",
) -> list[Stage]:
    """The stages Rocket.Chat's count and page pipelines share."""
    if params.department_id is not None and not joins:
        match = {**match, department_field: params.department_id}
    stages: list[Stage] = [*match_on_index(match), *joins]
    if params.department_id is not None and joins:
        stages.append({"$match": {department_field: params.department_id}})
    key = "$room.departmentId" if joins else "$departmentId"
    return [
        *stages,
        {"$group": {"_id": {"_id": None, "departmentId": key}, **accumulators}},
        {"$project": {"_id": {"$ifNull": ["$_id.departmentId", None]}, **projection}},
        {"$sort": {"name": 1}},
    ]


def _window(params: ReportParams) -> dict[str, Any]:
    return {"t": "l", "ts": {"$gte": params.start, "$lte": params.end}}


def _closed(params: ReportParams) -> dict[str, Any]:
    return {"t": "l", "ts": {"$gte": params.start}, "closedAt": {"$lte": params.end}}


def _ceil_average(total: str) -> dict[str, Any]:
    return {"$ceil": {"$cond": [{"$eq": ["$rooms", 0]}, 0, {"$divide": [total, "$rooms"]}]}}


def rc_amount_of_chats(params: ReportParams) -> list[Stage]:
    waiting = {"$ne" if params.answered else "$eq": True}
    return _rocketchat(
        {**_window(params), "waitingResponse": waiting},
        {"rooms": {"$sum": 1}},
        {"rooms": 1},
        params,
    )


def rc_average_chat_duration_time(params: ReportParams) -> list[Stage]:
    return _rocketchat(
        _closed(params),
        {"rooms": {"$sum": 1}, "chatsDuration": {"$sum": "$metrics.chatDuration"}},
        {"averageChatDurationTimeInSeconds": _ceil_average("$chatsDuration")},
        params,
    )


def rc_average_service_time(params: ReportParams) -> list[Stage]:
    seconds = {"$divide": [{"$subtract": ["$responseBy.lastMessageTs", "$servedBy.ts"]}, 1000]}
    return _rocketchat(
        {
            **_window(params),
            "responseBy.lastMessageTs": {"$exists": True},
            "servedBy._id": {"$exists": True},
        },
        {"rooms": {"$sum": 1}, "allServiceTime": {"$sum": seconds}},
        {"averageServiceTimeInSeconds": _ceil_average("$allServiceTime")},
        params,
    )


def rc_average_waiting_time(params: ReportParams) -> list[Stage]:
    return _rocketchat(
        {**_window(params), "waitingResponse": {"$ne": True}},
        {"rooms": {"$sum": 1}, "chatsFirstResponses": {"$sum": "$metrics.response.ft"}},
        {"averageWaitingTimeInSeconds": _ceil_average("$chatsFirstResponses")},
        params,
    )


def rc_total_service_time(params: ReportParams) -> list[Stage]:
    return _rocketchat(
        {**_closed(params), "metrics.serviceTimeDuration": {"$exists": True}},
        {"rooms": {"$sum": 1}, "serviceTimeDuration": {"$sum": "$metrics.serviceTimeDuration"}},
        {"chats": "$rooms", "serviceTimeDuration": {"$ceil": "$serviceTimeDuration"}},
        params,
    )


def rc_total_transferred_chats(params: ReportParams) -> list[Stage]:
    joins: tuple[Stage, ...] = (
        {
            "$lookup": {
                "from": ROOMS,
                "localField": "rid",
                "foreignField": "_id",
                "as": "room",
            }
        },
        {"$unwind": {"path": "$room", "preserveNullAndEmptyArrays": True}},
    )
    return _rocketchat(
        {"t": TRANSFER, "ts": {"$gte": params.start, "$lte": params.end}},
        {"numberOfTransferredRooms": {"$sum": 1}},
        {"numberOfTransferredRooms": 1},
        params,
        joins=joins,
        department_field="room.departmentId",
    )


def rc_total_abandoned_chats(params: ReportParams) -> list[Stage]:
    return _rocketchat(
        {
            "t": "l",
            "metrics.visitorInactivity": {"$gte": params.inactivity_timeout},
            "ts": {"$gte": params.start},
            "closedAt": {"$lte": params.end},
        },
        {"abandonedRooms": {"$sum": 1}},
        {"abandonedRooms": 1},
        params,
    )


def rc_percentage_abandoned_chats(params: ReportParams) -> list[Stage]:
    abandoned = {
        "$cond": [
            {
                "$and": [
                    {"$ifNull": ["$metrics.visitorInactivity", False]},
                    {"$gte": ["$metrics.visitorInactivity", params.inactivity_timeout]},
                ]
            },
            1,
            0,
        ]
    }
    percentage = {
        "$floor": {
            "$cond": [
                {"$eq": ["$rooms", 0]},
                0,
                {"$divide": [{"$multiply": ["$abandonedChats", 100]}, "$rooms"]},
            ]
        }
    }
    return _rocketchat(
        _window(params),
        {"rooms": {"$sum": 1}, "abandonedChats": {"$sum": abandoned}},
        {"percentageOfAbandonedChats": percentage},
        params,
    )


# Rocket.Chat's shared stages per report, by our report's name.
ROCKETCHAT: dict[str, Callable[[ReportParams], list[Stage]]] = {
    "amount-of-chats": rc_amount_of_chats,
    "average-chat-duration-time": rc_average_chat_duration_time,
    "average-service-time": rc_average_service_time,
    "average-waiting-time": rc_average_waiting_time,
    "total-service-time": rc_total_service_time,
    "total-transferred-chats": rc_total_transferred_chats,
    "total-abandoned-chats": rc_total_abandoned_chats,
    "percentage-abandoned-chats": rc_percentage_abandoned_chats,
}


def _rocketchat_by_agent(metric: dict[str, Any], params: ReportParams) -> list[Stage]:
    """`LivechatRooms.findAllServiceTimeByAgent` / `findAllAverageServiceTimeByAgents`."""
    match = {
        "t": "l",
        "servedBy._id": {"$exists": True},
        "metrics.serviceTimeDuration": {"$exists": True},
        "ts": {"$gte": params.start, "$lte": params.end},
    }
    return [
        *match_on_index(match),
        {
            "$group": {
                "_id": {"_id": "$servedBy._id", "username": "$servedBy.username"},
                "chats": {"$sum": 1},
                "serviceTimeDuration": {"$sum": "$metrics.serviceTimeDuration"},
            }
        },
        {"$project": {"_id": "$_id._id", "username": "$_id.username", **metric}},
        {"$sort": {"username": 1}},
    ]


def rc_agents_average_service_time(params: ReportParams) -> list[Stage]:
    average = {
        "$cond": [{"$eq": ["$chats", 0]}, 0, {"$divide": ["$serviceTimeDuration", "$chats"]}]
    }
    return _rocketchat_by_agent(
        {
            "name": "$_id.name",
            "active": "$_id.active",
            "averageServiceTimeInSeconds": {"$ceil": average},
        },
        params,
    )


def rc_agents_total_service_time(params: ReportParams) -> list[Stage]:
    return _rocketchat_by_agent(
        {"chats": 1, "serviceTimeDuration": {"$ceil": "$serviceTimeDuration"}}, params
    )


def rc_agents_available_for_service_history(params: ReportParams) -> list[Stage]:
    """`LivechatAgentActivity.findAvailableServiceTimeHistory`, days of a UTC server."""
    days = {
        "$gte": int(params.start.strftime("%Y%m%d")),
        "$lte": int(params.end.strftime("%Y%m%d")),
    }
    return [
        {"$match": {"date": days}},
        {"$lookup": {"from": USERS, "localField": "agentId", "foreignField": "_id", "as": "user"}},
        {"$unwind": {"path": "$user"}},
        {
            "$group": {
                "_id": {"_id": "$user._id", "username": "$user.username"},
                "serviceHistory": {"$first": "$serviceHistory"},
                "availableTimeInSeconds": {"$sum": "$availableTime"},
            }
        },
        {"$project": {"_id": 0, "username": "$_id.username", "availableTimeInSeconds": 1}},
        {"$sort": {"username": 1}},
    ]


ROCKETCHAT_AGENTS: dict[str, Callable[[ReportParams], list[Stage]]] = {
    "average-service-time": rc_agents_average_service_time,
    "total-service-time": rc_agents_total_service_time,
    "available-for-service-history": rc_agents_available_for_service_history,
}
# The agents family of the registry.
AGENT_REPORTS = [report for report in REPORTS if report.family == "agents"]

# The department family of the registry.
DEPARTMENT_REPORTS = [
    report for report in REPORTS if report.family == "departments" and report.name in ROCKETCHAT
]


def rocketchat_requests(shared: list[Stage], offset: int = 0) -> tuple[list[Stage], list[Stage]]:
    """Rocket.Chat's two aggregations: the count, and the page (`$skip` only when the offset
    is not 0, as its code does)."""
    page = [*shared, *([{"$skip": offset}] if offset else []), {"$limit": PAGE}]
    return [*shared, {"$count": "total"}], page


# ----------------------------------------------------------------------------- data


def seed_peer(url: str, database: str, rooms: int, now: datetime) -> None:
    """Livechat rooms over 120 days with every field the reports read, transfer and ordinary
    messages, agents and their daily activity, and the indexes: Rocket.Chat's, plus
    `{t: 1, ts: 1}` on messages, which the test server's planner needs for the transfer `$match`
    (real MongoDB uses Rocket.Chat's `{t: 1}`)."""
    rng = random.Random(rooms)
    with MongoClient[dict[str, Any]](url, tz_aware=True) as client:
        db = client[database]
        room_batch: list[dict[str, Any]] = []
        message_batch: list[dict[str, Any]] = []
        for number in range(rooms):
            created = now - timedelta(seconds=rng.uniform(0, 120 * 86400))
            room: dict[str, Any] = {"_id": f"room{number}", "t": "l", "ts": created}
            if rng.random() < 0.9:
                room["departmentId"] = f"department{rng.randrange(DEPARTMENTS)}"
            if rng.random() < 0.2:
                room["waitingResponse"] = True
            else:
                served = created + timedelta(seconds=rng.uniform(5, 600))
                agent = rng.randrange(AGENTS)
                room["servedBy"] = {
                    "_id": f"agent{agent}",
                    "username": f"agent.{agent}",
                    "ts": served,
                }
                room["responseBy"] = {
                    "lastMessageTs": served + timedelta(minutes=rng.uniform(1, 30))
                }
                room["metrics"] = {"response": {"ft": rng.uniform(5, 600)}}
            if rng.random() < 0.7:
                duration = rng.uniform(60, 5400)
                room["closedAt"] = created + timedelta(seconds=duration)
                metrics = room.setdefault("metrics", {})
                metrics["chatDuration"] = duration
                metrics["serviceTimeDuration"] = duration * 0.8
                metrics["visitorInactivity"] = rng.choice([0, 120, 4000, 7200])
            room_batch.append(room)
            for hop in range(rng.choice([0, 0, 0, 1, 2])):
                message_batch.append(
                    {
                        "_id": f"transfer{number}-{hop}",
                        "rid": room["_id"],
                        "t": TRANSFER,
                        "ts": created + timedelta(minutes=hop + 1),
                    }
                )
            message_batch.append(
                {"_id": f"message{number}", "rid": room["_id"], "msg": "hi", "ts": created}
            )
            if len(room_batch) >= 5000:
                db[ROOMS].insert_many(room_batch)
                db[MESSAGES].insert_many(message_batch)
                room_batch, message_batch = [], []
        if room_batch:
            db[ROOMS].insert_many(room_batch)
            db[MESSAGES].insert_many(message_batch)
        db[ROOMS].create_index([("t", ASCENDING), ("ts", ASCENDING)])
        db[ROOMS].create_index(
            [("departmentId", ASCENDING), ("ts", ASCENDING)],
            partialFilterExpression={"departmentId": {"$exists": True}, "t": "l"},
        )
        db[MESSAGES].create_index([("t", ASCENDING)], sparse=True)
        db[MESSAGES].create_index([("ts", ASCENDING)])
        db[MESSAGES].create_index([("t", ASCENDING), ("ts", ASCENDING)])
        db[USERS].insert_many(
            [{"_id": f"agent{n}", "username": f"agent.{n}"} for n in range(AGENTS)]
        )
        db[ACTIVITY].insert_many(
            [
                {
                    "agentId": f"agent{n}",
                    "date": int((now - timedelta(days=back)).strftime("%Y%m%d")),
                    "availableTime": rng.randint(3600, 8 * 3600),
                    "serviceHistory": [],
                }
                for n in range(AGENTS)
                for back in range(120)
                if rng.random() < 0.7
            ]
        )
        # Rocket.Chat's `LivechatAgentActivity` indexes.
        db[ACTIVITY].create_index([("date", ASCENDING)])
        db[ACTIVITY].create_index([("agentId", ASCENDING), ("date", ASCENDING)], unique=True)


# ----------------------------------------------------------------------------- measuring


def _timed(db: Any, collection: str, pipeline: list[Stage]) -> tuple[float, list[dict[str, Any]]]:
    started = time.perf_counter()
    rows = list(db[collection].aggregate(pipeline))
    return (time.perf_counter() - started) * 1000, rows


def _by_department(rows: list[dict[str, Any]]) -> dict[Any, dict[str, Any]]:
    return {row["_id"]: {k: v for k, v in row.items() if k != "_id"} for row in rows}


@dataclass
class PeerRow:
    """One comparison. `rocketchat_*` is the yardstick: Rocket.Chat's plan, or for issue 9's
    rows our own drop-in reports or scorecard (`against` says which)."""

    name: str
    ours_ms: float
    rocketchat_ms: float
    ours_aggregations: int
    rocketchat_aggregations: int
    target: float
    same_numbers: bool | None
    against: str = "Rocket.Chat"
    # Median database time of each of our aggregations, by collection, where there are several.
    parts_ms: dict[str, float] | None = None
    # ours / yardstick within each run (see `_paired`); the ratio is their median.
    run_ratios: list[float] | None = None

    @property
    def ratio(self) -> float:
        if self.run_ratios:
            return statistics.median(self.run_ratios)
        return self.ours_ms / self.rocketchat_ms

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "ratio": self.ratio, "met": self.ratio <= self.target}


def _paired(
    measure_ours: Callable[[], float], measure_theirs: Callable[[], float], runs: int
) -> tuple[list[float], list[float]]:
    """Database times of both plans, run for run. One untimed run of each first (the server's
    caches), then `runs` pairs, the order alternating so neither plan always runs on the other's
    warm-up: a ratio within a pair, seconds apart, cancels the machine's drift."""
    measure_ours(), measure_theirs()
    ours, theirs = [], []
    for number in range(runs):
        if number % 2:
            theirs.append(measure_theirs())
            ours.append(measure_ours())
        else:
            ours.append(measure_ours())
            theirs.append(measure_theirs())
    return ours, theirs


def _row(
    name: str,
    ours: list[float],
    theirs: list[float],
    aggregations: tuple[int, int],
    target: float,
    same_numbers: bool | None,
    against: str = "Rocket.Chat",
    parts_ms: dict[str, float] | None = None,
) -> PeerRow:
    """A comparison from paired runs: medians of each side, and the ratio of each pair."""
    return PeerRow(
        name,
        statistics.median(ours),
        statistics.median(theirs),
        *aggregations,
        target,
        same_numbers,
        against,
        parts_ms,
        run_ratios=[o / t for o, t in zip(ours, theirs, strict=True)],
    )


def _reports(
    db: Any,
    params: ReportParams,
    runs: int,
    reports: Sequence[Report],
    rocketchat: Mapping[str, Callable[[ReportParams], list[Stage]]],
    prefix: str,
) -> list[PeerRow]:
    """Each report: our one aggregation against Rocket.Chat's count and page. Same numbers:
    the rows as sets (Rocket.Chat's `$project` of fields that do not exist adds nothing, and
    its `$sort` is on a field that no longer exists)."""
    rows = []
    for report in reports:
        count, page = rocketchat_requests(rocketchat[report.name](params))
        ours_times, theirs_times, same = _report_pair(
            db, report.collection, report.build(params), count, page, runs
        )
        name = f"{prefix}{report.name}"
        rows.append(_row(name, ours_times, theirs_times, (1, 2), TARGET_REPORT_RATIO, same))
    return rows


def _report_pair(
    db: Any,
    collection: str,
    ours: list[Stage],
    count: list[Stage],
    page: list[Stage],
    runs: int,
) -> tuple[list[float], list[float], bool]:
    """(our times, Rocket.Chat's times, whether both gave the same rows)."""
    results: dict[str, list[dict[str, Any]]] = {}

    def measure_ours() -> float:
        ms, results["ours"] = _timed(db, collection, ours)
        return ms

    def measure_theirs() -> float:
        count_ms, _ = _timed(db, collection, count)
        page_ms, results["theirs"] = _timed(db, collection, page)
        return count_ms + page_ms

    ours_times, theirs_times = _paired(measure_ours, measure_theirs, runs)
    our_rows, _total = read_page(results["ours"])
    return ours_times, theirs_times, _as_set(our_rows) == _as_set(results["theirs"])


def _as_set(rows: list[dict[str, Any]]) -> list[str]:
    return sorted(json.dumps(row, sort_keys=True, default=str) for row in rows)


Queries = list[tuple[str, list[Stage]]]


def _scorecard(params: ReportParams, start: datetime) -> Queries:
    """One scorecard of the eleven metrics over [start, params.end], as its handler builds it."""
    card = scorecard.ScorecardParams(
        window=Window(start, params.end),
        previous=None,
        timezone="UTC",
        metrics=metrics.NAMES,
        department_ids=None,
        inactivity_timeout=params.inactivity_timeout,
    )
    return [(query.collection, query.stages) for query in scorecard.build(card)]


def _run_each(db: Any, queries: Queries) -> list[float]:
    """Database time of each of a request's aggregations, run one after the other."""
    return [_timed(db, collection, stages)[0] for collection, stages in queries]


def _run_all(db: Any, queries: Queries) -> float:
    return sum(_run_each(db, queries))


def rocketchat_for_the_scorecard(params: ReportParams) -> Queries:
    """What Rocket.Chat runs for the scorecard's eleven numbers: every department report once
    and amount-of-chats twice (`chats` is answered plus unanswered), each a count and a page."""
    requests = [(report, params) for report in DEPARTMENT_REPORTS]
    requests.append((DEPARTMENT_REPORTS[0], replace(params, answered=not params.answered)))
    queries: Queries = []
    for report, report_params in requests:
        count, page = rocketchat_requests(ROCKETCHAT[report.name](report_params))
        queries += [(report.collection, count), (report.collection, page)]
    return queries


def dashboard(db: Any, params: ReportParams, runs: int, reports: list[PeerRow]) -> list[PeerRow]:
    """Our own API: one scorecard of the eleven metrics against what Rocket.Chat runs for the
    same numbers (issue 15) and against our eight drop-in reports, whose medians were measured
    just before (issue 9); a 90-day daily series against one scorecard of those 90 days."""
    card = _scorecard(params, params.start)
    theirs = rocketchat_for_the_scorecard(params)
    start_90 = params.end - timedelta(days=90) + timedelta(microseconds=1000)
    card_90 = _scorecard(params, start_90)
    series = timeseries.TimeseriesParams(
        window=Window(start_90, params.end),
        timezone="UTC",
        metric="chats",
        interval="day",
        buckets=tuple(calendar.buckets(start_90, params.end, ZoneInfo("UTC"), "day")),
        split=False,
        department_ids=None,
        inactivity_timeout=params.inactivity_timeout,
    )
    series_queries: Queries = [timeseries.build(series)]
    card_parts: list[list[float]] = []

    def measure_card() -> float:
        card_parts.append(_run_each(db, card))
        return sum(card_parts[-1])

    card_times, theirs_times = _paired(measure_card, lambda: _run_all(db, theirs), runs)
    series_times, card_90_times = _paired(
        lambda: _run_all(db, series_queries), lambda: _run_all(db, card_90), runs
    )
    parts = {
        collection: statistics.median(times[number] for times in card_parts[1:])
        for number, (collection, _) in enumerate(card)
    }
    return [
        _row(
            "scorecard, 11 metrics",
            card_times,
            theirs_times,
            (len(card), len(theirs)),
            TARGET_SCORECARD_RATIO,
            None,
            parts_ms=parts,
        ),
        PeerRow(
            "scorecard",
            statistics.median(card_times),
            sum(row.ours_ms for row in reports),
            len(card),
            sum(row.ours_aggregations for row in reports),
            TARGET_SCORECARD_VS_REPORTS,
            None,
            "our 8 drop-in reports",
        ),
        _row(
            "90-day daily series, chats",
            series_times,
            card_90_times,
            (len(series_queries), len(card_90)),
            TARGET_SERIES_VS_SCORECARD,
            None,
            "a 90-day scorecard",
        ),
    ]


def peer(url: str, *, rooms: int, runs: int, now: datetime) -> dict[str, Any]:
    database = "peer"
    seed_peer(url, database, rooms, now)
    end = now.replace(hour=23, minute=59, second=59, microsecond=999000)
    params = ReportParams(
        start=end - timedelta(days=30) + timedelta(microseconds=1000),
        end=end,
        answered=True,
        inactivity_timeout=INACTIVITY_TIMEOUT,
    )
    try:
        with MongoClient[dict[str, Any]](url, tz_aware=True) as client:
            db = client[database]
            rows = _reports(db, params, runs, DEPARTMENT_REPORTS, ROCKETCHAT, "")
            rows += dashboard(db, params, runs, rows)
            rows += _reports(db, params, runs, AGENT_REPORTS, ROCKETCHAT_AGENTS, "agents/")
            in_window = db[ROOMS].count_documents(
                {"t": "l", "ts": {"$gte": params.start, "$lte": params.end}}
            )
    finally:
        with MongoClient[dict[str, Any]](url) as client:
            client.drop_database(database)
    return {
        "rooms": rooms,
        "rooms_in_window": in_window,
        "runs": runs,
        "window": {"start": params.start.isoformat(), "end": params.end.isoformat()},
        "rows": [row.as_dict() for row in rows],
    }


def peer_table(section: dict[str, Any]) -> list[str]:
    lines = [
        f"peer: Rocket.Chat's plan beside ours (same server, data and indexes; "
        f"{section['rooms']} rooms, {section['rooms_in_window']} in the 30-day window; "
        f"database time, median of {section['runs']} paired runs)",
        f"  {'':38}{'ours ms':>10}{'vs ms':>10}{'aggs':>8}{'ratio':>8}{'target':>9}"
        "  against, same numbers",
    ]
    for row in section["rows"]:
        aggregations = f"{row['ours_aggregations']}/{row['rocketchat_aggregations']}"
        same = {True: "yes", False: "NO", None: "-"}[row["same_numbers"]]
        verdict = "" if row["met"] else "  (missed)"
        lines.append(
            f"  {row['name']:38}{row['ours_ms']:>10.1f}{row['rocketchat_ms']:>10.1f}"
            f"{aggregations:>8}{row['ratio']:>8.2f}{'<= ' + str(row['target']):>9}  "
            f"{row['against']}, {same}{verdict}"
        )
        if row["parts_ms"]:
            parts = ", ".join(f"{name} {ms:.1f} ms" for name, ms in row["parts_ms"].items())
            lines.append(f"  {'':38}of which: {parts}")
    return lines


if __name__ == "__main__":  # the section alone: python tests/benchmarks/peer.py URL [ROOMS [RUNS]]
    import sys

    arguments = sys.argv[1:]
    result = peer(
        arguments[0],
        rooms=int(arguments[1]) if len(arguments) > 1 else PEER_ROOMS,
        runs=int(arguments[2]) if len(arguments) > 2 else 7,
        now=datetime(2026, 11, 24, tzinfo=UTC),
    )
    print("\n".join(peer_table(result)))
    print(json.dumps(result, indent=2))
