"""The base of every request body: an unknown field is refused with 422 (a typo such as
`suite` for `suite_id` must not pass silently), like the event payloads behind them. Numbers and
booleans in bodies are strict (`"5"` is not 5, `1` is not true): what the OpenAPI document says
is what is accepted."""

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _iso(value: Any) -> Any:
    """An ISO 8601 date-time and nothing else (pydantic alone would read `0.5` as a Unix time)."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            pass
    raise ValueError("an ISO 8601 date-time such as 2026-12-01T09:30:00Z")


IsoDateTime = Annotated[datetime, BeforeValidator(_iso)]

# PostgreSQL's OFFSET is a bigint: a larger value would be a server error, not an empty page
MAX_OFFSET = 1_000_000_000
