"""Building blocks shared by event payloads."""

import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from cognitest.schemas.numbers import JsonNumber

# The projection stores these in PostgreSQL and the knowledge base embeds them, so what neither
# can take is refused where the event is made, never accepted and then dead-lettered.
MAX_JSON_DEPTH = 32


# a visible character: not whitespace, not a control character, not an invisible format
# character; the same pattern is in the JSON Schema, so the document states the rule exactly
VISIBLE = r"[^\s\x00-\x1f\x7f-\x9f\xad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]"
_VISIBLE = re.compile(VISIBLE)


def visible_text(value: str) -> str:
    """A name or title must show something: whitespace or control characters alone embed to
    nothing (a NaN vector) and mean nothing to a reader; PostgreSQL refuses NUL."""
    if "\x00" in value:
        raise ValueError("must not contain a NUL character")
    if not _VISIBLE.search(value):
        raise ValueError("must contain a visible character")
    return value


def bounded_json(value: dict[str, Any]) -> dict[str, Any]:
    """Nested at most MAX_JSON_DEPTH levels (deeper breaks serialisers' recursion limits) and
    without NUL in any string or key (PostgreSQL's jsonb refuses it)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise ValueError(f"nested deeper than {MAX_JSON_DEPTH} levels")
        if isinstance(item, dict):
            for key, child in item.items():
                if isinstance(key, str) and "\x00" in key:
                    raise ValueError("a key contains a NUL character")
                stack.append((child, depth + 1))
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
        elif isinstance(item, str) and "\x00" in item:
            raise ValueError("a string contains a NUL character")
    return value


Name = Annotated[str, Field(min_length=1, max_length=255, json_schema_extra={"pattern": VISIBLE}),
                 AfterValidator(visible_text)]
Title = Annotated[str, Field(min_length=1, max_length=500, json_schema_extra={"pattern": VISIBLE}),
                  AfterValidator(visible_text)]
Tags = Annotated[list[Annotated[str, Field(min_length=1, max_length=64)]], Field(max_length=50)]
Json = Annotated[dict[str, Any], AfterValidator(bounded_json)]
Confidence = Annotated[JsonNumber, Field(ge=0.0, le=1.0)]


class Payload(BaseModel):
    """Base of every event payload: unknown fields are refused, so typos do not pass silently."""

    model_config = ConfigDict(extra="forbid")


class Changes(BaseModel):
    """Base of the `changes` of an update event: a field left out (or null) stays as it was."""

    model_config = ConfigDict(extra="forbid")

    def set_fields(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)
