"""The read model for a store's environment."""

from __future__ import annotations

from eventsourcing.persistence import InfrastructureFactory
from eventsourcing.utils import Environment

from projections.interface import OrganizationLookupView
from projections.leadership import is_postgres
from projections.postgres import PostgresOrganizationLookupView
from projections.projection import OrganizationLookupProjection
from projections.sqlite import SQLiteOrganizationLookupView


def construct_view(env: dict[str, str]) -> OrganizationLookupView:
    """The live read model in the store ``env`` names (its tables created unless the
    library's ``CREATE_TABLE`` says no)."""
    factory = InfrastructureFactory.construct(Environment(OrganizationLookupProjection.name, env))
    view_class = (
        PostgresOrganizationLookupView if is_postgres(env) else SQLiteOrganizationLookupView
    )
    view = factory.tracking_recorder(view_class)
    assert isinstance(view, OrganizationLookupView)
    return view
