"""Model failures in plain words: each kind of provider error litellm raises is named for a person
(never the provider's raw text), and only the ones that can get better are retried."""

import httpx
import litellm

from cognitest.infra.generation.errors import plain
from cognitest.infra.generation.llm import InvalidModelOutput


def _response(status: int) -> httpx.Response:
    return httpx.Response(status, request=httpx.Request("POST", "http://127.0.0.1/v1/chat/completions"))


def test_each_kind_is_named_and_only_transient_ones_retried() -> None:
    raw = "litellm.RateLimitError: OpenAIException - Available Model Group Fallbacks=None"
    cases = [
        (litellm.RateLimitError(raw, "openai", "gpt-4o-mini", response=_response(429)), "rate limited", True),
        (litellm.Timeout(raw, "gpt-4o-mini", "openai"), "did not answer in time", True),
        (litellm.AuthenticationError(raw, "openai", "gpt-4o-mini", response=_response(401)), "refused the API key", False),
        (litellm.NotFoundError(raw, "gpt-4o-mini", "openai", response=_response(404)), "does not know this model", False),
        (litellm.ContextWindowExceededError(raw, "gpt-4o-mini", "openai", response=_response(400)), "context window", False),
        (litellm.InternalServerError(raw, "openai", "gpt-4o-mini", response=_response(500)), "server error", True),
        (litellm.APIConnectionError(raw, "openai", "gpt-4o-mini"), "cannot reach the provider", True),
        (InvalidModelOutput("the model's answer stayed invalid after 2 repair(s): cases: Field required"), "invalid answer", False),
    ]
    for exc, words, retryable in cases:
        said = plain(exc)
        assert words in said.message and said.retryable is retryable, (type(exc).__name__, said)
        assert "Model Group" not in said.message and "OpenAIException" not in said.message
    assert plain(litellm.RateLimitError(raw, "openai", "m", response=_response(429))).message.endswith("(HTTP 429)")
