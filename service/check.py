"""`python -m service check`: will the service work, and fast, on this Rocket.Chat database?

Read-only. With the service's own configuration it asks MongoDB four things — can we reach it
(version, topology, read preference, round trip), may we read each collection the service reads,
are Rocket.Chat's indexes that the reports rely on there, and how would each report's real
pipeline run (`explain`) — and prints one line per check. Exit status: 0 all well, 1 a check
failed, 2 MongoDB unreachable or the configuration invalid.
"""

import argparse
import asyncio
import json
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from pipelines import calendar, metrics, scorecard, timeseries
from pipelines.calendar import Window
from pipelines.params import ReportParams
from pipelines.stages import Stage
from service.core.auth import PERMISSIONS, USERS
from service.core.db import UNAUTHORIZED, Probe, ProbeError, open_probe
from service.core.workspace import SETTINGS_COLLECTION
from service.rocketchat.reports import REPORTS, ROOMS, Report
from service.settings import Settings, SettingsError, load_settings

MESSAGES = "rocketchat_message"
DEPARTMENTS = "rocketchat_livechat_department"
AGENT_ACTIVITY = "rocketchat_livechat_agent_activity"

# Every collection the service reads: the reports' two, auth's two, Rocket.Chat's settings,
# department names (our own API) and agents' activity (the agents reports).
COLLECTIONS = (
    ROOMS,
    MESSAGES,
    USERS,
    PERMISSIONS,
    SETTINGS_COLLECTION,
    DEPARTMENTS,
    AGENT_ACTIVITY,
)

# The oldest MongoDB the service supports: the release whose aggregation behaviour the
# pipelines were checked against (MongoDB 6.0+ manual: every stage and operator they use).
MINIMUM_VERSION = (6, 0)

DEFAULT_WINDOW_DAYS = 30
# A department id that no department has: the "with a department" plans still run the real
# pipeline when the database has no department to pick.
PLACEHOLDER_DEPARTMENT = "livechat-analytics-check"
PINGS = 5
# Livechat_visitor_inactivity_timeout's default: it changes a `$gte` bound, never the plan.
DEFAULT_INACTIVITY_TIMEOUT = 3600.0
UTC_ZONE = ZoneInfo("UTC")

EXIT_OK, EXIT_FAILED, EXIT_UNUSABLE = 0, 1, 2
# MongoDB's error codes the check explains: AuthenticationFailed and MaxTimeMSExpired.
AUTHENTICATION_FAILED, MAX_TIME_MS_EXPIRED = 18, 50

EMBEDDED_REFUSAL = (
    "check needs a real MONGO_URL: it inspects Rocket.Chat's MongoDB, and the embedded demo "
    "database has nothing to inspect. Run it as MONGO_URL=mongodb://... python -m service check"
)
NO_URL = (
    "MONGO_URL is not set: check inspects the MongoDB the service would read. Run it with the "
    "service's environment (in Kubernetes: kubectl exec deploy/livechat-analytics -- "
    "python -m service check)."
)


@dataclass
class Check:
    """One line of the verdict. `detail` carries the number that matters; `fix` what to do."""

    group: str
    name: str
    ok: bool
    detail: str
    fix: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


class Unusable(Exception):
    """MongoDB cannot be reached or the configuration cannot work: exit 2."""


# ----------------------------------------------------------------------------- indexes


def _js(value: Any) -> str:
    """A value as mongosh source: `{t: 1, ts: 1}`, `{departmentId: {$exists: true}, t: "l"}`."""
    if isinstance(value, Mapping):
        items = (f"{_js_key(key)}: {_js(item)}" for key, item in value.items())
        return "{" + ", ".join(items) + "}"
    return json.dumps(value)


def _js_key(key: str) -> str:
    plain = key.replace("$", "").replace("_", "").isalnum() and not key[0].isdigit()
    return key if plain else json.dumps(key)


