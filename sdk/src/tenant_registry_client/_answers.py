"""How each kind of answer becomes its model (shared by the sync and the async client)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from tenant_registry_client.errors import ConnectionFailedError
from tenant_registry_client.models import (
    ApiKey,
    FeedPage,
    Health,
    HistoryEvent,
    Invitation,
    IssuedApiKey,
    IssuedWebhookEndpoint,
    Me,
    Member,
    MemberPermissions,
    Membership,
    NotModified,
    Organization,
    Page,
    PermissionCheck,
    Role,
    SlugAvailability,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookReplay,
    member_of,
    page_of,
    parse,
)

if TYPE_CHECKING:
    import httpx


def _json(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    if not isinstance(body, dict):
        raise TypeError(f"expected a JSON object, got {type(body).__name__}")
    return body


def json_object(response: httpx.Response) -> dict[str, Any]:
    """The answer's JSON object as it is (the live local cache applies the feed's events as
    the server wrote them)."""
    return _json(response)


def organization(response: httpx.Response) -> Organization:
    return parse(Organization, _json(response)["organization"])


def organization_unless_not_modified(response: httpx.Response) -> Organization | NotModified:
    if response.status_code == 304:
        return NotModified(response.headers.get("ETag"))
    return organization(response)


def organizations(response: httpx.Response) -> Page[Organization]:
    return page_of(Organization, _json(response), "organizations")


def slug_availability(response: httpx.Response) -> SlugAvailability:
    return parse(SlugAvailability, _json(response))


def history(response: httpx.Response) -> Page[HistoryEvent]:
    return page_of(HistoryEvent, _json(response), "events")


def feed(response: httpx.Response) -> FeedPage:
    return parse(FeedPage, _json(response))


def api_key(response: httpx.Response) -> ApiKey:
    return parse(ApiKey, _json(response)["apiKey"])


def issued_api_key(response: httpx.Response) -> IssuedApiKey:
    return parse(IssuedApiKey, _json(response))


def api_keys(response: httpx.Response) -> list[ApiKey]:
    return [parse(ApiKey, key) for key in _json(response)["apiKeys"]]


def member(response: httpx.Response) -> Member:
    return member_of(_json(response))


def members(response: httpx.Response) -> Page[Member]:
    return page_of(Member, _json(response), "members")


def members_added(response: httpx.Response) -> list[Member]:
    return [parse(Member, item) for item in _json(response)["members"]]


def invitation(response: httpx.Response) -> Invitation:
    return parse(Invitation, _json(response))


def permissions(response: httpx.Response) -> MemberPermissions:
    return parse(MemberPermissions, _json(response))


def permission_check(response: httpx.Response) -> PermissionCheck:
    return parse(PermissionCheck, _json(response))


def roles(response: httpx.Response) -> list[Role]:
    return [parse(Role, role) for role in _json(response)["roles"]]


def memberships(response: httpx.Response) -> Page[Membership]:
    return page_of(Membership, _json(response), "memberships")


def me(response: httpx.Response) -> Me:
    return parse(Me, _json(response))


def endpoint(response: httpx.Response) -> WebhookEndpoint:
    return parse(WebhookEndpoint, _json(response)["endpoint"])


def endpoints(response: httpx.Response) -> list[WebhookEndpoint]:
    return [parse(WebhookEndpoint, item) for item in _json(response)["endpoints"]]


def issued_endpoint(response: httpx.Response) -> IssuedWebhookEndpoint:
    return parse(IssuedWebhookEndpoint, _json(response))


def deliveries(response: httpx.Response) -> tuple[list[WebhookDelivery], int | None]:
    body = _json(response)
    return [parse(WebhookDelivery, item) for item in body["deliveries"]], body.get("next")


def replay(response: httpx.Response) -> WebhookReplay:
    return parse(WebhookReplay, _json(response))


def health(response: httpx.Response) -> Health:
    return parse(Health, _json(response))


def text(response: httpx.Response) -> str:
    return response.text


def snapshot(response: httpx.Response) -> list[dict[str, Any]]:
    """A snapshot's lines (``start``, one per organization, ``end``); ``ConnectionFailedError``
    when the stream was cut short (no ``end`` line): asking again gives a whole one."""
    lines = [json.loads(line) for line in response.text.splitlines() if line.strip()]
    if not lines or lines[-1].get("kind") != "end":
        raise ConnectionFailedError(
            "the snapshot ended without its end line",
            status=response.status_code,
            request_id=response.headers.get("X-Request-Id"),
        )
    return lines
