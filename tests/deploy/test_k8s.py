"""deploy/k8s as kustomize renders it: valid against Kubernetes' own schemas, and true to the stack.

What no schema can say, and these tests check: every container's requests equal its limits and the
worker's pool follows its CPU limit; the probes are compose's healthchecks (no interpreter started);
no secret in an environment value or in the files; Redis runs as compose runs it, on a
PersistentVolumeClaim; KEDA's scaler counts RQ's own queue key, authenticated from the Secret.
Offline: `kubectl kustomize` renders, kubernetes-validate holds the schemas; no cluster is needed.
"""

import base64
import copy
import math
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from redis import Redis
from rq import Queue
from rq.serializers import JSONSerializer

from services.api.routes.dashboard import page_router
from shared.cgroup.quota import quota_cpus
from shared.settings import Settings

REPO = Path(__file__).resolve().parents[2]
K8S = REPO / "deploy" / "k8s"
# The Kubernetes release whose schemas the manifests must pass (kubernetes-validate ships 1.25 to 1.37):
# one current clusters run. Its nodes' cgroups, v2 or v1, both give the pool its quota (quota.py).
KUBERNETES_VERSION = "1.33.0"
# KEDA's resources: custom, so in no Kubernetes schema; test_keda_scales_... checks their fields.
KEDA_API = "keda.sh/v1alpha1"
SECRET = "cpu-contrast"
NAMESPACE = "cpu-contrast"

Manifest = dict[str, Any]


def kubectl() -> str:
    path = shutil.which("kubectl")
    if path is None:  # a failure, never a skip: the manifests would go unchecked
        pytest.fail(
            "kubectl is needed (its built-in kustomize renders deploy/k8s): install it, then run again"
        )
    return path


def render(variant: str) -> list[Manifest]:
    """What `kubectl apply -k deploy/k8s/<variant>` would send."""
    out = subprocess.run(
        [kubectl(), "kustomize", str(K8S / variant)], check=True, capture_output=True, text=True
    ).stdout
    return [doc for doc in yaml.safe_load_all(out) if doc]


@pytest.fixture(scope="module", params=["base", "keda"])
def manifests(request: pytest.FixtureRequest) -> list[Manifest]:
    return render(request.param)


def by_kind(manifests: list[Manifest], kind: str) -> dict[str, Manifest]:
    return {m["metadata"]["name"]: m for m in manifests if m["kind"] == kind}


def workloads(manifests: list[Manifest]) -> dict[str, Manifest]:
    return {**by_kind(manifests, "Deployment"), **by_kind(manifests, "StatefulSet")}


def pod(workload: Manifest) -> dict[str, Any]:
    return workload["spec"]["template"]["spec"]


def containers(workload: Manifest, init: bool = True) -> list[dict[str, Any]]:
    spec = pod(workload)
    return spec["containers"] + (spec.get("initContainers", []) if init else [])


def container(manifests: list[Manifest], name: str) -> dict[str, Any]:
    (found,) = [c for c in containers(workloads(manifests)[name], init=False) if c["name"] == name]
    return found


def env(c: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["name"]: e for e in c.get("env", [])}


def compose() -> dict[str, Any]:
    return yaml.safe_load((REPO / "docker-compose.yml").read_text())


def compose_default(text: str) -> str:
    """A compose value with each `${NAME:-default}` replaced by its default."""
    return re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", text)


def quantity(text: str) -> float:
    """A Kubernetes CPU quantity in CPUs: "1", "1500m"."""
    return int(text[:-1]) / 1000 if text.endswith("m") else float(text)


# -- the schemas -------------------------------------------------------------------------------------


