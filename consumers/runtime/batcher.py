"""Turns messages handled one by one into batches applied together.

FastStream's pull subscriber fetches up to N messages per request (returning as soon as any
are available) and runs a handler per message; each handler submits its message here and waits.
Messages submitted within a couple of milliseconds form one batch, processed in order, one
batch at a time. This keeps FastStream's long-poll fetch (short fetch timeouts leave orphaned
pull requests that delay redelivery) while a batch still costs one transaction."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class MicroBatcher(Generic[T]):
    def __init__(self, process: Callable[[list[T]], Awaitable[None]], *, max_size: int, linger: float = 0.002) -> None:
        self._process = process
        self._max = max_size
        self._linger = linger
        self._items: list[tuple[T, asyncio.Future[None]]] = []
        self._timer: asyncio.TimerHandle | None = None
        self._lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()

    async def submit(self, item: T) -> None:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        self._items.append((item, future))
        if len(self._items) >= self._max:
            self._flush()
        elif self._timer is None:
            self._timer = loop.call_later(self._linger, self._flush)
        await future

    def _flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        items, self._items = self._items, []
        if items:
            task = asyncio.get_running_loop().create_task(self._run(items))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _run(self, items: list[tuple[T, asyncio.Future[None]]]) -> None:
        async with self._lock:  # batches apply in the order they were formed
            try:
                await self._process([item for item, _ in items])
            except BaseException as exc:
                for _, future in items:
                    if not future.done():
                        future.set_exception(exc)
                raise
            for _, future in items:
                if not future.done():
                    future.set_result(None)
