"""Which cases a run executes, read from the read models: a list of cases, a suite, a plan, or
the requests of an API collection (each request with its assertions becomes one case)."""

import asyncio
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from cognitest.consumers.execution.cases import CaseSpec
from cognitest.consumers.execution.postman.scripts import PostmanScopes
from cognitest.infra.db import models as m


def _scripts(scripts: dict[str, Any]) -> dict[str, list[str]]:
    """Postman scripts by event, outermost first (collection, folder, request); a single script
    (as collections imported before scripts ran were stored) is a list of one."""
    return {listen: [source] if isinstance(source, str) else list(source)
            for listen, source in scripts.items() if listen in ("prerequest", "test") and source}


def collection_steps(request: dict[str, Any]) -> list[dict[str, Any]]:
    """A stored collection request (`method`, `url`, `headers`, `body`, `save`, `assert`) as steps."""
    steps: list[dict[str, Any]] = [{
        "action": "request", "method": str(request.get("method", "GET")).upper(), "url": request.get("url", "/"),
        "headers": request.get("headers") or {}, "save": request.get("save") or {},
        **({"json_body": request["body"]} if isinstance(request.get("body"), (dict, list)) else {}),
        **({"body": request["body"]} if isinstance(request.get("body"), str) else {}),
        **({"multipart": request["multipart"]} if isinstance(request.get("multipart"), dict) else {}),
        **({"file_body": request["file_body"]} if isinstance(request.get("file_body"), dict) else {}),
        **({"scripts": _scripts(request["scripts"])} if request.get("scripts") else {}),
    }]
    checks = request.get("assert") or {}
    if "status" in checks:
        steps.append({"action": "expect_status", "status": int(checks["status"])})
    for path, expected in (checks.get("json") or {}).items():
        steps.append({"action": "expect_json", "path": path, "equals": expected})
    if checks.get("schema"):
        steps.append({"action": "expect_json_schema", "json_schema": checks["schema"]})
    for name, value in (checks.get("headers") or {}).items():
        steps.append({"action": "expect_header", "name": name, "value": value})
    return steps


async def resolve(sessions: async_sessionmaker, project_id: UUID, data: Any) -> tuple[list[CaseSpec], dict[str, Any]]:
    """The cases to run, and environment defaults from the collection (if any)."""
    async with sessions() as session:
        if data.collection_id:
            collection = await session.get(m.ApiCollection, data.collection_id)
            if collection is None or collection.project_id != project_id or collection.deleted_at is not None:
                raise LookupError(f"collection {data.collection_id} not found")
            shared: dict[str, Any] = {}  # one set of variables: a value saved by a request is used by the next
            scopes = PostmanScopes()  # and Postman's scopes, which its scripts read and set
            variables = dict(collection.environment or {})
            cases = [CaseSpec(uuid5(NAMESPACE_URL, f"cognitest:collection:{collection.id}:{i}"),
                              str(r.get("name") or f"{r.get('method', 'GET')} {r.get('url')}"), collection_steps(r),
                              shared=shared, scopes=scopes, collection_variables=variables)
                     for i, r in enumerate(collection.requests)]
            return cases, dict(collection.environment or {})
    if data.case_ids:
        await _projected(sessions, project_id, data.case_ids)
    async with sessions() as session:
        q = select(m.TestCase).where(m.TestCase.project_id == project_id, m.TestCase.deleted_at.is_(None))
        if data.case_ids:
            q = q.where(m.TestCase.id.in_(data.case_ids))
        elif data.suite_id:
            q = q.where(m.TestCase.test_suite_id == data.suite_id)
        elif data.plan_id:
            suites = select(m.TestSuite.id).where(m.TestSuite.test_plan_id == data.plan_id, m.TestSuite.deleted_at.is_(None))
            q = q.where(m.TestCase.test_suite_id.in_(suites))
        rows = list(await session.scalars(q.order_by(m.TestCase.created_at, m.TestCase.id)))
    return [CaseSpec(r.id, r.title, list(r.executable_steps or [])) for r in rows], {}


async def _projected(sessions: async_sessionmaker, project_id: UUID, case_ids: list[UUID], wait: float = 30.0) -> None:
    """Cases named by id that were created just before the run was asked for (a generation's dry
    run, a pipeline that creates then runs) may not be projected yet: wait for them a little."""
    deadline = asyncio.get_running_loop().time() + wait
    while True:
        async with sessions() as session:
            found = await session.scalar(select(func.count()).select_from(m.TestCase).where(
                m.TestCase.project_id == project_id, m.TestCase.id.in_(case_ids)))
        if (found or 0) >= len(set(case_ids)) or asyncio.get_running_loop().time() > deadline:
            return
        await asyncio.sleep(0.25)


async def finished_cases(sessions: async_sessionmaker, run_id: UUID) -> dict[tuple[str, str | None], str]:
    """(case id, browser) -> outcome of what an earlier, interrupted attempt at this run finished."""
    async with sessions() as session:
        rows = await session.execute(select(m.RunResult.test_case_id, m.RunResult.key, m.RunResult.outcome)
                                     .where(m.RunResult.run_id == run_id))
        return {(str(case_id), key.rpartition(" · ")[2] if key and " · " in key else None): outcome
                for case_id, key, outcome in rows}


async def cancel_requested(sessions: async_sessionmaker, run_id: UUID) -> bool:
    async with sessions() as session:
        run = await session.get(m.Run, run_id)
    return bool(run and (run.request or {}).get("cancel_requested"))
