"""Building blocks shared by event payloads."""

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

Name = Annotated[str, Field(min_length=1, max_length=255)]
Title = Annotated[str, Field(min_length=1, max_length=500)]
Tags = Annotated[list[Annotated[str, Field(min_length=1, max_length=64)]], Field(max_length=50)]
Json = dict[str, Any]
Confidence = Annotated[float, Field(ge=0.0, le=1.0)]


class Payload(BaseModel):
    """Base of every event payload: unknown fields are refused, so typos do not pass silently."""

    model_config = ConfigDict(extra="forbid")


class Changes(BaseModel):
    """Base of the `changes` of an update event: a field left out (or null) stays as it was."""

    model_config = ConfigDict(extra="forbid")

    def set_fields(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)
