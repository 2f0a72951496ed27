"""AutomationRun: one generic, deterministic interpreter for every automation graph.

It walks the graph from the trigger that fired. Logic nodes (condition, switch, delay, approval,
for_each) run inside the workflow; every side effect is an activity with a timeout, a retry
policy and an idempotency key made of the execution id and the node's position, so a retried or
replayed step never posts twice. "Run suite" and "generate plan" publish their request, then wait
for a signal from the bridge consumer when the run or generation ends."""

import asyncio
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from cognitest.schemas.automation.execution import (
        APPROVAL_SIGNAL,
        AUTOMATION_WORKFLOW,
        GENERATION_FINISHED_SIGNAL,
        RUN_FINISHED_SIGNAL,
        ApprovalDecision,
        Definition,
        ExecutionInput,
        ExecutionRecord,
        Finished,
        Step,
        StepJob,
        StepRecord,
    )
    from cognitest.schemas.automation.graph import Graph, Node
    from cognitest.schemas.automation.nodes import ACTIONS, TRIGGERS, Approval, Condition, Delay, ForEach, Switch
    from cognitest.schemas.automation.templates import compare, render

BOOKKEEPING = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=20), maximum_attempts=50)
SIDE_EFFECT = RetryPolicy(initial_interval=timedelta(seconds=1), backoff_coefficient=2.0,
                          maximum_interval=timedelta(seconds=30), maximum_attempts=6,
                          non_retryable_error_types=["NotRetryable"])
WAITS = {"run_suite": (RUN_FINISHED_SIGNAL, "request_run", "load_run"),
         "generate_plan": (GENERATION_FINISHED_SIGNAL, "request_generation", "load_generation")}


class StepFailed(Exception):
    pass


def _error_text(exc: BaseException) -> str:
    cause = exc
    while getattr(cause, "cause", None) is not None:
        cause = cause.cause  # type: ignore[attr-defined]
    return str(cause) or type(cause).__name__


