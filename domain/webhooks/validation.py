"""What a webhook endpoint may be: its URL, where that URL may lead, its event types."""

from __future__ import annotations

import ipaddress
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from domain.errors import FieldProblem, ValidationError, WebhookUrlRefusedError
from domain.organizations.organization import EVENTS
from domain.storable import text_problem

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    Network = ipaddress.IPv4Network | ipaddress.IPv6Network
    Address = ipaddress.IPv4Address | ipaddress.IPv6Address

ORGANIZATION_EVENT_NAMES = tuple(event.__name__ for event in EVENTS)
"""The organization's events (``Organization``'s nested classes) endpoints may receive."""
MAX_URL_LENGTH, MAX_DESCRIPTION_LENGTH = 2000, 500
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "169.254.170.2", "fd00:ec2::254", "192.0.0.192", "168.63.129.16")
)
"""Cloud providers' metadata services (AWS, ECS, Oracle, Azure's wire server; most are
link-local or special-purpose, refused anyway; not all)."""
SPECIAL_PURPOSE = tuple(
    ipaddress.ip_network(n)
    for n in ("192.0.0.0/24", "192.88.99.0/24", "::/8", "64:ff9b:1::/48", "fec0::/10")
)
"""Not globally reachable (IANA's special-purpose registries), though the ``is_global`` of
some Python versions says they are: IETF protocol assignments, 6to4 relays, IPv6's
reserved ``::/8`` (IPv4-compatible and -translated forms among them), local-use NAT64,
site-local."""
CARRYING_IPV4 = tuple(
    ipaddress.ip_network(n) for n in ("::ffff:0:0/96", "::ffff:0:0:0/96", "::/96", "64:ff9b::/96")
)
"""IPv6 forms whose last 32 bits are an IPv4 address: mapped, translated, compatible, and
NAT64's (which a NAT64 gateway connects to, private or not)."""
TRANSPARENT = (CARRYING_IPV4[0], CARRYING_IPV4[3])
"""Forms that reach the IPv4 address they carry (mapped, NAT64): judged by it alone."""


def event_type(name: str) -> str:
    """``SlugChanged`` -> ``organization.slug_changed``: an event's type in a delivery."""
    return "organization." + re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


EVENT_TYPES = tuple(event_type(name) for name in ORGANIZATION_EVENT_NAMES)


def check_event_types(value: Any) -> list[str] | None:
    """``None`` (every type), or 1-20 distinct known types, kept sorted."""
    if value is None:
        return None
    if not isinstance(value, list) or not 1 <= len(value) <= len(EVENT_TYPES):
        raise ValidationError([FieldProblem("eventTypes", "must be a non-empty list of types")])
    unknown = [t for t in value if t not in EVENT_TYPES]
    if unknown:
        message = f"unknown types {unknown}; known: {', '.join(EVENT_TYPES)}"
        raise ValidationError([FieldProblem("eventTypes", message)])
    return sorted(set(value))


def check_description(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > MAX_DESCRIPTION_LENGTH or text_problem(value):
        message = f"must be text of at most {MAX_DESCRIPTION_LENGTH} characters"
        raise ValidationError([FieldProblem("description", message)])
    return value


def check_url_shape(value: Any) -> str:
    """An absolute http(s) URL with a host, no credentials and no fragment."""
    problem = "must be an absolute http or https URL with a host"
    if not isinstance(value, str) or not 1 <= len(value) <= MAX_URL_LENGTH or text_problem(value):
        raise ValidationError([FieldProblem("url", problem)])
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        raise ValidationError([FieldProblem("url", problem)]) from None
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or any(c in value for c in " \t\r\n")
    ):
        raise ValidationError([FieldProblem("url", problem)])
    if parts.username is not None or parts.password is not None or parts.fragment:
        raise ValidationError([FieldProblem("url", "must hold no credentials nor fragment")])
    return value


def parse_networks(text: str) -> tuple[Network, ...]:
    """Comma-separated CIDRs (``REGISTRY_WEBHOOK_ALLOWED_NETWORKS``)."""
    return tuple(
        ipaddress.ip_network(n.strip(), strict=False) for n in text.split(",") if n.strip()
    )


def carried_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, translated, compatible, NAT64, 6to4)."""
    if any(address in network for network in CARRYING_IPV4):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address.sixtofour


def is_internal(address: Address) -> bool:
    """Not globally reachable (loopback, private, shared, link-local, reserved, site-local,
    unspecified ...), multicast or metadata; an IPv6 address carrying an IPv4 one (mapped,
    NAT64, 6to4, ...) is judged by that IPv4 address too. The same on every Python."""
    if isinstance(address, ipaddress.IPv6Address):
        carried = carried_ipv4(address)
        if carried is not None and is_internal(carried):
            return True
        if any(address in network for network in TRANSPARENT):
            return False  # It reaches a public IPv4 address.
    return (
        address in METADATA_ADDRESSES
        or any(address in network for network in SPECIAL_PURPOSE)
        or not address.is_global
        or address.is_multicast
        or address.is_reserved
    )


def destination(
    url: str, allowed: Sequence[Network], resolve: Callable[[str, int], list[str]]
) -> str:
    """The one address to connect to for ``url``: every address its host resolves to must
    be public, or within ``allowed``; plain http only to ``allowed``. Raises
    ``WebhookUrlRefusedError`` otherwise (resolve once, connect to what was checked)."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    host = parts.hostname or ""
    try:
        addresses = [ipaddress.ip_address(a.split("%")[0]) for a in resolve(host, port)]
    except (OSError, ValueError):
        raise WebhookUrlRefusedError(f"{host} does not resolve") from None
    if not addresses:
        raise WebhookUrlRefusedError(f"{host} does not resolve")
    for address in addresses:
        in_allowed = any(address in network for network in allowed)
        if not in_allowed and is_internal(address):
            raise WebhookUrlRefusedError(f"{host} resolves to {address}, an internal address")
        if not in_allowed and parts.scheme != "https":
            raise WebhookUrlRefusedError("must be https (http only to the allowed networks)")
    return str(addresses[0])
