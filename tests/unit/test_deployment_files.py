"""What the README and the deployment files promise, checked against the code."""

from __future__ import annotations

import re
from pathlib import Path
from typing import get_args

import yaml

from api.history.schemas import EventType
from api.http.openapi import CODES

ROOT = Path(__file__).resolve().parents[2]


def test_every_error_code_the_api_answers_is_in_the_readme_table() -> None:
    readme = (ROOT / "README.md").read_text()
    missing = [code for code in [*CODES, "NOT_FOUND"] if f"| `{code}` |" not in readme]
    assert missing == []


def test_the_readme_lists_every_history_event_type_the_server_has() -> None:
    readme = (ROOT / "README.md").read_text()
    listed = readme.split("`type`\n  (repeatable:", 1)[1].split(")", 1)[0]
    assert sorted(re.findall(r"`(\w+)`", listed)) == sorted(get_args(EventType))


def test_every_compose_service_has_a_health_check_and_restarts() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    for name, service in compose["services"].items():
        assert "healthcheck" in service, name
        assert service.get("restart") == "unless-stopped", name


def test_compose_passes_secrets_as_files_never_as_plain_variables() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    for name, service in compose["services"].items():
        for variable in service.get("environment", {}):
            secret = any(word in variable for word in ("PASSWORD", "TOKEN", "DATABASE_URL"))
            assert not secret or variable.endswith("_FILE"), (name, variable)


def test_the_image_installs_the_pinned_set_runs_unprivileged_and_checks_its_health() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "pip install --no-cache-dir -r requirements.lock" in dockerfile
    assert "USER registry" in dockerfile
    assert "HEALTHCHECK" in dockerfile
    assert "VOLUME /data" in dockerfile
    pinned = [
        line
        for line in (ROOT / "requirements.lock").read_text().splitlines()
        if line and not line.startswith((" ", "#"))
    ]
    assert pinned
    assert all("==" in line for line in pinned), pinned
