"""The deployment recipes (docker-compose.yml, deploy/k8s/, deploy/nginx/) cannot be run here; these
tests keep them consistent with the configuration the suite and `make scale-test` do run: the same
commands, the same settings, every setting documented, and an nginx configuration nginx itself accepts."""

from __future__ import annotations

import re
import shutil
import subprocess

import yaml
from rasa.utils.endpoints import read_endpoint_config

from tests.conftest import ROOT
from tests.servers import free_port, render_nginx_site

K8S = ROOT / "deploy" / "k8s"


def documented_settings() -> set[str]:
    return set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M))


def k8s_documents() -> list[dict]:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    documents = []
    for resource in kustomization["resources"]:
        documents += [d for d in yaml.safe_load_all((K8S / resource).read_text()) if d]
    return documents


def containers(documents: list[dict]) -> dict[str, dict]:
    found = {}
    for document in documents:
        spec = document.get("spec", {})
        pod = spec.get("template", {}).get("spec") or spec.get("jobTemplate", {}).get("spec", {}).get(
            "template", {}
        ).get("spec")
        for container in (pod or {}).get("containers", []):
            found[document["metadata"]["name"]] = container
    return found


def test_endpoints_yml_takes_the_action_server_from_the_environment(monkeypatch):
    monkeypatch.setenv("ACTION_SERVER_URL", "http://actions.internal:5055/webhook")
    config = read_endpoint_config(str(ROOT / "endpoints.yml"), "action_endpoint")
    assert config.url == "http://actions.internal:5055/webhook"


def test_every_kustomize_resource_exists_and_parses():
    documents = k8s_documents()
    kinds = {d["kind"] for d in documents}
    assert {"Deployment", "Service", "CronJob", "Ingress"} <= kinds
    assert {"rasa", "actions", "purge"} <= set(containers(documents))


def test_the_servers_run_the_commands_the_tests_run():
    """The Rasa server with the repository's endpoints.yml and credentials.yml, as scripts/run.sh, the
    end-to-end tests and the scale test start it; the action server with the actions package."""
    run_sh = (ROOT / "scripts" / "run.sh").read_text()
    pods = containers(k8s_documents())
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    dockerfile = (ROOT / "Dockerfile").read_text()
    for command in (pods["rasa"]["command"], " ".join(re.findall(r'"([^"]+)"', dockerfile.split("CMD")[1]))):
        text = " ".join(command) if isinstance(command, list) else command
        assert "--endpoints endpoints.yml" in text and "--credentials credentials.yml" in text
        assert "--endpoints endpoints.yml --credentials credentials.yml" in run_sh.replace("\\\n    ", "")
    for command in (pods["actions"]["command"], compose["actions"]["command"]):
        assert command[:4] == ["python", "-m", "rasa_sdk", "--actions"] and command[4] == "actions"
    assert "python -m bot purge" in " ".join(pods["purge"]["command"])


def test_every_setting_the_recipes_use_is_documented_in_env_example():
    documented = documented_settings()
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    literals = [item.split("=")[0] for item in kustomization["configMapGenerator"][0]["literals"]]
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    compose_settings = [key for name in ("rasa", "actions") for key in compose[name].get("environment", {})]
    # The ones the code reads, chosen by environment in production.
    production = [
        "TRACKER_DB_URL",
        "REDIS_URL",
        "ACTION_SERVER_URL",
        "REPORT_DB_URL",
        "TRACKER_DB_RETRY_SECONDS",
    ]
    missing = set(literals + compose_settings + production) - documented
    assert not missing, f"not in .env.example: {sorted(missing)}"


def test_compose_shares_one_database_and_one_lock_store():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    assert compose["rasa"]["deploy"]["replicas"] >= 2
    for name in ("rasa", "actions"):
        assert compose[name]["environment"]["TRACKER_DB_URL"].startswith("postgresql://")
    assert compose["rasa"]["environment"]["REDIS_URL"].startswith("redis://")
    assert "deploy/nginx/assistant.conf.template" in str(compose["nginx"]["volumes"])


def test_nginx_accepts_the_site_configuration(tmp_path):
    site = render_nginx_site(
        {
            "RASA_UPSTREAM_SERVERS": f"server 127.0.0.1:{free_port()} max_fails=1 fail_timeout=5s;",
            "NGINX_LISTEN": f"127.0.0.1:{free_port()}",
            "NGINX_ACCESS_LOG": str(tmp_path / "access.log"),
        }
    )
    assert not [line for line in site.splitlines() if "${" in line.split("#")[0]], "a setting left unfilled"
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path / 'nginx.pid'};\nerror_log {tmp_path / 'error.log'};\n"
        f"events {{}}\nhttp {{ include {tmp_path / 'site.conf'}; }}\n"
    )
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    checked = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
                             capture_output=True, text=True)  # fmt: skip
    assert checked.returncode == 0, checked.stderr
