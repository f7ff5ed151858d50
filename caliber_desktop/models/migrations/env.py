"""Alembic environment: always run on the connection the Store hands over (never a URL)."""

from __future__ import annotations

from alembic import context

from caliber_desktop.models import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only when someone runs the alembic CLI by hand
    raise SystemExit("Run migrations through caliber_desktop.models.store.Store.open().")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,  # SQLite cannot ALTER most things; batch mode rebuilds tables safely
    transactional_ddl=True,  # a failed migration rolls back whole
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
