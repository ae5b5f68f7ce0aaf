"""Request and response bodies of organizations: create, update, read, list, and the
availability of a slug."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, model_validator
from pydantic.alias_generators import to_camel

from api.http.schemas import (
    LINE_PATTERN,
    METADATA_KEYS,
    PRINTABLE_PATTERN,
    READ_YOUR_WRITES,
    MetadataValue,
    ReadYourWrites,
    RequestBody,
    ResponseBody,
    WholeNumber,
    doc,
    doc_not_null,
)
from domain.codes import COUNTRY_CODES
from domain.commands import UNSET, NewOrganization, OrganizationChanges
from domain.organizations.attributes import (
    COUNT_NAME_PATTERN,
    FLAGS,
    GTM_ID_PATTERN,
    LIMITS,
    MAX_COUNT,
    MAX_LIMIT,
    MAX_NAMED,
    REGION_PATTERN,
)
from domain.rules import EMAIL_PATTERN, HOSTNAME_PATTERN, PROFILE_FIELDS

Status = Literal["active", "suspended", "archived"]
StatusGiven = Literal["active", "suspended", "archived", "banned"]
"""A status as a request may name it: ours, or seed 002's ``banned`` (kept as ``suspended``)."""


URL_LIMITS = {"format": "uri", "pattern": "^https://", "maxLength": 2048}
GTM_LIMITS = {"pattern": f"^{GTM_ID_PATTERN}$", "examples": ["GTM-AB12CD3"]}
SLUG_PATTERN = r"^(?!.*--)[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$"
"""A slug as ``domain.rules.check_slug`` takes it (before trimming and lowercasing)."""
REGION_LIMITS = {"pattern": f"^{REGION_PATTERN}$", "examples": ["eu-west-1"]}
COUNT_LIMITS = {
    "maxProperties": MAX_NAMED,
    "propertyNames": {"pattern": f"^{COUNT_NAME_PATTERN}$"},
}
COLOR_LIMITS = {"pattern": "^#[0-9A-Fa-f]{6}$", "examples": ["#1A2B3C"]}


ATTRIBUTE_FIELDS = (*FLAGS, *LIMITS)
"""Seed 001's admin-only flags and limits, passed to the command as given."""


class _OrganizationFields(RequestBody):
    external_id: str | None = doc(
        "The organization's id at your identity provider: printable, unique.",
        minLength=1,
        maxLength=255,
        pattern=PRINTABLE_PATTERN,
        examples=["organization-test-6f0cd115"],
    )
    stytch_org_id: str | None = doc(
        "Alias of externalId (seed 003).", minLength=1, maxLength=255, pattern=PRINTABLE_PATTERN
    )
    country_code: str | None = doc(
        "ISO 3166-1 alpha-2.", enum=sorted(COUNTRY_CODES), examples=["US"]
    )
    settings: dict[str, Any] | None = doc(
        "A JSON object of at most 16 KiB and 8 levels. Known keys are checked: timezone "
        "(IANA), defaultCurrency (ISO 4217), fiscalYearStart (MM-DD), locale (BCP 47). PUT "
        "replaces it, PATCH merges it (RFC 7396: null removes a key); null clears it.",
        examples=[{"timezone": "America/Los_Angeles", "defaultCurrency": "USD"}],
    )
    domain: str | None = doc(
        "A hostname (IDN too).", maxLength=253, pattern=HOSTNAME_PATTERN, examples=["acme.com"]
    )
    support_email: str | None = doc(
        "An email address (international ones too).",
        format="email",
        maxLength=254,
        pattern=EMAIL_PATTERN,
    )
    support_phone: str | None = doc(
        "An E.164 number.", pattern=r"^\+[1-9][0-9]{1,14}$", examples=["+14155550123"]
    )
    logo_url: str | None = doc("An https URL, without credentials.", **URL_LIMITS)
    favicon_url: str | None = doc("An https URL, without credentials.", **URL_LIMITS)
    avatar_url: str | None = doc(
        "The avatar shown next to the organization: an https URL.", **URL_LIMITS
    )
    primary_color: str | None = doc("A colour #RRGGBB (kept uppercase).", **COLOR_LIMITS)
    contrast_color: str | None = doc("A colour #RRGGBB (kept uppercase).", **COLOR_LIMITS)
    reference: str | None = doc("Your own reference.", maxLength=255)
    reference_origin: str | None = doc("Where the reference comes from.", maxLength=255)
    gtm_id: str | None = doc("Its Google Tag Manager id (seed 001).", **GTM_LIMITS)
    gtm_id_test: str | None = doc("Its Google Tag Manager id for test.", **GTM_LIMITS)
    metadata: dict[str, MetadataValue] | None = doc(
        "Up to 50 pairs of text keys (1-40 characters) and values (up to 500).",
        maxProperties=50,
        examples=[{"plan": "enterprise"}],
        **METADATA_KEYS,
    )

    @model_validator(mode="after")
    def _one_external_id(self) -> _OrganizationFields:
        given = {"externalId", "stytchOrgId"} & {to_camel(f) for f in self.model_fields_set}
        if len(given) == 2 and self.external_id != self.stytch_org_id:
            msg = "externalId and stytchOrgId are the same field; give one"
            raise ValueError(msg)
        return self

    def _given(self) -> set[str]:
        given = set(self.model_fields_set)
        if "stytch_org_id" in given:
            given = (given - {"stytch_org_id"}) | {"external_id"}
        return given

    def _external_id(self) -> str | None:
        return self.external_id if "external_id" in self.model_fields_set else self.stytch_org_id

    def _profile(self) -> dict[str, Any]:
        return {f: getattr(self, f) for f in PROFILE_FIELDS if f in self.model_fields_set}


