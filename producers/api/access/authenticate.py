"""Who is calling: a bearer token (the instance admin's, an API token, or an OIDC JWT) or a
browser session cookie. A credential that is present but wrong is a 401, never a fallback."""

import hmac
from uuid import UUID

from fastapi import Request

from cognitest.infra.identity.keys import admin_token
from cognitest.infra.identity.oidc import InvalidToken, JwksVerifier
from cognitest.infra.identity.store import TOKEN_PREFIX, IdentityStore
from cognitest.infra.settings import Settings
from cognitest.producers.api.access.principal import Principal
from cognitest.producers.api.errors import ApiError
from cognitest.schemas.enums import Role

SESSION_COOKIE = "cognitest_session"


class Unauthenticated(ApiError):
    def __init__(self, message: str) -> None:
        super().__init__(401, message, headers={"www-authenticate": 'Bearer realm="cognitest"'})


class Authenticator:
    def __init__(self, settings: Settings, store: IdentityStore) -> None:
        self._known_people: set[str] = set()
        self.settings = settings
        self.store = store
        self.admin_token = admin_token(settings).encode()
        self.oidc = JwksVerifier(settings.auth.oidc) if settings.auth.oidc.issuer else None

    async def close(self) -> None:
        if self.oidc is not None:
            await self.oidc.close()

    async def principal(self, request: Request) -> Principal | None:
        header = request.headers.get("authorization")
        if header is not None:
            scheme, _, credential = header.partition(" ")
            if scheme.lower() != "bearer" or not credential.strip():
                raise Unauthenticated("use `Authorization: Bearer <token>`")
            return await self._bearer(credential.strip())
        cookie = request.cookies.get(SESSION_COOKIE)
        if cookie:
            found = await self.store.session_account(cookie)
            if found is None:
                raise Unauthenticated("your session has ended; sign in again")
            account, csrf = found
            return Principal("user", account.email, instance_admin=account.is_admin, csrf=csrf)
        return None

    async def _bearer(self, credential: str) -> Principal:
        if hmac.compare_digest(credential.encode(), self.admin_token):
            return Principal("admin", "admin", instance_admin=True)
        if credential.startswith(TOKEN_PREFIX):
            row = await self.store.token(credential)
            if row is None:
                raise Unauthenticated("the API token is unknown, expired or revoked")
            return Principal("token", f"token:{row.id}", token_project=UUID(str(row.project_id)), token_role=Role(row.role))
        if self.oidc is None:
            raise Unauthenticated("the bearer token is not valid here")
        try:
            identity = await self.oidc.verify(credential)
        except InvalidToken as exc:
            raise Unauthenticated(str(exc)) from None
        admin = identity.user in self.settings.auth.oidc.admin_users
        if identity.user not in self._known_people:  # their account exists from their first request on,
            await self.store.external_user(identity.user, None, admin)  # so they can be made members
            self._known_people.add(identity.user)
        return Principal("oidc", identity.user, instance_admin=admin)
