"""The bridge: when a run or a generation that an automation asked for ends, signal the waiting
execution. The request carried the execution id as its correlation id, and every follow-up event
keeps it."""

from typing import Any

from cognitest.schemas import Envelope
from cognitest.schemas.automation.execution import EXECUTION_PREFIX, GENERATION_FINISHED_SIGNAL, RUN_FINISHED_SIGNAL, Finished

ENDINGS = {
    "run.completed": (RUN_FINISHED_SIGNAL, "completed"), "run.failed": (RUN_FINISHED_SIGNAL, "failed"),
    "run.cancelled": (RUN_FINISHED_SIGNAL, "cancelled"),
    "generation.completed": (GENERATION_FINISHED_SIGNAL, "completed"),
    "generation.failed": (GENERATION_FINISHED_SIGNAL, "failed"),
}


def signal_for(event: Envelope[Any]) -> tuple[str, str, Finished] | None:
    """(execution id, signal name, what to send), or None when no automation waits on this event."""
    ending = ENDINGS.get(event.type)
    if ending is None or not (event.correlationid or "").startswith(EXECUTION_PREFIX):
        return None
    name, status = ending
    data = event.data
    awaited = str(data.run_id if name == RUN_FINISHED_SIGNAL else data.generation_id)
    return event.correlationid, name, Finished(id=awaited, status=status, detail=data.model_dump(mode="json"))  # type: ignore[return-value]