class OrganizationCreate(_OrganizationFields):
    name: str = doc(
        "1-256 characters after trimming, no control characters.",
        default=...,
        minLength=1,
        maxLength=256,
        pattern=LINE_PATTERN,
        examples=["Acme Financial Group"],
    )
    slug: str = doc(
        "3-50 letters, digits and hyphens, starting and ending with a letter or digit, no "
        "`--`, not reserved; case-insensitive (kept lowercase); unique.",
        default=...,
        minLength=3,
        maxLength=50,
        pattern=SLUG_PATTERN,
        examples=["acme-financial"],
    )
    region: str | None = doc(
        "Where its data lives: one of the operator's regions (REGISTRY_REGIONS); the "
        "first of them if not given.",
        **REGION_LIMITS,
    )

    def to_command(self) -> NewOrganization:
        return NewOrganization(
            name=self.name,
            slug=self.slug,
            external_id=self._external_id(),
            settings=self.settings,
            profile=self._profile(),
            metadata=self.metadata,
            region=self.region,
        )


class OrganizationUpdate(_OrganizationFields):
    """Every field optional: only those present in the body change."""

    name: str = doc_not_null("As on create.", minLength=1, maxLength=256, pattern=LINE_PATTERN)
    slug: str = doc_not_null(
        "As on create; the old slug is released.", minLength=3, maxLength=50, pattern=SLUG_PATTERN
    )
    status: StatusGiven = doc_not_null("Admin only; seed 002's `banned` means `suspended`.")
    status_reason: str | None = doc("Why the status changed (admin only).", maxLength=1000)
    verified: bool | None = doc("Admin only.")
    managed_by: list[Manager] | None = doc("Admin only: up to 10 managing systems.", maxItems=10)
    max_allowed_memberships: WholeNumber | None = doc(
        "Admin only: the cap on memberships, active and invited (0 or null: none).",
        minimum=0,
        maximum=MAX_LIMIT,
    )
    owner: str | None = doc(
        "The userId of an active member with the owner role.", minLength=1, maxLength=255
    )
    region: str = doc_not_null(
        "Admin only: move it to another of the operator's regions (not null; an "
        "organization keeps a region the operator no longer serves until it is moved).",
        **REGION_LIMITS,
    )
    discount_disabled: bool | None = doc("Admin only (null: false).")
    account_disabled: bool | None = doc("Admin only (null: false).")
    acceptance_disabled: bool | None = doc("Admin only (null: false).")
    can_switch_live: bool | None = doc("Admin only (null: false).")
    max_concurrent_promotions: WholeNumber | None = doc(
        "Admin only: 0 to 1000000, or null (not set).", minimum=0, maximum=MAX_LIMIT
    )
    max_concurrent_imports: WholeNumber | None = doc(
        "Admin only: 0 to 1000000, or null (not set).", minimum=0, maximum=MAX_LIMIT
    )
    subscription_info: SubscriptionInfoChange | None = doc(
        "Admin only (a billing system): PUT replaces it, PATCH merges it (RFC 7396: null "
        "removes a limit or a total); null clears it."
    )
    request_quota: RequestQuotaChange | None = doc(
        "Admin only: the request quota of each of its credentials (keys, users), replaced "
        "whole; a field left out or null, or null for the whole: the service's."
    )

    def to_changes(self, *, merge: bool) -> OrganizationChanges:
        given = self._given()

        def value(field: str, current: Any) -> Any:
            return current if field in given else UNSET

        return OrganizationChanges(
            **{f: value(f, getattr(self, f)) for f in ATTRIBUTE_FIELDS},
            region=value("region", self.region),
            subscription_info=value(
                "subscription_info",
                self.subscription_info and self.subscription_info.model_dump(exclude_unset=True),
            ),
            request_quota=value(
                "request_quota", self.request_quota and self.request_quota.model_dump(by_alias=True)
            ),
            name=value("name", self.name),
            slug=value("slug", self.slug),
            external_id=value("external_id", self._external_id()),
            settings=value("settings", self.settings),
            metadata=value("metadata", self.metadata),
            profile=self._profile(),
            status=value("status", self.status),
            status_reason=value("status_reason", self.status_reason),
            verified=value("verified", self.verified),
            managed_by=value(
                "managed_by",
                None if self.managed_by is None else [m.model_dump() for m in self.managed_by],
            ),
            max_allowed_memberships=value("max_allowed_memberships", self.max_allowed_memberships),
            owner=value("owner", self.owner),
            merge=merge,
        )


