"""The caller of a request, once authenticated."""

from dataclasses import dataclass
from typing import Literal
from uuid import UUID

from cognitest.schemas.enums import Role

Kind = Literal["admin", "user", "oidc", "token", "webhook"]


@dataclass(frozen=True)
class Principal:
    kind: Kind
    actor: str  # what every event it causes records: an email, an OIDC user, token:<id>, admin
    instance_admin: bool = False
    token_project: UUID | None = None  # an API token works in this one project ...
    token_role: Role | None = None     # ... with this role
    csrf: str | None = None            # set for browser sessions: unsafe requests must echo it

    @property
    def is_person(self) -> bool:
        return self.kind in ("admin", "user", "oidc")
