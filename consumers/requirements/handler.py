"""requirement.uploaded -> read the document from the blob store, convert it, split it into
atomic requirements -> requirement.parsed, or requirement.rejected with a clear reason.

The outcome event's id derives from the document, so a redelivered upload publishes the same
outcome (a duplicate the stream and the projection drop), and `?wait=true` can wait for it."""

import asyncio
from typing import Any

import structlog
from nats.aio.msg import Msg
from nats.js import JetStreamContext

from cognitest.consumers.runtime.delivery import retry_or_dead_letter
from cognitest.consumers.runtime.transient import is_transient
from cognitest.infra.blob import BlobNotFound, BlobStore
from cognitest.infra.bus.publisher import EventPublisher
from cognitest.infra.requirements.convert import DocumentError, convert
from cognitest.infra.requirements.outcome import outcome_event_id
from cognitest.infra.requirements.sniff import EmptyDocument, UnsafeDocument, UnsupportedDocument, sniff
from cognitest.infra.requirements.split import split
from cognitest.infra.settings import BusSettings, RequirementsSettings
from cognitest.schemas import Envelope, new_event
from cognitest.schemas.events.requirements import RequirementParsed, RequirementRejected

CONSUMER = "requirements"
log = structlog.get_logger(__name__)


class RequirementParser:
    def __init__(self, blobs: BlobStore, publisher: EventPublisher, js: JetStreamContext, bus: BusSettings,
                 limits: RequirementsSettings, source: str) -> None:
        self.blobs = blobs
        self.publisher = publisher
        self.js = js
        self.bus = bus
        self.limits = limits
        self.source = source

    async def handle(self, event: Envelope[Any], msg: Msg) -> None:
        bound = log.bind(event_id=event.id, project=event.subject, correlation_id=event.correlationid)
        try:
            data = await self.blobs.get(event.data.blob_ref)
            payload: Any = await asyncio.to_thread(self._parse, data, event)
        except BlobNotFound:
            payload = RequirementRejected(document_id=event.data.document_id,
                                          reason="the uploaded file is missing from the blob store")
        except Exception as exc:  # noqa: BLE001  transient or not, the message is kept: retried or dead-lettered
            if is_transient(exc):
                await retry_or_dead_letter(self.js, CONSUMER, msg, self.bus, f"{type(exc).__name__}: {exc}")
                return
            bound.exception("requirements.parse_crashed")
            payload = RequirementRejected(document_id=event.data.document_id,
                                          reason=f"the document could not be parsed ({type(exc).__name__})")
        outcome = new_event(payload, project_id=event.subject, actor=event.actor, source=self.source,
                            correlationid=event.correlationid, causationid=event.id,
                            event_id=outcome_event_id(event.data.document_id))
        try:
            await self.publisher.publish(outcome)
        except Exception as exc:  # noqa: BLE001  the bus is away: try again later
            await retry_or_dead_letter(self.js, CONSUMER, msg, self.bus, f"{type(exc).__name__}: {exc}")
            return
        await msg.ack()
        bound.info("requirements.parsed" if isinstance(payload, RequirementParsed) else "requirements.rejected",
                   document_id=str(event.data.document_id))

    def _parse(self, data: bytes, event: Envelope[Any]) -> RequirementParsed | RequirementRejected:
        document_id = event.data.document_id
        try:
            kind = sniff(data, max_unzipped=self.limits.max_unzipped_bytes, max_ratio=self.limits.max_zip_ratio)
            requirements = split(convert(data, kind))
        except (DocumentError, EmptyDocument, UnsupportedDocument, UnsafeDocument) as exc:
            return RequirementRejected(document_id=document_id, reason=str(exc))
        if not requirements:
            return RequirementRejected(document_id=document_id, reason=(
                "no requirements found: write them as 'shall/must/should' statements, user stories "
                "('As a ..., I want ...'), numbered items such as 'FR-1: ...', or Gherkin scenarios"))
        return RequirementParsed(document_id=document_id, requirements=requirements[:5000])
