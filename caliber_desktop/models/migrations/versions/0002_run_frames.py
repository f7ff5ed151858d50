"""Per-run frames: a run's per-metric numbers move from per-row JSON to one Parquet file.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 11:45:00

No run can exist at 0001 (scoring came with this revision), so ``site_scores.metrics`` is
dropped without converting anything.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "run_frames",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["score_runs.id"],
            name=op.f("fk_run_frames_run_id_score_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("run_id", name=op.f("pk_run_frames")),
    )
    with op.batch_alter_table("site_scores", schema=None) as batch_op:
        batch_op.drop_column("metrics")


def downgrade() -> None:
    with op.batch_alter_table("site_scores", schema=None) as batch_op:
        batch_op.add_column(sa.Column("metrics", sa.JSON(), nullable=False, server_default="{}"))
    op.drop_table("run_frames")
