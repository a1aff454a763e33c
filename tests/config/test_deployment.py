"""The deployment files, checked without a cluster or a Docker engine: the manifests are parsed,
validated against Kubernetes' own schemas (bundled by kubernetes-validate, no network) and held
to what the service needs, the routing to exactly the reports it serves, the environment files
to the variables it reads. Where kubectl is installed, the kustomizations are also built."""

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from service.rocketchat.reports import REPORTS
from service.routes import DEPARTMENTS
from service.settings import Settings, load_settings, variable_names

ROOT = Path(__file__).resolve().parents[2]
KUBERNETES = ROOT / "config" / "kubernetes"
SETTINGS_ENV = KUBERNETES / "components" / "settings" / "config.env"
REPORT_PATHS = {report.path for report in REPORTS}
AGENTS = "/api/v1/livechat/analytics/agents"
# Both families as the contract names them (shared/CONTRACT.md), independent of what is routed
# today.
CONTRACT_PATHS = {
    f"{DEPARTMENTS}/{name}"
    for name in (
        "amount-of-chats",
        "average-chat-duration-time",
        "average-service-time",
        "average-waiting-time",
        "total-service-time",
        "total-transferred-chats",
        "total-abandoned-chats",
        "percentage-abandoned-chats",
    )
} | {
    f"{AGENTS}/{name}"
    for name in ("average-service-time", "total-service-time", "available-for-service-history")
}


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
        "config/kubernetes/components/settings/config.env",
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


KUSTOMIZATIONS = sorted(p.parent for p in KUBERNETES.rglob("kustomization.yaml"))


@pytest.mark.parametrize("folder", KUSTOMIZATIONS, ids=lambda p: str(p.relative_to(KUBERNETES)))
def test_kustomization_references_only_what_kustomize_may_load(folder: Path) -> None:
    """kustomize loads a file only from inside the kustomization's own folder (its default load
    restrictor: `kubectl apply -k` has no way around it); another folder is reachable only as a
    whole kustomization or component."""
    kustomization = documents(folder / "kustomization.yaml")[0]
    files = [p["path"] for p in kustomization.get("patches", []) if "path" in p]
    files += [
        entry
        for generator in (
            *kustomization.get("configMapGenerator", []),
            *kustomization.get("secretGenerator", []),
        )
        for entry in (*generator.get("envs", []), *generator.get("files", []))
    ]
    folders = []
    for entry in (*kustomization.get("resources", []), *kustomization.get("components", [])):
        (folders if (folder / entry).is_dir() else files).append(entry)
    for name in files:
        path = (folder / name).resolve()
        assert path.is_file(), f"{folder.name}: {name} does not exist"
        assert path.is_relative_to(folder.resolve()), f"{folder.name}: {name} is outside it"
    for name in folders:
        assert (folder / name / "kustomization.yaml").is_file(), f"{folder.name}: {name}"


# API groups Kubernetes itself serves: their schemas ship with kubernetes-validate. The others are
# custom resources (Gateway API, Prometheus Operator) and kustomize's own files.
BUILT_IN = {"v1", "apps/v1", "policy/v1", "networking.k8s.io/v1"}
NOT_BUILT_IN = {
    "gateway.networking.k8s.io/v1",
    "monitoring.coreos.com/v1",
    "kustomize.config.k8s.io/v1beta1",
    "kustomize.config.k8s.io/v1alpha1",
}


def _patch_files() -> set[Path]:
    return {
        (folder / patch["path"]).resolve()
        for folder in KUSTOMIZATIONS
        for patch in documents(folder / "kustomization.yaml")[0].get("patches", [])
    }


def _manifests() -> list[Any]:
    """Every whole manifest (patches are partial by design and checked below)."""
    found = []
    for path in sorted(KUBERNETES.rglob("*.yaml")):
        if path.resolve() in _patch_files():
            continue
        for document in documents(path):
            name = f"{path.relative_to(KUBERNETES)}:{document['kind']}"
            found.append(pytest.param(document, id=name))
    return found


