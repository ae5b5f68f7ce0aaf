"""The README's SDK examples, run as they are written against a real server."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.helpers import ADMIN_TOKEN, random_slug

if TYPE_CHECKING:
    from tenant_registry_client import Client, FeedEvent
    from tests.helpers import Server

README = Path(__file__).resolve().parents[2] / "README.md"


class Handled(Exception):
    """Ends the feed example's endless loop once it handled an event."""


def examples() -> list[str]:
    section = README.read_text().split("\n## SDK\n")[1].split("\n## ")[0]
    return re.findall(r"```python\n(.*?)```", section, re.DOTALL)


def test_the_readmes_sdk_examples_run(server: Server, client: Client) -> None:
    suspended = client.organizations.create(name="Feed", slug=random_slug())
    client.organizations.update(suspended.id, status="suspended")
    handled: list[FeedEvent] = []
    saved: list[int] = []

    def handle(event: FeedEvent) -> None:
        handled.append(event)

    def save_position(position: int) -> None:
        saved.append(position)
        raise Handled

    names: dict[str, Any] = {"ADMIN_TOKEN": ADMIN_TOKEN, "handle": handle}
    names.update(load_position=lambda: 0, save_position=save_position)
    code = [block.replace("http://localhost:8000", server.url) for block in examples()]
    exec(code[0].replace('slug="acme"', f'slug="{random_slug()}"'), names)  # noqa: S102
    names["org_id"] = names["org"].id
    names["registry"] = client
    feed = next(block for block in code if "events.follow" in block)
    for block in code[1:]:
        if block is not feed:
            exec(block, names)  # noqa: S102
    with pytest.raises(Handled):
        exec(feed, names)  # noqa: S102
    assert [e.type for e in handled] == ["StatusChanged"]
    assert saved == [handled[0].position]
    assert names["org"].name == "Acme Corp"
