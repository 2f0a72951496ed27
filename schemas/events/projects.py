"""Projects and their members."""

from uuid import UUID

from pydantic import Field

from cognitest.schemas.enums import ProjectStatus, Role
from cognitest.schemas.events.common import Changes, Json, Name, Payload
from cognitest.schemas.registry import event


@event("project.created")
class ProjectCreated(Payload):
    """A project was created; its creator becomes its owner."""

    project_id: UUID
    name: Name
    description: str | None = Field(default=None, max_length=10_000)
    status: ProjectStatus = ProjectStatus.active
    owner_id: str = Field(min_length=1, max_length=255)
    team_ids: list[str] = Field(default_factory=list)
    settings: Json = Field(default_factory=dict)
    ai_context: Json = Field(default_factory=dict)


class ProjectChanges(Changes):
    name: Name | None = None
    description: str | None = Field(default=None, max_length=10_000)
    status: ProjectStatus | None = None
    team_ids: list[str] | None = None
    settings: Json | None = None
    ai_context: Json | None = None


@event("project.updated")
class ProjectUpdated(Payload):
    """Some fields of a project changed."""

    project_id: UUID
    changes: ProjectChanges


@event("project.deleted")
class ProjectDeleted(Payload):
    """A project and everything in it was deleted."""

    project_id: UUID


@event("member.added")
class MemberAdded(Payload):
    """A user joined a project with a role."""

    user_id: str = Field(min_length=1, max_length=255)
    role: Role


@event("member.role_changed")
class MemberRoleChanged(Payload):
    """A member's role in a project changed."""

    user_id: str = Field(min_length=1, max_length=255)
    role: Role


@event("member.removed")
class MemberRemoved(Payload):
    """A user left a project."""

    user_id: str = Field(min_length=1, max_length=255)