@workflow.defn(name=AUTOMATION_WORKFLOW)
class AutomationRun:
    def __init__(self) -> None:
        self.finished: dict[str, Finished] = {}
        self.decisions: list[ApprovalDecision] = []
        self.waiting_for: str | None = None
        self.steps: list[Step] = []
        self.data: ExecutionInput | None = None

    @workflow.signal(name=RUN_FINISHED_SIGNAL)
    def run_finished(self, finished: Finished) -> None:
        self.finished[finished.id] = finished

    @workflow.signal(name=GENERATION_FINISHED_SIGNAL)
    def generation_finished(self, finished: Finished) -> None:
        self.finished[finished.id] = finished

    @workflow.signal(name=APPROVAL_SIGNAL)
    def approval(self, decision: ApprovalDecision) -> None:
        self.decisions.append(decision)

    @workflow.query(name="progress")
    def progress(self) -> dict[str, Any]:
        return {"waiting_for": self.waiting_for, "steps": [s.model_dump() for s in self.steps]}

    @workflow.run
    async def run(self, data: ExecutionInput) -> dict[str, Any]:
        self.data = data
        execution_id = workflow.info().workflow_id
        record = ExecutionRecord(project_id=data.project_id, workflow_id=data.workflow_id, execution_id=execution_id,
                                 trigger=data.trigger, input=data.input, actor=data.actor, version=data.version)
        try:
            definition: Definition = await workflow.execute_activity(
                "load_definition", data, result_type=Definition, start_to_close_timeout=timedelta(seconds=30),
                retry_policy=RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=5),
                                         maximum_attempts=30, non_retryable_error_types=["NotRetryable"]))
        except ActivityError as exc:  # never leave a requested execution without an end
            record.status, record.error = "failed", f"the automation could not be loaded: {_error_text(exc)}"[:2000]
            await self._bookkeeping("record_start", record)
            await self._bookkeeping("record_finish", record)
            raise ApplicationError(record.error, non_retryable=True) from None
        record.version = definition.version
        await self._bookkeeping("record_start", record)
        context: dict[str, Any] = {
            "trigger": data.input, "nodes": {},
            # url: the automation's page, where a waiting approval is answered (for links in messages)
            "execution": {"id": execution_id, "trigger": data.trigger, "automation": str(data.workflow_id),
                          "url": f"{definition.project_url}/automations/{data.workflow_id}" if definition.project_url else ""},
            "project": {"id": str(data.project_id), "url": definition.project_url or ""},
        }
        status, error = "completed", None
        try:
            graph = Graph.model_validate(definition.graph)
            start = data.trigger_node or self._first_trigger(graph, data.trigger)
            await self._walk(graph, [start], context, "")
        except asyncio.CancelledError:
            status, error = "cancelled", "cancelled on request"
        except (StepFailed, ActivityError) as exc:
            status, error = "failed", _error_text(exc)[:2000]
        record.status, record.steps, record.error = status, self.steps, error
        record.output = {"nodes": context["nodes"]}
        await self._bookkeeping("record_finish", record)
        if status == "cancelled":
            raise asyncio.CancelledError()
        if status == "failed":
            raise ApplicationError(f"automation failed: {error}", non_retryable=True)
        return record.output

    @staticmethod
    def _first_trigger(graph: Graph, kind: str) -> str:
        for node in graph.triggers():
            if node.type == f"trigger.{kind}":
                return node.id
        return graph.triggers()[0].id

    async def _bookkeeping(self, name: str, data: Any) -> None:
        await workflow.execute_activity(name, data, start_to_close_timeout=timedelta(seconds=30), retry_policy=BOOKKEEPING)

    async def _walk(self, graph: Graph, start: list[str], context: dict[str, Any], scope: str) -> None:
        queue, visited = list(start), set()
        while queue:
            node = graph.node(queue.pop(0))
            if node.id in visited:  # joins run once, on first arrival
                continue
            visited.add(node.id)
            if node.type == "for_each":
                await self._loop(graph, node, context, scope)
                follow: set[str] | None = {"done"}
            else:
                follow = await self._node(graph, node, context, scope)
            queue += [e.target for e in graph.outgoing(node.id) if (e.label in follow if follow is not None else True)]

    async def _loop(self, graph: Graph, node: Node, context: dict[str, Any], scope: str) -> None:
        config = ForEach.model_validate(node.config)
        started = workflow.now()
        items = render(config.items, context)
        if not isinstance(items, list):
            items = [] if items in (None, "") else [items]
        items = items[:config.max_items]
        body = [e.target for e in graph.outgoing(node.id) if e.label == "each"]
        for index, item in enumerate(items):
            inner = {**context, "nodes": dict(context["nodes"]), "item": item, "index": index}
            await self._walk(graph, body, inner, f"{scope}{node.id}[{index}].")
        context["nodes"][node.id] = {"output": {"count": len(items)}}
        await self._step(node, scope, "completed", {"items": len(items)}, {"count": len(items)}, None, started)

    async def _node(self, graph: Graph, node: Node, context: dict[str, Any], scope: str) -> set[str] | None:
        started = workflow.now()
        config = graph.config(node)
        rendered = render(node.config, context)
        follow: set[str] | None = None
        output: Any = None
        if node.type in TRIGGERS:
            output = context["trigger"]
        elif isinstance(config, Condition):
            result = compare(render(config.left, context), config.op, render(config.right, context))
            output, follow = {"result": result}, {"true" if result else "false"}
        elif isinstance(config, Switch):
            value = str(render(config.value, context))
            output, follow = {"value": value}, {value if value in config.cases else "default"}
        elif isinstance(config, Delay):
            await workflow.sleep(timedelta(seconds=config.seconds))
            output = {"slept_seconds": config.seconds}
        elif isinstance(config, Approval):
            output = await self._approval(node, config, rendered, scope, started)
            follow = {"approved" if output["approved"] else "rejected"}
        elif node.type in ACTIONS:
            try:
                output = await self._action(node, rendered, scope)
            except (ActivityError, StepFailed) as exc:
                if not config.continue_on_error:
                    await self._step(node, scope, "failed", rendered, None, _error_text(exc), started)
                    raise
                output = {"error": _error_text(exc)}
                context["nodes"][node.id] = {"output": output}
                await self._step(node, scope, "failed", rendered, output, output["error"], started)
                return None
        context["nodes"][node.id] = {"output": output}
        await self._step(node, scope, "completed", rendered, output, None, started)
        return follow

    async def _action(self, node: Node, rendered: dict[str, Any], scope: str) -> Any:
        assert self.data is not None
        job = StepJob(project_id=self.data.project_id, execution_id=workflow.info().workflow_id, node_id=node.id,
                      node_type=node.type, config=rendered, key=f"{workflow.info().workflow_id}:{scope}{node.id}",
                      actor=self.data.actor)
        if node.type not in WAITS:
            timeout = float(rendered.get("timeout_seconds") or 30) + 30
            return await workflow.execute_activity(f"automation_{node.type}", job, start_to_close_timeout=timedelta(seconds=timeout),
                                                   retry_policy=SIDE_EFFECT)
        _, request, load = WAITS[node.type]
        requested: dict[str, Any] = await workflow.execute_activity(
            request, job, start_to_close_timeout=timedelta(seconds=30), retry_policy=SIDE_EFFECT)
        awaited = requested["id"]
        self.waiting_for = f"{node.type} {awaited}"
        try:
            await workflow.wait_condition(lambda: awaited in self.finished,
                                          timeout=timedelta(minutes=int(rendered.get("timeout_minutes") or 60)))
        except TimeoutError:
            raise StepFailed(f"{node.id}: {node.type} {awaited} did not finish in time") from None
        finally:
            self.waiting_for = None
        return await workflow.execute_activity(load, self.finished[awaited], start_to_close_timeout=timedelta(seconds=30),
                                               retry_policy=BOOKKEEPING)

    async def _approval(self, node: Node, config: Approval, rendered: dict[str, Any], scope: str, started: Any) -> dict[str, Any]:
        await self._step(node, scope, "waiting", rendered, {"prompt": rendered.get("prompt")}, None, started)
        self.waiting_for = f"approval {node.id}"

        def decided() -> ApprovalDecision | None:
            return next((d for d in self.decisions if d.node in (None, node.id)), None)

        try:
            await workflow.wait_condition(lambda: decided() is not None, timeout=timedelta(hours=config.timeout_hours))
        except TimeoutError:
            return {"approved": False, "by": None, "comment": "no decision in time", "timed_out": True}
        finally:
            self.waiting_for = None
        decision = decided()
        assert decision is not None
        self.decisions.remove(decision)
        return {"approved": decision.approved, "by": decision.by, "comment": decision.comment}

    async def _step(self, node: Node, scope: str, status: str, rendered: dict[str, Any], output: Any,
                    error: str | None, started: Any) -> None:
        assert self.data is not None
        finished = workflow.now()
        step = Step(node=f"{scope}{node.id}", type=node.type, status=status, input=rendered, output=output, error=error,
                    started_at=started.isoformat(), finished_at=finished.isoformat(),
                    duration_ms=int((finished - started).total_seconds() * 1000))
        self.steps.append(step)
        await self._bookkeeping("record_step", StepRecord(project_id=self.data.project_id, workflow_id=self.data.workflow_id,
                                                          execution_id=workflow.info().workflow_id,
                                                          index=len(self.steps) - 1, step=step))
