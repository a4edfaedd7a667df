"""The Dockerfile and the Kubernetes manifests: they parse, name only settings the bot reads, and
point their probes at endpoints the bot serves, on the port it listens on."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import yaml

from bot.policy.load import load_policy
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
K8S = ROOT / "deploy" / "k8s"
SERVED = {"/healthz", "/readyz", "/metrics", "/slack/events"}


def documents() -> list[dict[str, Any]]:
    return [d for f in sorted(K8S.glob("*.yaml")) for d in yaml.safe_load_all(f.read_text()) if d]


def kind(name: str) -> dict[str, Any]:
    [found] = [d for d in documents() if d["kind"] == name]
    return found


def settings_names() -> set[str]:
    return {name.upper() for name in Settings.model_fields}


def test_every_manifest_parses_and_is_a_known_kind() -> None:
    """Each YAML file parses; together they are a Deployment, Service, Secret and ConfigMap."""
    assert sorted(d["kind"] for d in documents()) == [
        "ConfigMap",
        "Deployment",
        "Secret",
        "Service",
    ]


def test_the_deployment_names_only_real_settings() -> None:
    """Every env name in the Deployment and every key of the Secret is a setting the bot reads."""
    [container] = kind("Deployment")["spec"]["template"]["spec"]["containers"]
    names = {e["name"] for e in container["env"]} | set(kind("Secret")["stringData"])
    assert names <= settings_names(), names - settings_names()
    secrets = {"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "HUAWEICLOUD_SDK_SK"}
    assert {e["name"] for e in container["env"]} & secrets == set()  # those come from the Secret


def test_several_replicas_with_probes_on_served_paths() -> None:
    """Two or more replicas; liveness on /healthz and readiness on /readyz, on the bot's port."""
    deployment = kind("Deployment")
    assert deployment["spec"]["replicas"] >= 2
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    [port] = container["ports"]
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert port["containerPort"] == int(env["PORT"])
    assert kind("Service")["spec"]["ports"][0]["targetPort"] == port["name"]
    assert "postgresql://" in kind("Secret")["stringData"]["BMS_DATABASE_URL"]


def test_the_example_policy_loads(tmp_path: Path) -> None:
    """The ConfigMap's policy file is one the bot accepts."""
    text = kind("ConfigMap")["data"]["policy.toml"]
    tomllib.loads(text)
    (tmp_path / "policy.toml").write_text(text)
    assert load_policy(tmp_path / "policy.toml").grant


def test_the_dockerfile_runs_as_non_root_with_a_healthcheck() -> None:
    """A numbered non-root USER, a HEALTHCHECK on a served path, and ENV names the bot reads."""
    text = (ROOT / "Dockerfile").read_text()
    users = re.findall(r"^USER\s+(\S+)", text, re.M)
    assert users
    assert users[-1] not in ("root", "0")
    healthcheck = re.search(r"^HEALTHCHECK .*?CMD (.+)$", text, re.M | re.S)
    assert healthcheck
    assert "/healthz" in healthcheck.group(1)
    env_block = re.search(r"^ENV (.+?)\n(?!\s)", text, re.M | re.S)
    assert env_block
    names = set(re.findall(r"([A-Z_]+)=", env_block.group(1))) - {"PATH", "PYTHONUNBUFFERED"}
    assert names <= settings_names(), names - settings_names()
