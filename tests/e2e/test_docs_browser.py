"""``/docs`` as a person sees it: a real server's page opened in headless Chromium (Debian's
``chromium``, no network beyond loopback), every operation of ``/openapi.json`` rendered.

Without a ``chromium`` on the PATH the test is skipped, except in CI
(``REGISTRY_REQUIRE_POSTGRES=1``), where ``.ci/run`` installs it and its absence fails.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from typing import TYPE_CHECKING

import pytest

from tests.conftest import REQUIRE_POSTGRES

if TYPE_CHECKING:
    from pathlib import Path

    from tests.helpers import Server

BROWSER_SECONDS = 60
VIRTUAL_TIME_MS = 20_000
"""How long the page may run (fetching the description, rendering it) before its DOM is read."""


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        message = "no chromium on the PATH (Debian: apt-get install chromium; CI installs it)"
        if REQUIRE_POSTGRES:
            pytest.fail(message)
        pytest.skip(message)
    return found


def rendered_dom(url: str, profile: Path) -> str:
    """The page's DOM once its scripts have run (Chromium's own virtual clock)."""
    command = [
        chromium(),
        "--headless",
        "--no-sandbox",  # As root (CI) Chromium refuses to start with its sandbox.
        "--disable-gpu",
        "--no-first-run",
        f"--user-data-dir={profile}",
        f"--virtual-time-budget={VIRTUAL_TIME_MS}",
        "--dump-dom",
        url,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=BROWSER_SECONDS)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_docs_render_every_operation_in_a_browser(server: Server, tmp_path: Path) -> None:
    spec = server.client.get("/openapi.json").json()
    dom = rendered_dom(f"{server.url}/docs", tmp_path / "profile")
    rendered = set(re.findall(r'id="operations-([^"]+)"', dom))
    expected = {
        f"{operation['tags'][0].replace(' ', '_')}-{operation['operationId']}"
        for item in spec["paths"].values()
        for operation in item.values()
    }
    assert "Unable to render this definition" not in dom
    assert expected - rendered == set()
