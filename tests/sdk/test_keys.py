"""API keys and the current organization through the SDK."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tenant_registry_client import Client, UnauthorizedError

if TYPE_CHECKING:
    from tenant_registry_client import Organization
    from tests.helpers import Server


def test_an_issued_key_is_listed_and_revoked(
    server: Server, client: Client, org: Organization
) -> None:
    issued = client.api_keys.issue(org.id, name="backend")
    assert issued.secret.startswith("sk_")
    assert [k.id for k in client.api_keys.list(org.id)] == [issued.api_key.id]
    assert client.api_keys.revoke(org.id, issued.api_key.id).revoked_at is not None
    with Client(server.url, issued.secret) as revoked, pytest.raises(UnauthorizedError):
        revoked.current.get()


def test_a_key_reads_and_changes_its_current_organization(
    server: Server, client: Client, org: Organization
) -> None:
    secret = client.api_keys.issue(org.id).secret
    with Client(server.url, secret) as key:
        current = key.current.get()
        assert (current.id, current.version) == (org.id, 2)  # The key's issuance is an event.
        patched = key.current.update(settings={"a": 1}, if_match=current.etag)
        replaced = key.current.replace(metadata={"k": "v"}, if_match=patched.etag)
        again = key.current.replace_at_collection(name="Seed 000", if_match=replaced.etag)
        assert (again.settings, again.metadata, again.name) == ({"a": 1}, {"k": "v"}, "Seed 000")
        assert key.current.get(if_none_match=again.etag).etag == again.etag
        types = [e.type for e in key.current.history()]
    assert types == ["Created", "ApiKeyIssued", "SettingsUpdated", "MetadataUpdated", "Renamed"]
