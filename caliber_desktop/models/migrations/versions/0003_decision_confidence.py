"""Decision confidence per template and campaign: how sure a site must be to go on a list.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07 06:00:00

NULL means "the default in Settings" (0.90), so existing templates and campaigns keep
following the setting.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TABLES = ("campaign_templates", "campaigns")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("decision_confidence", sa.Float(), nullable=True))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("decision_confidence")