@dataclass(frozen=True)
class RequiredIndex:
    """An index Rocket.Chat creates that the reports rely on. Any index whose key starts with
    these fields serves the same `$match`, so that is what counts as present."""

    collection: str
    key: tuple[str, ...]
    serves: str
    options: Mapping[str, Any] = field(default_factory=dict)

    @property
    def shown(self) -> str:
        return _js(dict.fromkeys(self.key, 1))

    def create_command(self, database: str) -> str:
        options = f", {_js(self.options)}" if self.options else ""
        return (
            f"db.getSiblingDB({json.dumps(database)}).{self.collection}"
            f".createIndex({self.shown}{options})"
        )

    def found_in(self, specs: Sequence[Mapping[str, Any]]) -> str | None:
        for spec in specs:
            if tuple(spec.get("key", {}))[: len(self.key)] == self.key:
                return str(spec.get("name"))
        return None


# Rocket.Chat's own definitions: `LivechatRooms` (apps/meteor/server/models/raw/LivechatRooms.ts),
# `Messages` (packages/models/src/models/Messages.ts: `{t: 1}` sparse and `{ts: 1}`, no compound
# one) and `LivechatAgentActivity` (`{date: 1}`, unique `{agentId: 1, date: 1}`).
REQUIRED_INDEXES = (
    RequiredIndex(ROOMS, ("t", "ts"), "every report's window"),
    RequiredIndex(
        ROOMS,
        ("departmentId", "ts"),
        "the reports with a departmentId",
        {"partialFilterExpression": {"departmentId": {"$exists": True}, "t": "l"}},
    ),
    RequiredIndex(
        MESSAGES,
        ("t",),
        "total-transferred-chats",
        {"sparse": True},
    ),
    RequiredIndex(AGENT_ACTIVITY, ("date",), "the agents' available-for-service-history"),
)


# ----------------------------------------------------------------------------- plans


@dataclass(frozen=True)
class PlanTarget:
    """One pipeline to explain: the report's name, its collection and its real stages."""

    name: str
    collection: str
    pipeline: list[Stage]


PlanSource = Callable[[datetime, datetime, str | None], list[PlanTarget]]


def report_label(report: Report) -> str:
    # Rocket.Chat's agents family repeats a department report's name (average-service-time);
    # its reports carry their family (`family`, absent before that family joined the registry).
    family = getattr(report, "family", "departments")
    return report.name if family == "departments" else f"{family}/{report.name}"


def drop_in_reports(start: datetime, end: datetime, department: str | None) -> list[PlanTarget]:
    """Every drop-in report, from the registry the routes are built from (so this list cannot
    drift from what the service runs)."""
    params = ReportParams(start=start, end=end, department_id=department)
    return [
        PlanTarget(report_label(report), report.collection, report.build(params))
        for report in REPORTS
    ]


def dashboard(start: datetime, end: datetime, department: str | None) -> list[PlanTarget]:
    """Our own API: the scorecard with every metric (one aggregation per collection), and the
    daily time series of one metric per collection, as their handlers build them (UTC)."""
    window = Window(start, end)
    departments = None if department is None else (department,)
    card = scorecard.ScorecardParams(
        window=window,
        previous=None,
        timezone="UTC",
        metrics=metrics.NAMES,
        department_ids=departments,
        inactivity_timeout=DEFAULT_INACTIVITY_TIMEOUT,
    )
    targets = [
        PlanTarget(
            f"scorecard, {'transfers' if query.collection == MESSAGES else 'rooms'}",
            query.collection,
            query.stages,
        )
        for query in scorecard.build(card)
    ]
    days = calendar.buckets(start, end, UTC_ZONE, "day")
    for metric in ("chats", "transferredChats"):
        series = timeseries.TimeseriesParams(
            window=window,
            timezone="UTC",
            metric=metric,
            interval="day",
            buckets=tuple(days),
            split=department is None,
            department_ids=departments,
            inactivity_timeout=DEFAULT_INACTIVITY_TIMEOUT,
        )
        collection, stages = timeseries.build(series)
        targets.append(PlanTarget(f"timeseries {metric} by day", collection, stages))
    return targets


# Every family of pipelines the service runs beyond the drop-in registry (whose every report,
# either family, `drop_in_reports` explains); a new one adds its function here.
PLAN_SOURCES: tuple[PlanSource, ...] = (drop_in_reports, dashboard)


