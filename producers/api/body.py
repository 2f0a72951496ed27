"""The base of every request body: an unknown field is refused with 422 (a typo such as
`suite` for `suite_id` must not pass silently), like the event payloads behind them."""

from pydantic import BaseModel, ConfigDict


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")

# PostgreSQL's OFFSET is a bigint: a larger value would be a server error, not an empty page
MAX_OFFSET = 1_000_000_000
