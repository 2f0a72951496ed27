"""Where each requirement sits in its document: its first and last line (`line_start`, `line_end`;
null where the format has no lines, as in a DOCX, a PDF or a JSON export)

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("requirements", sa.Column("line_start", sa.Integer(), nullable=True))
    op.add_column("requirements", sa.Column("line_end", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("requirements", "line_end")
    op.drop_column("requirements", "line_start")
