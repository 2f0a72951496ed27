"""The delivery ledger: which outbound side effects were already done, by idempotency key.

A side effect is looked up first and recorded right after it succeeds, so a retried activity or
a redelivered event gets the recorded response instead of posting again. The window left is a
crash between the remote call returning and the record being written (seconds, not retries)."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import async_sessionmaker

from cognitest.infra.db.models import Delivery


class Ledger:
    def __init__(self, sessions: async_sessionmaker) -> None:
        self.sessions = sessions

    async def done(self, key: str) -> dict[str, Any] | None:
        async with self.sessions() as session:
            row = (await session.execute(select(Delivery.response).where(Delivery.key == key))).first()
        return None if row is None else dict(row[0])

    async def record(self, key: str, channel: str, response: dict[str, Any]) -> None:
        async with self.sessions() as session, session.begin():
            await session.execute(insert(Delivery).values(key=key, channel=channel, response=response)
                                  .on_conflict_do_nothing(index_elements=["key"]))

    async def once(self, key: str, channel: str, action: Any) -> dict[str, Any]:
        """Run `action()` (a coroutine function returning a JSON-able dict) unless `key` is done."""
        previous = await self.done(key)
        if previous is not None:
            return {**previous, "deduplicated": True}
        response = await action()
        await self.record(key, channel, response)
        return response
