"""Identity tables: accounts, browser sessions and API tokens. Credentials never enter the event
log (events record who did what; these rows say who someone is), so they are written directly."""

from datetime import datetime
from uuid import UUID

from sqlalchemy import Boolean, DateTime, Index, MetaData, String, func, text as sa_text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from cognitest.infra.db.models import NAMING


class Base(DeclarativeBase):
    """Its own metadata: these are not read models, so a replay (which rebuilds and may truncate
    every read model) never touches accounts or tokens."""

    metadata = MetaData(naming_convention=NAMING)


class User(Base):
    __tablename__ = "users"
    id: Mapped[UUID] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(255), unique=True)
    name: Mapped[str | None] = mapped_column(String(255))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(Boolean, server_default=sa_text("false"))
    disabled: Mapped[bool] = mapped_column(Boolean, server_default=sa_text("false"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class UserSession(Base):
    """A browser session; only the SHA-256 of the cookie value is stored."""

    __tablename__ = "user_sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[UUID] = mapped_column()
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    __table_args__ = (Index("idx_user_sessions_user", "user_id"),)


class ApiToken(Base):
    """A token for CI and scripts: one project, one role, shown once, stored as its SHA-256."""

    __tablename__ = "api_tokens"
    id: Mapped[UUID] = mapped_column(primary_key=True)
    project_id: Mapped[UUID] = mapped_column()
    name: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    __table_args__ = (Index("idx_api_tokens_project", "project_id"),)
