"""API tokens: their creation and revocation, recorded for the audit log (never their secrets)."""

from datetime import datetime
from uuid import UUID

from pydantic import Field

from cognitest.schemas.enums import Role
from cognitest.schemas.events.common import Payload
from cognitest.schemas.registry import event


@event("token.created")
class TokenCreated(Payload):
    """An API token was created for the project (its secret is shown once and never recorded)."""

    token_id: UUID
    name: str = Field(min_length=1, max_length=255)
    role: Role
    expires_at: datetime | None = None


@event("token.revoked")
class TokenRevoked(Payload):
    """An API token was revoked; it stopped working at once."""

    token_id: UUID
