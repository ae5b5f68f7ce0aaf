"""Write the sync client from the async one: ``_async/*.py`` → ``_sync/*.py``.

The SDK's operations are written once, for asyncio; the blocking client is the same code
with ``async``/``await`` taken out and the async names replaced, so the two cannot drift.
Run ``python3 sdk/unasync.py`` after changing ``_async/``; ``--check`` exits 1 (and names
the file) when a generated file is not what the async one gives (the SDK's tests run it).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent / "src" / "tenant_registry_client"
HEADER = "# Generated from _async/{name} by sdk/unasync.py: edit that file, not this one.\n"
TEXT = [
    ("The async client: one ``httpx.AsyncClient``", "The sync client: one ``httpx.Client``"),
    ("The registry's API, for ``asyncio``.", "The registry's API, blocking."),
    (
        ", for the async client (the sync client's are\ngenerated from this file by "
        "``sdk/unasync.py``)",
        ", for the sync client",
    ),
    ("import asyncio\n", ""),
    ("await asyncio.sleep(", "time.sleep("),
    ("Awaitable[Page[T]]", "Page[T]"),
    ("Awaitable, ", ""),
    ("httpx.AsyncBaseTransport", "httpx.BaseTransport"),
    ("httpx.AsyncClient", "httpx.Client"),
    ("StopAsyncIteration", "StopIteration"),
]
WORDS = [
    (r"\basync def\b", "def"),
    (r"\basync for\b", "for"),
    (r"\basync with\b", "with"),
    (r"\bawait ", ""),
    (r"\b__aenter__\b", "__enter__"),
    (r"\b__aexit__\b", "__exit__"),
    (r"\b__aiter__\b", "__iter__"),
    (r"\b__anext__\b", "__next__"),
    (r"\baclose\b", "close"),
    (r"\bAsyncIterator\b", "Iterator"),
    (r"\b_async\b", "_sync"),
    (r"\b_Async(?=[A-Z])", "_"),
    (r"\bAsync(?=[A-Z])", ""),
]


def unasync(source: str, name: str) -> str:
    """The sync module of the async one, as ``ruff format`` lays it out."""
    for old, new in TEXT:
        source = source.replace(old, new)
    for pattern, new in WORDS:
        source = re.sub(pattern, new, source)
    source = _ruff(["check", "--select", "I", "--fix-only", "--exit-zero"], name, source)
    return _ruff(["format"], name, HEADER.format(name=name) + source)


def _ruff(command: list[str], name: str, source: str) -> str:
    """``source`` through ruff, with the repository's settings (line length, import order)."""
    target = PACKAGE / "_sync" / name
    done = subprocess.run(
        [sys.executable, "-m", "ruff", *command, "--stdin-filename", str(target), "-"],
        input=source,
        capture_output=True,
        text=True,
        check=True,
        cwd=PACKAGE.parents[2],
    )
    return done.stdout


def main(argv: list[str]) -> int:
    stale = []
    for path in sorted((PACKAGE / "_async").glob("*.py")):
        target = PACKAGE / "_sync" / path.name
        wanted = unasync(path.read_text(), path.name)
        if target.exists() and target.read_text() == wanted:
            continue
        if "--check" in argv:
            stale.append(str(target))
        else:
            target.write_text(wanted)
    for name in stale:
        print(f"{name} is not what sdk/unasync.py makes of _async/: run python3 sdk/unasync.py")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
