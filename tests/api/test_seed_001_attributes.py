"""Seed 001's attributes over HTTP, on each store: region, GTM ids, flags, limits and the
subscription; written by the admin (GTM ids by the tenant too), read by the organization's
key and members, in history, lists and the change feed."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import pytest

from service.logs import LOGGERS
from tests.api.conftest import InProcessServer
from tests.helpers import ADMIN, ORGS, bearer, issue_key, new_org, org_with, random_slug
from tests.key_server import AUDIENCE, KeyServer

if TYPE_CHECKING:
    from collections.abc import Iterator

FEED_REGIONS = ("ap-south-1", "sa-east-1", "ca-central-1", "me-south-1", "af-south-1")
"""Each one feed test's own region: its feed holds only that test's events."""
REGIONS = ",".join(("eu-west-1", "us-east-1", *FEED_REGIONS))
FLAGS = {
    "discountDisabled": True,
    "accountDisabled": True,
    "acceptanceDisabled": True,
    "canSwitchLive": True,
}
LIMITS = {"maxConcurrentPromotions": 10, "maxConcurrentImports": 2}
SUBSCRIPTION = {"plan": "growth", "limits": {"orders": 10000}, "totals": {"orders": 42}}
ADMIN_ONLY = [
    {"region": "us-east-1"},
    *({name: value} for name, value in {**FLAGS, **LIMITS}.items()),
    {"subscriptionInfo": SUBSCRIPTION},
]
INVALID = [
    ({"gtmId": "UA-12345-1"}, "gtmId"),
    ({"gtmIdTest": "gtm-abc123"}, "gtmIdTest"),
    ({"maxConcurrentPromotions": -1}, "maxConcurrentPromotions"),
    ({"maxConcurrentImports": 1_000_001}, "maxConcurrentImports"),
    ({"region": "mars-1"}, "region"),
    ({"region": None}, "region"),
    ({"subscriptionInfo": {"limits": {"orders": -1}}}, "subscriptionInfo.limits.orders"),
    ({"discountDisabled": "yes"}, "discountDisabled"),
]


@pytest.fixture(scope="module")
def keys() -> Iterator[KeyServer]:
    server = KeyServer(("RS256",))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def server(module_database_url: str, keys: KeyServer) -> Iterator[InProcessServer]:
    """The app serving four regions, its users' tokens verified with the key server's keys."""
    running = InProcessServer(
        module_database_url, regions=REGIONS, jwt_issuer=keys.issuer, jwt_audience=AUDIENCE
    )
    yield running
    running.stop()
    for name in LOGGERS:
        logging.getLogger(name).handlers.clear()


def patch(server: InProcessServer, org_id: str, body: dict[str, Any], headers: Any) -> Any:
    return server.client.patch(f"{ORGS}/{org_id}", json=body, headers=headers)


def read(server: InProcessServer, org_id: str, headers: Any = ADMIN) -> dict[str, Any]:
    response = server.client.get(f"{ORGS}/{org_id}", headers=headers)
    assert response.status_code == 200, response.text
    org: dict[str, Any] = response.json()["organization"]
    return org


def history(server: InProcessServer, org_id: str) -> list[dict[str, Any]]:
    response = server.client.get(f"{ORGS}/{org_id}/history", headers=ADMIN)
    events: list[dict[str, Any]] = response.json()["events"]
    return events


def feed(server: InProcessServer, region: str) -> list[tuple[str, str]]:
    """A region's whole feed (it is one test's own: ``FEED_REGIONS``)."""
    assert region in FEED_REGIONS
    params: dict[str, str | int] = {"region": region, "limit": 1000}
    events = server.client.get("/api/v1/events", params=params, headers=ADMIN).json()["events"]
    return [(e["organizationId"], e["type"]) for e in events]


def test_every_seed_001_attribute_is_read_back_as_it_was_written(server: InProcessServer) -> None:
    gtm = {"gtmId": "GTM-AB12CD3", "gtmIdTest": "GTM-TEST01"}
    org = new_org(server, region="us-east-1", **gtm)
    written = patch(server, org["id"], {**FLAGS, **LIMITS, "subscriptionInfo": SUBSCRIPTION}, ADMIN)
    assert written.status_code == 200, written.text
    expected = {"region": "us-east-1", **gtm, **FLAGS, **LIMITS, "subscriptionInfo": SUBSCRIPTION}
    assert {f: read(server, org["id"])[f] for f in expected} == expected


def test_the_history_shows_each_attribute_change_from_and_to(server: InProcessServer) -> None:
    org = new_org(server, region="us-east-1", gtmId="GTM-AB12CD3")
    patch(server, org["id"], {**FLAGS, **LIMITS, "subscriptionInfo": SUBSCRIPTION}, ADMIN)
    created, updated = history(server, org["id"])
    assert created["changes"]["region"] == {"from": None, "to": "us-east-1"}
    assert created["changes"]["gtmId"] == {"from": None, "to": "GTM-AB12CD3"}
    assert updated["type"] == "AccountUpdated"
    assert updated["changes"] == {
        **{f: {"from": False, "to": True} for f in FLAGS},
        **{f: {"from": None, "to": v} for f, v in LIMITS.items()},
        "subscriptionInfo": {
            "from": {"plan": None, "limits": {}, "totals": {}},
            "to": SUBSCRIPTION,
        },
    }


def test_a_move_to_another_region_is_in_the_history_as_its_own_event(
    server: InProcessServer,
) -> None:
    org = new_org(server)
    assert org["region"] == "eu-west-1"  # The operator's first region.
    assert patch(server, org["id"], {"region": "us-east-1"}, ADMIN).status_code == 200
    moved = history(server, org["id"])[-1]
    assert moved["type"] == "RegionChanged"
    assert moved["changes"] == {"region": {"from": "eu-west-1", "to": "us-east-1"}}
    as_of = server.client.get(f"{ORGS}/{org['id']}", params={"version": 1}, headers=ADMIN)
    assert as_of.json()["organization"]["region"] == "eu-west-1"


@pytest.mark.parametrize("body", ADMIN_ONLY)
@pytest.mark.parametrize("caller", ["key", "user"])
def test_a_key_or_a_member_may_not_set_an_admin_only_attribute(
    server: InProcessServer, keys: KeyServer, body: dict[str, Any], caller: str
) -> None:
    org = org_with(server, ann="owner")
    secret = issue_key(server, org["id"])["secret"]
    headers = bearer(secret if caller == "key" else keys.token("ann"))
    before = read(server, org["id"])["version"]
    refused = patch(server, org["id"], body, headers)
    assert (refused.status_code, refused.json()["code"]) == (403, "FORBIDDEN")
    assert read(server, org["id"])["version"] == before


def test_the_key_and_a_member_read_the_attributes_the_admin_wrote(
    server: InProcessServer, keys: KeyServer
) -> None:
    org = org_with(server, ann="member")
    patch(server, org["id"], {"subscriptionInfo": SUBSCRIPTION, "canSwitchLive": True}, ADMIN)
    secret = issue_key(server, org["id"])["secret"]
    for headers in (bearer(secret), bearer(keys.token("ann"))):
        seen = read(server, org["id"], headers)
        assert (seen["subscriptionInfo"], seen["canSwitchLive"]) == (SUBSCRIPTION, True)


def test_a_key_sets_its_organizations_gtm_ids(server: InProcessServer) -> None:
    org = new_org(server)
    secret = issue_key(server, org["id"])["secret"]
    body = {"gtmId": "GTM-AB12CD3", "gtmIdTest": None}
    assert patch(server, org["id"], body, bearer(secret)).status_code == 200
    assert read(server, org["id"])["gtmId"] == "GTM-AB12CD3"


@pytest.mark.parametrize(("body", "field"), INVALID)
def test_a_broken_attribute_is_400_naming_it_and_nothing_is_recorded(
    server: InProcessServer, body: dict[str, Any], field: str
) -> None:
    org = new_org(server)
    refused = patch(server, org["id"], body, ADMIN)
    assert (refused.status_code, refused.json()["code"]) == (400, "VALIDATION_ERROR")
    assert [f["field"] for f in refused.json()["details"]["fields"]] == [field]
    assert read(server, org["id"])["version"] == 1


def test_an_organization_in_an_unknown_region_is_not_created(server: InProcessServer) -> None:
    slug = random_slug()
    body = {"name": "Acme", "slug": slug, "region": "mars-1"}
    refused = server.client.post(ORGS, json=body, headers=ADMIN)
    assert (refused.status_code, refused.json()["details"]["fields"][0]["field"]) == (
        400,
        "region",
    )
    lookup = server.client.get(f"{ORGS}/lookup", params={"slug": slug}, headers=ADMIN)
    assert lookup.status_code == 404


def test_nullable_attributes_accept_null(server: InProcessServer) -> None:
    org = new_org(server, gtmId="GTM-AB12CD3")
    patch(server, org["id"], {"maxConcurrentImports": 3, "subscriptionInfo": SUBSCRIPTION}, ADMIN)
    body = {"gtmId": None, "maxConcurrentImports": None, "subscriptionInfo": None}
    cleared = patch(server, org["id"], body, ADMIN).json()["organization"]
    assert (cleared["gtmId"], cleared["maxConcurrentImports"]) == (None, None)
    assert cleared["subscriptionInfo"] == {"plan": None, "limits": {}, "totals": {}}


def test_a_patch_merges_the_named_parts_of_the_subscription(server: InProcessServer) -> None:
    org = new_org(server)
    patch(server, org["id"], {"subscriptionInfo": SUBSCRIPTION}, ADMIN)
    body = {"subscriptionInfo": {"totals": {"orders": 43, "returns": 1}}}
    merged = patch(server, org["id"], body, ADMIN).json()["organization"]["subscriptionInfo"]
    assert merged == {**SUBSCRIPTION, "totals": {"orders": 43, "returns": 1}}


def test_a_patch_removes_a_named_limit_set_to_null(server: InProcessServer) -> None:
    org = new_org(server)
    patch(server, org["id"], {"subscriptionInfo": SUBSCRIPTION}, ADMIN)
    body = {"subscriptionInfo": {"limits": {"orders": None}}}
    merged = patch(server, org["id"], body, ADMIN).json()["organization"]["subscriptionInfo"]
    assert merged == {**SUBSCRIPTION, "limits": {}}


def test_a_flag_set_to_null_is_false(server: InProcessServer) -> None:
    org = new_org(server)
    patch(server, org["id"], FLAGS, ADMIN)
    cleared = patch(server, org["id"], dict.fromkeys(FLAGS), ADMIN).json()["organization"]
    assert {f: cleared[f] for f in FLAGS} == dict.fromkeys(FLAGS, False)


@pytest.fixture
def eu_west_1_dropped(server: InProcessServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """The operator no longer serves eu-west-1 (its organizations are still there)."""
    registry = server.app.state.services.registry
    monkeypatch.setattr(registry, "regions", ("us-east-1",))


def test_a_revert_in_a_region_no_longer_served_keeps_the_region(
    server: InProcessServer, request: pytest.FixtureRequest
) -> None:
    org = new_org(server)  # In eu-west-1.
    patch(server, org["id"], {"name": "Mistake"}, ADMIN)
    request.getfixturevalue("eu_west_1_dropped")
    path = f"{ORGS}/{org['id']}/revert"
    reverted = server.client.post(path, json={"toVersion": 1}, headers=ADMIN)
    assert reverted.status_code == 200, reverted.text
    body = reverted.json()["organization"]
    assert (body["name"], body["region"]) == (org["name"], "eu-west-1")


def test_a_put_echoing_a_region_no_longer_served_is_accepted(
    server: InProcessServer, request: pytest.FixtureRequest
) -> None:
    org = new_org(server)  # In eu-west-1.
    request.getfixturevalue("eu_west_1_dropped")
    body = {"name": "Acme Renamed", "region": "eu-west-1"}
    put = server.client.put(f"{ORGS}/{org['id']}", json=body, headers=ADMIN)
    assert put.status_code == 200, put.text
    updated = put.json()["organization"]
    assert (updated["name"], updated["region"]) == (body["name"], "eu-west-1")
    assert updated["version"] == 2  # No move recorded.


def test_the_list_filters_by_region(server: InProcessServer) -> None:
    prefix = random_slug("regional")
    us = new_org(server, slug=f"{prefix}-us", region="us-east-1")
    new_org(server, slug=f"{prefix}-eu")
    params = {"q": prefix, "region": "us-east-1"}
    listed = server.client.get(ORGS, params=params, headers=ADMIN).json()["organizations"]
    assert [o["id"] for o in listed] == [us["id"]]


def test_a_malformed_region_filter_is_400(server: InProcessServer) -> None:
    for path in (ORGS, "/api/v1/events"):
        refused = server.client.get(path, params={"region": "EU West"}, headers=ADMIN)
        assert (refused.status_code, refused.json()["code"]) == (400, "VALIDATION_ERROR")


def test_a_regions_feed_holds_the_events_of_its_organizations_only(
    server: InProcessServer,
) -> None:
    org = new_org(server, region="ap-south-1")
    patch(server, org["id"], {"name": "Renamed"}, ADMIN)
    new_org(server)  # In eu-west-1.
    assert feed(server, "ap-south-1") == [(org["id"], "Created"), (org["id"], "Renamed")]


def test_a_move_is_in_the_feed_of_the_region_left_and_of_the_region_entered(
    server: InProcessServer,
) -> None:
    org = new_org(server, region="sa-east-1")
    patch(server, org["id"], {"region": "ca-central-1"}, ADMIN)
    assert feed(server, "sa-east-1") == [(org["id"], "Created"), (org["id"], "RegionChanged")]
    assert feed(server, "ca-central-1") == [(org["id"], "RegionChanged")]


def test_a_regions_feed_keeps_what_was_recorded_there_after_a_move(
    server: InProcessServer,
) -> None:
    org = new_org(server, region="me-south-1")
    patch(server, org["id"], {"name": "Renamed"}, ADMIN)
    before = feed(server, "me-south-1")
    patch(server, org["id"], {"region": "us-east-1"}, ADMIN)
    patch(server, org["id"], {"name": "Renamed again"}, ADMIN)
    assert feed(server, "me-south-1") == [*before, (org["id"], "RegionChanged")]


def test_an_empty_page_of_a_regions_feed_moves_past_what_it_scanned(
    server: InProcessServer,
) -> None:
    new_org(server)  # In eu-west-1: af-south-1's feed is empty.
    whole = server.client.get("/api/v1/events", params={"limit": 1000}, headers=ADMIN).json()
    params: dict[str, str | int] = {"region": "af-south-1", "after": 0}
    empty = server.client.get("/api/v1/events", params=params, headers=ADMIN).json()
    assert empty["events"] == []
    assert empty["next"] >= whole["next"] > 0


def test_seed_002s_banned_status_suspends_and_lists_as_suspended(
    server: InProcessServer,
) -> None:
    org = new_org(server)
    banned = patch(server, org["id"], {"status": "banned"}, ADMIN).json()["organization"]
    assert banned["status"] == "suspended"
    params = {"q": org["slug"], "status": "banned"}
    listed = server.client.get(ORGS, params=params, headers=ADMIN).json()["organizations"]
    assert [o["id"] for o in listed] == [org["id"]]
