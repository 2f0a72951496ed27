"""project.created -> start ProjectBootstrap in Temporal. The workflow id derives from the
project, so a redelivered event starts nothing twice."""

import structlog
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from temporalio.client import Client
from temporalio.exceptions import WorkflowAlreadyStartedError

from cognitest.consumers.runtime.delivery import retry_or_dead_letter, to_dead_letter
from cognitest.infra.settings import BusSettings, TemporalSettings
from cognitest.schemas import InvalidEvent, UnknownEventType, parse_event
from cognitest.schemas.workflows import BOOTSTRAP_WORKFLOW, BootstrapInput, bootstrap_workflow_id

CONSUMER = "project-bootstrap"
log = structlog.get_logger(__name__)


class BootstrapStarter:
    def __init__(self, temporal: Client, js: JetStreamContext, bus: BusSettings, settings: TemporalSettings) -> None:
        self.temporal = temporal
        self.js = js
        self.bus = bus
        self.settings = settings

    async def handle_batch(self, msgs: list[Msg]) -> None:
        for msg in msgs:
            await self.handle(msg)

    async def handle(self, msg: Msg) -> None:
        try:
            event = parse_event(msg.data)
        except (InvalidEvent, UnknownEventType) as exc:
            await to_dead_letter(self.js, CONSUMER, msg, str(exc))
            return
        bound = log.bind(event_id=event.id, project=event.subject, correlation_id=event.correlationid)
        workflow_id = bootstrap_workflow_id(event.subject)
        try:
            await self.temporal.start_workflow(
                BOOTSTRAP_WORKFLOW,
                BootstrapInput(project_id=event.project_id, actor=event.actor,
                               correlationid=event.correlationid or event.id, causationid=event.id),
                id=workflow_id,
                task_queue=self.settings.task_queue,
            )
            bound.info("bootstrap.started", workflow_id=workflow_id)
        except WorkflowAlreadyStartedError:
            bound.info("bootstrap.already_started", workflow_id=workflow_id)
        except Exception as exc:  # Temporal away: retry later
            await retry_or_dead_letter(self.js, CONSUMER, msg, self.bus, f"{type(exc).__name__}: {exc}")
            return
        await msg.ack()
