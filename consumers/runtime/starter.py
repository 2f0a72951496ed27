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

from cognitest.consumers.runtime.delivery import ack_or_retry
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
        await ack_or_retry(self.js, self.consumer, msg, self.bus, lambda: self._start(event, bound), bound)

    async def _start(self, event: Envelope[Any], bound: Any) -> None:
        name, data, workflow_id = self.plan(event)
        try:
            await self.temporal.start_workflow(name, data, id=workflow_id, task_queue=self.task_queue)
            bound.info("workflow.started", workflow=name, workflow_id=workflow_id)
        except WorkflowAlreadyStartedError:  # a redelivered event: nothing to do
            bound.info("workflow.already_started", workflow=name, workflow_id=workflow_id)
