"""The read model in the store an environment names, and other copies of it in the same
database."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from eventsourcing.persistence import InfrastructureFactory
from eventsourcing.utils import Environment

from projections.cache import ReadCache
from projections.leadership import is_postgres
from projections.postgres.admin import PostgresReadModelAdmin
from projections.postgres.queries import PostgresReadModelQueries
from projections.postgres.writer import PostgresRowWriter
from projections.projection import OrganizationLookupProjection
from projections.read_model import ReadModel
from projections.sqlite.admin import SQLiteReadModelAdmin
from projections.sqlite.queries import SQLiteReadModelQueries
from projections.sqlite.writer import SQLiteRowWriter

if TYPE_CHECKING:
    from projections.admin import ReadModelAdmin
    from projections.queries import ReadModelQueries
    from projections.writer import RowWriter

STORES: dict[type[RowWriter], tuple[type[ReadModelQueries], type[ReadModelAdmin]]] = {
    SQLiteRowWriter: (SQLiteReadModelQueries, SQLiteReadModelAdmin),
    PostgresRowWriter: (PostgresReadModelQueries, PostgresReadModelAdmin),
}


def assemble(writer: RowWriter) -> ReadModel:
    """A copy's queries and administration around its writer (sharing its cache)."""
    queries_class, admin_class = STORES[type(writer)]
    shared = (writer.datastore, writer.tables, writer.cache, writer.position_signal)
    queries = queries_class(*shared, writer.position)
    return ReadModel(
        writer,
        queries,
        admin_class(writer),
        writer.tables,
        writer.datastore,
        writer.cache,
        writer.position_signal,
    )


def construct_read_model(
    env: dict[str, str], cache_size: int = 0, member_cache_size: int = 0
) -> ReadModel:
    """The live read model in the store ``env`` names (its tables created unless the
    library's ``CREATE_TABLE`` says no), with a read cache of up to ``cache_size``
    organizations and ``member_cache_size`` members."""
    factory: Any = InfrastructureFactory.construct(
        Environment(OrganizationLookupProjection.name, env)
    )
    datastore = factory.datastore
    writer = (PostgresRowWriter if is_postgres(env) else SQLiteRowWriter)(datastore)
    writer.cache = ReadCache(cache_size, member_cache_size)
    model = assemble(writer)
    if factory.env_create_table():
        model.admin.create_table()
    return model


def copy_of(model: ReadModel, suffix: str, indexes: bool = True, create: bool = True) -> ReadModel:
    """Another copy of the read model in the same database, with its tables created
    (without their secondary indexes, if ``indexes`` is false and the store allows)."""
    copy = assemble(type(model.writer)(model.datastore, suffix=suffix))  # type: ignore[call-arg]
    if create:
        copy.admin.create_table(indexes=indexes)
    return copy
