"""A live local cache of the registry: organizations (by id, slug and external id), their
members and roles, held in this process's memory and kept up to date from the change feed,
so that lookups and permission checks need no request.

It starts from a snapshot (``GET /api/v1/snapshot``: everything at one feed position) and
follows ``GET /api/v1/events`` from that position in a background thread, applying each
event to what it holds. An event carries what it changed (``changes``, from and to); the
cache applies those it can apply exactly (an organization's plain fields, its own roles, a
member's userId, email, status and roles) and, for the others (an organization created,
its settings, metadata or request quota changed, or an event that does not follow the
version it holds), takes that organization again from the snapshot of it alone. Each
organization's version says which events it already includes, so nothing is applied twice.
Its requests go through an SDK ``Client`` (retried as its policy says, failing with the
SDK's errors); when the feed still fails (a server down for long, an answer it cannot
read) it takes a whole new snapshot and follows on from there. An event is applied whole
or not at all, and a new snapshot replaces the old at once: a lookup never sees half of
either.

Writes made through the client it is attached to are in the cache before the write call
returns: their answer names the feed position of what they recorded (``X-Feed-Position``),
and the call waits until the cache has applied it.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tenant_registry_client import _answers as answers
from tenant_registry_client._core import call
from tenant_registry_client._sync.client import Client

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    import httpx

log = logging.getLogger("tenant_registry_client.cache")

FEED_POSITION = "X-Feed-Position"
NOT_A_MEMBER = "not_a_member"
MEMBER_INACTIVE = "member_inactive"
NOT_GRANTED = "permission_not_granted"
MEMBER_FIELDS = ("userId", "email", "status", "roles")
"""What the cache holds of a member (and takes from a ``MembershipChanged`` event)."""
ROLE_FIELDS = ("name", "permissions")
TAKEN_AGAIN = ("settings", "metadata", "requestQuota")
"""Organization fields whose changes the feed gives per key (or in another shape than a
read): the organization is taken again from its own snapshot instead."""
IGNORED = ("apiKeys.",)
"""Changes the cache holds nothing of."""
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class OrganizationNotCachedError(LookupError):
    """The cache holds no organization with this id (the server answers 404)."""


class CacheNotReadyError(RuntimeError):
    """The cache has not loaded its first snapshot (``start`` it first)."""


@dataclass(frozen=True, slots=True)
class PermissionAnswer:
    """As ``GET .../members/{userId}/permissions/{permission}`` answers."""

    allowed: bool
    reason: str | None


@dataclass(slots=True)
class Member:
    id: str
    user_id: str | None
    email: str
    status: str
    roles: tuple[str, ...]

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "userId": self.user_id,
            "email": self.email,
            "status": self.status,
            "roles": list(self.roles),
        }


@dataclass(slots=True)
class Organization:
    data: dict[str, Any]
    """As ``GET /organizations/{id}`` answers it (``organization``)."""
    roles: dict[str, dict[str, Any]]
    """By key, as ``GET .../roles`` answers each (``key``, ``name``, ``permissions``,
    ``builtIn``)."""
    members: dict[str, Member] = field(default_factory=dict)
    """By membership id: every membership that is not removed."""
    by_user: dict[str, Member] = field(default_factory=dict)
    """Active and inactive members by userId."""

    @property
    def version(self) -> int:
        return int(self.data["version"])

    def index(self, member: Member) -> None:
        held = self.members.pop(member.id, None)
        if held is not None and held.user_id and self.by_user.get(held.user_id) is held:
            del self.by_user[held.user_id]
        if member.status != "removed":
            self.members[member.id] = member
        if member.user_id is not None and member.status in ("active", "inactive"):
            self.by_user[member.user_id] = member


def _intern(text: str) -> str:
    return sys.intern(text)


def member_of(line: dict[str, Any]) -> Member:
    return Member(
        line["id"],
        line.get("userId"),
        line["email"],
        _intern(line["status"]),
        tuple(_intern(role) for role in line["roles"]),
    )


def organization_of(line: dict[str, Any]) -> Organization:
    """An organization from its snapshot line."""
    org = Organization(line["organization"], {role["key"]: role for role in line["roles"]})
    for member in line["members"]:
        org.index(member_of(member))
    return org


def grants(granted: Iterable[str], permission: str) -> bool:
    """Whether ``granted`` includes ``permission``, directly or through a ``*``."""
    held = set(granted)
    if permission in held or "*" in held:
        return True
    parts = permission.split(":")
    return any(":".join(parts[:i]) + ":*" in held for i in range(1, len(parts)))


class Feed:
    """The few requests the cache makes, through an SDK ``Client``: its retry policy, its
    timeouts and its exception classes (the admin's credentials: the feed is theirs)."""

    def __init__(self, client: Client) -> None:
        self.client = client

    def snapshot(self, organization_id: str | None = None) -> Iterator[dict[str, Any]]:
        return iter(self.client.snapshots.get(organization_id))

    def events(self, after: int, wait: float, limit: int = 1000) -> dict[str, Any]:
        params: dict[str, Any] = {"after": after, "limit": limit, "wait": wait}
        page = call("GET", "/api/v1/events", answers.json_object, params=params, wait=wait)
        return self.client.run(page)

    def close(self) -> None:
        self.client.close()


class SnapshotCutShortError(RuntimeError):
    """A snapshot's stream ended without its end line."""


@dataclass
class State:
    """Everything the cache holds, at ``position``."""

    position: int
    organizations: dict[str, Organization] = field(default_factory=dict)
    by_slug: dict[str, str] = field(default_factory=dict)
    by_external_id: dict[str, str] = field(default_factory=dict)

    def put(self, org: Organization) -> None:
        org_id = org.data["id"]
        self.drop(org_id)
        self.organizations[org_id] = org
        self.by_slug[org.data["slug"]] = org_id
        if org.data.get("externalId") is not None:
            self.by_external_id[org.data["externalId"]] = org_id

    def drop(self, org_id: str) -> None:
        old = self.organizations.pop(org_id, None)
        if old is not None:
            if self.by_slug.get(old.data["slug"]) == org_id:
                del self.by_slug[old.data["slug"]]
            external_id = old.data.get("externalId")
            if external_id is not None and self.by_external_id.get(external_id) == org_id:
                del self.by_external_id[external_id]


def read_snapshot(lines: Iterator[dict[str, Any]]) -> State:
    """A state from a snapshot's lines; ``SnapshotCutShortError`` without its end line."""
    state: State | None = None
    for line in lines:
        if line["kind"] == "start":
            state = State(int(line["position"]))
        elif line["kind"] == "organization" and state is not None:
            state.put(organization_of(line))
        elif line["kind"] == "end" and state is not None:
            return state
    raise SnapshotCutShortError("the snapshot ended without its end line")


class EventApplier:
    """Applies one feed event to a state, or says the organization must be taken again."""

    def __init__(self, state: State) -> None:
        self.state = state

    def apply(self, event: dict[str, Any]) -> bool:
        """Apply ``event``; ``False`` if its organization must be taken again instead (the
        state is then unchanged)."""
        org = self.state.organizations.get(event["organizationId"])
        if org is None or event["type"] == "Created":
            return org is not None and org.version >= event["version"]
        if event["version"] <= org.version:
            return True  # Included already (the organization was taken after it).
        if event["version"] != org.version + 1 or not self._exact(event["changes"]):
            return False
        self._apply_changes(org, event)
        return True

    @staticmethod
    def _exact(changes: dict[str, Any]) -> bool:
        for path in changes:
            head = path.partition(".")[0]
            if head in TAKEN_AGAIN:
                return False
        return True

    def _apply_changes(self, org: Organization, event: dict[str, Any]) -> None:
        """Everything the event changes is worked out first, then put in place: an event
        that cannot be applied raises with the state as it was."""
        data, roles, members = self._changed(org, event)
        self.state.drop(org.data["id"])  # Its slug and external id may change.
        for key, role in roles.items():
            if role is None:
                org.roles.pop(key, None)
            else:
                org.roles[key] = role
        for member in members:
            org.index(member)
        org.data = data
        self.state.put(org)

    def _changed(
        self, org: Organization, event: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, dict[str, Any] | None], list[Member]]:
        """The organization's data, its roles (``None``: deleted) and its members as the
        event leaves them; ``org`` is left as it is."""
        data, roles = dict(org.data), dict[str, dict[str, Any] | None]()
        members = dict[str, dict[str, Any]]()
        for path, change in event["changes"].items():
            head, _, rest = path.partition(".")
            if path.startswith(IGNORED):
                continue
            if head == "roles":
                key, _, name = rest.partition(".")
                roles[key] = self._changed_role(
                    roles.get(key, org.roles.get(key)), key, name, change["to"]
                )
            elif head == "members":
                member_id, _, name = rest.partition(".")
                members.setdefault(member_id, {})[name] = change["to"]
            elif not rest:
                data[head] = change["to"]
        data["stytchOrgId"] = data.get("externalId")
        data["version"], data["updatedAt"] = event["version"], event["occurredAt"]
        changed = [self._changed_member(org, member_id, f) for member_id, f in members.items()]
        return data, roles, changed

    @staticmethod
    def _changed_role(
        held: dict[str, Any] | None, key: str, name: str, value: Any
    ) -> dict[str, Any] | None:
        if name not in ROLE_FIELDS:
            return held
        base = {"key": key, "name": None, "permissions": None, "builtIn": False}
        role = {**(held or base), name: value}
        return None if all(role.get(f) is None for f in ROLE_FIELDS) else role

    @staticmethod
    def _changed_member(org: Organization, member_id: str, fields: dict[str, Any]) -> Member:
        held = org.members.get(member_id)
        member = Member(member_id, None, "", "invited", ()) if held is None else copy.copy(held)
        if "userId" in fields:
            member.user_id = fields["userId"]
        if "email" in fields:
            member.email = fields["email"]
        if "status" in fields:
            member.status = _intern(fields["status"])
        if "roles" in fields:
            member.roles = tuple(_intern(role) for role in fields["roles"] or ())
        return member


