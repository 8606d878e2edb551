"""deploy/kubernetes/: every manifest valid against Kubernetes' own schema (kubernetes-validate,
strict: no unknown field), and the pieces fit together: the Service selects the Deployment's pods,
the Ingress routes to the Service with cookie affinity (never by client address), the probes ask
Streamlit's health endpoint, the HPA scales the Deployment on CPU against a CPU request."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

kubernetes_validate = pytest.importorskip("kubernetes_validate")

DEPLOY = Path(__file__).resolve().parent.parent / "deploy" / "kubernetes"
VERSIONS = ("1.30.0", kubernetes_validate.latest_version())


def quantity(text: str) -> float:
    """A Kubernetes memory quantity in bytes (Mi, Gi, M, G, plain)."""
    units = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "k": 1e3, "M": 1e6, "G": 1e9}
    for suffix, factor in units.items():
        if text.endswith(suffix):
            return float(text[: -len(suffix)]) * factor
    return float(text)


@pytest.fixture(scope="module")
def manifests() -> dict[str, dict]:
    found = {}
    for path in sorted(DEPLOY.glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            found[document["kind"]] = document
    return found


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("path", sorted(DEPLOY.glob("*.yaml")), ids=lambda p: p.name)
def test_every_manifest_is_valid(path, version):
    for document in yaml.safe_load_all(path.read_text()):
        kubernetes_validate.validate(document, version, strict=True)


def test_a_broken_manifest_is_caught(manifests):
    """The validation is not a formality: a misspelt field and a wrong type both fail."""
    broken = yaml.safe_load(yaml.safe_dump(manifests["Deployment"]))
    broken["spec"]["replica"] = 2
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, VERSIONS[-1], strict=True)
    broken = yaml.safe_load(yaml.safe_dump(manifests["Service"]))
    broken["spec"]["ports"][0]["port"] = "eighty"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, VERSIONS[-1], strict=True)


def test_the_pieces_fit_together(manifests):
    assert set(manifests) >= {"Deployment", "Service", "Ingress", "HorizontalPodAutoscaler"}
    deployment, service = manifests["Deployment"], manifests["Service"]
    ingress, hpa = manifests["Ingress"], manifests["HorizontalPodAutoscaler"]
    pod = deployment["spec"]["template"]
    labels = pod["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert service["spec"]["selector"].items() <= labels.items()
    (container,) = pod["spec"]["containers"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert service["spec"]["ports"][0]["targetPort"] in ports
    assert service["spec"].get("sessionAffinity", "None") == "None"  # not by client address
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"]["path"] == "/_stcore/health"
        assert container[probe]["httpGet"]["port"] in ports
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["REPLICAS"] == "1" and int(env["PORT"]) in ports.values()
    # Liveness gives serve.sh time to restart its replica before Kubernetes restarts the pod.
    live = container["livenessProbe"]
    assert live["periodSeconds"] * live["failureThreshold"] >= 30
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend["name"] == service["metadata"]["name"]
    assert backend["port"]["name"] in {p["name"] for p in service["spec"]["ports"]}
    annotations = ingress["metadata"]["annotations"]
    prefix = "nginx.ingress.kubernetes.io/"
    assert annotations[prefix + "affinity"] == "cookie"
    assert prefix + "upstream-hash-by" not in annotations  # hashing an address: one NAT, one pod
    assert int(annotations[prefix + "proxy-read-timeout"]) >= 3600  # websockets idle
    assert hpa["spec"]["scaleTargetRef"]["name"] == deployment["metadata"]["name"]
    assert hpa["spec"]["scaleTargetRef"]["kind"] == "Deployment"
    (metric,) = hpa["spec"]["metrics"]
    assert metric["resource"]["name"] == "cpu"
    resources = container["resources"]
    assert "cpu" in resources["requests"]  # the HPA's utilization is relative to it
    request, limit = (quantity(resources[k]["memory"]) for k in ("requests", "limits"))
    assert 550 * 2**20 <= request < limit  # the pages scenario's target fits the request
    scale = hpa["spec"]
    assert scale["minReplicas"] <= deployment["spec"]["replicas"] <= scale["maxReplicas"]
