"""How an event can fail to apply, so the consumer knows whether to retry or dead-letter."""


class PermanentError(Exception):
    """The event can never apply (it contradicts the read model); dead-letter it."""


class NotYetApplicable(Exception):
    """The event refers to something not projected yet (redelivery reordered it, or a parent
    has not arrived): retry later, and dead-letter it once deliveries run out."""
