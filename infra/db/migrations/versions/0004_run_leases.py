"""Run leases (which runs hold one of their project's execution slots); the field-level diff of
modified feedback

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "run_leases",
        sa.Column("run_id", sa.Uuid(), primary_key=True),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("holder", sa.String(length=255), nullable=False),
        sa.Column("renewed_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )
    op.create_index("idx_run_leases_project", "run_leases", ["project_id"])
    op.add_column("feedback", sa.Column("diff", postgresql.JSONB(), server_default=sa.text("'[]'::jsonb"), nullable=False))
    op.create_index("idx_feedback_project_agent", "feedback", ["project_id", "agent", "created_at"])


def downgrade() -> None:
    op.drop_index("idx_feedback_project_agent", table_name="feedback")
    op.drop_column("feedback", "diff")
    op.drop_index("idx_run_leases_project", table_name="run_leases")
    op.drop_table("run_leases")
