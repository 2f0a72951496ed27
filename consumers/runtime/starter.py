"""Start a Temporal workflow for each event of a kind. The workflow id derives from the event's
content, so a redelivered event starts nothing twice; Temporal away means retry later."""

from collections.abc import Callable
from typing import Any

import structlog
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from pydantic import BaseModel
from temporalio.client import Client
from temporalio.exceptions import WorkflowAlreadyStartedError

from cognitest.consumers.runtime.delivery import retry_or_dead_letter
from cognitest.infra.settings import BusSettings
from cognitest.schemas import Envelope

log = structlog.get_logger(__name__)
Plan = Callable[[Envelope[Any]], tuple[str, BaseModel, str]]  # -> (workflow name, input, workflow id)


class WorkflowStarter:
    def __init__(self, consumer: str, plan: Plan, temporal: Client, js: JetStreamContext, bus: BusSettings,
                 task_queue: str) -> None:
        self.consumer = consumer
        self.plan = plan
        self.temporal = temporal
        self.js = js
        self.bus = bus
        self.task_queue = task_queue

    async def handle(self, event: Envelope[Any], msg: Msg) -> None:
        bound = log.bind(event_id=event.id, project=event.subject, correlation_id=event.correlationid)
        name, data, workflow_id = self.plan(event)
        try:
            await self.temporal.start_workflow(name, data, id=workflow_id, task_queue=self.task_queue)
            bound.info("workflow.started", workflow=name, workflow_id=workflow_id)
        except WorkflowAlreadyStartedError:
            bound.info("workflow.already_started", workflow=name, workflow_id=workflow_id)
        except Exception as exc:  # Temporal away: retry later
            await retry_or_dead_letter(self.js, self.consumer, msg, self.bus, f"{type(exc).__name__}: {exc}")
            return
        await msg.ack()