def plan_targets(
    start: datetime, end: datetime, department: str | None
) -> list[tuple[PlanTarget, str | None]]:
    return [
        (target, chosen)
        for chosen in (None, department)
        for source in PLAN_SOURCES
        for target in source(start, end, chosen)
    ]


def _first(explained: Mapping[str, Any], key: str) -> Iterator[Mapping[str, Any]]:
    """`key`'s value at the top of the explain output, in the `$cursor` stage that feeds the
    pipeline, or in each shard's part of it (MongoDB's shapes differ by version and topology)."""
    if key in explained:
        yield explained[key]
        return
    stages = explained.get("stages") or []
    cursor = stages[0].get("$cursor", {}) if stages else {}
    if key in cursor:
        yield cursor[key]
        return
    for shard in (explained.get("shards") or {}).values():
        yield from _first(shard, key)


def _plan_nodes(node: Any) -> Iterator[Mapping[str, Any]]:
    """Every stage of a winning plan, through `inputStage(s)`, `queryPlan` and each shard's
    `winningPlan` (a sharded plan nests them), never into plans the planner rejected."""
    if isinstance(node, Mapping):
        if "stage" in node:
            yield node
        for key, value in node.items():
            if key != "rejectedPlans":
                yield from _plan_nodes(value)
    elif isinstance(node, list):
        for value in node:
            yield from _plan_nodes(value)


@dataclass(frozen=True)
class PlanSummary:
    stages: list[str]
    indexes: list[str]
    keys_examined: int
    docs_examined: int
    returned: int
    millis: int

    @property
    def collection_scan(self) -> bool:
        return "COLLSCAN" in self.stages

    @property
    def access(self) -> str:
        if self.collection_scan:
            return "COLLSCAN"
        return "IXSCAN " + ",".join(dict.fromkeys(self.indexes)) if self.indexes else "no index"


def summarize(explained: Mapping[str, Any]) -> PlanSummary:
    nodes: list[Mapping[str, Any]] = []
    for planner in _first(explained, "queryPlanner"):
        nodes += _plan_nodes(planner.get("winningPlan", {}))
    totals = {"totalKeysExamined": 0, "totalDocsExamined": 0, "nReturned": 0}
    millis = 0
    for stats in _first(explained, "executionStats"):
        for name in totals:
            totals[name] += int(stats.get(name, 0))
        millis = max(millis, int(stats.get("executionTimeMillis", 0)))
    return PlanSummary(
        stages=[str(node["stage"]) for node in nodes],
        indexes=[str(node["indexName"]) for node in nodes if "indexName" in node],
        keys_examined=totals["totalKeysExamined"],
        docs_examined=totals["totalDocsExamined"],
        returned=totals["nReturned"],
        millis=millis,
    )


# ----------------------------------------------------------------------------- the checks


def _version(build: Mapping[str, Any]) -> tuple[int, ...]:
    array = build.get("versionArray")
    if array:
        return tuple(int(part) for part in array[:3])
    return tuple(int(part) for part in str(build.get("version", "0")).split("-")[0].split("."))


# The driver's names for what it sees of each member, as replSetGetStatus names states.
DRIVER_STATES = {
    "RSPrimary": "PRIMARY",
    "RSSecondary": "SECONDARY",
    "RSArbiter": "ARBITER",
    "RSOther": "OTHER",
    "RSGhost": "OTHER",
    "Unknown": "UNREACHABLE",
}


async def _rtt_ms(probe: Probe) -> float:
    times = []
    for _ in range(PINGS):
        started = time.perf_counter()
        await probe.admin_command("ping")
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


async def connection_checks(probe: Probe, settings: Settings) -> list[Check]:
    try:
        build = await probe.admin_command("buildInfo")
    except ProbeError as error:
        raise Unusable(_unusable_message(error, settings)) from error
    version = _version(build)
    shown_version = str(build.get("version", ".".join(map(str, version))))
    minimum = ".".join(map(str, MINIMUM_VERSION))
    checks = [
        Check(
            "connection",
            "server version",
            version[:2] >= MINIMUM_VERSION,
            f"MongoDB {shown_version} (the service needs {minimum} or newer)",
            None
            if version[:2] >= MINIMUM_VERSION
            else f"upgrade MongoDB to {minimum} or newer: older servers are out of MongoDB's "
            "support and untested with this service",
            {"version": shown_version},
        )
    ]
    hello = await probe.admin_command("hello")
    checks.append(await _topology(probe, hello))
    checks.append(await _read_preference(probe, settings))
    rtt = await _rtt_ms(probe)
    checks.append(
        Check(
            "connection",
            "round trip",
            True,
            f"{rtt:.1f} ms (median of {PINGS} pings)",
            data={"rtt_ms": round(rtt, 3)},
        )
    )
    return checks


