"""The hand-written Temporal workflow the automation benchmark compares the interpreter with: the
same activities, in the same order, with the same timeouts, and no graph to interpret."""

from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from cognitest.schemas.automation.execution import Definition, ExecutionInput, ExecutionRecord, Step, StepJob, StepRecord

POLICY = RetryPolicy(maximum_attempts=3)
SECONDS = timedelta(seconds=30)


@workflow.defn(name="HandWrittenAutomation")
class HandWrittenAutomation:
    @workflow.run
    async def run(self, data: ExecutionInput) -> dict[str, Any]:
        execution_id = workflow.info().workflow_id
        await workflow.execute_activity("load_definition", data, result_type=Definition, start_to_close_timeout=SECONDS,
                                        retry_policy=POLICY)
        record = ExecutionRecord(project_id=data.project_id, workflow_id=data.workflow_id, execution_id=execution_id,
                                 trigger=data.trigger, input=data.input)
        await workflow.execute_activity("record_start", record, start_to_close_timeout=SECONDS, retry_policy=POLICY)
        outputs: dict[str, Any] = {}
        for index, (node, kind) in enumerate((("start", "trigger.manual"), ("check", "condition"),
                                              ("call", "http_request"), ("notify", "slack"))):
            if kind in ("http_request", "slack"):
                job = StepJob(project_id=data.project_id, execution_id=execution_id, node_id=node, node_type=kind,
                              config={}, key=f"{execution_id}:{node}")
                outputs[node] = await workflow.execute_activity(f"automation_{kind}", job, start_to_close_timeout=SECONDS,
                                                                retry_policy=POLICY)
            elif kind == "condition":
                outputs[node] = {"result": data.input.get("n", 0) > 0}
            step = Step(node=node, type=kind, status="completed", output=outputs.get(node))
            await workflow.execute_activity("record_step", StepRecord(project_id=data.project_id, workflow_id=data.workflow_id,
                                                                      execution_id=execution_id, index=index, step=step),
                                            start_to_close_timeout=SECONDS, retry_policy=POLICY)
        record.status = "completed"
        await workflow.execute_activity("record_finish", record, start_to_close_timeout=SECONDS, retry_policy=POLICY)
        return {"nodes": outputs}
