"""Resource subscriptions fed by the event stream: an agent listens (`subscriptions/listen`) to a
case, plan, run or issue it may read, and is told each time an event about it has been applied
to the read models, so the read it makes next shows the change.

A listen naming a resource the caller cannot read is refused before any stream opens (the read is
made with the caller's own credentials). One follower per project feeds every listener of that
project, while at least one listens."""

import asyncio
import re
from collections.abc import AsyncIterator, Iterable
from typing import Any, Protocol

import structlog
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.subscriptions import InMemorySubscriptionBus, ResourceUpdated
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS

log = structlog.get_logger(__name__)

RESOURCE = re.compile(r"^cognitest://projects/(?P<project>[0-9a-fA-F-]{36})/(?P<kind>cases|plans|runs|issues)/"
                      r"(?P<id>[0-9a-fA-F-]{36})$")
REFERENCE = re.compile(r"^cognitest://reference/[a-z-]+$")  # never change while the server runs
# the data field naming each kind of resource an event concerns
KINDS = (("case_id", "cases"), ("plan_id", "plans"), ("run_id", "runs"), ("issue_id", "issues"))


class Source(Protocol):
    async def request(self, method: str, path: str, **kwargs: Any) -> Any: ...

    def follow(self, project: str) -> AsyncIterator[dict[str, Any]]: ...


def uris_of(event: dict[str, Any]) -> list[str]:
    """The resources an event changed (a result changes its run and its case)."""
    project, data = event.get("subject"), event.get("data")
    if not isinstance(project, str) or not isinstance(data, dict):
        return []
    return [f"cognitest://projects/{project}/{kind}/{data[field]}" for field, kind in KINDS
            if isinstance(data.get(field), str)]


class ProjectFeeds:
    """Followers of projects' events, counted by listener, publishing onto the listen bus."""

    def __init__(self, bus: InMemorySubscriptionBus, source: Source) -> None:
        self.bus, self.source = bus, source
        self._users: dict[str, int] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}

    def acquire(self, projects: Iterable[str]) -> None:
        for project in projects:
            self._users[project] = self._users.get(project, 0) + 1
            if project not in self._tasks:
                self._tasks[project] = asyncio.get_running_loop().create_task(self._feed(project))

    def release(self, projects: Iterable[str]) -> None:
        for project in projects:
            self._users[project] -= 1
            if self._users[project] <= 0:
                del self._users[project]
                self._tasks.pop(project).cancel()

    async def _feed(self, project: str) -> None:
        delay = 1.0
        while True:
            try:
                async for event in self.source.follow(project):
                    delay = 1.0
                    for uri in uris_of(event):
                        await self.bus.publish(ResourceUpdated(uri=uri))
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001  a dropped stream is followed again, with backoff
                log.warning("mcp.feed_interrupted", project=project, error=str(exc)[:200], retry_in=delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 30.0)


class ListenGuard:
    """MCP middleware: a `subscriptions/listen` naming resources is served only when the caller can
    read each one, and keeps its projects' followers running for as long as the stream is open."""

    def __init__(self, feeds: ProjectFeeds) -> None:
        self.feeds = feeds

    async def __call__(self, ctx: Any, call_next: Any) -> Any:
        if ctx.method != "subscriptions/listen":
            return await call_next(ctx)
        wanted = ((ctx.params or {}).get("notifications") or {}).get("resourceSubscriptions") or []
        projects: set[str] = set()
        for uri in wanted:
            found = RESOURCE.match(str(uri))
            if found is None:
                if REFERENCE.match(str(uri)):
                    continue
                raise MCPError(INVALID_PARAMS, f"{uri}: not a Cognitest resource (cognitest://projects/<project>/"
                                               "cases|plans|runs|issues/<id>)")
            try:
                await self.feeds.source.request(
                    "GET", f"/api/v1/projects/{found['project']}/{found['kind']}/{found['id']}")
            except ToolError as exc:
                raise MCPError(INVALID_PARAMS, f"{uri}: {exc}") from None
            projects.add(found["project"].lower())
        self.feeds.acquire(projects)
        try:
            return await call_next(ctx)
        finally:
            self.feeds.release(projects)
