"""Webhook endpoints through the SDK: the admin's and an organization's own."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tenant_registry_client import Client, WebhookEndpointNotFoundError, WebhookUrlNotAllowedError

if TYPE_CHECKING:
    from tenant_registry_client import Organization
    from tests.helpers import Server

URL = "http://127.0.0.1:9/hook"
"""Nothing listens there: deliveries fail, which these tests do not look at."""


def test_the_admin_manages_an_endpoint(client: Client, org: Organization) -> None:
    issued = client.webhooks.create(URL, event_types=["organization.renamed"], description="x")
    endpoint_id = issued.endpoint.id
    assert issued.secret.startswith("whsec_")
    assert endpoint_id in {e.id for e in client.webhooks.list()}
    assert client.webhooks.get(endpoint_id) == issued.endpoint
    changed = client.webhooks.update(endpoint_id, event_types=None, enabled=False)
    assert (changed.event_types, changed.enabled, changed.description) == (None, False, "x")
    rotated = client.webhooks.rotate_secret(endpoint_id)
    assert rotated.secret != issued.secret
    assert client.webhooks.replay(endpoint_id, from_position=1).queued >= 1
    assert list(client.webhooks.deliveries(endpoint_id, limit=1))
    assert client.webhooks.delete(endpoint_id).id == endpoint_id
    assert endpoint_id not in {e.id for e in client.webhooks.list()}


def test_an_organizations_key_manages_its_own_endpoint(
    server: Server, client: Client, org: Organization
) -> None:
    secret = client.api_keys.issue(org.id).secret
    with Client(server.url, secret) as key:
        hooks = key.organization_webhooks
        endpoint_id = hooks.create(org.id, URL, description="mine").endpoint.id
        assert [e.id for e in hooks.list(org.id)] == [endpoint_id]
        assert hooks.get(org.id, endpoint_id).organization_id == org.id
        assert hooks.update(org.id, endpoint_id, description=None).description is None
        assert hooks.rotate_secret(org.id, endpoint_id).secret.startswith("whsec_")
        assert hooks.replay(org.id, endpoint_id, from_position=1).next_from_position is None
        assert {d.organization_id for d in hooks.deliveries(org.id, endpoint_id)} == {org.id}
        assert hooks.delete(org.id, endpoint_id).id == endpoint_id
        assert hooks.list(org.id) == []


def test_a_private_url_or_an_unknown_endpoint_raises_its_own_class(client: Client) -> None:
    with pytest.raises(WebhookUrlNotAllowedError):
        client.webhooks.create("https://10.0.0.1/hook")
    with pytest.raises(WebhookEndpointNotFoundError):
        client.webhooks.get("00000000-0000-0000-0000-000000000000")
