"""The FastAPI application: lifespan wiring, middleware, error handlers, routes."""

from contextlib import asynccontextmanager
from typing import Any

import structlog
from fastapi import Depends, FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.routing import Route

from cognitest.infra.bus.connection import connect
from cognitest.infra.bus.publisher import EventPublisher
from cognitest.infra.bus.auth import connect_options
from cognitest.infra.bus.streams import ensure_streams
from cognitest.infra.cache import ReadCache
from cognitest.infra.db.engine import make_engine, session_factory
from cognitest.infra.settings import Settings, get_settings
from cognitest.infra.tracing import instrument_fastapi, shutdown_tracing
from cognitest.infra.identity.crypto import SecretBox
from cognitest.infra.identity.store import IdentityStore
from cognitest.producers.api import docs as api_docs
from cognitest.producers.api import errors
from cognitest.producers.api import openapi_errors
from cognitest.producers.api.access.authenticate import Authenticator
from cognitest.producers.api.access.guard import authorize
from cognitest.producers.api.access.headers import SecurityHeaders
from cognitest.producers.api.access.rate_limit import SlidingWindow
from cognitest.producers.api.middleware import RequestContext
from cognitest.infra.blob import blob_store
from cognitest.producers.api.routes import (
    alerts,
    audit,
    auth as auth_routes,
    security,
    tokens,
    users,
    automations,
    collection_import,
    files,
    events,
    executions,
    feedback,
    generation,
    health,
    hooks,
    tracker_hooks,
    knowledge,
    projects,
    requirements,
    results,
    run_compare,
    run_report,
    runs,
)
from cognitest.producers.api.routes.nested import nested_routers
from cognitest.producers.api.state import AppState
from cognitest.producers.api.waiter import ProjectionWaiter
from cognitest.producers.mcp.http import PATH as MCP_PATH, McpEndpoint
from cognitest.producers.web import STATIC, web_routers

log = structlog.get_logger(__name__)

DESCRIPTION = """Cognitest's event API. Commands publish typed events and answer **202** with the event id and
the resource id; add `?wait=true` (or `Prefer: return=representation`) to wait until the projection has
applied the event and get the resource back. Reads come from the read models. Errors are JSON with
`error`, `message` and `request_id`. Send `Idempotency-Key` to make a retried command publish one event.

Rules that hold for every operation: bodies are UTF-8 JSON; text never contains NUL (U+0000: **422**,
PostgreSQL cannot store it); numbers and booleans are strict (`"5"` is not 5, `1` is not `true`); an
unknown field is refused (**422**); an id in a body that names nothing in the project is **404**.

AI agents reach the same operations as Model Context Protocol tools at `/mcp` (streamable HTTP, stateless;
`Authorization: Bearer <token>` on every request; the MCP protocol describes its own tools and resources)."""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):  # type: ignore[no-untyped-def]
        nc = await connect(settings.nats.effective_url, "cognitest-api", auth=connect_options(settings, "api"),
                           retry_on_start=True)
        publisher = EventPublisher(nc, retries=settings.bus.publish_retries)
        await ensure_streams(publisher.js, settings.bus)
        engine = make_engine(settings.database.effective_url, pool_size=settings.database.pool_size)
        sessions = session_factory(engine)
        cache = None
        if settings.cache.enabled:
            cache = ReadCache(publisher.js, settings.cache.ttl, settings.bus.replicas)
            await cache.start()
        waiter = ProjectionWaiter(nc, sessions, on_stale=cache.mark_stale if cache is not None else None)
        await waiter.start()
        auth = Authenticator(settings, IdentityStore(sessions))
        app.state.cognitest = AppState(settings, nc, publisher, engine, sessions, waiter, blobs=blob_store(settings),
                                       cache=cache, auth=auth, cipher=SecretBox.from_settings(settings),
                                       login_limit=SlidingWindow(settings.auth.login_attempts_per_minute),
                                       address_limit=SlidingWindow(settings.auth.login_attempts_per_address),
                                       token_limit=SlidingWindow(settings.auth.tokens_per_minute))
        log.info("api.started", url=settings.http.effective_url)
        try:
            async with mcp.running():
                yield
        finally:
            await waiter.stop()
            await auth.close()
            await nc.drain()
            await engine.dispose()
            shutdown_tracing()

    app = FastAPI(title="Cognitest", version="0.1.0", description=DESCRIPTION, lifespan=lifespan,
                  docs_url=None, redoc_url=None, openapi_url="/openapi.json", dependencies=[Depends(authorize)])
    errors.install(app)
    openapi_errors.install(app)
    api_docs.install(app)
    app.include_router(health.router)
    app.include_router(events.router)
    app.include_router(projects.router)
    app.include_router(collection_import.router)  # before /collections/{item_id}
    for router in nested_routers():
        app.include_router(router)
    app.include_router(requirements.router)
    app.include_router(files.router)
    app.include_router(generation.router)
    app.include_router(feedback.router)
    app.include_router(knowledge.router)
    app.include_router(results.router)
    app.include_router(runs.router)
    app.include_router(run_compare.router)
    app.include_router(run_report.router)
    app.include_router(automations.templates_router)
    app.include_router(automations.router)
    app.include_router(executions.router)
    app.include_router(tracker_hooks.router)  # before the automations' /{project_id}/{automation_id}
    app.include_router(hooks.router)
    app.include_router(auth_routes.router)
    app.include_router(users.router)
    app.include_router(tokens.router)
    app.include_router(audit.router)
    app.include_router(alerts.router)
    app.include_router(security.router)
    for router in web_routers():
        app.include_router(router)
    app.mount("/ui/static", StaticFiles(directory=STATIC), name="ui-static")
    mcp = McpEndpoint(app, settings.http.effective_url)
    app.router.routes.append(Route(MCP_PATH, endpoint=mcp, methods=["GET", "POST", "DELETE"], include_in_schema=False))

    @app.get("/ui", include_in_schema=False)
    async def ui_home() -> RedirectResponse:
        return RedirectResponse("/ui/projects", status_code=303)

    @app.get("/", include_in_schema=False)
    async def root() -> dict[str, Any]:
        return {"name": "Cognitest", "docs": "/docs", "openapi": "/openapi.json", "health": "/readyz",
                "temporal_ui": settings.temporal.effective_ui_url}

    app.add_middleware(RequestContext, max_body_bytes=settings.http.max_body_bytes,
                       max_upload_bytes=max(settings.requirements.max_upload_bytes * 5,
                                            settings.execution.max_file_bytes) + 65_536)
    app.add_middleware(SecurityHeaders)
    instrument_fastapi(app)
    return app