Count = Annotated[
    WholeNumber, WithJsonSchema({"type": "integer", "minimum": 0, "maximum": MAX_COUNT})
]
"""A named limit or total: a whole number every JSON reader keeps exactly."""


class SubscriptionInfoChange(BaseModel):
    """Seed 001's subscription_info: the plan, its limits and the running totals."""

    model_config = ConfigDict(extra="forbid", strict=True)
    plan: str | None = Field(default=None, min_length=1, max_length=100, examples=["growth"])
    limits: dict[str, Count | None] | None = doc(
        "Named limits: whole numbers from 0.", examples=[{"orders": 10000}], **COUNT_LIMITS
    )
    totals: dict[str, Count | None] | None = doc(
        "Named running totals: whole numbers from 0.", examples=[{"orders": 42}], **COUNT_LIMITS
    )


class RequestQuotaChange(RequestBody):
    """How many requests each credential of an organization may make (token buckets)."""

    reads_per_minute: WholeNumber | None = doc(
        "Reads (GET, HEAD, OPTIONS) a minute, on average; 0: no quota.",
        minimum=0,
        maximum=MAX_LIMIT,
    )
    read_burst: WholeNumber | None = doc(
        "Reads at once after a quiet spell.", minimum=1, maximum=MAX_LIMIT
    )
    writes_per_minute: WholeNumber | None = doc(
        "Writes a minute, on average; 0: no quota.", minimum=0, maximum=MAX_LIMIT
    )
    write_burst: WholeNumber | None = doc(
        "Writes at once after a quiet spell.", minimum=1, maximum=MAX_LIMIT
    )


class RequestQuota(ResponseBody):
    reads_per_minute: int | None = Field(description="Reads a minute (null: the service's).")
    read_burst: int | None = Field(description="Reads at once (null: the service's).")
    writes_per_minute: int | None = Field(description="Writes a minute (null: the service's).")
    write_burst: int | None = Field(description="Writes at once (null: the service's).")


class SubscriptionInfo(ResponseBody):
    plan: str | None = Field(description="The plan's name.")
    limits: dict[str, int] = Field(description="The plan's named limits.")
    totals: dict[str, int] = Field(description="The subscription's named running totals.")


class Manager(BaseModel):
    """A system that manages an organization (seed 002's managedBy)."""

    model_config = ConfigDict(extra="forbid", strict=True)
    type: str = Field(
        min_length=1,
        max_length=255,
        examples=["scim"],
        json_schema_extra={"pattern": PRINTABLE_PATTERN},
    )
    id: str = Field(
        min_length=1,
        max_length=255,
        examples=["okta-0oa1b2c3"],
        json_schema_extra={"pattern": PRINTABLE_PATTERN},
    )


