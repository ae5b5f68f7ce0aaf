"""The permissions users need: one table in the code, every entry a route of the app, and
every permission in the README's table."""

from __future__ import annotations

from pathlib import Path

from api.http.permissions import ROUTE_PERMISSIONS, SUSPENDED_ROUTES
from api.main import create_app
from tests.helpers import make_settings

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def route_names() -> set[str]:
    """Each operation's route name."""
    app = create_app(make_settings("sqlite:///unused.db"))
    return {route.name for route in app.state.routes}


def test_every_operation_in_the_table_is_a_route_of_the_app() -> None:
    assert set(ROUTE_PERMISSIONS) | SUSPENDED_ROUTES <= route_names()


def test_every_permission_in_the_table_is_in_the_readme() -> None:
    needed = {p for permissions in ROUTE_PERMISSIONS.values() for p in permissions}
    assert {p for p in needed if f"`{p}`" not in README} == set()