class RegistryCache:
    """Organizations, members and roles in memory, following the change feed.

    ``start()`` loads a snapshot and starts following; ``stop()`` ends it. Lookups and
    ``check`` answer from memory; ``position`` is the feed position applied. ``attach``
    makes an httpx client's writes wait until the cache holds them."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        wait: float = 20.0,
        write_timeout: float = 10.0,
        client: Client | None = None,
    ) -> None:
        """``wait``: how long each long poll of the feed is held open; ``write_timeout``:
        at most how long a write waits for the cache to hold it; ``client``: the SDK client
        its own requests go through (one of ``base_url`` with ``token`` if not given; the
        cache closes it when it stops)."""
        self._transport = Feed(client or Client(base_url, token))
        self._wait, self.write_timeout = wait, write_timeout
        self._state: State | None = None
        self._lock = threading.Condition()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.resyncs = 0
        """How many times it took a whole new snapshot after an error."""
        self.refetches = 0
        """How many times it took one organization again instead of applying an event."""

    # Life

    def start(self) -> RegistryCache:
        """Load the first snapshot, then follow the feed; raises the SDK's error when it
        cannot (``ForbiddenError``: the credentials may not read the feed, only the admin's
        may)."""
        state = read_snapshot(self._transport.snapshot())
        self._transport.events(state.position, wait=0, limit=1)
        self._install(state)
        self._thread = threading.Thread(target=self._follow, name="registry-cache", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._transport.close()  # Ends a long poll in progress.
        if self._thread is not None:
            self._thread.join(10)

    def __enter__(self) -> RegistryCache:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def position(self) -> int:
        """The feed position whose events (and all before) the cache holds."""
        return self._ready().position

    def wait_for(self, position: int, timeout: float) -> bool:
        """Block until the cache holds ``position``; ``False`` after ``timeout``."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._state is None or self._state.position < position:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._stopping.is_set():
                    return False
                self._lock.wait(remaining)
        return True

    @classmethod
    def of(cls, client: Client, **options: Any) -> RegistryCache:
        """A cache of what ``client`` (the admin's: the feed is theirs) reaches, to which
        ``client``'s writes are attached. Its own requests go through a client of the same
        server, credentials, timeout and retry policy."""
        own = Client(
            client.base_url, headers=client.headers, timeout=client.timeout, retry=client.retry
        )
        cache = cls(client.base_url, "", client=own, **options)
        cache.attach(client)
        return cache

    def attach(self, client: Client | httpx.Client) -> None:
        """Make ``client``'s writes return only once this cache holds what they recorded
        (at most ``write_timeout`` later)."""
        if isinstance(client, Client):
            client.on_write(self._after_write)
            return
        hooks = client.event_hooks
        client.event_hooks = {
            **hooks,
            "response": [*hooks.get("response", []), self._after_write],
        }

    def _after_write(self, response: httpx.Response) -> None:
        position = response.headers.get(FEED_POSITION)
        if not (response.request.method in WRITES and position and position.isdigit()):
            return
        if not self.wait_for(int(position), self.write_timeout):
            log.warning("the cache did not reach position %s in time", position)

    # Lookups

    def _ready(self) -> State:
        state = self._state
        if state is None:
            raise CacheNotReadyError("start the cache first")
        return state

    def _org(self, org_id: str) -> Organization:
        found = self._ready().organizations.get(str(org_id))
        if found is None:
            raise OrganizationNotCachedError(org_id)
        return found

    def organization(self, org_id: str) -> dict[str, Any] | None:
        """As ``GET /organizations/{id}`` answers (``organization``), or ``None``."""
        with self._lock:
            found = self._ready().organizations.get(str(org_id))
            return None if found is None else copy.deepcopy(found.data)

    def organization_by(
        self, *, slug: str | None = None, external_id: str | None = None
    ) -> dict[str, Any] | None:
        """As ``GET /organizations/lookup?slug=`` (or ``externalId=``) answers, or ``None``."""
        with self._lock:
            state = self._ready()
            index, key = (
                (state.by_slug, slug)
                if slug is not None
                else (
                    state.by_external_id,
                    external_id,
                )
            )
            org_id = index.get(key) if key is not None else None
            return None if org_id is None else copy.deepcopy(state.organizations[org_id].data)

    def member(self, org_id: str, user_id: str) -> dict[str, Any] | None:
        """The organization's active or inactive member with this userId (``id``,
        ``userId``, ``email``, ``status``, ``roles``), or ``None``; raises
        ``OrganizationNotCachedError`` for an organization it does not hold."""
        with self._lock:
            found = self._org(org_id).by_user.get(user_id)
            return None if found is None else found.public()

    def members(self, org_id: str) -> list[dict[str, Any]]:
        """Its members that are not removed (invited, active, inactive)."""
        with self._lock:
            return [member.public() for member in self._org(org_id).members.values()]

    def roles(self, org_id: str) -> list[dict[str, Any]]:
        """As ``GET .../roles`` answers (``roles``): built-in ones and its own."""
        with self._lock:
            return copy.deepcopy(list(self._org(org_id).roles.values()))

    def check(self, org_id: str, user_id: str, permission: str) -> PermissionAnswer:
        """As ``GET .../members/{userId}/permissions/{permission}`` answers: allowed only
        for an active member of an active organization whose roles grant it; else the
        same ``reason``. ``OrganizationNotCachedError`` where the server answers 404."""
        with self._lock:
            org = self._org(org_id)
            status = org.data["status"]
            if status != "active":
                return PermissionAnswer(False, f"organization_{status}")
            member = org.by_user.get(user_id)
            if member is None:
                return PermissionAnswer(False, NOT_A_MEMBER)
            if member.status != "active":
                return PermissionAnswer(False, MEMBER_INACTIVE)
            for role in member.roles:
                definition = org.roles.get(role)
                if definition is not None and grants(definition["permissions"], permission):
                    return PermissionAnswer(True, None)
            return PermissionAnswer(False, NOT_GRANTED)

    # Following the feed

    def _install(self, state: State) -> None:
        with self._lock:
            self._state = state
            self._lock.notify_all()

    def _follow(self) -> None:
        backoff = 0.1
        while not self._stopping.is_set():
            try:
                self._follow_page()
                backoff = 0.1
            except Exception as error:  # Whatever went wrong, a new snapshot mends it.
                if self._stopping.is_set():
                    return
                log.warning("registry cache: %s; taking a new snapshot", error)
                self._stopping.wait(backoff)
                backoff = min(backoff * 2, 5.0)
                with contextlib.suppress(Exception):
                    self._install(read_snapshot(self._transport.snapshot()))
                    self.resyncs += 1

    def _follow_page(self) -> None:
        page = self._transport.events(self._ready().position, self._wait)
        for event in page["events"]:
            self._apply(event)
        with self._lock:
            state = self._ready()
            state.position = max(state.position, int(page["next"]))
            self._lock.notify_all()

    def _apply(self, event: dict[str, Any]) -> None:
        with self._lock:
            if EventApplier(self._ready()).apply(event):
                return
        taken = read_snapshot(self._transport.snapshot(event["organizationId"]))
        self.refetches += 1
        with self._lock:
            state = self._ready()
            for org_id, org in taken.organizations.items():
                held = state.organizations.get(org_id)
                if held is None or held.version <= org.version:
                    state.put(org)