async def _topology(probe: Probe, hello: Mapping[str, Any]) -> Check:
    if hello.get("msg") == "isdbgrid":
        routers = [address for address, _, _ in probe.members()]
        return Check(
            "connection",
            "topology",
            True,
            f"sharded cluster through mongos {', '.join(routers)}",
            data={"kind": "sharded", "mongos": routers},
        )
    name = hello.get("setName")
    if not name:
        return Check("connection", "topology", True, "standalone", data={"kind": "standalone"})
    try:
        status = await probe.admin_command("replSetGetStatus")
        members = [(str(m["name"]), str(m["stateStr"])) for m in status.get("members", [])]
        source = ""
    except ProbeError as error:
        if error.code != UNAUTHORIZED:
            raise
        # Without clusterMonitor: the states the driver's monitoring sees, which is enough to
        # know where reads can go.
        members = [
            (address, DRIVER_STATES.get(state, state)) for address, state, _ in probe.members()
        ]
        source = " (as the driver sees them; grant clusterMonitor for the members' own states)"
    readable = [state for _, state in members if state in ("PRIMARY", "SECONDARY")]
    shown = ", ".join(f"{address} {state}" for address, state in members)
    return Check(
        "connection",
        "topology",
        bool(readable),
        f"replica set {name}: {shown}{source}",
        None if readable else "no member is a primary or a secondary: the replica set is down",
        {"kind": "replica set", "set": name, "members": dict(members)},
    )


async def _read_preference(probe: Probe, settings: Settings) -> Check:
    try:
        where = await probe.ping_as_reports_read()
    except ProbeError as error:
        if not error.unreachable:
            raise
        return Check(
            "connection",
            "read preference",
            False,
            f"no member satisfies MONGO_READ_PREFERENCE={settings.read_preference} "
            f"within {settings.server_selection_timeout_ms} ms",
            "set MONGO_READ_PREFERENCE=secondaryPreferred (reads the primary when no secondary "
            "is up), or bring a secondary up; the other checks read as the reports do, so they "
            "did not run",
        )
    return Check(
        "connection",
        "read preference",
        True,
        f"{settings.read_preference}: reports read from {where}",
        data={"read_preference": settings.read_preference, "servers": where},
    )


def _size(stats: Mapping[str, Any]) -> str:
    size = float(stats.get("size", 0))
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000:
            return f"{size:.0f} {unit}"
        size /= 1000
    return f"{size:.0f} TB"


async def access_checks(probe: Probe, settings: Settings) -> list[Check]:
    checks = []
    for collection in COLLECTIONS:
        try:
            await probe.read_one(collection)
            count = await probe.estimated_count(collection)
        except ProbeError as error:
            if error.unreachable:
                raise
            fix = None
            if error.code == UNAUTHORIZED:
                fix = (
                    f'grant the role {{role: "read", db: "{settings.mongo_database}"}} '
                    "to the user in MONGO_URL (see the README for the createUser command)"
                )
            checks.append(Check("access", collection, False, f"cannot read: {error}", fix))
            continue
        detail = f"readable, ~{count:,} document{'' if count == 1 else 's'}"
        data: dict[str, Any] = {"documents": count}
        try:  # the size is a nicety: `collStats` may be refused on some managed services
            stats = await probe.collection_stats(collection)
            detail += f", {_size(stats)}"
            data["bytes"] = int(stats.get("size", 0))
        except ProbeError as error:
            if error.unreachable:
                raise
        checks.append(Check("access", collection, True, detail, data=data))
    return checks


