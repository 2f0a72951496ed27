"""The catalogue of event types. Importing this package registers every type."""

from cognitest.schemas.events import (  # noqa: F401
    automations,
    collections,
    feedback,
    generation,
    issues,
    knowledge,
    projects,
    requirements,
    results,
    runs,
    testing,
)
