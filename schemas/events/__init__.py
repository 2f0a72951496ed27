"""The catalogue of event types. Importing this package registers every type."""

from cognitest.schemas.events import (  # noqa: F401
    automations,
    collections,
    feedback,
    files,
    generation,
    identity,
    issues,
    knowledge,
    projects,
    requirements,
    results,
    runs,
    security,
    testing,
)
