"""The id of a document's parse outcome (parsed or rejected), known before it happens."""

from uuid import NAMESPACE_URL, UUID, uuid5


def outcome_event_id(document_id: UUID | str) -> str:
    return str(uuid5(NAMESPACE_URL, f"cognitest:requirements:{document_id}:outcome"))
