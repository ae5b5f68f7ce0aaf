"""What every command that reads or writes the store starts from: the configuration, and
the services built from it."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from pydantic import ValidationError as SettingsError

from service.settings import Settings, store_env

if TYPE_CHECKING:
    from service.composition import Services


def load_settings(*, existing: bool = False) -> Settings:
    """The configuration; with ``existing``, for commands that read a store: a SQLite file
    that does not exist is an error (not a new, empty store)."""
    try:
        settings = Settings()
    except SettingsError as e:
        # Name each variable and what is wrong, never the value given (it may be a secret).
        problems = [
            f"  REGISTRY_{'_'.join(str(p) for p in error['loc']).upper()}: {error['msg']}"
            if error["loc"]
            else f"  {error['msg'].removeprefix('Value error, ')}"
            for error in e.errors()
        ]
        raise SystemExit(
            "tenant-registry: invalid configuration:\n"
            + "\n".join(problems)
            + "\nfix these environment variables (see README, Configuration) and run again"
        ) from None
    path = store_env(settings.database_url).get("SQLITE_DBNAME")
    if existing and path is not None and not os.path.exists(path):
        raise SystemExit(
            f"tenant-registry: no database at {os.path.abspath(path)}: run this where the "
            "registry's database is, or set REGISTRY_DATABASE_URL"
        )
    return settings


def open_services(*, existing: bool = True) -> Services:
    """The store's services, without projections; unless ``existing`` is ``False``, a
    SQLite file that does not exist is an error, not a new store."""
    from service.composition import bootstrap

    return bootstrap(load_settings(existing=existing), run_projections=False)
