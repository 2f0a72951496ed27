"""A model call's failure as a person reads it, and whether trying again can help. Provider
errors arrive as litellm's exception classes (OpenAI's hierarchy) with raw provider text such as
"Available Model Group Fallbacks=None"; the generation record shows the plain message instead."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Plain:
    message: str
    retryable: bool


# by class name anywhere in the exception's ancestry (litellm is imported only where a model is used)
_KINDS: tuple[tuple[str, str, bool], ...] = (
    ("ContextWindowExceededError", "the request is larger than the model's context window", False),
    ("ContentPolicyViolationError", "the provider refused the content (content policy)", False),
    ("AuthenticationError", "the provider refused the API key (COGNITEST_LLM__API_KEY)", False),
    ("PermissionDeniedError", "the API key may not use this model", False),
    ("NotFoundError", "the provider does not know this model (COGNITEST_LLM__MODEL)", False),
    ("RateLimitError", "rate limited by the provider", True),
    ("APITimeoutError", "the model did not answer in time (COGNITEST_LLM__TIMEOUT)", True),
    ("Timeout", "the model did not answer in time (COGNITEST_LLM__TIMEOUT)", True),
    ("APIConnectionError", "cannot reach the provider", True),
    ("ServiceUnavailableError", "the provider is unavailable", True),
    ("InternalServerError", "the provider failed (server error)", True),
    ("BadRequestError", "the provider refused the request", False),
    ("UnprocessableEntityError", "the provider refused the request", False),
)


def plain(exc: BaseException) -> Plain:
    names = {cls.__name__ for cls in type(exc).__mro__}
    if "InvalidModelOutput" in names:
        return Plain(f"invalid answer: {str(exc)[:300]}", False)
    for name, message, retryable in _KINDS:
        if name in names:
            detail = _detail(exc)
            return Plain(f"{message}{f' ({detail})' if detail else ''}", retryable)
    return Plain(f"{type(exc).__name__}: {str(exc)[:200]}", True)


def _detail(exc: BaseException) -> str:
    """The status code, if the provider sent one; never the raw provider text."""
    status = getattr(exc, "status_code", None)
    return f"HTTP {status}" if isinstance(status, int) else ""
