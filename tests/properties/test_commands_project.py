"""Property: any sequence of commands, holding any JSON values and any strings, is either
refused (400, nothing recorded) or projected; and the read model's row and history equal
the fold of the organization's events. Also for events recorded without today's rules
(as earlier versions of the registry did). On each store."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from domain.changes import diff
from domain.commands import NewOrganization, OrganizationChanges
from domain.errors import ValidationError
from projections.records import HistoryQuery
from projections.rows import doc_of
from service.composition import bootstrap
from tests.conftest import _store_url
from tests.helpers import make_settings, random_slug

if TYPE_CHECKING:
    from collections.abc import Iterator

    from domain.organizations.organization import Organization
    from service.composition import Services

EXAMPLES = 100

any_text = st.text(st.characters(exclude_categories=()), max_size=10) | st.sampled_from(
    ["\x00", "a\ud800", "Acme", "  padded  ", "\U0001f600", ""]
)
any_number = (
    st.integers()
    | st.floats()
    | st.sampled_from(
        [2**53 - 1, 2**53, 2**64, -(2**63), 1e308, -0.0, math.inf, -math.inf, math.nan]
    )
)
any_json = st.recursive(
    st.none() | st.booleans() | any_number | any_text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(any_text, inner, max_size=3),
    max_leaves=8,
)
changes = st.builds(
    OrganizationChanges,
    name=st.just(OrganizationChanges().name) | any_text,
    settings=st.just(OrganizationChanges().settings)
    | st.none()
    | st.dictionaries(any_text, any_json, max_size=3),
    metadata=st.just(OrganizationChanges().metadata)
    | st.dictionaries(any_text, any_text | any_json, max_size=3),
    status=st.just(OrganizationChanges().status) | st.sampled_from(["active", "suspended", "x"]),
    status_reason=st.just(OrganizationChanges().status_reason) | st.none() | any_text,
    profile=st.dictionaries(
        st.sampled_from(["reference", "reference_origin", "gtm_id"]),
        any_text | st.just("GTM-AB12CD3"),
        max_size=2,
    ),
    region=st.just(OrganizationChanges().region) | st.sampled_from(["eu-west-1", "x"]),
    can_switch_live=st.just(OrganizationChanges().can_switch_live) | st.none() | any_json,
    max_concurrent_imports=st.just(OrganizationChanges().max_concurrent_imports) | any_number,
    subscription_info=st.just(OrganizationChanges().subscription_info)
    | any_json
    | st.fixed_dictionaries(
        {"plan": st.none() | any_text},
        optional={"limits": st.dictionaries(any_text, any_json, max_size=3), "totals": any_json},
    ),
    merge=st.booleans(),
)


@dataclass(frozen=True)
class Unchecked:
    """Settings recorded past today's rules, as an earlier version of the registry did."""

    settings: dict[str, Any]


steps = st.lists(
    changes | st.builds(Unchecked, st.dictionaries(any_text, any_json, max_size=3)), max_size=5
)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Services]:
    for url in _store_url(request.param, tmp_path_factory):
        services = bootstrap(make_settings(url))
        yield services
        services.close()


def head(services: Services) -> int:
    return services.registry.recorder.max_notification_id() or 0


def run(services: Services, org_id: Any, step: OrganizationChanges | Unchecked) -> None:
    """Run one step; a refused one must record nothing."""
    before = head(services)
    try:
        if isinstance(step, Unchecked):
            org: Organization = services.registry.repository.get(org_id)
            org.replace_settings(step.settings)
            recorded = services.registry.save(org)
            position = recorded[-1].notification.id if recorded else None
        else:
            position = services.registry.update(org_id, step).position
    except (ValidationError, UnicodeEncodeError):  # UTF-8 cannot encode a lone surrogate.
        assert head(services) == before
        event("step refused")
        return
    event("step recorded" if position else "step changed nothing")
    assert position is None or services.read_model.queries.wait_for_position(position, 20)


def assert_read_model_is_the_fold(services: Services, org_id: Any) -> None:
    registry, queries = services.registry, services.read_model.queries
    now = registry.get_details(org_id)
    assert queries.select_organization(org_id) == now
    entries = queries.organization_history(HistoryQuery(org_id, limit=1000))
    events = registry.history(org_id)
    assert [(e.version, e.type) for e in entries] == [
        (e.originator_version, type(e).__name__) for e in events
    ]
    previous: dict[str, Any] = {}
    for entry in entries:
        state = doc_of(registry.get_details(org_id, entry.version))
        assert entry.changes == diff(previous, state)
        previous = state


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    name=st.sampled_from(["Acme", "Globex"]) | any_text,
    initial=st.dictionaries(any_text, any_json, max_size=3),
    steps=steps,
)
def test_commands_are_refused_or_projected_as_the_fold_of_their_events(
    store: Services, name: str, initial: dict[str, Any], steps: list[Any]
) -> None:
    before = head(store)
    try:
        written = store.registry.create(
            NewOrganization(name=name, slug=random_slug(), settings=initial)
        )
    except ValidationError:
        assert head(store) == before
        event("create refused")
        return
    org_id = written.organization["id"]
    assert store.read_model.queries.wait_for_position(written.position or 0, 20)
    for step in steps:
        run(store, org_id, step)
    assert_read_model_is_the_fold(store, org_id)
    assert store.supervisor is not None
    assert store.supervisor.restarts == 0, store.supervisor.last_error
