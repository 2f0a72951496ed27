"""Triage: every failed case (from a run or imported CI results) becomes an occurrence of an issue.

Same signature as a known issue -> another occurrence of it (a resolved one is reopened by the
projection); similar enough to an open issue -> an occurrence of that one; otherwise a new issue,
whose id derives from the project and the signature so that two copies of this consumer, or a
projection that lags, still open one issue. A case that passed only on retry, or whose recent
outcomes flip between pass and fail, is labelled flaky instead of opening a bug."""

from dataclasses import dataclass
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

import structlog
from nats.aio.msg import Msg
from nats.js import JetStreamContext

from cognitest.consumers.runtime.delivery import ack_or_retry, heartbeat
from cognitest.infra.bus.publisher import EventPublisher
from cognitest.infra.metrics import TRIAGED
from cognitest.infra.settings import BusSettings
from cognitest.infra.triage.context import artifact_links, expected_actual, run_environment
from cognitest.infra.triage.failures import Failure, failures_of, flips, history
from cognitest.infra.triage.remediation import remediation, severity
from cognitest.infra.triage.remediation_llm import ModelRemediation
from cognitest.infra.triage.signature import Signature, signature_of
from cognitest.infra.triage.similarity import match_issue
from cognitest.infra.triage.store import CaseInfo, TriageStore
from cognitest.schemas import Envelope, new_event
from cognitest.schemas.events.issues import IssueDetected, IssueOccurred
from cognitest.schemas.events.testing import CaseChanges, CaseUpdated

log = structlog.get_logger(__name__)
CONSUMER = "triage"
SUBJECTS = ("run.case_finished", "results.ingested")
FLAKY_FLIPS = 3


def derived(*parts: object) -> UUID:
    return uuid5(NAMESPACE_URL, "cognitest:triage:" + ":".join(str(p) for p in parts))


@dataclass
class Triage:
    store: TriageStore
    publisher: EventPublisher
    js: JetStreamContext
    bus: BusSettings
    source: str
    model: ModelRemediation | None = None
    public_url: str = ""  # links to the screenshot and trace in the issue


    async def handle(self, event: Envelope[Any], msg: Msg) -> None:
        bound = log.bind(event_id=event.id, project=event.subject, event_type=event.type)
        async with heartbeat([msg], every=max(self.bus.ack_wait / 3, 0.5)):  # a model call may take a while
            await ack_or_retry(self.js, CONSUMER, msg, self.bus, lambda: self._triage_and_publish(event, bound), bound)

    async def _triage_and_publish(self, event: Envelope[Any], bound: Any) -> None:
        events = await self.triage(event)
        await self.publisher.publish_many(events)
        if events:
            bound.info("triage.done", published=len(events))

    def _event(self, payload: Any, cause: Envelope[Any], *id_parts: object) -> Envelope[Any]:
        return new_event(payload, project_id=cause.project_id, actor="triage", source=self.source,
                         correlationid=cause.correlationid or cause.id, causationid=cause.id,
                         event_id=str(derived("event", *id_parts)))

    async def triage(self, event: Envelope[Any]) -> list[Envelope[Any]]:
        failures, flaky = failures_of(event)
        if not failures and not flaky:
            return []
        cases = await self.store.cases([c for c in {*flaky, *(f.case_id for f in failures if f.case_id)} if c])
        out: list[Envelope[Any]] = []
        history = await self.store.recent_outcomes(sorted({f.case_id for f in failures if f.case_id}))
        flaky += [case_id for case_id, outcomes in history.items() if flips(outcomes) >= FLAKY_FLIPS]
        flaky_ids = set(flaky)
        for case_id in flaky_ids:
            info = cases.get(case_id)
            if info is not None and "flaky" not in info.tags:
                out.append(self._event(CaseUpdated(case_id=case_id, changes=CaseChanges(tags=[*info.tags, "flaky"])),
                                       event, "flaky", case_id))
        failures = [f for f in failures if f.case_id not in flaky_ids]
        signed = [(f, signature_of(f.error, f.failing_step, f.key)) for f in failures]
        known = await self.store.issues_by_signature(event.project_id, sorted({s.digest for _, s in signed}))
        candidates = await self.store.open_fingerprints(event.project_id) if any(s.digest not in known for _, s in signed) else []
        for failure, sig in signed:
            matched, match, score = match_issue(sig.digest, sig.text, known, candidates)
            TRIAGED.labels(match).inc()
            issue_id = UUID(matched) if matched else derived(event.project_id, sig.digest)
            if matched is None:
                known[sig.digest] = issue_id
                candidates.append((str(issue_id), sig.text))
                hints = await self._hints(failure, sig, cases.get(failure.case_id))
                environment = await run_environment(self.store.sessions, failure.run_id, failure.browser)
                links = artifact_links(self.public_url, event.project_id, failure.artifacts)
                recent = history.get(failure.case_id, []) if failure.case_id else []
                out.append(self._event(self._detected(issue_id, failure, sig, cases.get(failure.case_id), hints,
                                                      environment, links, recent), event, "issue", issue_id))
            out.append(self._event(IssueOccurred(
                issue_id=issue_id, signature=sig.digest, run_id=failure.run_id, case_id=failure.case_id,
                case_key=failure.key[:500], error=sig.headline[:2000], match=match, similarity=score), event,
                "occurrence", event.id, failure.index))
        return out

    async def _hints(self, failure: Failure, sig: Signature, case: CaseInfo | None) -> list[str]:
        suggested = None
        if self.model is not None:
            suggested = await self.model.suggest({"case": case.title if case else failure.key, "error": failure.error[:4000],
                                                  "failing_step": failure.failing_step, "steps": case.steps[:20] if case else []})
        return suggested or remediation(failure.error)

    @staticmethod
    def _detected(issue_id: UUID, failure: Failure, sig: Signature, case: CaseInfo | None, hints: list[str],
                  environment: dict[str, Any], links: list[dict[str, str]], recent: list[str] | None = None) -> IssueDetected:
        title = f"{case.title if case else failure.key}: {sig.headline}" if sig.headline else (case.title if case else failure.key)
        steps = case.steps if case else []
        pair = expected_actual(failure.error)
        facts = [f"First seen in run {environment.get('run_name') or failure.run_id} ({failure.outcome})."]
        if failure.failing_step:
            facts.append(f"Failing step: {failure.failing_step}")
        if pair:
            facts += [f"Expected: {pair[0]}", f"Actual: {pair[1]}"]
        if recent:  # the case's history: a regression after a long green streak reads differently from a flaky case
            facts.append(history(recent))
        return IssueDetected(
            issue_id=issue_id, related_test_case_id=failure.case_id if case else None, title=title[:500],
            description="\n".join(facts) + f"\n\n{failure.error[:20_000]}", attachments=links,
            severity=severity(failure.error, case.priority if case else None), detected_by="triage",
            remediation_suggestions=hints, ai_confidence=0.9 if case else 0.7,
            steps_to_reproduce=steps[:50], environment=environment, signature=sig.digest, run_id=failure.run_id,
            tags=["triaged"], metadata={"fingerprint": sig.text[:2000], "first_error": sig.headline,
                                        "failing_step": failure.failing_step, "case_key": failure.key[:500],
                                        **({"expected": pair[0], "actual": pair[1]} if pair else {})},
        )
