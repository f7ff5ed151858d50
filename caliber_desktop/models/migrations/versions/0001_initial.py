"""Initial schema: accounts, templates, campaigns, uploads, runs, site scores, overrides, AI, cache.

Revision ID: 0001
Revises:
Create Date: 2026-11-26 10:02:29.002072
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "organizations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organizations")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("firebase_uid", sa.String(length=128), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("display_name", sa.String(length=255), nullable=False),
        sa.Column("is_local", sa.Boolean(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=True),
        sa.Column("last_login_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_users_organization_id_organizations"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
        sa.UniqueConstraint("firebase_uid", name=op.f("uq_users_firebase_uid")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_users_organization_id"), ["organization_id"], unique=False
        )
        batch_op.create_index(
            "uq_users_one_local_profile",
            ["is_local"],
            unique=True,
            sqlite_where=sa.text("is_local = 1"),
        )

    op.create_table(
        "cache_entries",
        sa.Column("key", sa.String(length=512), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_cache_entries_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_cache_entries")),
    )
    with op.batch_alter_table("cache_entries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_cache_entries_expires_at"), ["expires_at"], unique=False
        )

    op.create_table(
        "campaign_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("goal", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("ctr_sensitivity", sa.Boolean(), nullable=False),
        sa.Column("analysis_level", sa.String(length=32), nullable=False),
        sa.Column("custom_weights", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_campaign_templates_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_templates")),
        sa.UniqueConstraint("user_id", "name", name=op.f("uq_campaign_templates_user_id_name")),
    )
    with op.batch_alter_table("campaign_templates", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_campaign_templates_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "rate_limit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("cost", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_rate_limit_events_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rate_limit_events")),
    )
    with op.batch_alter_table("rate_limit_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rate_limit_events_user_id_kind_occurred_at"),
            ["user_id", "kind", "occurred_at"],
            unique=False,
        )

    op.create_table(
        "campaigns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("total_records", sa.Integer(), nullable=True),
        sa.Column("processed_records", sa.Integer(), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("completed_at", sa.DateTime(), nullable=True),
        sa.Column("kpi_pixel", sa.String(length=255), nullable=True),
        sa.Column("scoring_config", sa.JSON(), nullable=True),
        sa.Column("column_mapping", sa.JSON(), nullable=True),
        sa.Column("data_quality", sa.JSON(), nullable=True),
        sa.Column("current_run_id", sa.Integer(), nullable=True),
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("goal", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("ctr_sensitivity", sa.Boolean(), nullable=False),
        sa.Column("analysis_level", sa.String(length=32), nullable=False),
        sa.Column("custom_weights", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["current_run_id"],
            ["score_runs.id"],
            name=op.f("fk_campaigns_current_run_id_score_runs"),
            ondelete="SET NULL",
            use_alter=True,
        ),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["campaign_templates.id"],
            name=op.f("fk_campaigns_template_id_campaign_templates"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_campaigns_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
    )
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_campaigns_template_id"), ["template_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_campaigns_user_id"), ["user_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_campaigns_user_id_created_at"), ["user_id", "created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_campaigns_user_id_status"), ["user_id", "status"], unique=False
        )

    op.create_table(
        "chat_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("model", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_chat_messages_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_chat_messages_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_messages")),
    )
    with op.batch_alter_table("chat_messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_chat_messages_campaign_id"), ["campaign_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_chat_messages_user_id_campaign_id_created_at"),
            ["user_id", "campaign_id", "created_at"],
            unique=False,
        )

    op.create_table(
        "file_uploads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("stored_path", sa.String(length=512), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("original_name", sa.String(length=512), nullable=False),
        sa.Column("detected_format", sa.String(length=32), nullable=False),
        sa.Column("encoding", sa.String(length=32), nullable=True),
        sa.Column("delimiter", sa.String(length=4), nullable=True),
        sa.Column("sheet_name", sa.String(length=255), nullable=True),
        sa.Column("uploaded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_file_uploads_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_file_uploads_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_file_uploads")),
        sa.UniqueConstraint(
            "campaign_id", "sha256", name=op.f("uq_file_uploads_campaign_id_sha256")
        ),
    )
    with op.batch_alter_table("file_uploads", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_file_uploads_campaign_id"), ["campaign_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_file_uploads_sha256"), ["sha256"], unique=False)
        batch_op.create_index(batch_op.f("ix_file_uploads_user_id"), ["user_id"], unique=False)

    op.create_table(
        "list_overrides",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.String(length=512), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_list_overrides_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_list_overrides_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_list_overrides")),
        sa.UniqueConstraint(
            "campaign_id", "site_id", name=op.f("uq_list_overrides_campaign_id_site_id")
        ),
    )
    with op.batch_alter_table("list_overrides", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_list_overrides_user_id"), ["user_id"], unique=False)

    op.create_table(
        "score_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("upload_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("app_version", sa.String(length=32), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("column_mapping", sa.JSON(), nullable=False),
        sa.Column("data_quality", sa.JSON(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("campaign_score", sa.Float(), nullable=True),
        sa.Column("site_count", sa.Integer(), nullable=False),
        sa.Column("rows_read", sa.Integer(), nullable=False),
        sa.Column("rows_dropped", sa.Integer(), nullable=False),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_score_runs_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["upload_id"],
            ["file_uploads.id"],
            name=op.f("fk_score_runs_upload_id_file_uploads"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_score_runs")),
    )
    with op.batch_alter_table("score_runs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_score_runs_campaign_id_started_at"),
            ["campaign_id", "started_at"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_score_runs_upload_id"), ["upload_id"], unique=False)

    op.create_table(
        "ai_insights",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("insight_type", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=512), nullable=True),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("context_hash", sa.String(length=64), nullable=False),
        sa.Column("context", sa.JSON(), nullable=False),
        sa.Column("model", sa.String(length=128), nullable=False),
        sa.Column("is_offline", sa.Boolean(), nullable=False),
        sa.Column("prompt_tokens", sa.Integer(), nullable=True),
        sa.Column("completion_tokens", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_ai_insights_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["score_runs.id"],
            name=op.f("fk_ai_insights_run_id_score_runs"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_ai_insights_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ai_insights")),
    )
    with op.batch_alter_table("ai_insights", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ai_insights_campaign_id_insight_type_created_at"),
            ["campaign_id", "insight_type", "created_at"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_ai_insights_user_id"), ["user_id"], unique=False)

    op.create_table(
        "site_scores",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.String(length=512), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("display_name", sa.String(length=512), nullable=False),
        sa.Column("impressions", sa.Float(), nullable=False),
        sa.Column("spend", sa.Float(), nullable=False),
        sa.Column("clicks", sa.Float(), nullable=False),
        sa.Column("conversions", sa.Float(), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("percentile", sa.Float(), nullable=True),
        sa.Column("quality_status", sa.String(length=16), nullable=True),
        sa.Column("recommendation", sa.String(length=24), nullable=True),
        sa.Column("confidence", sa.String(length=8), nullable=True),
        sa.Column("flags", sa.JSON(), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("explanation", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["score_runs.id"],
            name=op.f("fk_site_scores_run_id_score_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site_scores")),
        sa.UniqueConstraint("run_id", "site_id", name=op.f("uq_site_scores_run_id_site_id")),
    )
    with op.batch_alter_table("site_scores", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_site_scores_run_id_recommendation"),
            ["run_id", "recommendation"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_site_scores_run_id_score"), ["run_id", "score"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("site_scores", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_site_scores_run_id_score"))
        batch_op.drop_index(batch_op.f("ix_site_scores_run_id_recommendation"))

    op.drop_table("site_scores")
    with op.batch_alter_table("ai_insights", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ai_insights_user_id"))
        batch_op.drop_index(batch_op.f("ix_ai_insights_campaign_id_insight_type_created_at"))

    op.drop_table("ai_insights")
    with op.batch_alter_table("score_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_score_runs_upload_id"))
        batch_op.drop_index(batch_op.f("ix_score_runs_campaign_id_started_at"))

    op.drop_table("score_runs")
    with op.batch_alter_table("list_overrides", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_list_overrides_user_id"))

    op.drop_table("list_overrides")
    with op.batch_alter_table("file_uploads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_file_uploads_user_id"))
        batch_op.drop_index(batch_op.f("ix_file_uploads_sha256"))
        batch_op.drop_index(batch_op.f("ix_file_uploads_campaign_id"))

    op.drop_table("file_uploads")
    with op.batch_alter_table("chat_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_chat_messages_user_id_campaign_id_created_at"))
        batch_op.drop_index(batch_op.f("ix_chat_messages_campaign_id"))

    op.drop_table("chat_messages")
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_campaigns_user_id_status"))
        batch_op.drop_index(batch_op.f("ix_campaigns_user_id_created_at"))
        batch_op.drop_index(batch_op.f("ix_campaigns_user_id"))
        batch_op.drop_index(batch_op.f("ix_campaigns_template_id"))

    op.drop_table("campaigns")
    with op.batch_alter_table("rate_limit_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rate_limit_events_user_id_kind_occurred_at"))

    op.drop_table("rate_limit_events")
    with op.batch_alter_table("campaign_templates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_campaign_templates_user_id"))

    op.drop_table("campaign_templates")
    with op.batch_alter_table("cache_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cache_entries_expires_at"))

    op.drop_table("cache_entries")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index("uq_users_one_local_profile", sqlite_where=sa.text("is_local = 1"))
        batch_op.drop_index(batch_op.f("ix_users_organization_id"))

    op.drop_table("users")
    op.drop_table("organizations")
