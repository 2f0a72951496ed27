"""The LLM engine against a provider's own wire format, through litellm: a local server answers
Anthropic's Messages API (`POST /v1/messages`) with an answer recorded in Anthropic's shape
(content blocks, `input_tokens`/`output_tokens`, prompt-cache counters). The request must be
Anthropic's (system apart with its cache mark, the key in `x-api-key`), the answer's cases must
arrive intact, and the tokens and cost must be the ones Anthropic reported."""

import asyncio
import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cognitest.infra.generation.llm import LlmEngine
from cognitest.infra.settings import LlmSettings, ModelPrice
from cognitest.schemas.generation import FeatureJob, Requirement

REQS = [Requirement(id=uuid.uuid4(), key="PAY-1", title="Refunds", text="A refund shall reach the card within 5 days.")]
CASES = {"cases": [{"title": "Refund reaches the card within 5 days", "category": "functional",
                    "steps": [{"action": "Refund an order paid by card", "expected": "The refund is accepted"},
                              {"action": "Check the card statement on day 5", "expected": "The refund is listed"}],
                    "expected_result": "The refund is on the card within 5 days", "priority": "high",
                    "requirement_keys": ["PAY-1"], "confidence": 0.8, "confidence_reasons": ["stated limit"]}]}


class Recorded:
    """Answers every POST with `answer(body)` and keeps what it was sent (path, headers, body)."""

    def __init__(self, answer: Any) -> None:
        self.seen: list[dict[str, Any]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["content-length"])))
                outer.seen.append({"path": self.path, "headers": dict(self.headers), "body": body})
                data = json.dumps(answer(body)).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


def anthropic_answer(body: dict[str, Any]) -> dict[str, Any]:
    """What Anthropic's Messages API sends back (its documented shape), with our cases as the text."""
    return {"id": "msg_01XFDUDYJgAACzvnptvVoYEL", "type": "message", "role": "assistant",
            "model": "claude-sonnet-4-5-20250929", "stop_reason": "end_turn", "stop_sequence": None,
            "content": [{"type": "text", "text": json.dumps(CASES)}],
            "usage": {"input_tokens": 412, "output_tokens": 287, "cache_creation_input_tokens": 0,
                      "cache_read_input_tokens": 1530}}


def test_anthropic_messages_api_round_trip() -> None:
    server = Recorded(anthropic_answer)
    try:
        model = "anthropic/claude-sonnet-4-5"
        engine = LlmEngine(LlmSettings(model=model, api_base=server.url, api_key="sk-ant-test", timeout=10,
                                       prices={model: ModelPrice(input=3.0, output=15.0, cached_input=0.3)}))
        result = asyncio.run(engine.feature_cases(FeatureJob(generation_id=uuid.uuid4(), project_id=uuid.uuid4(),
                                                             feature="Payments", requirements=REQS)))
    finally:
        server.close()
    [sent] = server.seen
    assert sent["path"].endswith("/v1/messages")
    headers = {k.lower(): v for k, v in sent["headers"].items()}
    assert headers["x-api-key"] == "sk-ant-test" and "anthropic-version" in headers
    assert "authorization" not in headers  # Anthropic's key header, not a bearer token
    body = sent["body"]
    assert all(m["role"] != "system" for m in body["messages"])  # the instructions go apart, in `system`
    system = body["system"]
    assert any(block.get("cache_control") == {"type": "ephemeral"} for block in system)  # prompt caching kept
    assert "<requirements>" in json.dumps(body["messages"]) and "PAY-1" in json.dumps(body["messages"])
    [case] = result.cases
    assert case.title == "Refund reaches the card within 5 days" and case.requirement_keys == ["PAY-1"]
    assert [s.expected for s in case.steps] == ["The refund is accepted", "The refund is listed"]
    usage = result.usage
    assert usage.calls == 1 and usage.completion_tokens == 287 and usage.cached_prompt_tokens == 1530
    assert usage.prompt_tokens == 412 + 1530  # litellm counts the cached prompt in the prompt
    assert abs(usage.cost_usd - (412 * 3.0 + 1530 * 0.3 + 287 * 15.0) / 1_000_000) < 1e-9
