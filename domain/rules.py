"""The rules every organization field obeys, as pure functions.

Each ``check_*`` function returns the normalised value or raises
``InvalidValueError`` with a message a user can act on.
"""

from __future__ import annotations

import json
import re
import unicodedata
import zoneinfo
from datetime import date
from functools import cache
from typing import Any
from urllib.parse import urlsplit

import email_validator
import idna
import phonenumbers
from babel import Locale, UnknownLocaleError

from domain.codes import COUNTRY_CODES, CURRENCY_CODES
from domain.errors import (
    FieldProblem,
    InvalidSlugError,
    InvalidValueError,
    ReservedSlugError,
    ValidationError,
)
from domain.organizations.attributes import ATTRIBUTE_RULES, check_flag, check_gtm_id, check_limit

DEFAULT_RESERVED_SLUGS: frozenset[str] = frozenset(
    "admin api app auth dashboard settings account fanfare waitify support www mail ftp cdn".split()
)
SETTINGS_MAX_BYTES = 16 * 1024
SETTINGS_MAX_DEPTH = 8
METADATA_MAX_PAIRS = 50
MAX_MANAGERS = 10

_SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?")
_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
_E164 = re.compile(r"\+[1-9][0-9]{1,14}")
_COLOR = re.compile(r"#[0-9A-Fa-f]{6}")
_FISCAL = re.compile(r"([0-9]{2})-([0-9]{2})")
_BCP47 = re.compile(
    r"[A-Za-z]{2,3}(?:-[A-Za-z]{3}){0,3}"  # language, extlang
    r"(?:-[A-Za-z]{4})?"  # script
    r"(?:-(?:[A-Za-z]{2}|[0-9]{3}))?"  # region
    r"(?:-(?:[A-Za-z0-9]{5,8}|[0-9][A-Za-z0-9]{3}))*"  # variants
    r"(?:-[0-9A-WY-Za-wy-z](?:-[A-Za-z0-9]{2,8})+)*"  # extensions
    r"(?:-x(?:-[A-Za-z0-9]{1,8})+)?"  # private use
)


def check_line(value: str, max_length: int) -> str:
    """One line of text: trimmed, 1 to ``max_length`` characters, no control characters."""
    line = value.strip()
    if not 1 <= len(line) <= max_length:
        raise InvalidValueError(f"must be 1-{max_length} characters after trimming")
    if any(unicodedata.category(c) == "Cc" for c in line):
        raise InvalidValueError("must not contain control characters")
    return line


def check_name(value: str) -> str:
    return check_line(value, 256)


def normalize_slug(value: str) -> str:
    """Slugs compare case-insensitively: their stored form is trimmed and lowercase."""
    return value.strip().lower()


def check_slug(value: str, reserved: frozenset[str] = DEFAULT_RESERVED_SLUGS) -> str:
    """Return the slug in its stored (lowercase) form."""
    slug = normalize_slug(value)
    if not 3 <= len(slug) <= 50:
        raise InvalidSlugError("must be 3-50 characters")
    if not _SLUG.fullmatch(slug):
        raise InvalidSlugError(
            "may contain only lowercase letters, digits and hyphens, "
            "and must start and end with a letter or digit"
        )
    if "--" in slug:
        raise InvalidSlugError("must not contain consecutive hyphens (--)")
    if slug in reserved:
        raise ReservedSlugError(f"'{slug}' is reserved")
    return slug


def check_external_id(value: str) -> str:
    if not 1 <= len(value) <= 255:
        raise InvalidValueError("must be 1-255 characters")
    if not value.isprintable():
        raise InvalidValueError("must contain only printable characters")
    return value


def check_country_code(value: str) -> str:
    if value not in COUNTRY_CODES:
        raise InvalidValueError("must be an ISO 3166-1 alpha-2 code, such as US or DE")
    return value


def check_hostname(value: str) -> str:
    """A hostname, internationalized ones included (checked in their ASCII form, IDNA 2008
    with UTS 46); kept lowercase as given."""
    host = value.lower()
    try:
        ascii_host = idna.encode(host, uts46=True).decode() if not host.isascii() else host
    except idna.IDNAError:
        raise InvalidValueError("must be a hostname, such as example.com") from None
    labels = ascii_host.split(".")
    if (
        len(ascii_host) > 253
        or len(labels) < 2
        or not all(_LABEL.fullmatch(label) for label in labels)
        or labels[-1].isdigit()
    ):
        raise InvalidValueError("must be a hostname, such as example.com")
    return host


