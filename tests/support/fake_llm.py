"""A local OpenAI-compatible chat completions server that records what it receives. By default
it answers like a well-behaved model (a plan, or one case per requirement); tests can script
failures per model: HTTP errors, invalid JSON, slowness."""

import json
import re
import threading
import time
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def good_answer(request: dict[str, Any]) -> str:
    user = next(m["content"] for m in request["messages"] if m["role"] == "user")
    if "<failure>" in user:
        failure = json.loads(re.search(r"<failure>\n(.*)\n</failure>", user, re.DOTALL).group(1))
        return json.dumps({"suggestions": [f"Model: look at {failure['failing_step'] or 'the first failing step'}",
                                           "Model: compare with the last passing run"]})
    data = json.loads(re.search(r"<requirements>\n(.*)\n</requirements>", user, re.DOTALL).group(1))
    if "test plan" in user:
        return json.dumps({"name": "LLM plan", "description": "from the model", "objectives": ["o"], "scope_in": ["s"],
                           "approach": ["a"], "risks": ["r"], "exit_criteria": ["e"]})
    requirements = data["requirements"]
    return json.dumps({"cases": [
        {"title": f"LLM case for {r['key']}", "category": "functional",
         "steps": [{"action": f"do it for {r['key']}", "expected": "it works"}], "expected_result": f"{r['key']} works",
         "priority": "high", "requirement_keys": [r["key"]], "confidence": 0.8, "confidence_reasons": ["model"]}
        for r in requirements]})


def _vector(text: str) -> list[float]:
    import hashlib

    digest = hashlib.sha256(text.encode()).digest()
    return [(b - 128) / 128 for b in digest[:8]]


class FakeLlm:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.cached_prefixes: set[str] = set()
        self.embedding_requests: list[dict[str, Any]] = []
        self.script: dict[str, list[Any]] = defaultdict(list)  # model -> queued behaviours
        self.reported_model: str | None = None  # the model name answers claim (a proxy's own), unset = the one asked
        self.delay = 0.0
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["content-length"])))
                if self.path.endswith("/embeddings"):  # an embedding model: 8 numbers per text, from its hash
                    with fake._lock:
                        fake.embedding_requests.append(body)
                    texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
                    self._send(200, {"object": "list", "model": body.get("model", ""), "usage": {"prompt_tokens": 1, "total_tokens": 1},
                                     "data": [{"object": "embedding", "index": i, "embedding": _vector(t)} for i, t in enumerate(texts)]})
                    return
                with fake._lock:
                    fake.requests.append(body)
                    model = body.get("model", "")
                    behaviour = fake.script[model].pop(0) if fake.script[model] else "ok"
                if fake.delay:
                    time.sleep(fake.delay)
                if isinstance(behaviour, int):
                    self._send(behaviour, {"error": {"message": "scripted failure", "type": "server_error"}})
                    return
                if isinstance(behaviour, tuple) and behaviour[0] == "sleep":
                    time.sleep(behaviour[1])
                    behaviour = "ok"
                content = good_answer(body) if behaviour == "ok" else behaviour(body) if callable(behaviour) else behaviour
                cached = fake.prompt_cache_hit(body)
                self._send(200, {
                    "id": "chatcmpl-1", "object": "chat.completion", "created": int(time.time()),
                    "model": fake.reported_model or model,
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
                    "usage": {"prompt_tokens": 1000, "completion_tokens": 500, "total_tokens": 1500,
                              "prompt_tokens_details": {"cached_tokens": 800 if cached else 0}},
                })

            def _send(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def models_called(self) -> list[str]:
        return [r.get("model", "") for r in self.requests]

    def prompt_cache_hit(self, body: dict[str, Any]) -> bool:
        """Like a provider's prompt cache: a system block marked `cache_control` seen before is a hit."""
        blocks = (body.get("messages") or [{}])[0].get("content")
        marked = [b.get("text", "") for b in blocks if isinstance(b, dict) and b.get("cache_control")] if isinstance(blocks, list) else []
        if not marked:
            return False
        with self._lock:
            hit = marked[0] in self.cached_prefixes
            self.cached_prefixes.add(marked[0])
        return hit

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
