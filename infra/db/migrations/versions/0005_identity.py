"""Identity: users, browser sessions, API tokens; the actor and time of every applied event (the
audit log)

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("email", sa.String(255), nullable=False, unique=True),
        sa.Column("name", sa.String(255)),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("is_admin", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("disabled", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "user_sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("idx_user_sessions_user", "user_sessions", ["user_id"])
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_by", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True)),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
        sa.Column("last_used_at", sa.DateTime(timezone=True)),
    )
    op.create_index("idx_api_tokens_project", "api_tokens", ["project_id"])
    op.add_column("applied_events", sa.Column("actor", sa.String(255)))
    op.add_column("applied_events", sa.Column("occurred_at", sa.DateTime(timezone=True)))
    op.create_index("idx_applied_events_project_seq", "applied_events", ["project_id", "stream_seq"])
    op.create_index("idx_applied_events_project_actor", "applied_events", ["project_id", "actor", "stream_seq"])


def downgrade() -> None:
    op.drop_index("idx_applied_events_project_actor", table_name="applied_events")
    op.drop_index("idx_applied_events_project_seq", table_name="applied_events")
    op.drop_column("applied_events", "occurred_at")
    op.drop_column("applied_events", "actor")
    op.drop_index("idx_api_tokens_project", table_name="api_tokens")
    op.drop_table("api_tokens")
    op.drop_table("user_sessions")
    op.drop_table("users")