async def index_checks(probe: Probe, settings: Settings) -> list[Check]:
    checks = []
    specs: dict[str, list[dict[str, Any]]] = {}
    for required in REQUIRED_INDEXES:
        name = f"{required.collection} {required.shown}"
        try:
            if required.collection not in specs:
                specs[required.collection] = await probe.index_specs(required.collection)
        except ProbeError as error:
            if error.unreachable:
                raise
            checks.append(Check("index", name, False, f"cannot list indexes: {error}"))
            continue
        found = required.found_in(specs[required.collection])
        command = required.create_command(settings.mongo_database)
        checks.append(
            Check(
                "index",
                name,
                found is not None,
                f"{found}: serves {required.serves}"
                if found
                else f"missing: {required.serves} would scan the whole collection",
                None if found else f"as a user allowed to create indexes: {command}",
                {"index": found, "create": command},
            )
        )
    return checks


async def _department(probe: Probe) -> str:
    try:
        found = await probe.find_one(DEPARTMENTS, {"type": {"$ne": "u"}})
    except ProbeError as error:
        if error.unreachable:
            raise
        found = None
    return str(found["_id"]) if found else PLACEHOLDER_DEPARTMENT


async def plan_checks(
    probe: Probe, settings: Settings, start: datetime, end: datetime
) -> list[Check]:
    department = await _department(probe)
    checks = []
    for target, chosen in plan_targets(start, end, department):
        name = target.name + (" +department" if chosen else "")
        started = time.perf_counter()
        try:
            explained = await probe.explain_aggregate(target.collection, target.pipeline)
        except ProbeError as error:
            if error.unreachable:
                raise
            timed_out = error.code == MAX_TIME_MS_EXPIRED
            checks.append(
                Check(
                    "plan",
                    name,
                    False,
                    f"longer than MONGO_MAX_TIME_MS={settings.max_time_ms}"
                    if timed_out
                    else f"explain failed: {error}",
                    "check the index lines above; narrow windows stay fast" if timed_out else None,
                )
            )
            continue
        wall_ms = (time.perf_counter() - started) * 1000
        plan = summarize(explained)
        checks.append(
            Check(
                "plan",
                name,
                not plan.collection_scan and bool(plan.stages),
                f"{plan.access}: {plan.keys_examined:,} keys, {plan.docs_examined:,} docs "
                f"examined, {plan.returned:,} matched, {wall_ms:.0f} ms",
                f"a collection scan reads all of {target.collection} on every request: create "
                "its indexes listed above"
                if plan.collection_scan
                else None,
                {
                    "collection": target.collection,
                    "department": chosen,
                    "access": plan.access,
                    "stages": plan.stages,
                    "indexes": sorted(set(plan.indexes)),
                    "keys_examined": plan.keys_examined,
                    "docs_examined": plan.docs_examined,
                    "returned": plan.returned,
                    "server_ms": plan.millis,
                    "ms": round(wall_ms, 1),
                },
            )
        )
    return checks


GROUP_TITLES = {
    "connection": "connection",
    "access": "access (the collections the service reads)",
    "index": "indexes (Rocket.Chat's, that the reports rely on)",
    "plan": "plans (explain of each pipeline over the last {days} days; +department: "
    "with departmentId={department})",
}


@dataclass
class Verdict:
    target: str
    database: str
    window: dict[str, Any]
    checks: list[Check]

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)


async def run_check(settings: Settings, window_days: int, now: datetime) -> Verdict:
    """Every check, in order; raises Unusable when MongoDB cannot be reached at all."""
    assert settings.mongo_url is not None
    try:
        probe = open_probe(settings)
    except ProbeError as error:
        raise Unusable(f"MONGO_URL is not usable: {error}") from error
    start, end = now - timedelta(days=window_days), now
    try:
        checks = await connection_checks(probe, settings)
        if all(check.ok for check in checks if check.name == "read preference"):
            checks += await access_checks(probe, settings)
            checks += await index_checks(probe, settings)
            checks += await plan_checks(probe, settings, start, end)
    except ProbeError as error:
        raise Unusable(_unusable_message(error, settings)) from error
    finally:
        probe.close()
    window = {
        "days": window_days,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "department": next(
            (c.data["department"] for c in checks if c.data.get("department")), None
        ),
    }
    return Verdict(str(settings.masked_mongo_url), settings.mongo_database, window, checks)


