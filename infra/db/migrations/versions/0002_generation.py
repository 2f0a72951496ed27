"""Generation: plan sections (IEEE 829), executable steps of cases, requirement sections

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("test_plans", sa.Column("sections", postgresql.JSONB(), server_default=sa.text("'{}'::jsonb"), nullable=False))
    op.add_column("test_cases", sa.Column("executable_steps", postgresql.JSONB(), server_default=sa.text("'[]'::jsonb"), nullable=False))
    op.add_column("requirements", sa.Column("section", sa.String(length=500), nullable=True))


def downgrade() -> None:
    op.drop_column("requirements", "section")
    op.drop_column("test_cases", "executable_steps")
    op.drop_column("test_plans", "sections")