def test_every_manifest_is_either_schema_checked_or_a_known_custom_resource() -> None:
    versions = {param.values[0]["apiVersion"] for param in _manifests()}
    assert versions <= BUILT_IN | NOT_BUILT_IN


# The oldest Kubernetes still common in production, and the newest the package knows.
KUBERNETES_VERSIONS = ["1.29", kubernetes_validate.latest_version()]


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize(
    "document", [p for p in _manifests() if p.values[0]["apiVersion"] in BUILT_IN]
)
def test_manifest_is_valid_against_kubernetes_schemas(
    document: dict[str, Any], version: str
) -> None:
    # strict: an unknown (misspelt) field is an error, as with `kubectl apply --validate=strict`.
    kubernetes_validate.validate(document, version, strict=True)


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_sidecar_patch_is_a_valid_pod_spec(version: str) -> None:
    patch = one(KUBERNETES / "sidecar" / "add-sidecar.yaml", "Deployment")
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "rocketchat"},
        "spec": patch["spec"]["template"]["spec"],
    }
    kubernetes_validate.validate(pod, version, strict=True)


def test_the_schema_validation_catches_a_misspelt_field() -> None:
    deployment = one(KUBERNETES / "base" / "deployment.yaml", "Deployment")
    deployment["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGet"]["pth"] = (
        "/"
    )
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSIONS[0], strict=True)


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


def test_probes_wait_longer_than_the_service_takes_to_answer(
    deployment: dict[str, Any], container: dict[str, Any]
) -> None:
    settings = load_settings(env_file(SETTINGS_ENV))
    # /readyz answers within READINESS_TIMEOUT_MS; a shorter probe timeout would fail it anyway.
    assert container["readinessProbe"]["timeoutSeconds"] * 1000 > settings.readiness_timeout_ms
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    (spread,) = deployment["spec"]["template"]["spec"]["topologySpreadConstraints"]
    assert spread["labelSelector"]["matchLabels"].items() <= labels.items()


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
    settings = load_settings(env_file(SETTINGS_ENV))
    pre_stop = int(container["lifecycle"]["preStop"]["exec"]["command"][-1])
    grace = deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
    assert grace > settings.shutdown_timeout_seconds + pre_stop
    assert settings.shutdown_timeout_seconds < 30  # below Kubernetes' default grace period


# The read-only user's own Secret (README, "Operate"), never Rocket.Chat's read-write URL.
MONGO_SECRET = {"name": "livechat-analytics-mongo", "key": "mongo-url"}


def test_mongo_url_comes_from_the_read_only_users_own_secret(container: dict[str, Any]) -> None:
    (mongo,) = [e for e in container["env"] if e["name"] == "MONGO_URL"]
    assert mongo["valueFrom"]["secretKeyRef"] == MONGO_SECRET
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


def test_the_app_serves_the_whole_contract_family() -> None:
    assert REPORT_PATHS == CONTRACT_PATHS


# Our own API and page live under this prefix; everything else there is Rocket.Chat's.
OWN_PREFIX = "/livechat-analytics/"


def test_ingress_sends_exactly_the_reports_and_our_prefix_here() -> None:
    ingress = one(KUBERNETES / "routing" / "ingress.yaml", "Ingress")
    paths = [p for rule in ingress["spec"]["rules"] for p in rule["http"]["paths"]]
    exact = [p["path"] for p in paths if p["pathType"] == "Exact"]
    assert set(exact) == CONTRACT_PATHS
    assert set(exact) >= REPORT_PATHS  # every report the app serves reaches it
    assert len(exact) == len(CONTRACT_PATHS)
    prefixes = [p["path"] for p in paths if p["pathType"] != "Exact"]
    assert prefixes == [OWN_PREFIX]
    assert {p["pathType"] for p in paths} == {"Exact", "Prefix"}
    assert {p["backend"]["service"]["name"] for p in paths} == {"livechat-analytics"}


