"""Property: after any sequence of commands through the API (organizations created, members
added, changed and removed, roles defined and deleted, statuses and settings changed), the
cache, once it holds the last write, answers every lookup and permission check as the
server does. On each store."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tenant_registry_client.cache import FEED_POSITION, PermissionAnswer, RegistryCache
from tests.helpers import ADMIN, ADMIN_TOKEN, ORGS, random_slug

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from tests.helpers import Server

USERS = ("ann", "bob", "cy")
ROLES = ("owner", "admin", "member", "billing", "auditor")
PERMISSIONS = ("organization:read", "members:write", "billing:read", "billing:refund", "x:y")
OWN_ROLES = {"billing": ["billing:*"], "auditor": ["organization:read", "members:read"]}

org_index = st.integers(0, 2)
user = st.sampled_from(USERS)
roles = st.lists(st.sampled_from(ROLES), min_size=1, max_size=2, unique=True)
commands = st.one_of(
    st.tuples(st.just("create"), st.booleans()),
    st.tuples(st.just("add"), org_index, user, roles),
    st.tuples(st.just("roles"), org_index, user, roles),
    st.tuples(st.just("member_status"), org_index, user, st.sampled_from(["active", "inactive"])),
    st.tuples(st.just("remove"), org_index, user),
    st.tuples(st.just("invite"), org_index, user),
    st.tuples(st.just("define_role"), org_index, st.sampled_from(list(OWN_ROLES))),
    st.tuples(st.just("delete_role"), org_index, st.sampled_from(list(OWN_ROLES))),
    st.tuples(st.just("status"), org_index, st.sampled_from(["active", "suspended", "archived"])),
    st.tuples(st.just("rename"), org_index, st.booleans()),
    st.tuples(st.just("settings"), org_index, st.sampled_from([{"a.b": 1}, {"a": None}, {}])),
    st.tuples(st.just("slug"), org_index),
    st.tuples(st.just("external_id"), org_index, st.booleans()),
)


@pytest.fixture(scope="module")
def cache(server: Server) -> Iterator[RegistryCache]:
    with RegistryCache(server.url, ADMIN_TOKEN, wait=2.0) as started:
        yield started


class Run:
    """One example's commands against the server, and the organizations they made."""

    def __init__(self, server: Server) -> None:
        self.server, self.orgs, self.position = server, list[str](), 0
        self.released: list[tuple[str, str]] = []
        """(``slug`` or ``externalId``, value) each organization held before a change."""

    def send(self, method: str, path: str, body: Any = None) -> None:
        response = self.server.client.request(method, path, json=body, headers=ADMIN)
        if response.status_code < 300 and FEED_POSITION in response.headers:
            self.position = max(self.position, int(response.headers[FEED_POSITION]))

    def run(self, command: tuple[Any, ...]) -> None:
        kind, *args = command
        if kind == "create":
            self.create(args[0])
        elif self.orgs:
            org = f"{ORGS}/{self.orgs[args[0] % len(self.orgs)]}"
            if kind in ("slug", "external_id"):
                self.release(org, "slug" if kind == "slug" else "externalId")
            method, path, body = self.request(kind, org, args[1:])
            self.send(method, path, body)

    def release(self, org: str, field: str) -> None:
        held = self.server.client.get(org, headers=ADMIN).json()["organization"][field]
        if held is not None:
            self.released.append((field, held))

    def create(self, external: bool) -> None:
        body = {"name": "Acme", "slug": random_slug(), "settings": {"x": {"y": 1}}}
        if external:
            body["externalId"] = random_slug("ext")
        response = self.server.client.post(ORGS, json=body, headers=ADMIN)
        self.orgs.append(response.json()["organization"]["id"])
        self.position = max(self.position, int(response.headers[FEED_POSITION]))

    @staticmethod
    def request(kind: str, org: str, args: list[Any]) -> tuple[str, str, Any]:
        member = f"{org}/members/{args[0]}" if args else org
        requests: dict[str, Callable[[], tuple[str, str, Any]]] = {
            "add": lambda: ("POST", f"{org}/members", _member(*args)),
            "roles": lambda: ("PATCH", member, {"roles": args[-1]}),
            "member_status": lambda: ("PATCH", member, {"status": args[-1]}),
            "remove": lambda: ("DELETE", member, None),
            "invite": lambda: ("POST", f"{org}/invitations", {"email": f"{args[0]}@x.example"}),
            "define_role": lambda: ("PUT", f"{org}/roles/{args[0]}", _role(args[0])),
            "delete_role": lambda: ("DELETE", f"{org}/roles/{args[0]}", None),
            "status": lambda: ("PATCH", org, {"status": args[0]}),
            "rename": lambda: ("PATCH", org, {"name": "Renamed" if args[0] else "Acme"}),
            "settings": lambda: ("PATCH", org, {"settings": args[0]}),
            "slug": lambda: ("PATCH", org, {"slug": random_slug()}),
            "external_id": lambda: (
                "PATCH",
                org,
                {"externalId": random_slug("ext") if args[0] else None},
            ),
        }
        return requests[kind]()


def _member(user_id: str, member_roles: list[str]) -> dict[str, Any]:
    return {"userId": user_id, "email": f"{user_id}@example.com", "roles": member_roles}


def _role(key: str) -> dict[str, Any]:
    return {"name": key.title(), "permissions": OWN_ROLES[key]}


def _compare(server: Server, cache: RegistryCache, org_id: str) -> None:
    read = server.client.get(f"{ORGS}/{org_id}", headers=ADMIN).json()["organization"]
    assert cache.organization(org_id) == read
    assert cache.organization_by(slug=read["slug"]) == read
    if read["externalId"] is not None:
        assert cache.organization_by(external_id=read["externalId"]) == read
    roles = server.client.get(f"{ORGS}/{org_id}/roles", headers=ADMIN).json()["roles"]
    assert sorted(cache.roles(org_id), key=str) == sorted(roles, key=str)
    listed = server.client.get(f"{ORGS}/{org_id}/members", params={"limit": 100}, headers=ADMIN)
    fields = ("id", "userId", "email", "status", "roles")
    members = [{f: m[f] for f in fields} for m in listed.json()["members"]]
    assert sorted(cache.members(org_id), key=str) == sorted(members, key=str)
    for user_id in (*USERS, "nobody"):
        for permission in PERMISSIONS:
            path = f"{ORGS}/{org_id}/members/{user_id}/permissions/{permission}"
            answer = server.client.get(path, headers=ADMIN).json()
            expected = PermissionAnswer(answer["allowed"], answer["reason"])
            assert cache.check(org_id, user_id, permission) == expected


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(commands, min_size=1, max_size=12))
def test_the_cache_answers_as_the_server_once_caught_up(
    server: Server, cache: RegistryCache, steps: list[tuple[Any, ...]]
) -> None:
    run = Run(server)
    run.create(external=False)
    for step in steps:
        run.run(step)
    assert cache.wait_for(run.position, 30.0)
    for org_id in run.orgs:
        _compare(server, cache, org_id)
    for field, value in run.released:
        lookup = server.client.get(f"{ORGS}/lookup", params={field: value}, headers=ADMIN)
        cached = cache.organization_by(**{"slug" if field == "slug" else "external_id": value})
        assert (lookup.status_code, cached) == (404, None)
