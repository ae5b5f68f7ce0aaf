"""The in-process read cache: exact under invalidation, bounded, off unless activated."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

from projections.cache import ReadCache


def row(org_id: UUID, slug: str, version: int = 1) -> dict[str, Any]:
    return {"id": org_id, "slug": slug, "version": version}


def active(size: int = 10) -> ReadCache:
    cache = ReadCache(size)
    cache.activate()
    return cache


def test_a_kept_row_is_found_by_id_and_by_slug() -> None:
    cache, org_id = active(), uuid4()
    cache.put(row(org_id, "acme"), cache.generation)
    assert cache.get(org_id) == row(org_id, "acme")
    assert cache.get_by_slug("acme") == row(org_id, "acme")


def test_nothing_is_kept_until_activated() -> None:
    cache, org_id = ReadCache(10), uuid4()
    cache.put(row(org_id, "acme"), cache.generation)
    assert cache.get(org_id) is None


def test_a_read_that_began_before_a_commit_does_not_fill_the_cache() -> None:
    cache, org_id = active(), uuid4()
    began = cache.generation
    with cache.changing([uuid4()]):  # Any batch committed meanwhile.
        pass
    cache.put(row(org_id, "acme", version=1), began)
    assert cache.get(org_id) is None


def test_invalidation_removes_the_row_and_its_slug() -> None:
    cache, org_id = active(), uuid4()
    cache.put(row(org_id, "acme"), cache.generation)
    with cache.changing([org_id]):
        pass
    assert cache.get(org_id) is None
    assert cache.get_by_slug("acme") is None


def test_a_slug_whose_row_moved_to_another_slug_is_not_found() -> None:
    cache, org_id = active(), uuid4()
    cache.put(row(org_id, "old"), cache.generation)
    with cache.changing([org_id]):
        pass
    cache.put(row(org_id, "new", version=2), cache.generation)
    cache._slugs["old"] = org_id  # A stale slug entry must still not answer.
    assert cache.get_by_slug("old") is None
    assert cache.get_by_slug("new") == row(org_id, "new", version=2)


def test_the_least_recently_used_row_goes_first() -> None:
    cache = active(size=2)
    a, b, c = uuid4(), uuid4(), uuid4()
    cache.put(row(a, "a"), cache.generation)
    cache.put(row(b, "b"), cache.generation)
    cache.get(a)
    cache.put(row(c, "c"), cache.generation)
    assert (cache.get(a), cache.get(b), cache.get(c)) == (row(a, "a"), None, row(c, "c"))
    assert cache.get_by_slug("b") is None


def test_deactivation_forgets_everything_and_stops_filling() -> None:
    cache, org_id = active(), uuid4()
    cache.put(row(org_id, "acme"), cache.generation)
    cache.deactivate()
    assert cache.get(org_id) is None
    cache.put(row(org_id, "acme"), cache.generation)
    assert len(cache) == 0


def test_size_zero_never_keeps_anything() -> None:
    cache, org_id = active(size=0), uuid4()
    cache.put(row(org_id, "acme"), cache.generation)
    assert len(cache) == 0


def test_nothing_is_kept_while_a_change_is_being_written() -> None:
    cache, org_id = active(), uuid4()
    with cache.changing([uuid4()]):
        cache.put(row(org_id, "acme"), cache.generation)
        assert cache.get(org_id) is None


def test_a_change_to_any_organization_forgets_everything() -> None:
    cache, org_id = active(), uuid4()
    cache.put(row(org_id, "acme"), cache.generation)
    with cache.changing(None):
        pass
    assert len(cache) == 0


def test_an_organization_leaves_the_cache_as_soon_as_its_change_begins() -> None:
    cache, org_id = active(), uuid4()
    cache.put(row(org_id, "acme"), cache.generation)
    with cache.changing([org_id]):
        assert cache.get(org_id) is None
        assert cache.get_by_slug("acme") is None


def member(org_id: UUID, user_id: str, roles: tuple[str, ...] = ("member",)) -> dict[str, Any]:
    return {"organization_id": org_id, "user_id": user_id, "roles": list(roles)}


def test_a_change_to_an_organization_forgets_its_members_only() -> None:
    cache, org_id, other = active(), uuid4(), uuid4()
    cache.put_member(member(org_id, "u1"), cache.generation)
    cache.put_member(member(other, "u1"), cache.generation)
    with cache.changing([org_id]):
        pass
    assert cache.get_member(org_id, "u1") is None
    assert cache.get_member(other, "u1") == member(other, "u1")


def test_a_change_that_leaves_the_members_keeps_them_and_forgets_the_organization() -> None:
    cache, org_id = active(), uuid4()
    cache.put(row(org_id, "acme"), cache.generation)
    cache.put_member(member(org_id, "u1"), cache.generation)
    with cache.changing([org_id], members=[]):
        pass
    assert cache.get(org_id) is None
    assert cache.get_member(org_id, "u1") == member(org_id, "u1")


def test_members_are_bounded_least_recently_used_first() -> None:
    cache, org_id = ReadCache(10, member_size=2), uuid4()
    cache.activate()
    for user in ("a", "b"):
        cache.put_member(member(org_id, user), cache.generation)
    cache.get_member(org_id, "a")
    cache.put_member(member(org_id, "c"), cache.generation)
    assert cache.get_member(org_id, "b") is None
    assert cache.get_member(org_id, "a") is not None
    assert cache.get_member(org_id, "c") is not None


def test_a_member_read_before_a_commit_does_not_fill_the_cache() -> None:
    cache, org_id = active(), uuid4()
    began = cache.generation
    with cache.changing([org_id]):
        pass
    cache.put_member(member(org_id, "u1"), began)
    assert cache.get_member(org_id, "u1") is None
