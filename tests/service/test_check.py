"""`python -m service check` without a database: reading MongoDB's explain shapes, the index
commands it prints, and the refusals that need no server (the wire tier runs the rest)."""

import io
import json
from typing import Any

import pytest

from service.__main__ import main as service_main
from service.check import (
    EXIT_UNUSABLE,
    REQUIRED_INDEXES,
    RequiredIndex,
    main,
    summarize,
)

IXSCAN = {
    "stage": "FETCH",
    "inputStage": {"stage": "IXSCAN", "indexName": "t_1_ts_1", "keyPattern": {"t": 1, "ts": 1}},
}
STATS = {"nReturned": 7, "totalKeysExamined": 9, "totalDocsExamined": 8, "executionTimeMillis": 3}


def test_reads_the_plan_of_a_pipeline_whose_query_feeds_a_cursor_stage() -> None:
    # MongoDB 6.0 (classic engine): the plan sits in the first stage, `$cursor`.
    explained = {
        "stages": [
            {"$cursor": {"queryPlanner": {"winningPlan": IXSCAN}, "executionStats": STATS}},
            {"$group": {}},
        ]
    }
    plan = summarize(explained)
    assert (plan.access, plan.keys_examined, plan.docs_examined, plan.returned) == (
        "IXSCAN t_1_ts_1",
        9,
        8,
        7,
    )
    assert not plan.collection_scan


def test_reads_the_slot_based_engines_plan_nested_under_query_plan() -> None:
    # MongoDB 7+ pushes the pipeline into the query: top-level, under `queryPlan`.
    explained = {
        "queryPlanner": {"winningPlan": {"queryPlan": {"stage": "GROUP", "inputStage": IXSCAN}}},
        "executionStats": STATS,
    }
    assert summarize(explained).access == "IXSCAN t_1_ts_1"


def test_a_collection_scan_on_any_shard_is_a_collection_scan() -> None:
    shard_a = {"stages": [{"$cursor": {"queryPlanner": {"winningPlan": IXSCAN}}}]}
    shard_b = {
        "stages": [
            {
                "$cursor": {
                    "queryPlanner": {"winningPlan": {"stage": "COLLSCAN"}},
                    "executionStats": {**STATS, "totalDocsExamined": 1000},
                }
            }
        ]
    }
    plan = summarize({"shards": {"a": shard_a, "b": shard_b}})
    assert plan.collection_scan
    assert plan.access == "COLLSCAN"
    assert plan.docs_examined == 1000


def test_a_plan_merged_from_shards_counts_each_shards_winning_plan_only() -> None:
    # A pipeline pushed down through mongos: SHARD_MERGE over each shard's own plans.
    shards = [
        {"shardName": "a", "winningPlan": IXSCAN, "rejectedPlans": [{"stage": "COLLSCAN"}]},
        {"shardName": "b", "winningPlan": IXSCAN, "rejectedPlans": []},
    ]
    explained = {
        "queryPlanner": {"winningPlan": {"stage": "SHARD_MERGE", "shards": shards}},
        "executionStats": STATS,
    }
    plan = summarize(explained)
    assert not plan.collection_scan
    assert plan.stages.count("IXSCAN") == 2


def test_rejected_plans_do_not_count() -> None:
    explained = {
        "queryPlanner": {"winningPlan": IXSCAN, "rejectedPlans": [{"stage": "COLLSCAN"}]},
        "executionStats": STATS,
    }
    assert not summarize(explained).collection_scan


def test_prints_rocketchats_index_definitions_as_mongosh_commands() -> None:
    commands = {index.shown: index.create_command("rocketchat") for index in REQUIRED_INDEXES}
    assert commands["{departmentId: 1, ts: 1}"] == (
        'db.getSiblingDB("rocketchat").rocketchat_room.createIndex({departmentId: 1, ts: 1}, '
        '{partialFilterExpression: {departmentId: {$exists: true}, t: "l"}})'
    )
    assert commands["{t: 1}"] == (
        'db.getSiblingDB("rocketchat").rocketchat_message.createIndex({t: 1}, {sparse: true})'
    )


@pytest.mark.parametrize(
    ("keys", "found"),
    [
        ({"t": 1, "ts": 1}, "found"),
        ({"t": 1, "ts": 1, "departmentId": 1}, "found"),  # a longer prefix serves the same match
        ({"ts": 1, "t": 1}, None),  # the order of an index's fields matters
        ({"t": 1}, None),
    ],
)
def test_an_index_counts_when_its_key_starts_with_the_required_fields(
    keys: dict[str, int], found: str | None
) -> None:
    required = RequiredIndex("rocketchat_room", ("t", "ts"), "the window")
    specs: list[dict[str, Any]] = [
        {"name": "_id_", "key": {"_id": 1}},
        {"name": "found", "key": keys},
    ]
    assert required.found_in(specs) == found


def _run(argv: list[str], environ: dict[str, str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(argv, environ, out=out, err=err)
    return status, out.getvalue(), err.getvalue()


def test_without_mongo_url_check_exits_2_saying_what_it_needs() -> None:
    status, out, err = _run(["--json"], {})
    assert status == EXIT_UNUSABLE
    assert "MONGO_URL is not set" in err
    assert json.loads(out)["ok"] is False


def test_invalid_configuration_exits_2_naming_the_variable() -> None:
    status, _, err = _run([], {"MONGO_URL": "mongodb://db", "MONGO_MAX_TIME_MS": "soon"})
    assert status == EXIT_UNUSABLE
    assert "MONGO_MAX_TIME_MS" in err


def test_a_malformed_url_exits_2_without_showing_its_password() -> None:
    status, out, err = _run([], {"MONGO_URL": "mongodb://user:hunter2@:notaport/rocketchat"})
    assert status == EXIT_UNUSABLE
    assert "hunter2" not in out + err


def test_check_is_a_command_of_python_m_service(capsys: pytest.CaptureFixture[str]) -> None:
    assert service_main(["check", "--embedded"], environ={}) == EXIT_UNUSABLE
    assert "check needs a real MONGO_URL" in capsys.readouterr().err
