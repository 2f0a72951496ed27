"""Automation definitions: full validation (the graph rules plus cron syntax, which needs a
library the schemas may not import) and reading them back from the read model."""

from typing import Any
from uuid import UUID

from croniter import croniter
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from cognitest.infra.db.models import Workflow, WorkflowVersion
from cognitest.schemas.automation.execution import Definition
from cognitest.schemas.automation.graph import Graph, GraphInvalid, Problem, parse_graph


def validate(raw: Any) -> Graph:
    """The graph, or GraphInvalid listing every problem (cron expressions included)."""
    graph = parse_graph(raw)
    problems = []
    for node in graph.nodes:
        cron = node.config.get("cron") if node.type == "trigger.schedule" else None
        if cron is not None and (len(cron.split()) != 5 or not croniter.is_valid(cron)):
            problems.append(Problem(node=node.id, field="config.cron", message=f"not a valid five-field cron expression: {cron!r}"))
    if problems:
        raise GraphInvalid(problems)
    return graph


async def load_definition(sessions: async_sessionmaker, workflow_id: UUID, version: int | None = None) -> Definition | None:
    """The latest definition, or exactly `version` (what an execution was started for)."""
    async with sessions() as session:
        if version is None:
            row: Any = (await session.execute(select(Workflow).where(Workflow.id == workflow_id))).scalar_one_or_none()
        else:
            row = (await session.execute(select(WorkflowVersion).where(
                WorkflowVersion.workflow_id == workflow_id, WorkflowVersion.version == version))).scalar_one_or_none()
    if row is None:
        return None
    return Definition(workflow_id=workflow_id, name=row.name, version=row.version, enabled=row.enabled, graph=row.graph)


async def project_definitions(sessions: async_sessionmaker, project_id: UUID) -> list[Definition]:
    async with sessions() as session:
        rows = (await session.execute(select(Workflow).where(Workflow.project_id == project_id))).scalars().all()
    return [Definition(workflow_id=r.id, name=r.name, version=r.version, enabled=r.enabled, graph=r.graph) for r in rows]