def test_httproute_sends_the_reports_and_our_prefix_here_and_the_rest_to_rocketchat() -> None:
    route = one(KUBERNETES / "routing" / "gateway" / "httproute.yaml", "HTTPRoute")
    ours, rest = route["spec"]["rules"]
    exact = {m["path"]["value"] for m in ours["matches"] if m["path"]["type"] == "Exact"}
    assert exact == CONTRACT_PATHS
    assert exact >= REPORT_PATHS
    prefixes = [m["path"] for m in ours["matches"] if m["path"]["type"] != "Exact"]
    assert prefixes == [{"type": "PathPrefix", "value": OWN_PREFIX}]
    assert ours["backendRefs"][0]["name"] == "livechat-analytics"
    assert rest["matches"] == [{"path": {"type": "PathPrefix", "value": "/"}}]
    assert rest["backendRefs"][0]["name"] != "livechat-analytics"


# ----------------------------------------------------------------------------- namespace

NAMESPACED = ["base", "routing", "routing/gateway", "monitoring"]


def test_everything_applied_by_itself_goes_to_one_namespace() -> None:
    """Rocket.Chat's: the Secret, the pods, the Services the routes name and the PodMonitor's pods
    must share it. The sidecar overlay takes Helm's (or kubectl's) `-n` instead."""
    namespaces = {
        folder: documents(KUBERNETES / folder / "kustomization.yaml")[0].get("namespace")
        for folder in NAMESPACED
    }
    assert len(set(namespaces.values())) == 1, namespaces
    assert None not in namespaces.values()
    assert "namespace" not in documents(KUBERNETES / "sidecar" / "kustomization.yaml")[0]


def test_every_folder_of_manifests_is_a_kustomization() -> None:
    folders = {p.parent for p in KUBERNETES.rglob("*.yaml")}
    for folder in folders:
        assert (folder / "kustomization.yaml").is_file(), folder


# ----------------------------------------------------------------------------- README "Operate"


def operate_section() -> str:
    text = (ROOT / "README.md").read_text()
    return text.split("## Operate", 1)[1].split("\n## ", 1)[0]


def test_readme_applies_only_folders_that_kustomize_builds() -> None:
    operate = operate_section()
    applied = re.findall(r"kubectl apply(?: -n \S+)? -k\s+(config/kubernetes/[\w/-]+)", operate)
    assert {"config/kubernetes/base", "config/kubernetes/routing"} <= set(applied)
    for folder in applied:
        assert (ROOT / folder / "kustomization.yaml").is_file(), folder


def test_readme_creates_the_secret_the_manifests_read() -> None:
    operate = operate_section().replace("\\\n", " ")
    created = re.search(
        r"kubectl -n (\S+) create secret generic (\S+)\s+--from-literal=([\w-]+)='([^']+)'",
        operate,
    )
    assert created is not None
    namespace, name, key, url = created.groups()
    assert {"name": name, "key": key} == MONGO_SECRET
    assert namespace == documents(KUBERNETES / "base" / "kustomization.yaml")[0]["namespace"]
    # The URL names the read-only user created above, and the database it may read.
    user = re.search(r'createUser\(\{\s*user: "([^"]+)"', operate)
    roles = re.search(r"roles: \[\{ role: \"(\w+)\", db: \"(\w+)\" \}\]", operate)
    assert user is not None
    assert roles is not None
    assert roles.groups() == ("read", Settings().mongo_database)
    assert url.startswith(f"mongodb://{user.group(1)}:")
    assert load_settings({"MONGO_URL": url}).mongo_database == roles.group(2)