def _any_case(word: str) -> str:
    return "".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else c for c in word)


_HOST = r"(?!.*--)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{1,63}"
HOSTNAME_PATTERN = f"^{_HOST}$"
"""The hostnames ``check_hostname`` takes that a pattern can say: ASCII labels and a
top-level domain of letters (it also takes internationalized names)."""
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
EMAIL_PATTERN = (
    r"^(?!.*[.@](?:"
    + "|".join(_any_case(name) for name in email_validator.SPECIAL_USE_DOMAIN_NAMES)
    + rf")$){_ATOM}(?:\.{_ATOM})*@{_HOST}$"
)
"""The addresses ``check_email`` takes that a pattern can say: a dot-atom, ``@``, a
hostname that is not a special-use name (``.test``, ``.localhost``, ...); it also takes
quoted and internationalized addresses."""


def check_email(value: str) -> str:
    """An address by email-validator's rules (international ones included), normalized."""
    try:
        checked = email_validator.validate_email(
            value, check_deliverability=False, allow_smtputf8=True
        )
    except email_validator.EmailNotValidError:
        raise InvalidValueError("must be an email address, such as help@example.com") from None
    local, _, domain = checked.normalized.rpartition("@")
    return f"{local}@{domain.lower()}"


def check_phone(value: str) -> str:
    """An E.164 number that phonenumbers' metadata knows as a possible, valid number."""
    problem = InvalidValueError("must be an E.164 number, such as +14155550123")
    if not _E164.fullmatch(value):
        raise problem
    try:
        number = phonenumbers.parse(value)
    except phonenumbers.NumberParseException:
        raise problem from None
    if not phonenumbers.is_valid_number(number):
        raise problem
    return value


def check_https_url(value: str) -> str:
    parts = urlsplit(value)
    if len(value) > 2048 or parts.scheme != "https" or not parts.hostname:
        raise InvalidValueError("must be an https URL")
    if parts.username is not None or parts.password is not None:
        raise InvalidValueError("must not hold credentials (user:password@)")
    check_hostname(parts.hostname)
    return value


def check_color(value: str) -> str:
    if not _COLOR.fullmatch(value):
        raise InvalidValueError("must be a hex colour #RRGGBB")
    return value.upper()


def check_short_text(value: str) -> str:
    if len(value) > 255:
        raise InvalidValueError("must be at most 255 characters")
    return value


PROFILE_RULES = {
    "country_code": check_country_code,
    "domain": check_hostname,
    "support_email": check_email,
    "support_phone": check_phone,
    "logo_url": check_https_url,
    "favicon_url": check_https_url,
    "avatar_url": check_https_url,
    "primary_color": check_color,
    "contrast_color": check_color,
    "reference": check_short_text,
    "reference_origin": check_short_text,
    "gtm_id": check_gtm_id,
    "gtm_id_test": check_gtm_id,
}
PROFILE_FIELDS = tuple(PROFILE_RULES)


def check_profile_value(field: str, value: str | None) -> str | None:
    return None if value is None else PROFILE_RULES[field](value)


@cache
def _timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _check_timezone(value: Any) -> None:
    if not isinstance(value, str) or value not in _timezones():
        raise InvalidValueError("must be an IANA time zone, such as Europe/London", "timezone")


def _check_currency(value: Any) -> None:
    if not isinstance(value, str) or value not in CURRENCY_CODES:
        raise InvalidValueError("must be an ISO 4217 currency code, such as USD", "defaultCurrency")


def _check_fiscal_year_start(value: Any) -> None:
    match = _FISCAL.fullmatch(value) if isinstance(value, str) else None
    try:
        if match is None:
            raise ValueError(value)
        # 2001 is not a leap year: a fiscal year cannot start on a day most years lack.
        date(2001, int(match[1]), int(match[2]))
    except ValueError:
        raise InvalidValueError(
            "must be a day of the year as MM-DD, such as 04-01", "fiscalYearStart"
        ) from None


