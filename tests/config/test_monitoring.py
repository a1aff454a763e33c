"""The monitoring examples and the README's metric table, held to what a real scrape exports: a
metric or label that a rule or the README names must exist, and every exported metric must be
documented."""

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp.test_utils import TestClient

from service.app import create_app
from service.core.db import motor_client
from service.settings import Settings
from tests.conftest import MakeClient
from tests.factories import MANAGER, room, seed_auth
from tests.service.core.test_db_failure import closed_port
from tests.service.rocketchat.test_amount_of_chats_http import START_AT

ROOT = Path(__file__).resolve().parents[2]
MONITORING = ROOT / "config" / "kubernetes" / "monitoring"
REPORT = "/api/v1/livechat/analytics/departments/amount-of-chats"
QUERY = {"start": "2026-09-01", "end": "2026-09-30", "answered": "true"}
OURS = re.compile(r"\blivechat_analytics_[a-z_]+")
SAMPLE = re.compile(r"(?P<name>[a-z_]+)(?:\{(?P<labels>[^}]*)\})? \S+")
SUFFIXES = {"counter": ("_total", "_created"), "histogram": ("_bucket", "_count", "_sum")}


def exported(text: str) -> tuple[dict[str, str], dict[str, set[str]]]:
    """From an exposition: {family: type} and {sample name: label names}."""
    families = dict(re.findall(r"^# TYPE (\S+) (\S+)$", text, re.MULTILINE))
    labels: dict[str, set[str]] = {}
    for line in text.splitlines():
        match = SAMPLE.fullmatch(line)
        if match:
            names = set(re.findall(r'(\w+)="', match["labels"] or ""))
            labels.setdefault(match["name"], set()).update(names)
    return families, labels


@pytest.fixture
async def scrape(make_client: MakeClient, db: Any, aiohttp_client: Any) -> str:
    """/metrics of a service that has answered, hit both caches, and failed to reach MongoDB."""
    await seed_auth(db)
    await db.rocketchat_room.insert_one(room("r1", START_AT, department="d1"))
    client = await make_client(result_cache_ttl_seconds=30)
    for _ in range(2):
        assert (await client.get(REPORT, params=QUERY, headers=MANAGER)).status == 200
    text = await (await client.get("/metrics")).text()

    settings = Settings(
        mongo_url=f"mongodb://127.0.0.1:{closed_port()}", server_selection_timeout_ms=200
    )
    down: TestClient = await aiohttp_client(create_app(settings, client_factory=motor_client))
    assert (await down.get(REPORT, params=QUERY, headers=MANAGER)).status == 503
    return text + await (await down.get("/metrics")).text()


def rules() -> list[dict[str, Any]]:
    document = yaml.safe_load((MONITORING / "prometheusrule.yaml").read_text())
    return [rule for group in document["spec"]["groups"] for rule in group["rules"]]


def selectors(expression: str) -> list[tuple[str, set[str]]]:
    """(metric, label names) for every `metric{label="..."}` in a PromQL expression."""
    found = []
    for match in re.finditer(r"\b(livechat_analytics_[a-z_]+)(\{[^}]*\})?", expression):
        found.append((match[1], set(re.findall(r"(\w+)\s*(?:=~|!=|!~|=)", match[2] or ""))))
    return found


def test_every_alert_names_exported_metrics_and_labels(scrape: str) -> None:
    _, labels = exported(scrape)
    alerts = rules()
    assert len(alerts) >= 5
    for alert in alerts:
        assert {"alert", "expr", "for", "labels", "annotations"} <= set(alert)
        assert alert["labels"]["severity"] in ("critical", "warning", "info")
        used = selectors(alert["expr"])
        assert used, alert["alert"]
        for metric, names in used:
            assert metric in labels, f"{alert['alert']}: {metric} is not exported"
            # `le` belongs to every histogram bucket.
            assert names <= labels[metric] | {"le"}, f"{alert['alert']}: {metric} {names}"


def test_pod_monitor_scrapes_the_pods_of_the_deployment() -> None:
    monitor = yaml.safe_load((MONITORING / "podmonitor.yaml").read_text())
    deployment = yaml.safe_load((ROOT / "config/kubernetes/base/deployment.yaml").read_text())
    template = deployment["spec"]["template"]
    selected = monitor["spec"]["selector"]["matchLabels"]
    assert selected.items() <= template["metadata"]["labels"].items()
    (endpoint,) = monitor["spec"]["podMetricsEndpoints"]
    (container,) = template["spec"]["containers"]
    assert endpoint["port"] in {port["name"] for port in container["ports"]}
    annotations = template["metadata"]["annotations"]
    assert endpoint["path"] == annotations["prometheus.io/path"] == "/metrics"


def test_readme_metric_table_is_true_and_complete(scrape: str) -> None:
    families, labels = exported(scrape)
    # `*_created` (the client's creation timestamps) are left out of the scrape; never ours.
    ours = {
        name
        for name in families
        if name.startswith("livechat_analytics_") and not name.endswith("_created")
    }
    operate = (ROOT / "README.md").read_text().split("## Operate", 1)[1].split("\n## ", 1)[0]
    documented = {}
    for match in re.finditer(r"`(livechat_analytics_[a-z_]+)(?:\{([a-z_,]*)\})?`", operate):
        documented[match[1]] = set(filter(None, (match[2] or "").split(",")))
    for name, names in documented.items():
        # A histogram is named by its family, a counter by its `_total` sample.
        samples = [s for s in labels if s == name or s.removesuffix("_count") == name]
        assert samples, f"README names {name}, which is not exported"
        assert names == labels[samples[0]] - {"le"}, f"README labels of {name}"
    # Every family we export appears in the table under one of its sample names.
    for family in ours:
        samples = {family} | {family + s for s in SUFFIXES.get(families[family], ())}
        assert samples & set(documented), f"{family} is exported but not in the README"