def test_readme_pushes_the_image_it_builds_and_deploys() -> None:
    operate = operate_section()
    (built,) = re.findall(r"make image IMAGE=(\S+)", operate)
    (pushed,) = re.findall(r"docker push (\S+)", operate)
    (deployed,) = re.findall(r"kustomize edit set image livechat-analytics=([^\s)]+)", operate)
    assert built == pushed == deployed


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
    assert mongo["valueFrom"]["secretKeyRef"] == MONGO_SECRET
    service = one(KUBERNETES / "sidecar" / "service.yaml", "Service")
    assert service["spec"]["ports"][0]["targetPort"] == container["ports"][0]["name"]


# ----------------------------------------------------------------------------- kustomize builds

KUBECTL = shutil.which("kubectl")
BUILDABLE = [
    folder
    for folder in KUSTOMIZATIONS
    if documents(folder / "kustomization.yaml")[0]["kind"] == "Kustomization"
]


def kustomize(folder: Path) -> list[dict[str, Any]]:
    assert KUBECTL is not None
    built = subprocess.run(
        [KUBECTL, "kustomize", str(folder)], capture_output=True, text=True, timeout=60, check=False
    )
    assert built.returncode == 0, built.stderr
    return [d for d in yaml.safe_load_all(built.stdout) if d]


def pod_specs(rendered: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [d["spec"]["template"]["spec"] for d in rendered if d["kind"] == "Deployment"]


needs_kubectl = pytest.mark.skipif(
    KUBECTL is None, reason="kubectl is not installed: the kustomizations are checked file by file"
)


@needs_kubectl
@pytest.mark.parametrize("folder", BUILDABLE, ids=lambda p: str(p.relative_to(KUBERNETES)))
def test_kustomization_builds_into_valid_manifests(folder: Path) -> None:
    rendered = kustomize(folder)
    for document in rendered:
        if document["apiVersion"] in BUILT_IN:
            kubernetes_validate.validate(document, KUBERNETES_VERSIONS[-1], strict=True)
    # Generated ConfigMaps get a content hash in their name; every reference must follow it.
    config_maps = {d["metadata"]["name"] for d in rendered if d["kind"] == "ConfigMap"}
    for spec in pod_specs(rendered):
        for container in spec["containers"]:
            for source in container.get("envFrom", []):
                assert source["configMapRef"]["name"] in config_maps


@needs_kubectl
def test_sidecar_overlay_adds_the_container_beside_rocketchat() -> None:
    (spec,) = pod_specs(kustomize(KUBERNETES / "sidecar"))
    names = [c["name"] for c in spec["containers"]]
    assert sorted(names) == ["livechat-analytics", "rocketchat"]


POST_RENDER = KUBERNETES / "sidecar" / "post-render.sh"


def test_helm_post_renderer_is_an_executable_posix_script() -> None:
    assert POST_RENDER.stat().st_mode & 0o111
    assert POST_RENDER.read_text().startswith("#!/bin/sh\n")
    checked = subprocess.run(["/bin/sh", "-n", str(POST_RENDER)], capture_output=True, check=False)
    assert checked.returncode == 0, checked.stderr


@needs_kubectl
def test_helm_post_renderer_adds_the_sidecar_to_the_rendered_chart() -> None:
    placeholder = KUBERNETES / "sidecar" / "rocketchat.yaml"
    before = placeholder.read_text()
    other = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "rocketchat-rocketchat"}}
    chart = f"{before}---\n{yaml.safe_dump(other)}"
    rendered = subprocess.run(
        [str(POST_RENDER)], input=chart, capture_output=True, text=True, timeout=60, check=False
    )
    assert rendered.returncode == 0, rendered.stderr
    documents = [d for d in yaml.safe_load_all(rendered.stdout) if d]
    names = {(d["kind"], d["metadata"]["name"]) for d in documents}
    assert ("Service", "rocketchat-rocketchat") in names  # the chart's own resources stay
    assert ("Service", "livechat-analytics-sidecar") in names
    (spec,) = pod_specs(documents)
    assert "livechat-analytics" in [c["name"] for c in spec["containers"]]
    assert placeholder.read_text() == before


