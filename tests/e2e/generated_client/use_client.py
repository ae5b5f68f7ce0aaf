"""A program written against the client that openapi-python-client generates from the
server's /openapi.json (the package ``registry_client``): it creates, reads conditionally,
updates conditionally and unconditionally, adds and reads a member, reads the history and
an error, as an integrator would. Run by tests/e2e/test_generated_client.py with
``python use_client.py <base url> <admin token>``; exits non-zero on the first surprise."""

from __future__ import annotations

import sys
import uuid

from registry_client import AuthenticatedClient
from registry_client.api.history import organization_history
from registry_client.api.members import add_member, get_member
from registry_client.api.organizations import (
    create_organization,
    get_organization,
    patch_organization,
)
from registry_client.models import (
    ErrorBody,
    ErrorBodyCode,
    HistoryEventType,
    HistoryPage,
    MemberCreate,
    MemberEnvelope,
    OrganizationCreate,
    OrganizationEnvelope,
    OrganizationUpdate,
)


def main(base_url: str, token: str) -> None:
    client = AuthenticatedClient(base_url=base_url, token=token, raise_on_unexpected_status=True)
    slug = f"gen-{uuid.uuid4().hex[:10]}"
    created = create_organization.sync_detailed(
        client=client, body=OrganizationCreate(name="Generated Co", slug=slug)
    )
    assert isinstance(created.parsed, OrganizationEnvelope), created
    assert created.headers["Location"].endswith(str(created.parsed.organization.id))
    org_id = str(created.parsed.organization.id)

    read = get_organization.sync_detailed(org_id, client=client)
    assert isinstance(read.parsed, OrganizationEnvelope), read
    etag = read.headers["ETag"]
    unchanged = get_organization.sync_detailed(org_id, client=client, if_none_match=etag)
    assert unchanged.status_code == 304, unchanged

    renamed = patch_organization.sync(
        org_id, client=client, body=OrganizationUpdate(name="Renamed Co"), if_match=etag
    )
    assert isinstance(renamed, OrganizationEnvelope), renamed
    unconditional = patch_organization.sync(  # No If-Match: none is sent.
        org_id, client=client, body=OrganizationUpdate(name="Renamed Again")
    )
    assert isinstance(unconditional, OrganizationEnvelope), unconditional
    stale = patch_organization.sync(
        org_id, client=client, body=OrganizationUpdate(name="Late"), if_match=etag
    )
    assert isinstance(stale, ErrorBody), stale
    assert stale.code == ErrorBodyCode.VERSION_CONFLICT, stale

    added = add_member.sync(
        org_id, client=client, body=MemberCreate(user_id="u-gen-1", email="gen@example.com")
    )
    assert isinstance(added, MemberEnvelope), added
    member = get_member.sync(org_id, "u-gen-1", client=client)
    assert isinstance(member, MemberEnvelope), member
    assert member.member == added.member, member

    history = organization_history.sync(org_id, client=client)
    assert isinstance(history, HistoryPage), history
    types = [event.type_ for event in history.events]
    assert types[:2] == [HistoryEventType.CREATED, HistoryEventType.RENAMED], types
    paths = {path for event in history.events for path in event.changes.additional_properties}
    assert any(path.endswith(".userId") for path in paths), paths

    missing = get_organization.sync(str(uuid.uuid4()), client=client)
    assert isinstance(missing, ErrorBody), missing
    assert missing.code == ErrorBodyCode.ORGANIZATION_NOT_FOUND, missing
    print("generated client: every call as documented")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