class OrganizationPublic(ResponseBody):
    """An organization now (or as it was, with ``version`` or ``asOf``)."""

    id: UUID = Field(description="Its id, given at creation; never changes.")
    name: str = Field(description="Its display name.", examples=["Acme Financial Group"])
    slug: str = Field(description="Its unique slug, lowercase.", examples=["acme-financial"])
    external_id: str | None = Field(description="Its id at your identity provider.")
    stytch_org_id: str | None = Field(description="The same as externalId (seed 003).")
    country_code: str | None = Field(description="ISO 3166-1 alpha-2.")
    status: Status = Field(description="active, suspended (its keys get 403) or archived.")
    status_reason: str | None = Field(description="Why its status was last set.")
    settings: dict[str, Any] = Field(description="Its settings (a JSON object).")
    domain: str | None = Field(description="Its hostname.")
    support_email: str | None = Field(description="Its support email address.")
    support_phone: str | None = Field(description="Its support phone number (E.164).")
    logo_url: str | None = Field(description="Its logo (https).")
    favicon_url: str | None = Field(description="Its favicon (https).")
    primary_color: str | None = Field(description="Its primary colour, #RRGGBB.")
    contrast_color: str | None = Field(description="Its contrast colour, #RRGGBB.")
    reference: str | None = Field(description="Your own reference.")
    reference_origin: str | None = Field(description="Where the reference comes from.")
    metadata: dict[str, str] = Field(description="Its text key-value pairs.")
    avatar_url: str | None = Field(description="The avatar shown next to it (https).")
    owner: str | None = Field(
        description="The userId of its owner: the first active member with the owner role, "
        "unless set to another one."
    )
    active_member_count: int = Field(description="Its active members.")
    pending_member_count: int = Field(description="Its invitations not yet accepted.")
    max_allowed_memberships: int | None = Field(
        description="At most how many memberships (active and invited) it may hold; "
        "0 or null: no cap."
    )
    verified: bool = Field(description="Whether an admin verified it.")
    managed_by: list[Manager] = Field(description="The systems that manage it.")
    gtm_id: str | None = Field(description="Its Google Tag Manager id.")
    gtm_id_test: str | None = Field(description="Its Google Tag Manager id for test.")
    region: str = Field(description="Where its data lives.", examples=["eu-west-1"])
    discount_disabled: bool = Field(description="Whether discounts are disabled.")
    account_disabled: bool = Field(description="Whether its account is disabled.")
    acceptance_disabled: bool = Field(description="Whether acceptance is disabled.")
    can_switch_live: bool = Field(description="Whether it may switch to live mode.")
    max_concurrent_promotions: int | None = Field(
        description="At most how many promotions may be active at once (null: not set)."
    )
    max_concurrent_imports: int | None = Field(
        description="At most how many imports may run at once (null: not set)."
    )
    subscription_info: SubscriptionInfo = Field(description="Its subscription.")
    request_quota: RequestQuota | None = Field(
        description="The request quota of each of its credentials (null: the service's)."
    )
    version: int = Field(description="How many events it has; its ETag.", examples=[3])
    created_at: datetime = Field(description="When it was created.")
    updated_at: datetime = Field(description="When it last changed.")

    @classmethod
    def of(cls, details: dict[str, Any]) -> OrganizationPublic:
        return cls(**details, stytch_org_id=details["external_id"])


class OrganizationEnvelope(ResponseBody):
    organization_id: UUID
    organization: OrganizationPublic
    read_your_writes: ReadYourWrites | None = READ_YOUR_WRITES

    @classmethod
    def of(
        cls, details: dict[str, Any], read_your_writes: ReadYourWrites | None = None
    ) -> OrganizationEnvelope:
        return cls(
            organization_id=details["id"],
            organization=OrganizationPublic.of(details),
            read_your_writes=read_your_writes,
        )


class OrganizationsPage(ResponseBody):
    organizations: list[OrganizationPublic] = Field(description="Newest first.")
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null: none.")


class SlugAvailability(ResponseBody):
    organization_id: UUID | None = Field(
        default=None,
        description="With a key: its organization. With the admin token: the organization "
        "holding a taken slug. Otherwise null.",
    )
    slug: str = Field(description="The slug as it would be kept (trimmed, lowercase).")
    available: bool = Field(description="Whether it can be claimed now.")
    reason: Literal["taken", "reserved", "invalid"] | None = Field(
        description="Why not, when it cannot."
    )
    message: str = Field(description="The answer, for people.")
