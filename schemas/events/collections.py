"""API collections: created and edited by people, or imported from Postman/OpenAPI."""

from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

from cognitest.schemas.events.common import Changes, Json, Name, Payload, Tags
from cognitest.schemas.registry import event


class ApiRequest(BaseModel):
    """One request of a collection. Method and URL are checked; body, headers, assertions and
    saved variables are kept as given (the API runner reads them)."""

    model_config = ConfigDict(extra="allow")

    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"] = "GET"
    url: str = Field(min_length=1, max_length=4_000, description="absolute, or relative to the environment's base_url")

    @field_validator("method", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value


class CollectionFields(Payload):
    collection_id: UUID
    name: Name
    description: str | None = Field(default=None, max_length=100_000)
    requests: list[ApiRequest] = Field(default_factory=list, max_length=2_000)
    environment: Json = Field(default_factory=dict)
    imported_from: str | None = Field(default=None, max_length=100)
    source_url: str | None = Field(default=None, max_length=500)
    tags: Tags = Field(default_factory=list)
    metadata: Json = Field(default_factory=dict)


@event("collection.created")
class CollectionCreated(CollectionFields):
    """A person created an API collection."""


@event("collection.imported")
class CollectionImported(CollectionFields):
    """An API collection was imported from Postman or OpenAPI."""

    skipped: list[Json] = Field(default_factory=list, description="what could not be imported, and why")


class CollectionChanges(Changes):
    name: Name | None = None
    description: str | None = Field(default=None, max_length=100_000)
    requests: list[ApiRequest] | None = Field(default=None, max_length=2_000)
    environment: Json | None = None
    source_url: str | None = Field(default=None, max_length=500)
    tags: Tags | None = None
    metadata: Json | None = None


@event("collection.updated")
class CollectionUpdated(Payload):
    """Some fields of an API collection changed."""

    collection_id: UUID
    changes: CollectionChanges


@event("collection.deleted")
class CollectionDeleted(Payload):
    """An API collection was deleted."""

    collection_id: UUID
