"""Typed answers of the registry: frozen dataclasses parsed from its JSON.

Plain dataclasses rather than pydantic models: the answers are the server's, already
validated there, so the client only needs names and types (camelCase fields become
snake_case attributes, times become ``datetime``); the package then depends on httpx alone
and never fights an application's own pydantic version. Fields a newer server adds are
ignored; a field it drops reads as ``None``.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

T = TypeVar("T")


def camel(name: str) -> str:
    """``support_email`` → ``supportEmail`` (``from_`` → ``from``)."""
    head, *rest = name.rstrip("_").split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _identity(value: Any) -> Any:
    return value


def _converter(hint: Any) -> typing.Callable[[Any], Any]:
    """How to turn a JSON value into a value of the type ``hint``."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        inner = _converter(next(a for a in typing.get_args(hint) if a is not type(None)))
        return lambda value: None if value is None else inner(value)
    if origin is list:
        item = _converter(typing.get_args(hint)[0])
        return lambda value: [item(v) for v in value]
    if origin is dict:
        entry = _converter(typing.get_args(hint)[1])
        return lambda value: {k: entry(v) for k, v in value.items()}
    if hint is datetime:
        return datetime.fromisoformat
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return functools.partial(parse, hint)
    return _identity


_Fields = list[tuple[str, str, typing.Callable[[Any], Any]]]
_FIELDS: dict[type[Any], _Fields] = {}


def _fields(cls: type[Any]) -> _Fields:
    """Each field's name, JSON key and converter (worked out once per class)."""
    found = _FIELDS.get(cls)
    if found is None:
        hints = typing.get_type_hints(cls)
        found = [
            (f.name, camel(f.name), _converter(hints[f.name]))
            for f in dataclasses.fields(cls)
            if f.init
        ]
        _FIELDS[cls] = found
    return found


def parse(cls: type[T], data: Any) -> T:
    """An instance of the dataclass ``cls`` from its JSON object."""
    values = {
        name: convert(data[key]) if data.get(key) is not None else None
        for name, key, convert in _fields(cls)
    }
    return cls(**values)


@dataclass(frozen=True)
class Manager:
    type: str
    id: str


@dataclass(frozen=True)
class SubscriptionInfo:
    plan: str | None
    limits: dict[str, int]
    totals: dict[str, int]


@dataclass(frozen=True)
class RequestQuota:
    reads_per_minute: int | None
    read_burst: int | None
    writes_per_minute: int | None
    write_burst: int | None


@dataclass(frozen=True)
class Organization:
    """An organization as the registry holds it at ``version``."""

    id: str
    name: str
    slug: str
    external_id: str | None
    stytch_org_id: str | None
    country_code: str | None
    status: str
    status_reason: str | None
    settings: dict[str, Any]
    domain: str | None
    support_email: str | None
    support_phone: str | None
    logo_url: str | None
    favicon_url: str | None
    primary_color: str | None
    contrast_color: str | None
    reference: str | None
    reference_origin: str | None
    metadata: dict[str, str]
    avatar_url: str | None
    owner: str | None
    active_member_count: int
    pending_member_count: int
    max_allowed_memberships: int | None
    verified: bool
    managed_by: list[Manager]
    gtm_id: str | None
    gtm_id_test: str | None
    region: str
    discount_disabled: bool
    account_disabled: bool
    acceptance_disabled: bool
    can_switch_live: bool
    max_concurrent_promotions: int | None
    max_concurrent_imports: int | None
    subscription_info: SubscriptionInfo | None
    request_quota: RequestQuota | None
    version: int
    created_at: datetime
    updated_at: datetime

    @property
    def etag(self) -> str:
        """The entity tag of this version, for ``if_match`` and ``if_none_match``."""
        return f'"{self.version}"'


@dataclass(frozen=True)
class NotModified:
    """The answer to a read with ``if_none_match`` naming the current version: the
    organization has not changed since."""

    etag: str | None


@dataclass(frozen=True)
class SlugAvailability:
    slug: str
    available: bool
    reason: str | None
    message: str
    organization_id: str | None


