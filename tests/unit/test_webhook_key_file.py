"""The sealing key kept beside an SQLite database: made once, whole, whoever asks first."""

from __future__ import annotations

import os
import stat
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from projections.webhooks.vault import key_beside

if TYPE_CHECKING:
    from pathlib import Path


def test_processes_starting_at_once_all_get_the_one_whole_key(tmp_path: Path) -> None:
    database = str(tmp_path / "registry.db")
    start = threading.Barrier(16)

    def ask(_: int) -> str:
        start.wait()
        return key_beside(database)

    with ThreadPoolExecutor(16) as pool:
        keys = set(pool.map(ask, range(16)))
    assert len(keys) == 1
    assert len(keys.pop()) >= 40


def test_the_key_file_is_readable_by_its_owner_only_and_left_alone(tmp_path: Path) -> None:
    database = str(tmp_path / "registry.db")
    key = key_beside(database)
    mode = stat.S_IMODE(os.stat(f"{database}.secret-key").st_mode)
    assert (mode, key_beside(database), sorted(os.listdir(tmp_path))) == (
        0o600,
        key,
        ["registry.db.secret-key"],
    )
