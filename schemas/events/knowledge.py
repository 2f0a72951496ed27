"""The knowledge base: commands to rebuild a project's embeddings."""

from pydantic import Field

from cognitest.schemas.events.common import Payload
from cognitest.schemas.registry import event


@event("knowledge.reembed_requested")
class KnowledgeReembedRequested(Payload):
    """Embed the project's cases, requirements, issues and feedback again from its events, into
    the collection of the configured embedding model (after a model change, for example)."""

    reason: str | None = Field(default=None, max_length=500)
