"""Remediation hints from the configured model, for a newly detected issue. Any failure of the
model (down, slow, invalid answers) falls back to the rules: triage never waits on it to decide."""

from typing import Any

import structlog
from pydantic import BaseModel, Field

from cognitest.infra.settings import LlmSettings

log = structlog.get_logger(__name__)
ROLE = ("You are a senior test engineer triaging a failed automated test. You suggest the most likely causes and what "
        "to check or change first, in short imperative sentences.")
TASK = "Suggest up to three remediation steps for this failure."


class Remediation(BaseModel):
    suggestions: list[str] = Field(min_length=1, max_length=5)


class ModelRemediation:
    def __init__(self, settings: LlmSettings) -> None:
        from cognitest.infra.generation.llm import LlmEngine

        self.engine = LlmEngine(settings)

    async def suggest(self, failure: dict[str, Any]) -> list[str] | None:
        try:
            answer, usage = await self.engine.ask(TASK, failure, Remediation, role=ROLE, tag="failure")
        except Exception as exc:  # noqa: BLE001  the rules answer instead
            log.warning("triage.model_remediation_failed", error=f"{type(exc).__name__}: {str(exc)[:300]}")
            return None
        log.info("triage.model_remediation", model=usage.model, tokens=usage.prompt_tokens + usage.completion_tokens)
        return [s.strip()[:500] for s in answer.suggestions if s.strip()][:3] or None


def model_remediation(settings: LlmSettings) -> ModelRemediation | None:
    return ModelRemediation(settings) if settings.model and settings.remediation else None
