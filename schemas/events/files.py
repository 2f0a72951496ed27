"""Test data files a project uploads for its upload steps (`files: ["file:<id>"]`): the bytes are
in the blob store, the event carries the reference. Only the files route publishes these, so a
project's steps can only send bytes the project itself supplied."""

from uuid import UUID

from pydantic import Field

from cognitest.schemas.events.common import Name, Payload
from cognitest.schemas.registry import event
from cognitest.schemas.numbers import JsonInt


@event("file.uploaded")
class FileUploaded(Payload):
    """A test data file was stored for the project; upload steps name it `file:<file_id>`."""

    file_id: UUID
    name: Name
    media_type: str = Field(max_length=255)
    size_bytes: JsonInt = Field(ge=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    blob_ref: str = Field(min_length=1, max_length=1024)


@event("file.deleted")
class FileDeleted(Payload):
    """A test data file was removed: steps naming it fail with that reason."""

    file_id: UUID
