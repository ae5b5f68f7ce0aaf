"""The aggregates a process keeps folded for its commands, on each store: never stale,
whoever else writes, and never holding what a command did not record."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import pytest

from application.registry import OrganizationRegistry
from domain.commands import (
    MemberChanges,
    NewApiKey,
    NewMember,
    NewOrganization,
    OrganizationChanges,
)
from domain.errors import MemberNotFoundError, SlugTakenError
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


def test_a_command_on_a_cached_organization_reads_nothing_from_the_store(
    registry: OrganizationRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    org = registry.create(NewOrganization(name="Acme", slug=random_slug())).organization
    registry.update(org["id"], OrganizationChanges(name="Acme 2"))
    store, reads = registry.repository.event_store, []
    real_get = store.get

    def counted_get(*args: object, **kwargs: object) -> object:
        reads.append(kwargs.get("originator_id", args[0] if args else None))
        return real_get(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(store, "get", counted_get)
    written = registry.update(org["id"], OrganizationChanges(name="Acme 3"))
    assert written.organization["version"] == 3
    assert org["id"] not in reads


def test_a_member_another_process_removed_is_not_changed_from_a_stale_copy(
    two_processes: tuple[OrganizationRegistry, OrganizationRegistry],
) -> None:
    first, second = two_processes
    org = first.create(NewOrganization(name="Acme", slug=random_slug())).organization
    first.add_member(org["id"], NewMember(user_id="u1", email="u1@example.com"))
    first.update_member(org["id"], "u1", MemberChanges(metadata={"a": "1"}))  # Cached here.
    second.remove_member(org["id"], "u1")
    with pytest.raises(MemberNotFoundError):
        first.update_member(org["id"], "u1", MemberChanges(metadata={"a": "2"}))


def test_two_processes_writing_one_organization_at_once_lose_no_command(
    two_processes: tuple[OrganizationRegistry, OrganizationRegistry],
) -> None:
    org_id = (
        two_processes[0].create(NewOrganization(name="A", slug=random_slug())).organization["id"]
    )
    per_writer, writers = 8, [(two_processes[n % 2], n) for n in range(6)]
    failures: list[BaseException] = []

    def write(registry: OrganizationRegistry, writer: int) -> None:
        for i in range(per_writer):
            try:
                registry.update(
                    org_id, OrganizationChanges(metadata={f"w{writer}-{i}": "x"}, merge=True)
                )
            except BaseException as failure:
                failures.append(failure)

    threads = [threading.Thread(target=write, args=(r, n)) for r, n in writers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    details = two_processes[1].get_details(org_id)
    assert details["version"] == 1 + per_writer * len(writers)
    assert len(details["metadata"]) == per_writer * len(writers)


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
