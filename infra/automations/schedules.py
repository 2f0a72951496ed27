"""Temporal Schedules for automations with a schedule trigger: one schedule per automation,
kept in step with its latest definition (created, updated, or deleted when the trigger goes or the
automation is disabled), and the operations users run on it."""

from datetime import datetime, timedelta
from typing import Any

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleBackfill,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
    ScheduleUpdate,
    ScheduleUpdateInput,
)
from temporalio.service import RPCError, RPCStatusCode

from cognitest.schemas.automation.execution import AUTOMATION_WORKFLOW, EXECUTION_PREFIX, Definition, ExecutionInput, schedule_id_for
from cognitest.schemas.automation.nodes import ScheduleTrigger


def _schedule(project_id: Any, definition: Definition, node_id: str, config: ScheduleTrigger, task_queue: str) -> Schedule:
    if config.cron:
        spec = ScheduleSpec(cron_expressions=[config.cron], time_zone_name=config.timezone)
    else:
        spec = ScheduleSpec(intervals=[ScheduleIntervalSpec(every=timedelta(seconds=config.interval_seconds or 60))])
    data = ExecutionInput(project_id=project_id, workflow_id=definition.workflow_id, trigger="schedule",
                          trigger_node=node_id, input=config.input, actor="schedule")
    action = ScheduleActionStartWorkflow(AUTOMATION_WORKFLOW, data, id=f"{EXECUTION_PREFIX}{definition.workflow_id}-scheduled",
                                         task_queue=task_queue)
    return Schedule(action=action, spec=spec, policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP))


async def sync_schedule(client: Client, project_id: Any, definition: Definition, task_queue: str) -> str:
    """Make the automation's schedule match its definition; says what it did."""
    handle = client.get_schedule_handle(schedule_id_for(definition.workflow_id))
    triggers = [n for n in definition.graph.get("nodes", []) if n.get("type") == "trigger.schedule"]
    if not triggers or not definition.enabled:
        try:
            await handle.delete()
        except RPCError as exc:
            if exc.status != RPCStatusCode.NOT_FOUND:
                raise
            return "none"
        return "deleted"
    node = triggers[0]
    schedule = _schedule(project_id, definition, node["id"], ScheduleTrigger.model_validate(node.get("config", {})), task_queue)
    try:
        await client.create_schedule(handle.id, schedule)
        return "created"
    except ScheduleAlreadyRunningError:
        def replace(_: ScheduleUpdateInput) -> ScheduleUpdate:
            return ScheduleUpdate(schedule=schedule)

        await handle.update(replace)
        return "updated"


class ScheduleMissing(LookupError):
    pass


async def schedule_action(client: Client, workflow_id: Any, action: str, start: datetime | None = None,
                          end: datetime | None = None) -> dict[str, Any]:
    """pause, resume, trigger (now), backfill (start..end) or describe an automation's schedule."""
    handle = client.get_schedule_handle(schedule_id_for(workflow_id))
    try:
        if action == "pause":
            await handle.pause(note="paused through Cognitest")
        elif action == "resume":
            await handle.unpause(note="resumed through Cognitest")
        elif action == "trigger":
            await handle.trigger(overlap=ScheduleOverlapPolicy.ALLOW_ALL)
        elif action == "backfill":
            assert start is not None and end is not None
            await handle.backfill(ScheduleBackfill(start_at=start, end_at=end, overlap=ScheduleOverlapPolicy.ALLOW_ALL))
        described = await handle.describe()
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise ScheduleMissing(f"automation {workflow_id} has no schedule (no enabled schedule trigger)") from None
        raise
    info = described.info
    return {"schedule_id": handle.id, "paused": described.schedule.state.paused,
            "next_runs": [t.isoformat() for t in info.next_action_times[:5]],
            "recent_runs": [a.started_at.isoformat() for a in info.recent_actions[-5:]],
            "executions": info.num_actions}
