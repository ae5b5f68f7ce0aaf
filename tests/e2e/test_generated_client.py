"""A client generated from a live server's ``/openapi.json`` with openapi-python-client (as
an integrator would make one) type-checks under ``mypy --strict`` and works against the
server: ``generated_client/use_client.py`` calls it as documented.

The tools live in their own environment (``scripts/client-tools``, run here when missing);
where it cannot be made the test is skipped, except in CI (``REGISTRY_REQUIRE_POSTGRES=1``).
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.conftest import REQUIRE_POSTGRES
from tests.helpers import ADMIN_TOKEN

if TYPE_CHECKING:
    from tests.helpers import Server

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / ".cache" / "client-tools-0.29.1" / "bin"
SCRIPT = Path(__file__).parent / "generated_client" / "use_client.py"
PACKAGE = "registry_client"
MYPY_CONFIG = f"""[mypy]
strict = True
cache_dir = .mypy_cache

# The generator's own Client class, the same whatever the description, passes
# `*args: object` on to httpx's __exit__; everything made from the description is strict.
[mypy-{PACKAGE}.client]
disable_error_code = arg-type
"""


def tools() -> Path:
    made = subprocess.run([ROOT / "scripts" / "client-tools"], capture_output=True, text=True)
    if made.returncode != 0:
        message = f"scripts/client-tools failed: {made.stderr[-2000:]}"
        if REQUIRE_POSTGRES:
            pytest.fail(message)
        pytest.skip(message)
    return TOOLS


def run(*command: str | Path, cwd: Path) -> str:
    """``command`` in ``cwd``, where the generated package is importable."""
    environment = {**os.environ, "PYTHONPATH": str(cwd)}
    done = subprocess.run(
        command, cwd=cwd, env=environment, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout[-5000:] + done.stderr[-5000:]
    return done.stdout


@pytest.fixture(scope="module")
def generated(server: Server, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding the client generated from the server's description."""
    where = tmp_path_factory.mktemp("client")
    (where / "openapi.json").write_bytes(server.client.get("/openapi.json").content)
    generator = tools() / "openapi-python-client"
    run(generator, "generate", "--path", "openapi.json", "--meta", "none",
        "--output-path", PACKAGE, cwd=where)  # fmt: skip
    return where


def test_the_generated_client_type_checks_strictly(generated: Path) -> None:
    (generated / "mypy.ini").write_text(MYPY_CONFIG)
    run(tools() / "mypy", "--config-file", "mypy.ini", PACKAGE, SCRIPT, cwd=generated)


def test_a_program_using_the_generated_client_works_against_the_server(
    server: Server, generated: Path
) -> None:
    output = run(tools() / "python", SCRIPT, server.url, ADMIN_TOKEN, cwd=generated)
    assert "every call as documented" in output


def test_the_generated_classes_have_stable_names_not_numbers(generated: Path) -> None:
    source = "\n".join(p.read_text() for p in (generated / PACKAGE).rglob("*.py"))
    classes = re.findall(r"^class (\w+)", source, flags=re.MULTILINE)
    assert "ReadYourWrites" in classes
    assert [name for name in classes if name[-1].isdigit()] == []
