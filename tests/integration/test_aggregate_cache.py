"""The aggregates a process keeps folded for its commands, on each store: never stale,
whoever else writes, and never holding what a command did not record."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import pytest

from application.registry import OrganizationRegistry
from domain.commands import NewApiKey, NewOrganization, OrganizationChanges
from domain.errors import SlugTakenError
from domain.unique_keys import SLUGS, UniqueKey
from projections.leadership import schema_setup
from tests.helpers import make_settings, random_slug

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture
def two_processes(database_url: str) -> Iterator[tuple[OrganizationRegistry, ...]]:
    """Two registries on one store, each with its own aggregate cache (as two servers)."""
    env = make_settings(database_url).registry_env()
    with schema_setup(env):
        registries = (OrganizationRegistry(env), OrganizationRegistry(env))
    yield registries
    for registry in registries:
        registry.close()


def test_the_cache_is_on_by_default(registry: OrganizationRegistry) -> None:
    org = registry.create(NewOrganization(name="Acme", slug=random_slug())).organization
    registry.update(org["id"], OrganizationChanges(name="Acme 2"))
    assert registry.repository.cache is not None
    cached = registry.repository.cache.get(org["id"])
    assert (cached.version, cached.details()["name"]) == (2, "Acme 2")  # type: ignore[attr-defined]


def test_a_command_sees_what_another_process_recorded_after_its_cached_copy(
    two_processes: tuple[OrganizationRegistry, OrganizationRegistry],
) -> None:
    first, second = two_processes
    org = first.create(NewOrganization(name="Acme", slug=random_slug())).organization
    first.update(org["id"], OrganizationChanges(name="Acme 2"))  # Cached here at version 2.
    second.update(org["id"], OrganizationChanges(name="Acme 3"))
    written = first.update(org["id"], OrganizationChanges(external_id="ext-1"), 3)
    assert (written.organization["version"], written.organization["name"]) == (4, "Acme 3")


def test_an_update_that_changes_nothing_answers_what_another_process_recorded(
    two_processes: tuple[OrganizationRegistry, OrganizationRegistry],
) -> None:
    first, second = two_processes
    org = first.create(NewOrganization(name="Acme", slug=random_slug())).organization
    first.update(org["id"], OrganizationChanges(name="Acme 2"))
    second.update(org["id"], OrganizationChanges(name="Acme 3"))
    written = first.update(org["id"], OrganizationChanges(name="Acme 3"))
    assert written.position is None  # Nothing recorded: the name already is Acme 3.
    assert written.organization["version"] == 3


def test_a_command_refused_after_changing_the_organization_leaves_the_cache_as_recorded(
    registry: OrganizationRegistry,
) -> None:
    taken = registry.create(NewOrganization(name="Other", slug=random_slug())).organization
    org = registry.create(NewOrganization(name="Acme", slug=random_slug())).organization
    registry.update(org["id"], OrganizationChanges(name="Acme 2"))
    with pytest.raises(SlugTakenError):  # Renamed first, then refused on the slug's claim.
        registry.update(org["id"], OrganizationChanges(name="Phantom", slug=taken["slug"]))
    written = registry.update(org["id"], OrganizationChanges(external_id="ext-1"))
    assert (written.organization["version"], written.organization["name"]) == (3, "Acme 2")


def test_only_organizations_and_memberships_are_kept(registry: OrganizationRegistry) -> None:
    slug = random_slug()
    org = registry.create(NewOrganization(name="Acme", slug=slug)).organization
    registry.update(org["id"], OrganizationChanges(name="Acme 2"))
    assert registry.repository.cache is not None
    registry.repository.cache.get(org["id"])  # Kept.
    with pytest.raises(KeyError):  # The slug's claim is not.
        registry.repository.cache.get(UniqueKey.create_id(SLUGS, slug))


def test_readers_in_one_process_and_a_writer_in_another_never_fail(
    two_processes: tuple[OrganizationRegistry, OrganizationRegistry],
) -> None:
    first, second = two_processes
    org = first.create(NewOrganization(name="Acme", slug=random_slug())).organization
    failures: list[BaseException] = []
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            try:
                first.repository.get(org["id"])
            except BaseException as failure:
                failures.append(failure)
                return

    readers = [threading.Thread(target=read) for _ in range(4)]
    for reader in readers:
        reader.start()
    for i in range(150):
        second.issue_api_key(org["id"], NewApiKey(name=f"key {i}"))
    done.set()
    for reader in readers:
        reader.join()
    assert failures == []


def test_the_environment_cannot_make_the_cache_trusted_as_it_stands(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AGGREGATE_CACHE_FASTFORWARD", "n")
    monkeypatch.setenv("DEEPCOPY_FROM_AGGREGATE_CACHE", "n")
    env = make_settings(database_url).registry_env()
    with schema_setup(env):
        first, second = OrganizationRegistry(env), OrganizationRegistry(env)
    try:
        org = first.create(NewOrganization(name="Acme", slug=random_slug())).organization
        first.update(org["id"], OrganizationChanges(name="Acme 2"))
        second.update(org["id"], OrganizationChanges(name="Acme 3"))
        written = first.update(org["id"], OrganizationChanges(external_id="ext-1"), 3)
        assert written.organization["name"] == "Acme 3"
    finally:
        first.close()
        second.close()


def test_a_size_of_zero_turns_the_cache_off(database_url: str) -> None:
    env = make_settings(database_url, aggregate_cache_size=0).registry_env()
    with schema_setup(env):
        registry = OrganizationRegistry(env)
    try:
        assert registry.repository.cache is None
    finally:
        registry.close()
