"""Where events recorded under an earlier module path are found now.

A stored event names its class by topic (``module:QualifiedName``). These modules were
moved; stores written before the move hold their old topics, which must go on resolving to
the same classes, and the projections must go on selecting them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from eventsourcing.utils import get_topic, register_topic

if TYPE_CHECKING:
    from collections.abc import Iterable

MOVED_MODULES = {
    "domain.organization": "domain.organizations.organization",
    "domain.membership": "domain.members.membership",
    "domain.indexes": "domain.unique_keys",
}
"""Old module path: new module path."""


def register_moved_topics() -> None:
    """Make every old topic resolve to the class it named (idempotent)."""
    for old, new in MOVED_MODULES.items():
        register_topic(old, importlib.import_module(new))


def topics_of(classes: Iterable[type]) -> tuple[str, ...]:
    """The topics events of ``classes`` are stored under: now, and before their move."""
    topics = []
    for cls in classes:
        topic = get_topic(cls)
        module, _, name = topic.partition(":")
        topics.append(topic)
        topics += [f"{old}:{name}" for old, new in MOVED_MODULES.items() if new == module]
    return tuple(topics)


register_moved_topics()
