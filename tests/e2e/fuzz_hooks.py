"""Schemathesis hooks of the fuzz run (``tests/e2e/test_openapi_fuzz.py`` loads this module
with ``SCHEMATHESIS_HOOKS``): the answers that fail a check only because the check cannot
know what the answer depends on, each named with why. Every other failure stands.

Only ``positive_data_acceptance`` (ST202) is concerned: it expects every request valid by
the schema to be accepted, while some refusals depend on what no schema can state:

- what the store holds now: a slug or externalId another organization holds, a version
  ``If-Match`` names that the organization has moved past, a ``toVersion`` after its last
  version, a role key the organization has not defined, an ``owner`` who is not one of its
  active owners, the cursors this service issued;
- the clock (an ``expiresAt`` that must be in the future) and the network (a webhook url
  whose host must resolve to a globally reachable address: none resolves here);
- one parameter against another (OpenAPI has no way to say that two query parameters or
  headers exclude or require each other): ``version`` or ``asOf``; exactly one of ``slug``,
  ``externalId``, ``stytchOrgId``; ``externalId`` or its alias ``stytchOrgId``; naming the
  current organization with one of two headers when the credential names none;
- text no store can hold: U+0000 and lone surrogates (RFC 8259 section 8.2: a string with
  them has no defined meaning; PostgreSQL's text holds neither);
- a phone number valid by its country's numbering plan (the schema says E.164's shape),
  and a userId or email given twice in one bulk list (``uniqueItems`` compares whole items);
- an integer beyond 2^53 at any depth of free JSON (settings): a schema reaches every depth
  only by recursion, which code generators cannot follow (README, Field rules);
- a reserved slug in another case (``Admin``): the schema names the reserved slugs, but a
  JSON Schema enum compares case-sensitively and slugs compare case-insensitively;
- printable text (Python's ``str.isprintable``) beyond what a pattern can say: the spec's
  patterns refuse control characters, but no JSON Schema pattern can name Unicode's
  separators, format and unassigned characters.

Each is matched on the answer's code, field and message, never on the operation alone.

One more is schemathesis' own: its coverage phase sends, as a valid request, an ``If-Match``
its pattern refuses (``0``, from the template it fills optional headers with); such a
request is not schema-valid, so the check's premise does not hold. Dropped only when the
value sent does not match the declared pattern.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

import schemathesis

from api.http.openapi_headers import IF_MATCH_SCHEMA

if TYPE_CHECKING:
    from schemathesis import HookContext, Response
    from schemathesis.core.failures import Failure

STATE_CODES = frozenset({"DUPLICATE_SLUG", "DUPLICATE_ORGANIZATION", "WEBHOOK_URL_NOT_ALLOWED"})
"""Refusals that depend on the store's contents or on the network."""
STATE_STATUSES = frozenset({412})
"""``VERSION_CONFLICT``: a precondition on the organization's current version."""
VALIDATION_MESSAGES = (
    "is not a cursor this service issued",
    "must be in the future",
    "must be between 1 and ",  # toVersion: up to the organization's last version.
    "unknown role ",
    "must be the userId of an active member with the owner role",
    "give version or asOf, not both",
    "give exactly one of slug, externalId or stytchOrgId",
    "externalId and stytchOrgId are the same field; give one",
    "name the current organization with X-Organization-Id",
    "must not contain the NUL character",
    "must not contain lone surrogates",
    "must contain only printable characters",
    "' is reserved",
    "must be an E.164 number",  # Valid by the numbering plan of its country.
    "appears twice in the list",  # uniqueItems compares whole items, not one field of them.
    "must be an integer between -9007199254740991 and 9007199254740991",
)
"""Messages of 400 ``VALIDATION_ERROR`` fields that no schema can state (above)."""


def _fields(response: Response) -> list[dict[str, Any]]:
    try:
        body = json.loads(response.content)
    except ValueError:
        return []
    if not isinstance(body, dict) or body.get("code") != "VALIDATION_ERROR":
        return []
    fields = body.get("details", {}).get("fields", [])
    return fields if isinstance(fields, list) else []


def beyond_any_schema(response: Response) -> bool:
    """Whether the refusal depends only on what no schema can state."""
    if response.status_code in STATE_STATUSES:
        return True
    try:
        code = json.loads(response.content).get("code")
    except (ValueError, AttributeError):
        return False
    if code in STATE_CODES:
        return True
    fields = _fields(response)
    return bool(fields) and all(
        any(known in str(field.get("message", "")) for known in VALIDATION_MESSAGES)
        for field in fields
    )


def sent_an_invalid_if_match(case: Any, response: Response) -> bool:
    """Whether the refusal is of an ``If-Match`` that breaks the declared pattern."""
    fields = _fields(response)
    sent = {k.lower(): v for k, v in (case.headers or {}).items()}.get("if-match")
    return (
        bool(fields)
        and all(field.get("field") == "If-Match" for field in fields)
        and sent is not None
        and re.search(str(IF_MATCH_SCHEMA["pattern"]), str(sent)) is None
    )


@schemathesis.hook
def filter_failure(context: HookContext, failure: Failure, case: Any, response: Response) -> bool:
    """Keep every failure but a schema-valid request refused for a reason above."""
    return not (
        failure.code == "ST202"
        and (beyond_any_schema(response) or sent_an_invalid_if_match(case, response))
    )
