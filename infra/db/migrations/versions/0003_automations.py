"""Automations and triage: issue occurrences and tracker links, the outbound delivery ledger

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("issues", sa.Column("occurrences", sa.Integer(), server_default=sa.text("0"), nullable=False))
    op.add_column("issues", sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("issues", sa.Column("run_ids", postgresql.JSONB(), server_default=sa.text("'[]'::jsonb"), nullable=False))
    op.add_column("issues", sa.Column("external", postgresql.JSONB(), server_default=sa.text("'{}'::jsonb"), nullable=False))
    op.create_index("idx_issues_signature", "issues", ["project_id", "signature"])
    op.add_column("workflow_executions", sa.Column("retry_of", sa.String(length=255), nullable=True))
    op.add_column("workflow_executions", sa.Column("version", sa.Integer(), nullable=True))
    op.create_table(
        "workflow_versions",
        sa.Column("workflow_id", sa.Uuid(), sa.ForeignKey("workflows.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("version", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("graph", postgresql.JSONB(), server_default=sa.text("'{}'::jsonb"), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "deliveries",
        sa.Column("key", sa.String(length=300), primary_key=True),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("response", postgresql.JSONB(), server_default=sa.text("'{}'::jsonb"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("deliveries")
    op.drop_table("workflow_versions")
    op.drop_column("workflow_executions", "version")
    op.drop_column("workflow_executions", "retry_of")
    op.drop_index("idx_issues_signature", table_name="issues")
    for column in ("external", "run_ids", "last_seen_at", "occurrences"):
        op.drop_column("issues", column)
