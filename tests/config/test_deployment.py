"""The deployment files, checked without a cluster or a Docker engine: the manifests are parsed
and held to what the service needs, the routing to exactly the reports it serves, the
environment files to the variables it reads."""

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from service.reports import REPORTS
from service.routes import DEPARTMENTS
from service.settings import Settings, load_settings, variable_names

ROOT = Path(__file__).resolve().parents[2]
KUBERNETES = ROOT / "config" / "kubernetes"
REPORT_PATHS = {f"{DEPARTMENTS}/{report.name}" for report in REPORTS}


def documents(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def one(path: Path, kind: str) -> dict[str, Any]:
    (found,) = [d for d in documents(path) if d["kind"] == kind]
    return found


def env_file(path: Path) -> dict[str, str]:
    pairs = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            pairs[name.strip()] = value.strip()
    return pairs


# ----------------------------------------------------------------------------- environment files


@pytest.mark.parametrize(
    "path",
    [
        "config/example.env",
        "config/local.env",
        "config/docker.env",
        "config/kubernetes/base/config.env",
    ],
)
def test_environment_files_name_only_real_variables_with_valid_values(path: str) -> None:
    pairs = env_file(ROOT / path)
    assert set(pairs) <= set(variable_names())
    load_settings(pairs)  # raises SettingsError on a bad value


def test_example_env_documents_every_variable() -> None:
    text = (ROOT / "config" / "example.env").read_text()
    for name in variable_names():
        assert re.search(rf"^#? ?{name}=", text, re.MULTILINE), name


def test_readme_lists_every_variable() -> None:
    readme = (ROOT / "README.md").read_text()
    for name in variable_names():
        assert f"`{name}`" in readme or name in readme, name


# ----------------------------------------------------------------------------- the base


@pytest.fixture(scope="module")
def deployment() -> dict[str, Any]:
    return one(KUBERNETES / "base" / "deployment.yaml", "Deployment")


@pytest.fixture(scope="module")
def container(deployment: dict[str, Any]) -> dict[str, Any]:
    (found,) = deployment["spec"]["template"]["spec"]["containers"]
    return found


def test_kustomization_resources_exist() -> None:
    for folder in ("base", "sidecar"):
        kustomization = documents(KUBERNETES / folder / "kustomization.yaml")[0]
        files = [
            *kustomization.get("resources", []),
            *(p["path"] for p in kustomization.get("patches", [])),
        ]
        files += [e for g in kustomization.get("configMapGenerator", []) for e in g["envs"]]
        for name in files:
            assert (KUBERNETES / folder / name).is_file(), f"{folder}/{name}"


def test_deployment_runs_two_probed_replicas(
    deployment: dict[str, Any], container: dict[str, Any]
) -> None:
    spec = deployment["spec"]
    assert spec["replicas"] == 2
    assert spec["selector"]["matchLabels"].items() <= spec["template"]["metadata"]["labels"].items()
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports["http"] == Settings().port
    assert {"cpu", "memory"} <= set(container["resources"]["requests"])
    assert "memory" in container["resources"]["limits"]


def test_deployment_is_locked_down(deployment: dict[str, Any], container: dict[str, Any]) -> None:
    pod = deployment["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] != 0
    assert pod["automountServiceAccountToken"] is False
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"]["drop"] == ["ALL"]


def test_grace_period_outlasts_the_graceful_shutdown(
    deployment: dict[str, Any], container: dict[str, Any]
) -> None:
    settings = load_settings(env_file(KUBERNETES / "base" / "config.env"))
    pre_stop = int(container["lifecycle"]["preStop"]["exec"]["command"][-1])
    grace = deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
    assert grace > settings.shutdown_timeout_seconds + pre_stop
    assert settings.shutdown_timeout_seconds < 30  # below Kubernetes' default grace period


def test_mongo_url_comes_from_rocketchats_helm_secret(container: dict[str, Any]) -> None:
    (mongo,) = [e for e in container["env"] if e["name"] == "MONGO_URL"]
    assert mongo["valueFrom"]["secretKeyRef"]["key"] == "mongo-uri"
    assert "value" not in mongo


def test_service_and_budget_select_the_pods(deployment: dict[str, Any]) -> None:
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    service = one(KUBERNETES / "base" / "service.yaml", "Service")
    budget = one(KUBERNETES / "base" / "pdb.yaml", "PodDisruptionBudget")
    assert service["spec"]["selector"].items() <= labels.items()
    assert budget["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert budget["spec"]["minAvailable"] < deployment["spec"]["replicas"]
    assert service["spec"]["ports"][0]["targetPort"] == "http"


# ----------------------------------------------------------------------------- routing


def test_ingress_sends_exactly_the_reports_here() -> None:
    ingress = one(KUBERNETES / "routing" / "ingress.yaml", "Ingress")
    paths = [p for rule in ingress["spec"]["rules"] for p in rule["http"]["paths"]]
    assert {p["path"] for p in paths} == REPORT_PATHS
    assert {p["pathType"] for p in paths} == {"Exact"}
    assert {p["backend"]["service"]["name"] for p in paths} == {"livechat-analytics"}


def test_httproute_sends_the_reports_here_and_the_rest_to_rocketchat() -> None:
    route = one(KUBERNETES / "routing" / "httproute.yaml", "HTTPRoute")
    ours, rest = route["spec"]["rules"]
    assert {m["path"]["value"] for m in ours["matches"]} == REPORT_PATHS
    assert {m["path"]["type"] for m in ours["matches"]} == {"Exact"}
    assert ours["backendRefs"][0]["name"] == "livechat-analytics"
    assert rest["matches"] == [{"path": {"type": "PathPrefix", "value": "/"}}]
    assert rest["backendRefs"][0]["name"] != "livechat-analytics"


# ----------------------------------------------------------------------------- sidecar


def test_sidecar_patch_adds_a_locked_down_container_to_rocketchat() -> None:
    kustomization = documents(KUBERNETES / "sidecar" / "kustomization.yaml")[0]
    (patch,) = kustomization["patches"]
    deployment = one(KUBERNETES / "sidecar" / patch["path"], "Deployment")
    assert deployment["metadata"]["name"] == patch["target"]["name"]
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert container["name"] == "livechat-analytics"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert "readinessProbe" not in container  # must not take Rocket.Chat's pod out of service
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["runAsNonRoot"] is True
    (mongo,) = [e for e in container["env"] if e["name"] == "MONGO_URL"]
    assert mongo["valueFrom"]["secretKeyRef"]["key"] == "mongo-uri"
    service = one(KUBERNETES / "sidecar" / "service.yaml", "Service")
    assert service["spec"]["ports"][0]["targetPort"] == container["ports"][0]["name"]


# ----------------------------------------------------------------------------- the image


def test_dockerfile_builds_in_one_stage_and_runs_slim_as_non_root() -> None:
    lines = [
        line.strip()
        for line in (ROOT / "Dockerfile").read_text().replace("\\\n", " ").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    stages = [i for i, line in enumerate(lines) if line.startswith("FROM ")]
    assert len(stages) == 2
    final = lines[stages[-1] :]
    assert "slim" in final[0]
    assert not any(line.startswith("HEALTHCHECK") for line in lines)
    users = [line.split()[1] for line in final if line.startswith("USER ")]
    assert users
    assert users[-1] not in ("0", "root")
    assert not any(re.search(r"apt-get|gcc|build-essential", line) for line in final)
    assert final[-1] == 'ENTRYPOINT ["python", "-m", "service"]'
