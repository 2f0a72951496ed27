"""The delivery ledger: which outbound side effects were already done, by idempotency key.

Each side effect is keyed deterministically (issue id + action, event id + rule ...). Before the
call an *intent* is recorded under the key; after it, the response replaces the intent. A retry
(a redelivered event, a retried activity, a process killed during the call) that finds a
finished record returns it; one that finds an unfinished intent does not know whether the first
call reached the target, so it first asks the target (`find`: a JIRA label searched by JQL, a
marker in a GitHub issue) and only calls again when nothing is there. Targets that cannot be asked
(Slack, webhooks, e-mail) get the key itself (an Idempotency-Key header, a Message-ID) so a
receiver can drop the repeat."""

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import async_sessionmaker

from cognitest.infra.db.models import Delivery

PENDING = "_pending"
Find = Callable[[], Awaitable[dict[str, Any] | None]]


class Ledger:
    def __init__(self, sessions: async_sessionmaker) -> None:
        self.sessions = sessions

    async def _row(self, key: str) -> dict[str, Any] | None:
        async with self.sessions() as session:
            row = (await session.execute(select(Delivery.response).where(Delivery.key == key))).first()
        return None if row is None else dict(row[0])

    async def done(self, key: str) -> dict[str, Any] | None:
        """The recorded response of a finished side effect (None while only intended)."""
        row = await self._row(key)
        return None if row is None or row.get(PENDING) else row

    async def record(self, key: str, channel: str, response: dict[str, Any]) -> None:
        """The response of a finished side effect (replaces its intent; a finished one stays)."""
        statement = insert(Delivery).values(key=key, channel=channel, response=response)
        async with self.sessions() as session, session.begin():
            await session.execute(statement.on_conflict_do_update(
                index_elements=["key"], set_={"response": statement.excluded.response},
                where=Delivery.response.has_key(PENDING)))

    async def _intend(self, key: str, channel: str) -> None:
        async with self.sessions() as session, session.begin():
            await session.execute(insert(Delivery).values(key=key, channel=channel, response={PENDING: True})
                                  .on_conflict_do_nothing(index_elements=["key"]))

    async def once(self, key: str, channel: str, action: Callable[[], Awaitable[dict[str, Any]]],
                   find: Find | None = None) -> dict[str, Any]:
        """Run `action()` (returning a JSON-able dict) unless `key` is done; after an unfinished
        attempt, `find()` looks at the target first."""
        previous = await self._row(key)
        if previous is not None and not previous.get(PENDING):
            return {**previous, "deduplicated": True}
        if previous is not None and find is not None:
            found = await find()
            if found is not None:
                await self.record(key, channel, found)
                return {**found, "deduplicated": True}
        if previous is None:
            await self._intend(key, channel)
        response = await action()
        await self.record(key, channel, response)
        return response

    async def claim(self, key: str, channel: str, owner: str) -> bool:
        """Take `key` for `owner` unless another owner has it (a counted slot: a rate limit's)."""
        async with self.sessions() as session, session.begin():
            await session.execute(insert(Delivery).values(key=key, channel=channel, response={"owner": owner})
                                  .on_conflict_do_nothing(index_elements=["key"]))
        row = await self._row(key)
        return row is not None and row.get("owner") == owner

    async def state(self, key: str) -> dict[str, Any] | None:
        """A small mutable record (an external ticket's state as last set from here)."""
        return await self._row(key)

    async def set_state(self, key: str, channel: str, value: dict[str, Any]) -> None:
        statement = insert(Delivery).values(key=key, channel=channel, response=value)
        async with self.sessions() as session, session.begin():
            await session.execute(statement.on_conflict_do_update(index_elements=["key"],
                                                                  set_={"response": statement.excluded.response}))
