"""`python -m service check` against a real wire server: the verdict on a loaded database with
Rocket.Chat's indexes, a dropped index, a collection scan, refused reads, an unsatisfiable read
preference, and the command's exit statuses, JSON and silence about credentials."""

import asyncio
import io
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from service.check import EXIT_FAILED, EXIT_OK, EXIT_UNUSABLE, main, report_label
from service.rocketchat.reports import REPORTS
from tests.conftest import Backend
from tests.factories import create_rocketchat_room_indexes, room, seed_auth
from tests.service.core.test_db_failure import closed_port
from tests.wire.faults import failpoint

pytestmark = pytest.mark.wire

ROOT = Path(__file__).resolve().parents[2]
SECRET = "s3cret-Pa55"


async def seed_rocketchat(db: Any, now: datetime) -> None:
    """Rooms, transfer messages, departments, agents' activity, a manager, and the indexes
    Rocket.Chat creates on them."""
    await seed_auth(db)
    await db.rocketchat_room.insert_many(
        [
            room(
                f"r{n}",
                now - timedelta(hours=n * 5),
                t="lcd"[n % 3],
                department=[..., "d1", "d2"][n % 3],
                waiting=[..., True][n % 2],
            )
            for n in range(300)
        ]
    )
    await db.rocketchat_message.insert_many(
        [
            {
                "_id": f"m{n}",
                "rid": f"r{n % 40}",
                "t": ["livechat_transfer_history", None, "uj"][n % 3],
                "ts": now - timedelta(hours=n * 3),
            }
            for n in range(300)
        ]
    )
    await db.rocketchat_livechat_department.insert_many(
        [{"_id": "d1", "name": "Sales", "enabled": True}, {"_id": "d2", "name": "Support"}]
    )
    await db.rocketchat_livechat_agent_activity.insert_one(
        {"agentId": "agent", "date": int(now.strftime("%Y%m%d")), "availableTime": 60}
    )
    await db.rocketchat_settings.insert_one({"_id": "API_Default_Count", "value": 50})
    await create_rocketchat_room_indexes(db)
    # Rocket.Chat's own message indexes (packages/models/src/models/Messages.ts)...
    await db.rocketchat_message.create_index("t", sparse=True)
    await db.rocketchat_message.create_index("ts")
    # ...which real MongoDB's planner uses for the transfer `$match`; the wire server's planner
    # only takes an index that covers every field of the `$match`, so it gets this one too.
    await db.rocketchat_message.create_index([("t", 1), ("ts", 1)])
    await db.rocketchat_livechat_agent_activity.create_index("date")
    await db.rocketchat_livechat_agent_activity.create_index(
        [("agentId", 1), ("date", 1)], unique=True
    )


@pytest.fixture
async def loaded(backend: Backend) -> Backend:
    await seed_rocketchat(backend.db, datetime.now(UTC))
    return backend


def environ(backend: Backend, **extra: str) -> dict[str, str]:
    return {
        "MONGO_URL": f"{backend.settings.mongo_url}",
        "MONGO_SERVER_SELECTION_TIMEOUT_MS": "2000",
        **extra,
    }


def run_in_process(env: dict[str, str], *args: str) -> tuple[int, Any]:
    """`check --json` in this process (the plans take a while; a subprocess per case would
    only add interpreter start-up). The command's own thread: `main` runs its own event loop."""
    out, err = io.StringIO(), io.StringIO()
    status = main(["--json", *args], env, out=out, err=err)
    return status, json.loads(out.getvalue())


async def _in_thread(env: dict[str, str], *args: str) -> tuple[int, Any]:
    # `main` starts its own event loop, so it runs beside the test's, in a worker thread.
    return await asyncio.to_thread(run_in_process, env, *args)


async def _command(env: dict[str, str], *args: str) -> tuple[int, str, str, float]:
    return await asyncio.to_thread(run_command, env, *args)


def by_name(verdict: Any, group: str) -> dict[str, Any]:
    return {check["name"]: check for check in verdict["checks"] if check["group"] == group}