def _check_locale(value: Any) -> None:
    """A BCP 47 tag whose language (script, region) CLDR knows, through babel."""
    problem = InvalidValueError("must be a BCP 47 language tag, such as en-US", "locale")
    if not isinstance(value, str) or not _BCP47.fullmatch(value):
        raise problem
    known = "-".join(value.split("-")[:3])  # Language, script or region: what CLDR names.
    for tag in (known, "-".join(known.split("-")[:2]), known.split("-")[0]):
        try:
            Locale.parse(tag, sep="-")
        except (ValueError, UnknownLocaleError):
            continue
        return
    raise problem


KNOWN_SETTINGS = {
    "timezone": _check_timezone,
    "defaultCurrency": _check_currency,
    "fiscalYearStart": _check_fiscal_year_start,
    "locale": _check_locale,
}


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


def settings_problems(settings: dict[str, Any]) -> list[FieldProblem]:
    """Every problem of a whole settings object (known keys, size, depth)."""
    problems: list[FieldProblem] = []
    size = len(json.dumps(settings, separators=(",", ":"), ensure_ascii=False).encode())
    if size > SETTINGS_MAX_BYTES:
        problems.append(FieldProblem("settings", f"must be at most 16 KiB ({size} bytes)"))
    if _depth(settings) > SETTINGS_MAX_DEPTH:
        problems.append(
            FieldProblem("settings", f"must be at most {SETTINGS_MAX_DEPTH} levels deep")
        )
    for key, check in KNOWN_SETTINGS.items():
        if key in settings:
            try:
                check(settings[key])
            except InvalidValueError as e:
                problems.append(FieldProblem(f"settings.{e.path}", str(e)))
    return problems


def metadata_problems(metadata: dict[str, str]) -> list[FieldProblem]:
    problems: list[FieldProblem] = []
    if len(metadata) > METADATA_MAX_PAIRS:
        problems.append(FieldProblem("metadata", f"must have at most {METADATA_MAX_PAIRS} pairs"))
    for key, value in metadata.items():
        if not 1 <= len(key) <= 40:
            problems.append(FieldProblem("metadata", f"key '{key[:50]}' must be 1-40 characters"))
        if not isinstance(value, str) or len(value) > 500:
            problems.append(
                FieldProblem(f"metadata.{key}", "must be a string of at most 500 characters")
            )
    return problems


def merge_patch(target: Any, patch: Any) -> Any:
    """Apply an RFC 7396 JSON Merge Patch to ``target`` and return the result."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def check_managed_by(value: Any) -> list[dict[str, str]]:
    """The systems that manage an organization: up to 10 ``{"type", "id"}`` pairs."""
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > MAX_MANAGERS:
        raise InvalidValueError(f"must be a list of at most {MAX_MANAGERS} managers")
    managers = []
    for i, item in enumerate(value):
        if not isinstance(item, dict) or set(item) != {"type", "id"}:
            raise InvalidValueError('must be an object {"type", "id"}', f"[{i}]")
        for key in ("type", "id"):
            if not isinstance(item[key], str):
                raise InvalidValueError("must be a string", f"[{i}].{key}")
            check_external_id(item[key])
        managers.append({"type": item["type"], "id": item["id"]})
    return managers


def check_owner(value: Any, owners: list[str]) -> str:
    if value not in owners:
        raise InvalidValueError("must be the userId of an active member with the owner role")
    return str(value)


ACCOUNT_RULES = {
    "verified": check_flag,
    "managed_by": check_managed_by,
    "max_allowed_memberships": check_limit,
    **ATTRIBUTE_RULES,
}
"""The admin-only fields of ``Organization.ACCOUNT_FIELDS`` (seed 001's flags, limits and
subscription among them)."""


class Problems:
    """Collects the problems of many fields, so one error can name them all."""

    def __init__(self) -> None:
        self.items: list[FieldProblem] = []

    def check(self, field: str, rule: Any, value: Any, *args: Any) -> Any:
        try:
            return rule(value, *args)
        except InvalidValueError as e:
            self.items.append(FieldProblem(f"{field}.{e.path}" if e.path else field, str(e)))
            return None

    def extend(self, problems: list[FieldProblem]) -> None:
        self.items.extend(problems)

    def raise_if_any(self) -> None:
        if self.items:
            raise ValidationError(self.items)