def test_every_core_resource_passes_the_kubernetes_schema(manifests: list[Manifest]) -> None:
    """Strict: an unknown field (a misspelt key, one at the wrong level) fails as a wrong type does."""
    errors = {}
    for m in manifests:
        if m["apiVersion"] == KEDA_API:
            continue
        try:
            kubernetes_validate.validate(m, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            errors[f"{m['kind']}/{m['metadata']['name']}"] = str(exc)
    assert not errors
    kinds = {m["kind"] for m in manifests}
    assert {"Namespace", "Service", "Deployment", "StatefulSet"} <= kinds


def test_the_schema_check_refuses_a_misspelt_field() -> None:
    """The check above can fail: a probe under a misspelt key is refused, not ignored."""
    worker = copy.deepcopy(workloads(render("base"))["worker"])
    kubernetes_validate.validate(worker, KUBERNETES_VERSION, strict=True)
    c = pod(worker)["containers"][0]
    c["livenesProbe"] = c.pop("livenessProbe")
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(worker, KUBERNETES_VERSION, strict=True)


# -- CPU and memory ----------------------------------------------------------------------------------


def test_every_container_requests_what_it_is_limited_to(manifests: list[Manifest]) -> None:
    """requests == limits for CPU and memory in every container, init containers too: the Guaranteed
    QoS class, so a pod keeps the cores its pool was sized for."""
    for name, workload in workloads(manifests).items():
        for c in containers(workload):
            resources = c["resources"]
            assert set(resources["limits"]) == {"cpu", "memory"}, (name, c["name"])
            assert resources["requests"] == resources["limits"], (name, c["name"])


def test_the_worker_pool_follows_its_cpu_limit(manifests: list[Manifest], tmp_path: Path) -> None:
    """No POOL_PROCESSES contradicts the limit: the pool is what shared/cgroup/quota.py reads from the
    cpu.max the kubelet writes for that limit (quota = CPUs x the 100 ms period), in whole CPUs."""
    worker = container(manifests, "worker")
    cpus = quantity(worker["resources"]["limits"]["cpu"])
    assert cpus == int(cpus), "a fraction of a CPU rounds the pool up, then throttles it"
    (tmp_path / "cpu.max").write_text(f"{round(cpus * 100_000)} 100000\n")
    pool = math.ceil(quota_cpus(tmp_path) or 0)
    assert pool == cpus
    given = env(worker).get("POOL_PROCESSES")
    assert given is None or int(given["value"]) == pool


def test_the_limits_are_composes_defaults(manifests: list[Manifest]) -> None:
    """The same budget as `make up`: each service's memory limit, and the worker's CPUs."""
    services = compose()["services"]
    units = {"g": "Gi", "m": "Mi"}
    for name in ("api", "worker", "redis"):
        limit = compose_default(services[name]["deploy"]["resources"]["limits"]["memory"])
        assert container(manifests, name)["resources"]["limits"]["memory"] == limit[:-1] + units[limit[-1]]
    cpus = compose_default(services["worker"]["deploy"]["resources"]["limits"]["cpus"])
    assert quantity(container(manifests, "worker")["resources"]["limits"]["cpu"]) == float(cpus)


# -- probes ------------------------------------------------------------------------------------------


def probes(c: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {kind: c[kind] for kind in ("startupProbe", "readinessProbe", "livenessProbe") if kind in c}


def test_every_probe_is_an_exec_or_an_http_get_with_no_interpreter(manifests: list[Manifest]) -> None:
    for name, workload in workloads(manifests).items():
        for c in containers(workload, init=False):
            found = probes(c)
            assert {"readinessProbe", "livenessProbe"} <= set(found), (name, c["name"])
            for kind, probe in found.items():
                handlers = {"exec", "httpGet", "tcpSocket", "grpc"} & set(probe)
                assert handlers in ({"exec"}, {"httpGet"}), (name, kind, handlers)
                if "exec" in probe:
                    assert not any("python" in word for word in probe["exec"]["command"]), (name, kind)


def test_the_worker_and_redis_probes_are_composes_healthchecks(manifests: list[Manifest]) -> None:
    services = compose()["services"]
    for name in ("worker", "redis"):
        test = services[name]["healthcheck"]["test"]
        assert test[0] == "CMD"
        # Compose writes a shell's `$` as `$$`; Kubernetes runs the command as given.
        command = [word.replace("$$", "$") for word in test[1:]]
        for kind, probe in probes(container(manifests, name)).items():
            assert probe["exec"]["command"] == command, (name, kind)


def test_the_api_probes_ask_what_its_healthcheck_asks(manifests: list[Manifest]) -> None:
    """Readiness: GET /health, as services/api/healthcheck.sh (200 while Redis answers). Liveness and
    startup: a page the API serves with no Redis command, so that Redis away restarts no API."""
    api = container(manifests, "api")
    found = probes(api)
    script = (REPO / "services" / "api" / "healthcheck.sh").read_text()
    (asked,) = re.findall(r"GET (\S+) HTTP", script)
    assert found["readinessProbe"]["httpGet"]["path"] == asked
    page_paths = {route.path for route in page_router.routes}
    assert found["livenessProbe"]["httpGet"]["path"] in page_paths
    assert found["startupProbe"]["httpGet"]["path"] in page_paths
    ports = {p["name"]: p["containerPort"] for p in api["ports"]}
    for probe in found.values():
        assert ports[probe["httpGet"]["port"]] == 8000  # where services/api/Dockerfile's CMD listens


# -- secrets -----------------------------------------------------------------------------------------

SECRET_NAME = re.compile(r"PASSWORD|TOKEN|SECRET|KEY")
PASSWORD_IN_URL = re.compile(r"://[^/@\s]*:[^/@\s]+@")


def print_secret(**given: str) -> subprocess.CompletedProcess[str]:
    """deploy/k8s/secret.sh --print (`make k8s-secret`'s Secret, shown), with only `given` in its
    environment: not REDIS_PASSWORD or API_TOKEN that `make` may export from .env."""
    return subprocess.run(
        ["bash", str(K8S / "secret.sh"), "--print"],
        capture_output=True,
        text=True,
        env={"PATH": f"{Path(kubectl()).parent}:/usr/bin:/bin", **given},
    )


def decoded(printed: subprocess.CompletedProcess[str]) -> dict[str, str]:
    assert printed.returncode == 0, printed.stderr
    secret = yaml.safe_load(printed.stdout)
    assert (secret["kind"], secret["metadata"]["name"]) == ("Secret", SECRET)
    assert secret["metadata"]["namespace"] == NAMESPACE
    return {key: base64.b64decode(value).decode() for key, value in secret["data"].items()}


def test_make_k8s_secret_takes_the_given_secrets_and_refuses_a_bad_one() -> None:
    given = {"REDIS_PASSWORD": "pw-1.x_~", "API_TOKEN": "token-2"}
    assert decoded(print_secret(**given)) == {"redis-password": "pw-1.x_~", "api-token": "token-2"}
    refused = print_secret(REDIS_PASSWORD="a b@c")
    assert refused.returncode != 0
    assert "REDIS_PASSWORD may hold only" in refused.stderr
    assert "a b@c" not in refused.stdout + refused.stderr


def test_no_environment_value_holds_a_secret(manifests: list[Manifest]) -> None:
    """A password or token comes from a secretKeyRef or a mounted file, never a value in the manifest."""
    for name, workload in workloads(manifests).items():
        for c in containers(workload):
            for var, entry in env(c).items():
                if SECRET_NAME.search(var) and not var.endswith("_FILE"):
                    assert "value" not in entry, (name, var)
                    assert entry["valueFrom"]["secretKeyRef"]["name"] == SECRET, (name, var)
                else:
                    assert not PASSWORD_IN_URL.search(entry.get("value", "")), (name, var)


def test_no_secret_is_in_the_files(manifests: list[Manifest]) -> None:
    """The Secret is made in the cluster (`make k8s-secret`), never rendered from the repository."""
    assert not by_kind(manifests, "Secret")
    for m in by_kind(manifests, "ScaledObject").values():
        for trigger in m["spec"]["triggers"]:
            assert not {"password", "passwordFromEnv"} & set(trigger["metadata"])


def test_every_secret_key_read_is_one_make_k8s_secret_makes(manifests: list[Manifest]) -> None:
    made = decoded(print_secret())
    read = set()
    for workload in workloads(manifests).values():
        for volume in pod(workload).get("volumes", []):
            if "secret" in volume:
                assert volume["secret"]["secretName"] == SECRET
                read |= {item["key"] for item in volume["secret"]["items"]}
        for c in containers(workload):
            for entry in env(c).values():
                ref = entry.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    read.add(ref["key"])
    for auth in by_kind(manifests, "TriggerAuthentication").values():
        for ref in auth["spec"]["secretTargetRef"]:
            assert ref["name"] == SECRET
            read.add(ref["key"])
    assert read == set(made)
    for value in made.values():  # random, and fit for a URL and a header unescaped
        assert re.fullmatch(r"[A-Za-z0-9]{43}", value)
    assert len(set(made.values())) == len(made)


def test_the_password_file_is_where_the_secret_is_mounted(manifests: list[Manifest]) -> None:
    """REDIS_PASSWORD_FILE (Settings) names the file the Secret's redis-password is mounted as."""
    for name in ("api", "worker"):
        workload = workloads(manifests)[name]
        c = container(manifests, name)
        volumes = {v["name"]: v for v in pod(workload)["volumes"]}
        files = {
            f"{mount['mountPath']}/{item['path']}": item["key"]
            for mount in c["volumeMounts"]
            if "secret" in volumes[mount["name"]]
            for item in volumes[mount["name"]]["secret"]["items"]
        }
        assert files[env(c)["REDIS_PASSWORD_FILE"]["value"]] == "redis-password"


def test_every_environment_variable_is_a_setting(manifests: list[Manifest]) -> None:
    """A misspelt name would be ignored silently (Settings ignores unknown variables)."""
    names = {field.upper() for field in Settings.model_fields}
    for name in ("api", "worker"):
        assert set(env(container(manifests, name))) <= names, name


# -- Redis -------------------------------------------------------------------------------------------


def test_redis_keeps_its_data_on_a_persistent_volume(manifests: list[Manifest]) -> None:
    redis = by_kind(manifests, "StatefulSet")["redis"]
    claims = {claim["metadata"]["name"] for claim in redis["spec"]["volumeClaimTemplates"]}
    mounts = {m["name"]: m["mountPath"] for m in container(manifests, "redis")["volumeMounts"]}
    args = container(manifests, "redis")["args"]
    data_dir = args[args.index("--dir") + 1]
    mounted = claims & set(mounts)
    assert mounted, f"no volume claim of {claims} is mounted"
    assert {mounts[name] for name in mounted} == {data_dir}
    assert args[args.index("--appendonly") + 1] == "yes"


def test_redis_runs_as_compose_runs_it(manifests: list[Manifest]) -> None:
    """The same server options (compose's defaults), its config file (the password) from the init
    container instead of compose's redis-secret service."""
    command = [compose_default(word) for word in compose()["services"]["redis"]["command"]]
    command[command.index("/secrets/redis.conf")] = "/conf/redis.conf"
    assert container(manifests, "redis")["args"] == command


def test_the_images_are_composes(manifests: list[Manifest]) -> None:
    services = compose()["services"]
    for name in ("api", "worker", "redis"):
        assert container(manifests, name)["image"] == compose_default(services[name]["image"]), name


def test_the_services_are_where_redis_url_points(manifests: list[Manifest]) -> None:
    services = by_kind(manifests, "Service")
    for name in ("api", "worker"):
        url = env(container(manifests, name))["REDIS_URL"]["value"]
        host, port = re.fullmatch(r"redis://([^:/@]+):(\d+)/\d+", url).groups()
        assert int(port) in {p["port"] for p in services[host]["spec"]["ports"]}


def selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    """Whether a label selector (matchLabels, matchExpressions with In) selects these labels."""
    if any(labels.get(k) != v for k, v in selector.get("matchLabels", {}).items()):
        return False
    for expression in selector.get("matchExpressions", []):
        assert expression["operator"] == "In", "this test reads In only"
        if labels.get(expression["key"]) not in expression["values"]:
            return False
    return True


def test_redis_admits_only_the_stacks_pods(manifests: list[Manifest]) -> None:
    """As compose leaves Redis unpublished: its NetworkPolicy selects Redis's pods and admits the API's
    and the workers' pods (and KEDA's namespace, with KEDA), on Redis's port, no one else."""
    (policy,) = by_kind(manifests, "NetworkPolicy").values()
    pods = {name: w["spec"]["template"]["metadata"]["labels"] for name, w in workloads(manifests).items()}
    selected = {name for name, labels in pods.items() if selects(policy["spec"]["podSelector"], labels)}
    assert selected == {"redis"}
    (rule,) = policy["spec"]["ingress"]
    peers = rule["from"]
    admitted = {
        name
        for name, labels in pods.items()
        for peer in peers
        if "podSelector" in peer and "namespaceSelector" not in peer and selects(peer["podSelector"], labels)
    }
    assert admitted == {"api", "worker"}
    namespaces = [peer["namespaceSelector"] for peer in peers if "namespaceSelector" in peer]
    keda = bool(by_kind(manifests, "ScaledObject"))
    assert namespaces == ([{"matchLabels": {"kubernetes.io/metadata.name": "keda"}}] if keda else [])
    # A policy names the pod's port (where the Service sends its traffic), not the Service's.
    (service_port,) = by_kind(manifests, "Service")["redis"]["spec"]["ports"]
    ports = {p["name"]: p["containerPort"] for p in container(manifests, "redis")["ports"]}
    assert rule["ports"] == [{"protocol": "TCP", "port": ports[service_port["targetPort"]]}]


# -- hardening ---------------------------------------------------------------------------------------


def test_every_pod_meets_the_restricted_pod_security_profile(manifests: list[Manifest]) -> None:
    """As compose's x-hardened: no root, no capabilities, no privilege gain, a read-only root."""
    (namespace,) = by_kind(manifests, "Namespace").values()
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    for name, workload in workloads(manifests).items():
        spec = pod(workload)
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        assert spec["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault", name
        assert spec["automountServiceAccountToken"] is False, name
        for c in containers(workload):
            context = c["securityContext"]
            assert context["allowPrivilegeEscalation"] is False, (name, c["name"])
            assert context["capabilities"]["drop"] == ["ALL"], (name, c["name"])
            assert context["readOnlyRootFilesystem"] is True, (name, c["name"])


def test_a_busy_worker_finishes_its_job_before_it_is_stopped(manifests: list[Manifest]) -> None:
    grace = pod(workloads(manifests)["worker"])["terminationGracePeriodSeconds"]
    assert grace > Settings().job_timeout


# -- KEDA --------------------------------------------------------------------------------------------


def test_keda_scales_the_workers_on_rqs_queue() -> None:
    manifests = render("keda")
    (scaled,) = by_kind(manifests, "ScaledObject").values()
    worker = workloads(manifests)["worker"]
    assert scaled["spec"]["scaleTargetRef"]["name"] == worker["metadata"]["name"]
    assert "replicas" not in worker["spec"], "kubectl apply would fight the autoscaler"
    assert 1 <= scaled["spec"]["minReplicaCount"] <= scaled["spec"]["maxReplicaCount"]
    (trigger,) = scaled["spec"]["triggers"]
    assert trigger["type"] == "redis"
    meta = trigger["metadata"]
    # The list RQ pushes waiting entries to (Queue.key: RQ's naming, checked against RQ itself).
    queue = Queue(Settings().queue_name, connection=Redis(), serializer=JSONSerializer)
    assert meta["listName"] == queue.key
    assert int(meta["listLength"]) >= 1
    # KEDA's operator resolves from its own namespace: the Service by its namespaced name.
    redis_url = env(container(manifests, "worker"))["REDIS_URL"]["value"]
    host, port, db = re.fullmatch(r"redis://([^:/@]+):(\d+)/(\d+)", redis_url).groups()
    assert meta["address"] == f"{host}.{scaled['metadata']['namespace']}.svc:{port}"
    assert meta["databaseIndex"] == db
    auth = by_kind(manifests, "TriggerAuthentication")[trigger["authenticationRef"]["name"]]
    assert auth["spec"]["secretTargetRef"] == [
        {"parameter": "password", "name": SECRET, "key": "redis-password"}
    ]
    assert {m["metadata"]["namespace"] for m in manifests if m["kind"] != "Namespace"} == {NAMESPACE}


def test_the_base_has_fixed_workers_and_no_keda() -> None:
    manifests = render("base")
    assert not [m for m in manifests if m["apiVersion"] == KEDA_API]
    replicas = workloads(manifests)["worker"]["spec"]["replicas"]
    assert replicas == int(compose_default(compose()["services"]["worker"]["deploy"]["replicas"]))