def _unusable_message(error: ProbeError, settings: Settings) -> str:
    if error.unreachable:
        return (
            f"MongoDB at {settings.masked_mongo_url} is unreachable "
            f"(no answer within MONGO_SERVER_SELECTION_TIMEOUT_MS="
            f"{settings.server_selection_timeout_ms}): {error}"
        )
    if error.code == AUTHENTICATION_FAILED:
        return (
            f"MongoDB at {settings.masked_mongo_url} refused the login: check the user, the "
            "password and authSource in MONGO_URL"
        )
    return f"MongoDB at {settings.masked_mongo_url} refused the check: {error}"


# ----------------------------------------------------------------------------- output


def render(verdict: Verdict) -> str:
    lines = [f"livechat-analytics check: {verdict.target}, database {verdict.database}"]
    group = None
    for check in verdict.checks:
        if check.group != group:
            group = check.group
            width = max(len(c.name) for c in verdict.checks if c.group == group)
            lines.append(f"\n{GROUP_TITLES[group].format(**verdict.window)}")
        mark = "✓" if check.ok else "✗"
        lines.append(f"  {mark} {check.name:<{width}}  {check.detail}")
        if check.fix:
            lines.append(f"      → {check.fix}")
    failed = [check for check in verdict.checks if not check.ok]
    total = len(verdict.checks)
    lines.append(
        f"\nall {total} checks passed"
        if not failed
        else f"\n{len(failed)} of {total} checks failed"
    )
    return "\n".join(lines)


def as_json(verdict: Verdict) -> str:
    document = {
        "ok": verdict.ok,
        "target": verdict.target,
        "database": verdict.database,
        "window": verdict.window,
        "checks": [asdict(check) for check in verdict.checks],
    }
    return json.dumps(document, indent=2, default=str)


def _scrub(text: str, settings: Settings | None) -> str:
    """A last guard: no message leaves with the URL's credentials in it."""
    url = settings.mongo_url if settings else None
    if url and "@" in url:
        userinfo = url.partition("://")[2].rpartition("@")[0]
        for secret in {userinfo, userinfo.partition(":")[2]} - {""}:
            text = text.replace(secret, "***")
    return text


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m service check",
        description="Check that Rocket.Chat's MongoDB (MONGO_URL) serves every report, fast.",
    )
    parser.add_argument(
        "--window-days",
        type=int,
        default=DEFAULT_WINDOW_DAYS,
        metavar="N",
        help=f"explain the reports over the last N days (default {DEFAULT_WINDOW_DAYS})",
    )
    parser.add_argument("--json", action="store_true", help="print the verdict as JSON")
    parser.add_argument("--embedded", action="store_true", help=argparse.SUPPRESS)
    return parser


def _fail(message: str, as_json_output: bool, out: TextIO, err: TextIO) -> int:
    if as_json_output:
        print(json.dumps({"ok": False, "error": message}), file=out)
    print(message, file=err)
    return EXIT_UNUSABLE


def main(
    argv: Sequence[str],
    environ: Mapping[str, str],
    *,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    args = _parser().parse_args(argv)
    if args.window_days < 1:
        return _fail("--window-days must be at least 1", args.json, out, err)
    if args.embedded:
        return _fail(EMBEDDED_REFUSAL, args.json, out, err)
    settings: Settings | None = None
    try:
        settings = load_settings(environ)
        if settings.mongo_url is None:
            return _fail(NO_URL, args.json, out, err)
        verdict = asyncio.run(run_check(settings, args.window_days, datetime.now(UTC)))
    except SettingsError as error:
        return _fail(str(error), args.json, out, err)
    except Unusable as error:
        return _fail(_scrub(str(error), settings), args.json, out, err)
    except Exception as error:  # the operator gets a sentence, never a traceback
        message = f"check stopped on an unexpected error: {type(error).__name__}: {error}"
        return _fail(_scrub(message, settings), args.json, out, err)
    text = as_json(verdict) if args.json else render(verdict)
    print(_scrub(text, settings), file=out)
    return EXIT_OK if verdict.ok else EXIT_FAILED
