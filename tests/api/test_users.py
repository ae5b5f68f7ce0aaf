"""People signed in with the identity provider's token act in their own organizations, as
far as their roles allow: against a real key server (tests.key_server)."""

from __future__ import annotations

import json
import logging
import time
import uuid
from typing import TYPE_CHECKING, Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from service.logs import LOGGERS
from tests.api.conftest import InProcessServer
from tests.helpers import ADMIN, ORGS, bearer, issue_key, new_org, org_with
from tests.key_server import AUDIENCE, KeyServer, SigningKey

if TYPE_CHECKING:
    from collections.abc import Iterator

    import httpx


REFETCH = 0.5
"""Seconds between two fetches of the keys, for these tests (5 by default)."""


STYTCH_ORGANIZATION = "https://stytch.com/organization"


@pytest.fixture(scope="module")
def keys() -> Iterator[KeyServer]:
    server = KeyServer(("RS256", "ES256", "EdDSA"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def server(module_database_url: str, keys: KeyServer) -> Iterator[InProcessServer]:
    """The app, its users' tokens verified with the key server's keys; a session names its
    organization as Stytch's does (an object claim)."""
    running = InProcessServer(
        module_database_url,
        jwt_issuer=keys.issuer,
        jwt_audience=f"other,{AUDIENCE}",
        jwks_refetch_seconds=REFETCH,
        jwt_organization_claim=STYTCH_ORGANIZATION,
    )
    yield running
    running.stop()
    for name in LOGGERS:
        logging.getLogger(name).handlers.clear()


def rename(server: InProcessServer, org_id: str, token: str) -> httpx.Response:
    return server.client.patch(
        f"{ORGS}/{org_id}", json={"name": "Renamed by a user"}, headers=bearer(token)
    )


def version(server: InProcessServer, org_id: str) -> int:
    found = server.client.get(f"{ORGS}/{org_id}", headers=ADMIN).json()["organization"]
    return int(found["version"])


def test_an_owner_changes_their_organization_and_is_its_actor(
    server: InProcessServer, keys: KeyServer
) -> None:
    org = org_with(server, ann="owner")
    response = rename(server, org["id"], keys.token("ann"))
    assert response.status_code == 200, response.text
    history = server.client.get(f"{ORGS}/{org['id']}/history", headers=ADMIN).json()["events"]
    assert history[-1]["actor"] == {"type": "user", "id": "ann"}


@pytest.mark.parametrize("algorithm", ["ES256", "EdDSA"])
def test_a_token_signed_with_a_published_elliptic_curve_key_is_accepted(
    server: InProcessServer, keys: KeyServer, algorithm: str
) -> None:
    org = org_with(server, ann="owner")
    token = keys.token("ann", key=keys.signing(algorithm))
    assert jwt.get_unverified_header(token)["alg"] == algorithm
    response = rename(server, org["id"], token)
    assert response.status_code == 200, response.text
    assert response.json()["organization"]["name"] == "Renamed by a user"


@pytest.mark.parametrize("member", ["organization_id", "id"])
def test_a_session_naming_its_organization_in_an_object_claim_reaches_it_as_current(
    server: InProcessServer, keys: KeyServer, member: str
) -> None:
    external_id = f"organization-test-{uuid.uuid4()}"
    org = new_org(server, externalId=external_id)
    body = {"userId": "ann", "email": "ann@example.com", "roles": ["member"]}
    server.client.post(f"{ORGS}/{org['id']}/members", json=body, headers=ADMIN)
    session = {member: external_id, "slug": org["slug"]}
    token = keys.token("ann", None, **{STYTCH_ORGANIZATION: session})
    response = server.client.get(f"{ORGS}/current", headers=bearer(token))
    assert response.status_code == 200, response.text
    assert response.json()["organization"]["id"] == org["id"]


def test_an_object_claim_without_an_organization_id_names_no_organization(
    server: InProcessServer, keys: KeyServer
) -> None:
    org_with(server, ann="member")
    token = keys.token("ann", None, **{STYTCH_ORGANIZATION: {"slug": "acme", "id": 7}})
    me = server.client.get("/api/v1/me", headers=bearer(token))
    assert (me.status_code, me.json()["organization"]) == (200, None)
    response = server.client.get(f"{ORGS}/current", headers=bearer(token))
    assert (response.status_code, response.json()["code"]) == (400, "VALIDATION_ERROR")


def test_a_member_reads_but_may_not_write(server: InProcessServer, keys: KeyServer) -> None:
    org = org_with(server, ann="owner", bob="member")
    token = keys.token("bob")
    read = server.client.get(f"{ORGS}/{org['id']}", headers=bearer(token))
    assert read.status_code == 200, read.text
    refused = rename(server, org["id"], token)
    assert (refused.status_code, refused.json()["code"]) == (403, "FORBIDDEN")
    assert refused.json()["details"] == {"permission": "organization:write"}
    assert version(server, org["id"]) == read.json()["organization"]["version"]


def test_a_user_may_not_change_admin_only_fields(server: InProcessServer, keys: KeyServer) -> None:
    org = org_with(server, ann="owner")
    before = version(server, org["id"])
    response = server.client.patch(
        f"{ORGS}/{org['id']}", json={"verified": True}, headers=bearer(keys.token("ann"))
    )
    assert (response.status_code, response.json()["code"]) == (403, "FORBIDDEN")
    assert version(server, org["id"]) == before


def test_admin_only_operations_are_refused_to_users(
    server: InProcessServer, keys: KeyServer
) -> None:
    org = org_with(server, ann="owner")
    token = bearer(keys.token("ann"))
    assert server.client.get(ORGS, headers=token).status_code == 403
    assert server.client.get("/api/v1/events", headers=token).status_code == 403
    keys_path = f"{ORGS}/{org['id']}/api-keys"
    assert server.client.post(keys_path, json={}, headers=token).status_code == 403


def test_a_user_reaches_the_organization_their_session_names_as_current(
    server: InProcessServer, keys: KeyServer
) -> None:
    org = org_with(server, ann="member")
    response = server.client.get(
        f"{ORGS}/current", headers={**bearer(keys.token("ann")), "X-Organization-Id": org["id"]}
    )
    assert response.json()["organization"]["id"] == org["id"]


def test_a_rotated_key_signs_new_tokens_and_the_old_ones_stay_valid(
    server: InProcessServer, keys: KeyServer
) -> None:
    org = org_with(server, ann="owner")
    old_token = keys.token("ann")
    assert rename(server, org["id"], old_token).status_code == 200
    new_key = keys.rotate()
    time.sleep(REFETCH + 0.1)  # Keys are fetched again at most once every REFETCH seconds.
    assert rename(server, org["id"], keys.token("ann", key=new_key)).status_code == 200
    assert rename(server, org["id"], old_token).status_code == 200


def public_pem(keys: KeyServer) -> bytes:
    return (
        keys.signing("RS256")
        .private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )


def forged(keys: KeyServer, attack: str) -> str:
    """A token that must be refused, made as an attacker would."""
    now = int(time.time())
    claims = {"iss": keys.issuer, "aud": AUDIENCE, "sub": "ann", "iat": now, "exp": now + 300}
    if attack == "alg none":
        return jwt.encode(claims, "", algorithm="none")
    if attack == "HS256 with the public key":
        header = {"alg": "HS256", "typ": "JWT", "kid": keys.signing("RS256").kid}
        return _hs256(claims, header, public_pem(keys))
    if attack == "tampered payload":
        head, _, sig = keys.token("ann").split(".")
        body = jwt.utils.base64url_encode(jwt.utils.force_bytes('{"sub":"ann","iss":"x"}'))
        return f"{head}.{body.decode()}.{sig}"
    if attack == "unknown kid":
        return keys.token("ann", key=SigningKey())
    overrides: dict[str, dict[str, Any]] = {
        "expired": {"exp": now - 3600, "iat": now - 7200},
        "not yet valid": {"nbf": now + 3600},
        "wrong issuer": {"iss": "https://evil.example"},
        "wrong audience": {"aud": "someone-else"},
    }
    return keys.token("ann", None, **overrides[attack])


def _hs256(claims: dict[str, Any], header: dict[str, Any], secret: bytes) -> str:
    import base64
    import hashlib
    import hmac
    import json

    def part(value: dict[str, Any]) -> str:
        raw = json.dumps(value, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    signing_input = f"{part(header)}.{part(claims)}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"


TOKEN_ATTACKS = [
    "alg none",
    "HS256 with the public key",
    "expired",
    "not yet valid",
    "wrong issuer",
    "wrong audience",
    "unknown kid",
    "tampered payload",
]


@pytest.mark.parametrize("attack", TOKEN_ATTACKS)
def test_a_forged_token_is_refused_and_records_nothing(
    server: InProcessServer, keys: KeyServer, attack: str
) -> None:
    org = org_with(server, ann="owner")
    before = version(server, org["id"])
    response = rename(server, org["id"], forged(keys, attack))
    assert (response.status_code, response.json()["code"]) == (401, "UNAUTHORIZED")
    assert response.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    assert version(server, org["id"]) == before


MEMBER_ATTACKS = {
    "removed member": ("removed", 404, "ORGANIZATION_NOT_FOUND"),
    "deactivated member": ("inactive", 404, "ORGANIZATION_NOT_FOUND"),
    "member of another organization": ("elsewhere", 404, "ORGANIZATION_NOT_FOUND"),
    "member lacking the permission": ("member", 403, "FORBIDDEN"),
}


@pytest.mark.parametrize("attack", MEMBER_ATTACKS)
def test_a_valid_token_without_the_right_membership_is_refused_and_records_nothing(
    server: InProcessServer, keys: KeyServer, attack: str
) -> None:
    change, status, code = MEMBER_ATTACKS[attack]
    org = org_with(server, ann="owner", eve="owner" if change != "member" else "member")
    members = f"{ORGS}/{org['id']}/members/eve"
    if change == "removed":
        server.client.delete(members, headers=ADMIN).raise_for_status()
    elif change == "inactive":
        server.client.patch(members, json={"status": "inactive"}, headers=ADMIN).raise_for_status()
    elif change == "elsewhere":
        server.client.delete(members, headers=ADMIN).raise_for_status()
        org_with(server, eve="owner")
    before = version(server, org["id"])
    response = rename(server, org["id"], keys.token("eve"))
    assert (response.status_code, response.json()["code"]) == (status, code)
    assert version(server, org["id"]) == before


def test_no_key_from_the_provider_is_503_and_records_nothing(
    module_database_url: str, keys: KeyServer
) -> None:
    down = KeyServer()
    down.stop()  # Its port answers nothing: no key was ever fetched.
    app = InProcessServer(module_database_url, jwt_issuer=down.issuer, jwt_audience=AUDIENCE)
    try:
        org = org_with(app, ann="owner")
        before = version(app, org["id"])
        response = rename(app, org["id"], down.token("ann"))
        assert (response.status_code, response.json()["code"]) == (
            503,
            "IDENTITY_PROVIDER_UNAVAILABLE",
        )
        assert version(app, org["id"]) == before
    finally:
        app.stop()
        for name in LOGGERS:
            logging.getLogger(name).handlers.clear()


ESCALATIONS = {
    "adds an owner": (
        "POST",
        "/members",
        {"userId": "new", "email": "new@example.com", "roles": ["owner"]},
    ),
    "makes themselves owner": ("PATCH", "/members/adm", {"roles": ["owner"]}),
    "removes an owner": ("DELETE", "/members/ann", None),
    "defines an all-powerful role": ("PUT", "/roles/god", {"name": "God", "permissions": ["*"]}),
}


@pytest.mark.parametrize("attempt", ESCALATIONS)
def test_a_member_grants_no_one_more_than_they_hold_and_nothing_is_recorded(
    server: InProcessServer, keys: KeyServer, attempt: str
) -> None:
    method, path, body = ESCALATIONS[attempt]
    org = org_with(server, ann="owner", adm="admin")
    before = version(server, org["id"])
    response = server.client.request(
        method, f"{ORGS}/{org['id']}{path}", json=body, headers=bearer(keys.token("adm"))
    )
    assert (response.status_code, response.json()["code"]) == (403, "FORBIDDEN")
    assert response.json()["details"] == {"permission": "*"}
    assert version(server, org["id"]) == before


def test_a_member_with_members_write_adds_a_member_with_a_lesser_role(
    server: InProcessServer, keys: KeyServer
) -> None:
    org = org_with(server, ann="owner", adm="admin")
    body = {"userId": "m", "email": "m@example.com", "roles": ["member"]}
    response = server.client.post(
        f"{ORGS}/{org['id']}/members", json=body, headers=bearer(keys.token("adm"))
    )
    assert response.status_code == 201, response.text


def test_a_member_may_not_resend_an_invitation_to_a_role_above_their_own(
    server: InProcessServer, keys: KeyServer
) -> None:
    org = org_with(server, ann="owner", adm="admin")
    body = {"email": "heir@example.com", "roles": ["owner"]}
    invited = server.client.post(f"{ORGS}/{org['id']}/invitations", json=body, headers=ADMIN)
    resend = f"{ORGS}/{org['id']}/invitations/{invited.json()['member']['id']}/resend"
    before = version(server, org["id"])
    response = server.client.post(resend, json={}, headers=bearer(keys.token("adm")))
    assert (response.status_code, response.json()["details"]) == (403, {"permission": "*"})
    assert "token" not in response.json()
    assert version(server, org["id"]) == before


def test_tokens_naming_unknown_keys_fetch_the_keys_once_in_a_while(
    server: InProcessServer, keys: KeyServer
) -> None:
    org = org_with(server, ann="owner")
    time.sleep(REFETCH + 0.1)  # Past the pause between fetches.
    before, started = keys.jwks_requests, time.monotonic()
    for _ in range(10):
        refused = rename(server, org["id"], keys.token("ann", key=SigningKey()))
        assert refused.status_code == 401
    fetches, pauses = keys.jwks_requests - before, (time.monotonic() - started) / REFETCH
    assert 1 <= fetches <= 1 + int(pauses) < 10


def test_a_token_whose_algorithm_is_not_its_keys_is_refused(
    server: InProcessServer, keys: KeyServer
) -> None:
    org = org_with(server, ann="owner")
    token = keys.token("ann")
    _, _, rest = token.partition(".")
    header = {"alg": "ES256", "typ": "JWT", "kid": keys.keys[0].kid}
    forged_head = jwt.utils.base64url_encode(jwt.utils.force_bytes(json.dumps(header))).decode()
    response = rename(server, org["id"], f"{forged_head}.{rest}")
    assert response.status_code == 401


def test_a_token_naming_no_key_is_verified_with_the_providers_only_key(
    module_database_url: str,
) -> None:
    single = KeyServer()
    app = InProcessServer(module_database_url, jwt_issuer=single.issuer, jwt_audience=AUDIENCE)
    try:
        org = org_with(app, ann="owner")
        key = single.keys[0]
        claims = {"iss": single.issuer, "aud": AUDIENCE, "sub": "ann"}
        now = int(time.time())
        token = jwt.encode({**claims, "iat": now, "exp": now + 60}, key.private, "RS256")
        assert rename(app, org["id"], token).status_code == 200
    finally:
        app.stop()
        single.stop()
        for name in LOGGERS:
            logging.getLogger(name).handlers.clear()


def test_a_user_creates_an_organization_and_is_its_owner(
    server: InProcessServer, keys: KeyServer
) -> None:
    body = {"name": "Made by Zoe", "slug": f"zoe-{time.time_ns()}"}
    created = server.client.post(ORGS, json=body, headers=bearer(keys.token("zoe")))
    assert created.status_code == 201, created.text
    org = created.json()["organization"]
    assert (org["owner"], org["activeMemberCount"], org["version"]) == ("zoe", 1, 2)
    history = server.client.get(f"{ORGS}/{org['id']}/history", headers=ADMIN).json()["events"]
    assert {e["actor"]["id"] for e in history} == {"zoe"}


def test_a_user_whose_token_has_no_email_creates_nothing(
    server: InProcessServer, keys: KeyServer
) -> None:
    slug = f"noemail-{time.time_ns()}"
    token = keys.token("nomail", email=None)
    created = server.client.post(ORGS, json={"name": "X", "slug": slug}, headers=bearer(token))
    assert (created.status_code, created.json()["details"]["fields"][0]["field"]) == (400, "email")
    found = server.client.get(f"{ORGS}/lookup", params={"slug": slug}, headers=ADMIN)
    assert found.status_code == 404


def test_an_organizations_key_may_not_create_organizations(
    server: InProcessServer, keys: KeyServer
) -> None:
    org = new_org(server)
    secret = issue_key(server, org["id"])["secret"]
    created = server.client.post(
        ORGS, json={"name": "X", "slug": "x-by-key"}, headers=bearer(secret)
    )
    assert (created.status_code, created.json()["code"]) == (403, "FORBIDDEN")


def test_me_names_the_user_and_their_organizations_with_what_they_grant(
    server: InProcessServer, keys: KeyServer
) -> None:
    org = org_with(server, ida="member")
    token = bearer(keys.token("ida"))
    me = server.client.get("/api/v1/me", headers=token).json()
    assert (me["userId"], me["email"], me["claims"]["sub"]) == ("ida", "ida@example.com", "ida")
    mine = server.client.get("/api/v1/me/organizations", headers=token).json()
    [membership] = mine["memberships"]
    assert membership["organizationId"] == org["id"]
    assert membership["permissions"] == ["members:read", "organization:read"]


def test_me_is_for_signed_in_users(server: InProcessServer) -> None:
    assert server.client.get("/api/v1/me", headers=ADMIN).status_code == 403
    assert server.client.get("/api/v1/me").status_code == 401
