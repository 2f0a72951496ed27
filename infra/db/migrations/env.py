"""Alembic environment. Migrations run on a connection handed in by `cognitest.infra.db.migrate`
(so they share the caller's engine and transaction), or render SQL offline."""

from alembic import context

from cognitest.infra.db import identity_models
from cognitest.infra.db.models import Base

target_metadata = [Base.metadata, identity_models.Base.metadata]


def run() -> None:
    if context.is_offline_mode():
        context.configure(url=context.config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                          literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    connection = context.config.attributes["connection"]
    context.configure(connection=connection, target_metadata=target_metadata, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


run()