@dataclass(frozen=True)
class Member:
    """A membership (or a pending invitation, whose ``id`` is the invitation's id)."""

    id: str
    organization_id: str
    user_id: str | None
    email: str
    status: str
    roles: list[str]
    metadata: dict[str, str]
    invitation_expires_at: datetime | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class Invitation:
    """An invitation issued or resent; ``token`` is shown in this answer only."""

    organization_id: str
    member: Member
    token: str = field(repr=False)


@dataclass(frozen=True)
class MemberPermissions:
    organization_id: str
    user_id: str
    status: str
    roles: list[str]
    permissions: list[str]
    as_of: datetime | None


@dataclass(frozen=True)
class PermissionCheck:
    organization_id: str
    user_id: str
    permission: str
    allowed: bool
    reason: str | None
    as_of: datetime | None


@dataclass(frozen=True)
class Role:
    key: str
    name: str
    permissions: list[str]
    built_in: bool


@dataclass(frozen=True)
class Membership:
    """An organization a user belongs to, with their membership (and, for the signed-in
    user's own list, what their roles there grant)."""

    organization_id: str
    organization_name: str
    organization_slug: str
    organization_status: str
    member: Member
    permissions: list[str] | None = None


@dataclass(frozen=True)
class Me:
    user_id: str
    email: str | None
    organization: str | None
    claims: dict[str, Any]


@dataclass(frozen=True)
class ApiKey:
    id: str
    name: str | None
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True)
class IssuedApiKey:
    """A key just issued; ``secret`` (``sk_...``) is shown in this answer only."""

    organization_id: str
    api_key: ApiKey
    secret: str = field(repr=False)


@dataclass(frozen=True)
class Actor:
    """Who caused an event: ``admin``, ``system``, ``apiKey`` (with its id), ``user`` (with
    their userId)."""

    type: str
    id: str | None


@dataclass(frozen=True)
class Change:
    from_: Any
    to: Any


@dataclass(frozen=True)
class HistoryEvent:
    """An event of one organization, with what it changed (``changes`` by field path)."""

    version: int
    type: str
    occurred_at: datetime
    actor: Actor
    request_id: str | None
    reason: str | None
    changes: dict[str, Change]


@dataclass(frozen=True)
class FeedEvent(HistoryEvent):
    """An event of the change feed; ``position`` is where to resume after it."""

    position: int
    organization_id: str


@dataclass(frozen=True)
class FeedPage:
    """A page of the change feed; pass ``next`` as ``after`` to read on."""

    events: list[FeedEvent]
    next: int


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list; ``next_cursor`` reads the next one (``None``: the last)."""

    items: list[T]
    next_cursor: str | None


@dataclass(frozen=True)
class WebhookSecret:
    id: str
    expires_at: datetime | None


@dataclass(frozen=True)
class WebhookEndpoint:
    id: str
    organization_id: str | None
    url: str
    event_types: list[str] | None
    description: str | None
    enabled: bool
    disabled_reason: str | None
    secrets: list[WebhookSecret]
    version: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class IssuedWebhookEndpoint:
    """An endpoint with a new signing secret (``whsec_...``), shown in this answer only."""

    endpoint: WebhookEndpoint
    secret: str = field(repr=False)


@dataclass(frozen=True)
class WebhookDelivery:
    position: int
    organization_id: str
    event_type: str
    attempts: int
    last_status: str | None
    last_code: int | None
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None
    delivered_at: datetime | None


@dataclass(frozen=True)
class WebhookReplay:
    """Events queued again; replay on from ``next_from_position`` (``None``: done)."""

    queued: int
    next_from_position: int | None


@dataclass(frozen=True)
class Health:
    status: str
    position: int | None = None
    lag: int | None = None


def member_of(body: dict[str, Any]) -> Member:
    """The member of an answer: the envelope ``{"organizationId", "member"}`` or, from a
    server of before the envelope, the bare member."""
    inner = body.get("member")
    return parse(Member, inner if isinstance(inner, dict) else body)


def page_of(cls: type[T], body: dict[str, Any], items: str) -> Page[T]:
    """The page of ``cls`` under the key ``items``."""
    return Page([parse(cls, item) for item in body[items]], body.get("nextCursor"))
