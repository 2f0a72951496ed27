"""Where each requirement sits in its document: its first and last line (`line_start`, `line_end`;
null where the format has no lines, as in a DOCX, a PDF or a JSON export), and its place in the
document's order (`position`: lists follow the document, not the table's physical order)

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
    op.add_column("requirements", sa.Column("position", sa.Integer(), nullable=False, server_default=sa.text("0")))


def downgrade() -> None:
    op.drop_column("requirements", "position")
    op.drop_column("requirements", "line_end")
    op.drop_column("requirements", "line_start")
