"""Idempotency keys of signed-in users, on each store: a user's key is theirs (the issuer
and userId their token names, not the token), so a retry with a refreshed token replays
the first answer, sealed ones included, and nobody else's request does."""

from __future__ import annotations

import hashlib
import json
import logging
import time
import uuid
from typing import TYPE_CHECKING, Any

import pytest

from service.logs import LOGGERS
from tests.api.conftest import InProcessServer
from tests.helpers import ADMIN, ORGS, bearer, dump_store, org_with
from tests.key_server import AUDIENCE, KeyServer

if TYPE_CHECKING:
    from collections.abc import Iterator

    import httpx


@pytest.fixture(scope="module")
def keys() -> Iterator[KeyServer]:
    server = KeyServer()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def server(module_database_url: str, keys: KeyServer) -> Iterator[InProcessServer]:
    running = InProcessServer(module_database_url, jwt_issuer=keys.issuer, jwt_audience=AUDIENCE)
    yield running
    running.stop()
    for name in LOGGERS:
        logging.getLogger(name).handlers.clear()


def token(keys: KeyServer, user_id: str, **claims: Any) -> dict[str, str]:
    """A new token of ``user_id`` (another one each time, as a refreshed session's is)."""
    return bearer(keys.token(user_id, None, jti=uuid.uuid4().hex, **claims))


def keyed(key: str, headers: dict[str, str]) -> dict[str, str]:
    return {**headers, "Idempotency-Key": key}


def rename(server: InProcessServer, org: dict[str, Any], headers: dict[str, str]) -> httpx.Response:
    return server.client.patch(f"{ORGS}/{org['id']}", json={"name": "Renamed"}, headers=headers)


def invite(server: InProcessServer, org: dict[str, Any], headers: dict[str, str]) -> httpx.Response:
    path = f"{ORGS}/{org['id']}/invitations"
    return server.client.post(path, json={"email": "new@example.com"}, headers=headers)


def version(server: InProcessServer, org: dict[str, Any]) -> int:
    found = server.client.get(f"{ORGS}/{org['id']}", headers=ADMIN).json()["organization"]
    return int(found["version"])


def test_a_retry_with_a_refreshed_token_replays_the_first_answer_and_records_nothing(
    server: InProcessServer, keys: KeyServer
) -> None:
    org = org_with(server, ann="owner")
    first = rename(server, org, keyed(f"rename-{org['id']}", token(keys, "ann")))
    assert first.status_code == 200, first.text
    before = version(server, org)
    retry = rename(server, org, keyed(f"rename-{org['id']}", token(keys, "ann")))
    assert (retry.status_code, retry.json()) == (200, first.json())
    assert retry.headers["idempotent-replayed"] == "true"
    assert version(server, org) == before


def test_another_user_with_the_same_key_does_not_see_the_first_answer(
    server: InProcessServer, keys: KeyServer
) -> None:
    org = org_with(server, ann="owner", bob="member")
    first = rename(server, org, keyed(f"shared-{org['id']}", token(keys, "ann")))
    by_bob = rename(server, org, keyed(f"shared-{org['id']}", token(keys, "bob")))
    assert first.status_code == 200, first.text
    assert (by_bob.status_code, by_bob.json()["details"]) == (
        403,
        {"permission": "organization:write"},
    )
    assert "idempotent-replayed" not in by_bob.headers


@pytest.mark.parametrize("retried_with", ["the same token", "a refreshed token"])
def test_a_users_keyed_invitation_is_replayed_to_them_with_its_token(
    server: InProcessServer, keys: KeyServer, retried_with: str
) -> None:
    org = org_with(server, ann="owner")
    first_token = token(keys, "ann")
    first = invite(server, org, keyed(f"invite-{org['id']}", first_token))
    assert first.status_code == 201, first.text
    retry_token = first_token if retried_with == "the same token" else token(keys, "ann")
    retry = invite(server, org, keyed(f"invite-{org['id']}", retry_token))
    assert (retry.status_code, retry.json()) == (201, first.json())
    assert retry.headers["idempotent-replayed"] == "true"


def test_another_user_with_the_same_key_does_not_get_a_users_sealed_answer(
    server: InProcessServer, keys: KeyServer
) -> None:
    org = org_with(server, ann="owner", bob="owner")
    first = invite(server, org, keyed(f"invite-{org['id']}", token(keys, "ann")))
    by_bob = invite(server, org, keyed(f"invite-{org['id']}", token(keys, "bob")))
    assert first.status_code == 201, first.text
    assert (by_bob.status_code, by_bob.json()["code"]) == (409, "DUPLICATE_MEMBER")
    assert first.json()["token"] not in by_bob.text


def test_a_retry_with_an_expired_token_is_refused_not_replayed(
    server: InProcessServer, keys: KeyServer
) -> None:
    org = org_with(server, ann="owner")
    first = rename(server, org, keyed(f"expiring-{org['id']}", token(keys, "ann")))
    now = int(time.time())
    expired = token(keys, "ann", iat=now - 7200, exp=now - 3600)
    retry = rename(server, org, keyed(f"expiring-{org['id']}", expired))
    assert (first.status_code, retry.status_code, retry.json()["code"]) == (
        200,
        401,
        "UNAUTHORIZED",
    )
    assert "idempotent-replayed" not in retry.headers


