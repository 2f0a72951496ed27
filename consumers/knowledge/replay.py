"""Replaying the event stream into the knowledge base: after a model change (a new collection)
or on request for one project."""

from typing import Any

from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig, DeliverPolicy

from cognitest.infra.knowledge.documents import operations
from cognitest.infra.knowledge.writer import KnowledgeWriter
from cognitest.schemas import InvalidEvent, UnknownEventType, parse_event
from cognitest.schemas.subjects import EVENTS_PREFIX, EVENTS_STREAM


async def replay_into(js: JetStreamContext, writer: KnowledgeWriter, project: str | None,
                      types: tuple[str, ...], batch: int = 500) -> dict[str, Any]:
    end = (await js.stream_info(EVENTS_STREAM)).state.last_seq
    report = {"events": 0, "embedded": 0, "updated": 0, "deleted": 0}
    if end == 0:
        return report
    sub = await js.subscribe(f"{EVENTS_PREFIX}.{project or '*'}.>", ordered_consumer=True, stream=EVENTS_STREAM,
                             config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL))
    pending: list[Any] = []
    seq = 0
    try:
        while seq < end:
            try:
                msg = await sub.next_msg(timeout=5)
            except TimeoutError:
                break
            seq = msg.metadata.sequence.stream
            event_type = msg.subject.split(".", 3)[-1]
            if event_type not in types or event_type == "knowledge.reembed_requested":
                continue
            try:
                event = parse_event(msg.data)
            except (InvalidEvent, UnknownEventType):
                continue
            report["events"] += 1
            pending += [(seq, op) for op in operations(event, seq)]
            if len(pending) >= batch:
                _add(report, await writer.apply(pending))
                pending = []
        if pending:
            _add(report, await writer.apply(pending))
    finally:
        await sub.unsubscribe()
    return report


def _add(report: dict[str, Any], done: dict[str, int]) -> None:
    for key, value in done.items():
        report[key] += value
