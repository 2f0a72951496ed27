"""Accounts, sessions and API tokens in PostgreSQL. Secrets are stored as SHA-256 digests only:
a token or session cookie is 256 random bits, so a fast digest is enough (passwords use Argon2)."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker

from cognitest.infra.db.identity_models import ApiToken, User, UserSession
from cognitest.infra.identity.passwords import hash_password, needs_rehash, verify_password

TOKEN_PREFIX = "ct_"
EXTERNAL = "!external"  # the password hash of provider-managed accounts: never verifies
users = User.__table__
sessions_table = UserSession.__table__
tokens = ApiToken.__table__


class UserExists(ValueError):
    pass


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Account:
    id: UUID
    email: str
    name: str | None
    is_admin: bool

    def as_dict(self) -> dict[str, Any]:
        return {"id": str(self.id), "email": self.email, "name": self.name, "is_admin": self.is_admin}


def _account(row: Any) -> Account:
    return Account(row.id, row.email, row.name, row.is_admin)


class IdentityStore:
    def __init__(self, sessions: async_sessionmaker) -> None:
        self.sessions = sessions

    # --- accounts --------------------------------------------------------------------------
    async def create_user(self, email: str, password: str, name: str | None = None, is_admin: bool = False) -> Account:
        values = {"id": uuid4(), "email": email.strip().lower(), "name": name, "is_admin": is_admin,
                  "password_hash": hash_password(password)}
        async with self.sessions() as session:
            try:
                await session.execute(insert(users).values(**values))
                await session.commit()
            except IntegrityError:
                raise UserExists(f"a user with the email {values['email']} exists") from None
        return Account(values["id"], values["email"], name, is_admin)

    async def external_user(self, email: str, name: str | None, is_admin: bool) -> Account:
        """The account of someone signed in by the identity provider, created on first sign-in
        (no usable password: only the provider signs them in)."""
        email = email.strip().lower()
        async with self.sessions() as session:
            row = (await session.execute(select(users).where(users.c.email == email))).first()
            if row is None:  # two first sign-ins at once: the second one finds the first one's row
                await session.execute(pg_insert(users).values(id=uuid4(), email=email, name=name, is_admin=is_admin,
                                                              password_hash=EXTERNAL).on_conflict_do_nothing())
                await session.commit()
                row = (await session.execute(select(users).where(users.c.email == email))).first()
            elif row.is_admin != is_admin and is_admin:
                await session.execute(update(users).where(users.c.id == row.id).values(is_admin=True))
                await session.commit()
        return Account(row.id, row.email, row.name, row.is_admin or is_admin)

    async def has_account(self, email: str) -> bool:
        async with self.sessions() as session:
            return (await session.execute(select(users.c.id).where(users.c.email == email.strip().lower()))).first() is not None

    async def list_users(self) -> list[dict[str, Any]]:
        async with self.sessions() as session:
            rows = await session.execute(select(users).order_by(users.c.created_at))
        return [{**_account(r).as_dict(), "disabled": r.disabled, "created_at": r.created_at,
                 "last_login_at": r.last_login_at} for r in rows]

    async def check_password(self, email: str, password: str) -> Account | None:
        async with self.sessions() as session:
            row = (await session.execute(select(users).where(users.c.email == email.strip().lower()))).first()
            ok = verify_password(row.password_hash if row else None, password)
            if not ok or row is None or row.disabled:
                return None
            values: dict[str, Any] = {"last_login_at": _now()}
            if needs_rehash(row.password_hash):
                values["password_hash"] = hash_password(password)
            await session.execute(update(users).where(users.c.id == row.id).values(**values))
            await session.commit()
        return _account(row)

    async def set_password(self, email: str, password: str, *, current: str | None = None,
                           keep_session: str | None = None) -> int | None:
        """Set a built-in account's password (WeakPassword when too short) and end its other sessions
        (all but `keep_session`, a cookie); with `current`, only when it is the present password.
        The number of sessions ended, or None when there is no such account (or `current` is wrong)."""
        new_hash = hash_password(password)
        async with self.sessions() as session:
            row = (await session.execute(select(users).where(users.c.email == email.strip().lower()))).first()
            if row is None or row.password_hash == EXTERNAL:
                verify_password(None, current or "")  # the same time whatever the reason
                return None
            if current is not None and not verify_password(row.password_hash, current):
                return None
            await session.execute(update(users).where(users.c.id == row.id).values(password_hash=new_hash))
            ended = delete(sessions_table).where(sessions_table.c.user_id == row.id)
            if keep_session:
                ended = ended.where(sessions_table.c.token_hash != digest(keep_session))
            count = (await session.execute(ended)).rowcount
            await session.commit()
        return int(count or 0)

    # --- browser sessions --------------------------------------------------------------------
    async def open_session(self, user_id: UUID, hours: float) -> tuple[str, str]:
        cookie, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        async with self.sessions() as session:
            await session.execute(insert(sessions_table).values(
                token_hash=digest(cookie), user_id=user_id, csrf_token=csrf, expires_at=_now() + timedelta(hours=hours)))
            await session.commit()
        return cookie, csrf

    async def session_account(self, cookie: str) -> tuple[Account, str] | None:
        async with self.sessions() as session:
            row = (await session.execute(
                select(users, sessions_table.c.csrf_token).join(sessions_table, sessions_table.c.user_id == users.c.id)
                .where(sessions_table.c.token_hash == digest(cookie), sessions_table.c.expires_at > _now(),
                       users.c.disabled.is_(False)))).first()
        return (_account(row), row.csrf_token) if row else None

    async def close_session(self, cookie: str) -> None:
        async with self.sessions() as session:
            await session.execute(delete(sessions_table).where(sessions_table.c.token_hash == digest(cookie)))
            await session.commit()

    # --- API tokens -----------------------------------------------------------------------------
    async def create_token(self, project_id: UUID, name: str, role: str, created_by: str,
                           expires_at: datetime | None) -> tuple[dict[str, Any], str]:
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        values = {"id": uuid4(), "project_id": project_id, "name": name, "role": role, "token_hash": digest(secret),
                  "created_by": created_by, "expires_at": expires_at, "created_at": _now()}
        async with self.sessions() as session:
            await session.execute(insert(tokens).values(**values))
            await session.commit()
        return _token_view(values), secret

    async def token(self, secret: str) -> Any | None:
        """The live token with this secret (not revoked, not expired), or None."""
        now = _now()
        async with self.sessions() as session:
            row = (await session.execute(select(tokens).where(tokens.c.token_hash == digest(secret)))).first()
            if row is None or row.revoked_at is not None or (row.expires_at is not None and row.expires_at <= now):
                return None
            if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1):
                await session.execute(update(tokens).where(tokens.c.id == row.id).values(last_used_at=now))
                await session.commit()
        return row

    async def list_tokens(self, project_id: UUID) -> list[dict[str, Any]]:
        async with self.sessions() as session:
            rows = await session.execute(select(tokens).where(tokens.c.project_id == project_id)
                                         .order_by(tokens.c.created_at))
        return [_token_view(r._mapping) for r in rows]

    async def revoke_token(self, project_id: UUID, token_id: UUID) -> dict[str, Any] | None:
        async with self.sessions() as session:
            row = (await session.execute(
                update(tokens).where(tokens.c.id == token_id, tokens.c.project_id == project_id)
                .values(revoked_at=func.coalesce(tokens.c.revoked_at, _now())).returning(*tokens.c))).first()
            await session.commit()
        return _token_view(row._mapping) if row else None


def _token_view(values: Any) -> dict[str, Any]:
    """What the API shows of a token: never its hash."""
    return {key: values.get(key) for key in ("id", "project_id", "name", "role", "created_by", "created_at",
                                             "expires_at", "revoked_at", "last_used_at")}
