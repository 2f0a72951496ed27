"""The dead-letter stream: a message a consumer cannot process lands here with the reason and
the original message, and can be re-driven onto the events stream after a fix."""

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from nats.js import JetStreamContext
from nats.js.errors import NotFoundError

from cognitest.schemas.subjects import DLQ_STREAM, EVENTS_STREAM, dlq_subject

H_REASON = "Cognitest-Dlq-Reason"
H_CONSUMER = "Cognitest-Dlq-Consumer"
H_SUBJECT = "Cognitest-Dlq-Subject"
H_SEQ = "Cognitest-Dlq-Stream-Seq"
H_DELIVERED = "Cognitest-Dlq-Delivered"
H_AT = "Cognitest-Dlq-At"
_OWN = {H_REASON, H_CONSUMER, H_SUBJECT, H_SEQ, H_DELIVERED, H_AT, "Nats-Msg-Id"}


@dataclass
class DeadLetter:
    seq: int
    consumer: str
    reason: str
    subject: str
    stream_seq: int
    delivered: int
    at: str
    data: bytes
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def event_id(self) -> str | None:
        return self.headers.get("Nats-Msg-Id-Original") or _peek(self.data, "id")

    @property
    def event_type(self) -> str | None:
        return self.headers.get("ce-type") or _peek(self.data, "type")

    def as_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "consumer": self.consumer,
            "reason": self.reason,
            "subject": self.subject,
            "stream_seq": self.stream_seq,
            "delivered": self.delivered,
            "at": self.at,
            "event_id": self.event_id,
            "event_type": self.event_type,
            "data": self.data.decode(errors="replace"),
        }


def _peek(data: bytes, key: str) -> str | None:
    try:
        value = json.loads(data).get(key)
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


async def dead_letter(
    js: JetStreamContext,
    *,
    consumer: str,
    reason: str,
    subject: str,
    stream_seq: int,
    delivered: int,
    data: bytes,
    headers: dict[str, str] | None = None,
) -> None:
    """Store a failed message; idempotent per consumer and stream sequence."""
    original = dict(headers or {})
    parts = subject.split(".")
    project = parts[2] if len(parts) > 3 else "_"
    event_type = ".".join(parts[3:]) if len(parts) > 3 else "_"
    out = {k: v for k, v in original.items() if k not in _OWN}
    if "Nats-Msg-Id" in original:
        out["Nats-Msg-Id-Original"] = original["Nats-Msg-Id"]
    out.update({
        "Nats-Msg-Id": f"dlq:{consumer}:{stream_seq}",
        H_REASON: reason[:2000].replace("\r", " ").replace("\n", " "),
        H_CONSUMER: consumer,
        H_SUBJECT: subject,
        H_SEQ: str(stream_seq),
        H_DELIVERED: str(delivered),
        H_AT: datetime.now(UTC).isoformat(),
    })
    await js.publish(dlq_subject(consumer, project, event_type), data, stream=DLQ_STREAM, headers=out)


async def list_dead_letters(js: JetStreamContext, *, limit: int = 100) -> list[DeadLetter]:
    info = await js.stream_info(DLQ_STREAM)
    found: list[DeadLetter] = []
    if info.state.messages == 0:
        return found
    seq = info.state.first_seq
    while seq <= info.state.last_seq and len(found) < limit:
        try:
            msg = await js.get_msg(DLQ_STREAM, seq)
        except NotFoundError:
            seq += 1
            continue
        found.append(_to_dead_letter(seq, msg.data or b"", dict(msg.headers or {})))
        seq += 1
    return found


async def get_dead_letter(js: JetStreamContext, seq: int) -> DeadLetter:
    msg = await js.get_msg(DLQ_STREAM, seq)
    return _to_dead_letter(seq, msg.data or b"", dict(msg.headers or {}))


def _to_dead_letter(seq: int, data: bytes, headers: dict[str, str]) -> DeadLetter:
    return DeadLetter(
        seq=seq,
        consumer=headers.get(H_CONSUMER, "?"),
        reason=headers.get(H_REASON, ""),
        subject=headers.get(H_SUBJECT, ""),
        stream_seq=int(headers.get(H_SEQ, "0") or 0),
        delivered=int(headers.get(H_DELIVERED, "0") or 0),
        at=headers.get(H_AT, ""),
        data=data,
        headers=headers,
    )


async def redrive(js: JetStreamContext, seq: int) -> int:
    """Publish the original message again and remove it from the dead-letter stream.

    The new copy gets a fresh `Nats-Msg-Id` (the original id may still be inside the duplicate
    window); consumers stay idempotent on the event id inside the payload.
    """
    entry = await get_dead_letter(js, seq)
    headers = {k: v for k, v in entry.headers.items() if k not in _OWN and k != "Nats-Msg-Id-Original"}
    headers["Nats-Msg-Id"] = f"redrive:{entry.consumer}:{entry.stream_seq}:{seq}"
    ack = await js.publish(entry.subject, entry.data, stream=EVENTS_STREAM, headers=headers)
    await js.delete_msg(DLQ_STREAM, seq)
    return ack.seq


async def discard(js: JetStreamContext, seq: int) -> None:
    await get_dead_letter(js, seq)  # NotFoundError when there is none (delete_msg answers a bare APIError)
    await js.delete_msg(DLQ_STREAM, seq)
