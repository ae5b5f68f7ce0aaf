"""What the organization commands decide, given the organization and the command's values
(already validated): which events it records, and which unique values it claims or
releases."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from domain.commands import UNSET, OrganizationChanges
from domain.organizations.attributes import ATTRIBUTE_DEFAULTS
from domain.organizations.organization import Organization
from domain.rules import PROFILE_FIELDS
from domain.unique_keys import EXTERNAL_IDS, SLUGS

if TYPE_CHECKING:
    from domain.work import Work


def create(work: Work, values: dict[str, Any]) -> Organization:
    """A new organization, holding its slug and external id."""
    org = Organization(**values)
    work.claim(SLUGS, org.slug, org.id)
    if org.external_id is not None:
        work.claim(EXTERNAL_IDS, org.external_id, org.id)
    return org


def change(work: Work, org: Organization, values: dict[str, Any]) -> None:
    """Record each change ``values`` makes (fields equal to the current ones change nothing)."""
    if "name" in values:
        org.rename(values["name"])
    if values.get("slug", org.slug) != org.slug:
        _move(work, SLUGS, org, org.slug, values["slug"])
        org.change_slug(values["slug"])
    if values.get("external_id", org.external_id) != org.external_id:
        _move(work, EXTERNAL_IDS, org, org.external_id, values["external_id"])
        org.change_external_id(values["external_id"])
    if "settings" in values:
        org.replace_settings(values["settings"])
    if values.get("profile"):
        org.update_profile(values["profile"])
    if "metadata" in values:
        org.replace_metadata(values["metadata"])
    if "status" in values:
        org.change_status(values["status"], values["status_reason"])
    if values.get("account"):
        org.update_account(values["account"])
    if "region" in values:
        org.move_to_region(values["region"])


def _move(work: Work, kind: str, org: Organization, old: str | None, new: str | None) -> None:
    if old is not None:
        work.release(kind, old)
    if new is not None:
        work.claim(kind, new, org.id)


def changes_back_to(past: Organization, now: Organization) -> OrganizationChanges:
    """The changes that bring an organization back from its state ``now`` to its state
    ``past``. Keys, roles and memberships are not among them: a revoked key stays revoked,
    and nobody regains access by a revert. Its region is among them only if it moved."""
    return OrganizationChanges(
        name=past.name,
        slug=past.slug,
        external_id=past.external_id,
        settings=past.settings,
        metadata=past.metadata,
        profile={f: getattr(past, f) for f in PROFILE_FIELDS},
        status=past.status,
        status_reason=past.status_reason,
        verified=past.verified,
        managed_by=past.managed_by,
        max_allowed_memberships=past.max_allowed_memberships,
        region=UNSET if past.region == now.region else past.region,
        **{f: getattr(past, f) for f in ATTRIBUTE_DEFAULTS},
    )
