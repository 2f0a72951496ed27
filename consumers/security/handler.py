"""The `security` consumer (in the execution process): runs each requested scan and files every
finding as an issue. An issue's id derives from the project, the check, the host and path and
what it is about, so the same weakness found again is an occurrence of the same issue (a
resolved one reopens), never a second issue."""

import hashlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit
from uuid import NAMESPACE_URL, UUID, uuid5

import structlog
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from sqlalchemy import select

from cognitest.consumers.runtime.delivery import ack_or_retry, heartbeat
from cognitest.consumers.security.checks import Finding
from cognitest.consumers.security.scanner import scan
from cognitest.infra.bus.publisher import EventPublisher
from cognitest.infra.db.models import Issue
from cognitest.infra.execution_guard import TargetRefused, project_policy
from cognitest.infra.settings import BusSettings, ExecutionSettings
from cognitest.schemas import Envelope, new_event
from cognitest.schemas.events.issues import IssueDetected, IssueOccurred
from cognitest.schemas.events.security import SecurityScanFinished
from cognitest.schemas.subjects import EVENTS_PREFIX

log = structlog.get_logger(__name__)
CONSUMER = "security"
FILTER = f"{EVENTS_PREFIX}.*.security.scan.requested"


def signature_of(finding: Finding, url: str) -> str:
    parts = urlsplit(url)
    key = f"{finding.check}|{parts.hostname}:{parts.port or ''}{parts.path or '/'}|{finding.where}"
    return "security:" + hashlib.sha256(key.encode()).hexdigest()[:40]


@dataclass
class SecurityScanner:
    sessions: Any
    publisher: EventPublisher
    js: JetStreamContext
    bus: BusSettings
    settings: ExecutionSettings
    source: str

    async def handle(self, event: Envelope[Any], msg: Msg) -> None:
        bound = log.bind(event_id=event.id, project=event.subject, scan_id=str(event.data.scan_id))
        async with heartbeat([msg], every=max(self.bus.ack_wait / 3, 0.5)):
            await ack_or_retry(self.js, CONSUMER, msg, self.bus, lambda: self._scan(event, bound), bound)

    def _emit(self, event: Envelope[Any], payload: Any, *key: object) -> Envelope[Any]:
        return new_event(payload, project_id=event.subject, actor=event.actor, source=self.source,
                         correlationid=event.correlationid or event.id, causationid=event.id,
                         event_id=str(uuid5(NAMESPACE_URL, f"cognitest:security:{event.id}:" + ":".join(map(str, key)))))

    async def _scan(self, event: Envelope[Any], bound: Any) -> None:
        d = event.data
        policy = await project_policy(self.sessions, event.project_id, self.settings)
        try:
            findings = await scan(d.url, policy, list(d.redirect_params), timeout=self.settings.request_timeout)
        except TargetRefused as exc:
            await self.publisher.publish(self._emit(event, SecurityScanFinished(
                scan_id=d.scan_id, url=d.url, ok=False, error=f"refused: {exc}"), "end"))
            return
        except Exception as exc:  # noqa: BLE001  an unreachable target is the scan's result, not a crash
            await self.publisher.publish(self._emit(event, SecurityScanFinished(
                scan_id=d.scan_id, url=d.url, ok=False, error=f"{type(exc).__name__}: {str(exc)[:500]}"), "end"))
            return
        known = await self._known(event.project_id, [self._issue_id(event.project_id, f, d.url) for f in findings])
        events, summary = [], []
        for finding in findings:
            issue_id = self._issue_id(event.project_id, finding, d.url)
            signature = signature_of(finding, d.url)
            if issue_id not in known:
                events.append(self._emit(event, IssueDetected(
                    issue_id=issue_id, title=finding.title[:500], severity=finding.severity, detected_by="security",
                    description=f"{finding.title}.\n\nEvidence: {finding.evidence}\n\nFound by a passive scan of {d.url}.",
                    remediation_suggestions=[finding.remediation],
                    steps_to_reproduce=[f"Request {d.url}", f"Observe: {finding.evidence}"],
                    environment={"url": d.url}, tags=["security", finding.check], signature=signature,
                    metadata={"check": finding.check, "scan_id": str(d.scan_id), "where": finding.where}), "issue", signature))
            events.append(self._emit(event, IssueOccurred(issue_id=issue_id, signature=signature,
                                                          error=finding.evidence[:2000], match="signature"), signature))
            summary.append({**finding.as_dict(), "issue_id": str(issue_id), "new": issue_id not in known})
        events.append(self._emit(event, SecurityScanFinished(scan_id=d.scan_id, url=d.url, findings=summary), "end"))
        await self.publisher.publish_many(events)
        bound.info("security.scan_finished", findings=len(findings), new=sum(1 for s in summary if s["new"]))

    @staticmethod
    def _issue_id(project_id: UUID, finding: Finding, url: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"cognitest:security-issue:{project_id}:{signature_of(finding, url)}")

    async def _known(self, project_id: UUID, ids: list[UUID]) -> set[UUID]:
        if not ids:
            return set()
        async with self.sessions() as session:
            rows = await session.scalars(select(Issue.id).where(Issue.project_id == project_id, Issue.id.in_(ids),
                                                                Issue.deleted_at.is_(None)))
        return set(rows)