def test_a_users_sealed_answer_is_kept_only_sealed(
    server: InProcessServer, keys: KeyServer, module_database_url: str
) -> None:
    org = org_with(server, ann="owner")
    first = invite(server, org, keyed(f"sealed-{org['id']}", token(keys, "ann")))
    secret = first.json()["token"]
    store = dump_store(module_database_url)
    assert secret not in store
    assert secret[len("inv_") :] not in store


LOST_ACCESS = {
    "removed": ("DELETE", "/members/ann", None, 404, "ORGANIZATION_NOT_FOUND"),
    "demoted": ("PATCH", "/members/ann", {"roles": ["member"]}, 403, "FORBIDDEN"),
    "archived": ("DELETE", "", None, 404, "ORGANIZATION_NOT_FOUND"),
    "suspended": ("PATCH", "", {"status": "suspended"}, 403, "ORGANIZATION_SUSPENDED"),
}
"""How the admin takes away a user's right to invite: the request, and what the
invitation route answers that user afterwards."""


def take_away(server: InProcessServer, org: dict[str, Any], change: str) -> tuple[int, str]:
    """The admin's change; what the route answers the user now."""
    method, path, body, status, code = LOST_ACCESS[change]
    changed = server.client.request(method, f"{ORGS}/{org['id']}{path}", json=body, headers=ADMIN)
    assert changed.status_code < 300, changed.text
    return status, code


@pytest.mark.parametrize("change", list(LOST_ACCESS))
def test_a_user_who_may_no_longer_invite_gets_the_routes_answer_not_the_token(
    server: InProcessServer, keys: KeyServer, change: str
) -> None:
    org = org_with(server, ann="owner", adm="owner")
    first = invite(server, org, keyed(f"invite-{org['id']}", token(keys, "ann")))
    assert first.status_code == 201, first.text
    status, code = take_away(server, org, change)
    retry = invite(server, org, keyed(f"invite-{org['id']}", token(keys, "ann")))
    assert (retry.status_code, retry.json()["code"]) == (status, code)
    assert first.json()["token"] not in retry.text
    assert "idempotent-replayed" not in retry.headers


def test_a_removed_members_keyed_change_is_not_replayed_either(
    server: InProcessServer, keys: KeyServer
) -> None:
    org = org_with(server, ann="owner", adm="owner")
    first = rename(server, org, keyed(f"rename-{org['id']}", token(keys, "ann")))
    assert first.status_code == 200, first.text
    take_away(server, org, "removed")
    retry = rename(server, org, keyed(f"rename-{org['id']}", token(keys, "ann")))
    assert (retry.status_code, retry.json()["code"]) == (404, "ORGANIZATION_NOT_FOUND")
    assert "idempotent-replayed" not in retry.headers


def test_a_removed_members_keyed_change_of_the_current_organization_is_not_replayed(
    server: InProcessServer, keys: KeyServer
) -> None:
    org = org_with(server, ann="owner", adm="owner")
    current = {"X-Organization-Id": org["id"], "Idempotency-Key": f"current-{org['id']}"}
    body = {"name": "Renamed"}
    path = f"{ORGS}/current"
    first = server.client.patch(path, json=body, headers={**token(keys, "ann"), **current})
    assert first.status_code == 200, first.text
    take_away(server, org, "removed")
    retry = server.client.patch(path, json=body, headers={**token(keys, "ann"), **current})
    assert (retry.status_code, retry.json()["code"]) == (404, "ORGANIZATION_NOT_FOUND")
    assert "idempotent-replayed" not in retry.headers


def test_a_keyed_request_the_provider_cannot_vouch_for_is_503_and_runs_nothing(
    module_database_url: str,
) -> None:
    provider = KeyServer()
    app = InProcessServer(
        module_database_url,
        jwt_issuer=provider.issuer,
        jwt_audience=AUDIENCE,
        jwks_refetch_seconds=0.1,
    )
    try:
        org = org_with(app, ann="owner")
        before = version(app, org)
        # No key held yet, and the provider fails the first fetch (slowly enough that the
        # next one may be tried at once, and succeeds): the key's owner cannot be known.
        provider.fail_next(0.3)
        response = rename(app, org, keyed(f"unvouched-{org['id']}", token(provider, "ann")))
        assert (response.status_code, response.json()["code"]) == (
            503,
            "IDENTITY_PROVIDER_UNAVAILABLE",
        )
        assert version(app, org) == before
    finally:
        app.stop()
        provider.stop()
        for name in LOGGERS:
            logging.getLogger(name).handlers.clear()


def test_a_dump_does_not_show_which_users_sent_keyed_requests(
    server: InProcessServer, keys: KeyServer, module_database_url: str
) -> None:
    org = org_with(server, zoe="owner")
    first = rename(server, org, keyed(f"whose-{org['id']}", token(keys, "zoe")))
    assert first.status_code == 200, first.text
    # Whoever holds a dump knows the issuer and the members' userIds: a plain hash of them
    # would name the user.
    name = json.dumps(["user", keys.issuer, "zoe"]).encode()
    assert hashlib.sha256(name).hexdigest() not in dump_store(module_database_url)
