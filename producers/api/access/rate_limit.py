"""A sliding-window limit per key (client address, account, caller), kept in this process.

Each API process counts on its own: behind N copies an attacker gets N times the budget, which
still turns millions of password guesses a day into thousands."""

import time
from collections import deque

from cognitest.producers.api.errors import ApiError


class RateLimited(ApiError):
    """429 with Retry-After, wherever it is raised."""

    def __init__(self, retry_after: float) -> None:
        seconds = int(retry_after) + 1
        super().__init__(429, f"too many attempts; try again in {seconds} s", headers={"retry-after": str(seconds)})
        self.retry_after = retry_after


class SlidingWindow:
    def __init__(self, limit: int, window: float = 60.0, max_keys: int = 100_000) -> None:
        self.limit, self.window, self.max_keys = limit, window, max_keys
        self._hits: dict[str, deque[float]] = {}

    def hit(self, *keys: str) -> None:
        """Count one attempt under each key; raise RateLimited when any is over its limit."""
        now = time.monotonic()
        if len(self._hits) > self.max_keys:
            self._prune(now)
        for key in keys:
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                raise RateLimited(hits[0] + self.window - now)
        for key in keys:
            self._hits[key].append(now)

    def _prune(self, now: float) -> None:
        for key in [k for k, hits in self._hits.items() if not hits or hits[-1] <= now - self.window]:
            del self._hits[key]
