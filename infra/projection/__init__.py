"""Applying events to the PostgreSQL read models. The projection consumer runs this live;
`cognitest replay` runs the same code over the whole stream into an empty database."""

from cognitest.infra.projection.errors import NotYetApplicable, PermanentError
from cognitest.infra.projection.projector import Incoming, apply_batch

__all__ = ["Incoming", "NotYetApplicable", "PermanentError", "apply_batch"]
