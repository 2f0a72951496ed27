"""One durable consumer over every event, for automations:

- `workflow.run_requested` starts an execution whose id derives from the request's event id;
- an event matching an enabled automation's event trigger starts an execution whose id derives
  from the automation and the triggering event's id (a redelivered event starts nothing twice);
- `workflow.defined` updates the automation's Temporal Schedule;
- the end of a run or generation an execution waits for is signalled to it (the bridge).

It starts at the stream's end (new events only): an automation added today does not fire on last
month's events."""

from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any
from uuid import UUID

import structlog
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from sqlalchemy.ext.asyncio import async_sessionmaker
from temporalio.client import Client
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from cognitest.consumers.automations.bridge import ENDINGS, signal_for
from cognitest.consumers.runtime.delivery import ack_or_retry
from cognitest.consumers.runtime.fresh import FreshPerEvent
from cognitest.infra.automations.definitions import project_definitions
from cognitest.infra.automations.matching import matching_triggers
from cognitest.infra.automations.schedules import sync_schedule
from cognitest.infra.settings import BusSettings
from cognitest.schemas import Envelope
from cognitest.schemas.automation.execution import AUTOMATION_WORKFLOW, Definition, ExecutionInput, execution_id_for

log = structlog.get_logger(__name__)
CONSUMER = "automations"
ALWAYS = {"workflow.run_requested", "workflow.defined", *ENDINGS}
CACHE_SECONDS = 10.0  # a definition saved through another copy of this consumer is seen within this
MAX_LIST = 50


def trigger_input(event: Envelope[Any]) -> dict[str, Any]:
    """What an event trigger hands the graph: the event's headline and its payload, long lists cut."""
    data = event.data.model_dump(mode="json")
    data = {k: (v[:MAX_LIST] if isinstance(v, list) else v) for k, v in data.items()}
    return {"event": {"id": event.id, "type": event.type, "time": event.time.isoformat(), "actor": event.actor},
            "data": data}


@dataclass
class AutomationTriggers:
    sessions: async_sessionmaker
    temporal: Client
    js: JetStreamContext
    bus: BusSettings
    task_queue: str
    definitions: FreshPerEvent[dict[UUID, Definition]] = field(init=False)

    def __post_init__(self) -> None:
        # workflow.defined is applied from the event itself (_remember); another copy's is read within the ttl
        self.definitions = FreshPerEvent(self._load, frozenset(), ttl=CACHE_SECONDS)

    async def wants(self, project: str, event_type: str) -> bool:
        """Whether an event can matter (from its subject alone): requests, definitions and run or
        generation endings always; any other event only if an enabled trigger of its project
        matches its type."""
        if event_type in ALWAYS:
            return True
        if event_type.startswith("workflow."):  # an automation's own bookkeeping never triggers one
            return False
        try:
            definitions = await self.definitions.get(UUID(project))
        except ValueError:
            return True  # not a project: let the parse decide
        return any(fnmatchcase(event_type, str((node.get("config") or {}).get("event_type", "")))
                   for d in definitions.values() if d.enabled
                   for node in d.graph.get("nodes", []) if node.get("type") == "trigger.event")

    async def handle(self, event: Envelope[Any], msg: Msg) -> None:
        bound = log.bind(event_id=event.id, project=event.subject, event_type=event.type)
        await ack_or_retry(self.js, CONSUMER, msg, self.bus, lambda: self._handle(event, bound), bound)

    async def _handle(self, event: Envelope[Any], bound: Any) -> None:
        if event.type == "workflow.run_requested":
            d = event.data
            await self._start(execution_id_for(event.id), ExecutionInput(
                project_id=event.project_id, workflow_id=d.workflow_id, trigger=d.trigger, trigger_node=d.trigger_node,
                input=d.input, actor=event.actor, version=d.version), bound)
            return
        if event.type == "workflow.defined":
            definition = await self._remember(event)
            outcome = await sync_schedule(self.temporal, event.project_id, definition, self.task_queue)
            bound.info("automations.schedule", automation=str(definition.workflow_id), outcome=outcome)
            return
        signal = signal_for(event)
        if signal is not None:
            await self._signal(*signal, bound)
            return
        if event.project_id is None:
            return
        definitions = await self.definitions.get(event.project_id)
        for definition, node_id in matching_triggers(list(definitions.values()), event.type, event.data.model_dump(mode="json")):
            await self._start(execution_id_for(f"{definition.workflow_id}-{event.id}"), ExecutionInput(
                project_id=event.project_id, workflow_id=definition.workflow_id, trigger="event", trigger_node=node_id,
                input=trigger_input(event), actor=event.actor, version=definition.version), bound)

    async def _start(self, execution_id: str, data: ExecutionInput, bound: Any) -> None:
        try:
            await self.temporal.start_workflow(AUTOMATION_WORKFLOW, data, id=execution_id, task_queue=self.task_queue)
            bound.info("automations.started", execution_id=execution_id, automation=str(data.workflow_id), trigger=data.trigger)
        except WorkflowAlreadyStartedError:
            bound.info("automations.already_started", execution_id=execution_id)

    async def _signal(self, execution_id: str, name: str, payload: Any, bound: Any) -> None:
        try:
            await self.temporal.get_workflow_handle(execution_id).signal(name, payload)
            bound.info("automations.signalled", execution_id=execution_id, signal=name, awaited=payload.id)
        except RPCError as exc:
            if exc.status != RPCStatusCode.NOT_FOUND:
                raise
            bound.info("automations.signal_target_gone", execution_id=execution_id)

    async def _load(self, project_id: UUID, previous: dict[UUID, Definition] | None) -> tuple[dict[UUID, Definition], int]:
        loaded = {d.workflow_id: d for d in await project_definitions(self.sessions, project_id)}
        for workflow_id, seen in (previous or {}).items():
            # keep definitions seen on the bus that the projection has not applied yet
            if workflow_id not in loaded or seen.version > loaded[workflow_id].version:
                loaded[workflow_id] = seen
        return loaded, 0

    async def _remember(self, event: Envelope[Any]) -> Definition:
        d = event.data
        definition = Definition(workflow_id=d.workflow_id, name=d.name, version=d.version, enabled=d.enabled, graph=d.graph)
        definitions = await self.definitions.get(event.project_id)
        current = definitions.get(d.workflow_id)
        if current is None or current.version <= d.version:
            definitions[d.workflow_id] = definition
        return definition
