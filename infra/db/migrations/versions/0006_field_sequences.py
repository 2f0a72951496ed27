"""Per-field stream sequences on every projected resource (`field_seqs`), so partial updates
merge field by field whatever order parallel projection processes commit them in

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TABLES = ("projects", "test_plans", "test_suites", "test_cases", "issues", "api_collections",
          "requirement_documents", "generations", "runs", "workflows")


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column("field_seqs", JSONB(), nullable=False, server_default=sa.text("'{}'::jsonb")))


def downgrade() -> None:
    for table in TABLES:
        op.drop_column(table, "field_seqs")