# ----------------------------------------------------------------------------- the image


def dockerfile_stages() -> list[list[str]]:
    """The Dockerfile's instructions, continuation lines joined, split by stage."""
    lines = [
        line.strip()
        for line in (ROOT / "Dockerfile").read_text().replace("\\\n", " ").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    starts = [i for i, line in enumerate(lines) if line.startswith("FROM ")]
    return [lines[a:b] for a, b in zip(starts, [*starts[1:], len(lines)], strict=True)]


def test_dockerfile_builds_in_its_own_stage_and_runs_slim_as_non_root() -> None:
    stages = dockerfile_stages()
    assert len(stages) == 2
    build, final = stages
    build_name = build[0].split()[-1]
    assert "slim" in final[0]
    assert not any(line.startswith("HEALTHCHECK") for stage in stages for line in stage)
    # Only wheels cross over; the final stage fetches nothing and compiles nothing.
    assert any(line.startswith(f"COPY --from={build_name} ") for line in final)
    installs = [line for line in final if "pip install" in line]
    assert installs
    assert all("--no-index" in line for line in installs)
    assert not any(re.search(r"apt-get|gcc|build-essential|\bmake\b", line) for line in final)
    assert final[-1] == 'ENTRYPOINT ["python", "-m", "service"]'


def test_image_runs_as_the_uid_the_manifests_demand() -> None:
    final = dockerfile_stages()[-1]
    (user,) = [line.split()[1] for line in final if line.startswith("USER ")]
    # Numeric: the kubelet can prove runAsNonRoot only for a numeric user.
    assert user.isdigit()
    assert int(user) != 0
    pod = one(KUBERNETES / "base" / "deployment.yaml", "Deployment")["spec"]["template"]["spec"]
    patch = one(KUBERNETES / "sidecar" / "add-sidecar.yaml", "Deployment")
    (sidecar,) = patch["spec"]["template"]["spec"]["containers"]
    assert pod["securityContext"]["runAsUser"] == int(user)
    assert sidecar["securityContext"]["runAsUser"] == int(user)


def test_image_writes_no_bytecode_so_a_read_only_root_filesystem_works() -> None:
    final = dockerfile_stages()[-1]
    assert any("PYTHONDONTWRITEBYTECODE=1" in line for line in final if line.startswith("ENV "))


def fake_docker(folder: Path, *, engine: bool) -> Path:
    """A `docker` CLI that records its arguments; `docker info` fails without an engine."""
    calls = folder / "calls"
    script = folder / "docker"
    script.write_text(
        f'#!/bin/sh\necho "$*" >> "{calls}"\n[ "$1" = info ] && exit {0 if engine else 1}\nexit 0\n'
    )
    script.chmod(0o755)
    return calls


def make_image(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    path = f"{tmp_path}:{Path(shutil.which('make') or '/usr/bin/make').parent}:/usr/bin:/bin"
    return subprocess.run(
        ["make", "--no-print-directory", "-C", str(ROOT), "image", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"PATH": path},
    )


def test_make_image_builds_with_docker(tmp_path: Path) -> None:
    calls = fake_docker(tmp_path, engine=True)
    done = make_image(tmp_path, "IMAGE=registry.example/analytics:1.0")
    assert done.returncode == 0, done.stderr
    assert calls.read_text().splitlines() == ["info", "build -t registry.example/analytics:1.0 ."]


def test_make_image_explains_itself_without_a_docker_engine(tmp_path: Path) -> None:
    calls = fake_docker(tmp_path, engine=False)
    done = make_image(tmp_path)
    assert done.returncode != 0
    assert "needs a running Docker engine" in done.stdout + done.stderr
    assert calls.read_text().splitlines() == ["info"]  # nothing was built