def run_command(env: dict[str, str], *args: str) -> tuple[int, str, str, float]:
    """The real command line, as an operator runs it: (status, stdout, stderr, seconds)."""
    started = time.monotonic()
    child = subprocess.run(
        [sys.executable, "-m", "service", "check", *args],
        cwd=ROOT,
        env={"PATH": os.environ.get("PATH", ""), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    return child.returncode, child.stdout, child.stderr, time.monotonic() - started


async def test_a_loaded_database_with_rocketchats_indexes_passes_every_check(
    loaded: Backend,
) -> None:
    status, verdict = await _in_thread(environ(loaded))

    failed = [check for check in verdict["checks"] if not check["ok"]]
    assert (status, failed) == (EXIT_OK, [])
    assert verdict["ok"] is True
    access = by_name(verdict, "access")
    assert access["rocketchat_room"]["data"]["documents"] == 300
    assert access["rocketchat_message"]["data"]["documents"] == 300
    # Every report of the registry and our own API's aggregations, with and without a
    # department, as an index scan.
    plans = by_name(verdict, "plan")
    names = [report_label(report) for report in REPORTS] + [
        "scorecard, rooms",
        "scorecard, transfers",
        "timeseries chats by day",
        "timeseries transferredChats by day",
    ]
    assert sorted(plans) == sorted(names + [f"{name} +department" for name in names])
    for check in plans.values():
        assert check["data"]["access"].startswith("IXSCAN"), check
        assert "COLLSCAN" not in check["data"]["stages"]
    assert plans["amount-of-chats"]["data"]["indexes"] == ["t_1_ts_1"]
    # The department the plans used is a real one, read from Rocket.Chat's departments.
    assert verdict["window"]["department"] in ("d1", "d2")


async def test_a_dropped_index_fails_naming_it_with_the_command_that_recreates_it(
    loaded: Backend,
) -> None:
    await loaded.db.rocketchat_room.drop_index("t_1_ts_1")

    status, verdict = await _in_thread(environ(loaded))

    assert status == EXIT_FAILED
    index = by_name(verdict, "index")["rocketchat_room {t: 1, ts: 1}"]
    assert index["ok"] is False
    database = loaded.settings.mongo_database
    assert index["data"]["create"] == (
        f'db.getSiblingDB("{database}").rocketchat_room.createIndex({{t: 1, ts: 1}})'
    )
    assert index["data"]["create"] in index["fix"]
    # The other indexes are still there and say so.
    others = [c for name, c in by_name(verdict, "index").items() if name != index["name"]]
    assert all(check["ok"] for check in others)


async def test_a_collection_scan_is_reported_as_such_and_fails(loaded: Backend) -> None:
    await loaded.db.rocketchat_room.drop_indexes()

    status, verdict = await _in_thread(environ(loaded))

    assert status == EXIT_FAILED
    plans = by_name(verdict, "plan")
    scanned = plans["amount-of-chats"]
    assert (scanned["ok"], scanned["data"]["access"]) == (False, "COLLSCAN")
    assert scanned["detail"].startswith("COLLSCAN")
    # The transfer report reads messages, whose indexes are intact.
    assert plans["total-transferred-chats"]["ok"] is True
    partial = by_name(verdict, "index")["rocketchat_room {departmentId: 1, ts: 1}"]
    assert partial["data"]["create"].endswith(
        ".rocketchat_room.createIndex({departmentId: 1, ts: 1}, "
        '{partialFilterExpression: {departmentId: {$exists: true}, t: "l"}})'
    )


async def test_a_refused_read_names_the_role_that_grants_it(loaded: Backend) -> None:
    # MongoDB answers code 13 (Unauthorized) to a user without `find` on the collection.
    async with failpoint(loaded.client, "alwaysOn", failCommands=["find"], errorCode=13):
        status, verdict = await _in_thread(environ(loaded))

    assert status == EXIT_FAILED
    users = by_name(verdict, "access")["users"]
    assert users["ok"] is False
    database = loaded.settings.mongo_database
    assert f'{{role: "read", db: "{database}"}}' in users["fix"]


async def test_a_read_preference_no_member_satisfies_fails_the_check(loaded: Backend) -> None:
    env = environ(
        loaded, MONGO_READ_PREFERENCE="secondary", MONGO_SERVER_SELECTION_TIMEOUT_MS="300"
    )
    status, verdict = await _in_thread(env)

    preference = by_name(verdict, "connection")["read preference"]
    assert status == EXIT_FAILED
    assert preference["ok"] is False
    assert "MONGO_READ_PREFERENCE=secondary" in preference["detail"]


async def test_the_command_prints_a_verdict_line_per_check_and_exits_0(loaded: Backend) -> None:
    status, out, err, _ = await _command(environ(loaded))

    assert status == EXIT_OK, err
    lines = [line for line in out.splitlines() if line.startswith("  ")]
    assert lines, out
    assert all(line.lstrip().startswith("✓") for line in lines), out
    assert out.rstrip().endswith("checks passed")
    assert "Traceback" not in err


async def test_json_output_parses_back_and_matches_the_exit_status(loaded: Backend) -> None:
    status, out, err, _ = await _command(environ(loaded), "--json", "--window-days", "7")

    verdict = json.loads(out)
    assert (status, verdict["ok"]) == (EXIT_OK, True), err
    assert verdict["window"]["days"] == 7
    assert {check["group"] for check in verdict["checks"]} == {
        "connection",
        "access",
        "index",
        "plan",
    }


async def test_an_unreachable_mongodb_exits_2_within_the_selection_timeout() -> None:
    env = {
        "MONGO_URL": f"mongodb://127.0.0.1:{closed_port()}/rocketchat",
        "MONGO_SERVER_SELECTION_TIMEOUT_MS": "500",
    }
    status, out, err, seconds = await _command(env, "--json")

    assert status == EXIT_UNUSABLE
    assert json.loads(out)["ok"] is False
    assert "unreachable" in err
    assert "MONGO_SERVER_SELECTION_TIMEOUT_MS=500" in err
    assert "Traceback" not in err
    assert seconds < 15, "a hang guard: interpreter start-up plus the 0.5 s selection timeout"


@pytest.mark.parametrize("reachable", [True, False])
async def test_no_output_ever_shows_the_urls_credentials(loaded: Backend, reachable: bool) -> None:
    database = loaded.settings.mongo_database
    port = loaded.settings.mongo_url.split(":")[2].split("/")[0] if reachable else closed_port()
    url = f"mongodb://analytics:{SECRET}@127.0.0.1:{port}/{database}?authSource=admin"
    env = {"MONGO_URL": url, "MONGO_SERVER_SELECTION_TIMEOUT_MS": "500"}
    for args in ((), ("--json",)):
        status, out, err, _ = await _command(env, *args)
        assert status in (EXIT_FAILED, EXIT_UNUSABLE)
        assert SECRET not in out + err
        assert "analytics:" not in out + err
        assert "***@127.0.0.1" in out + err


def test_the_embedded_backend_is_refused_plainly() -> None:
    for argv in (["--embedded", "check"], ["check", "--embedded"]):
        child = subprocess.run(
            [sys.executable, "-m", "service", *argv],
            cwd=ROOT,
            env={"PATH": os.environ.get("PATH", "")},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert child.returncode == EXIT_UNUSABLE
        assert "check needs a real MONGO_URL" in child.stderr


async def test_without_cluster_monitor_the_topology_line_degrades_and_passes(
    loaded: Backend,
) -> None:
    # replSetGetStatus needs clusterMonitor; a user with `read` only gets code 13.
    async with failpoint(
        loaded.client, "alwaysOn", failCommands=["replSetGetStatus"], errorCode=13
    ):
        status, verdict = await _in_thread(environ(loaded))

    topology = by_name(verdict, "connection")["topology"]
    assert status == EXIT_OK
    assert topology["ok"] is True
    assert "clusterMonitor" in topology["detail"]
    assert list(topology["data"]["members"].values()) == ["PRIMARY"]
