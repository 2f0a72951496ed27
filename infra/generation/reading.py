"""What the generation pipeline reads from the read models: the requirements of a project's
documents, and for regeneration the suite or case being regenerated."""

from collections import Counter


from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from cognitest.infra.db import models as m
from cognitest.schemas.events.requirements import GherkinStep
from cognitest.schemas.generation import GenerationInput, Requirement
from cognitest.schemas.pipeline import ExistingCase, Loaded


class NotParsedYet(RuntimeError):
    """Some documents are still being parsed; try again shortly."""


class NothingToGenerate(ValueError):
    """No requirements to generate from."""


async def load(sessions: async_sessionmaker, data: GenerationInput) -> Loaded:
    async with sessions() as session:
        project = await session.get(m.Project, data.project_id)
        if project is None:
            raise NotParsedYet(f"project {data.project_id} is not projected yet")
        existing: list[ExistingCase] = []
        suite_id = suite_name = None
        plan_id = data.plan_id
        wanted_ids: set[str] | None = None
        if data.suite_id or data.case_id:
            cases_q = select(m.TestCase).where(m.TestCase.project_id == data.project_id, m.TestCase.deleted_at.is_(None))
            if data.case_id:
                case = await session.get(m.TestCase, data.case_id)
                if case is None or case.deleted_at is not None:
                    raise NothingToGenerate(f"case {data.case_id} not found")
                suite_id = case.test_suite_id
                cases = [case]
            else:
                suite_id = data.suite_id
                cases = list(await session.scalars(cases_q.where(m.TestCase.test_suite_id == suite_id)))
            suite = await session.get(m.TestSuite, suite_id) if suite_id else None
            if suite is None:
                raise NothingToGenerate(f"suite {data.suite_id} not found")
            suite_name, plan_id = suite.name, suite.test_plan_id
            # match on the title the case was generated with: a person may have rewritten it since
            existing = [ExistingCase(id=c.id, title=(c.metadata_ or {}).get("draft_title") or c.title,
                                     category=(c.metadata_ or {}).get("category"),
                                     requirement_ids=list(c.requirement_ids), edited=_edited(c)) for c in cases]
            wanted_ids = {rid for c in cases for rid in c.requirement_ids}
        docs_q = select(m.RequirementDocument).where(m.RequirementDocument.project_id == data.project_id,
                                                     m.RequirementDocument.deleted_at.is_(None))
        if data.document_ids:
            docs_q = docs_q.where(m.RequirementDocument.id.in_(data.document_ids))
        documents = list(await session.scalars(docs_q.order_by(m.RequirementDocument.created_at)))
        if data.document_ids and len(documents) < len(set(data.document_ids)):
            raise NotParsedYet("some documents are not projected yet")
        waiting = [d.filename for d in documents if d.status == "uploaded"]
        if waiting:
            raise NotParsedYet(f"still parsing: {', '.join(waiting)}")
        parsed = [d for d in documents if d.status == "parsed"]
        rows = list(await session.scalars(
            select(m.Requirement).where(m.Requirement.document_id.in_([d.id for d in parsed]))
            .order_by(m.Requirement.document_id, m.Requirement.position, m.Requirement.key)))
    order = {d.id: i for i, d in enumerate(parsed)}
    rows.sort(key=lambda r: (order[r.document_id], _natural(r.key)))
    if wanted_ids is not None:
        rows = [r for r in rows if str(r.id) in wanted_ids]
    if not rows:
        raise NothingToGenerate("no parsed requirements to generate from: upload a requirement document first")
    counts = Counter(r.key for r in rows)
    requirements = [
        Requirement(id=r.id, key=r.key if counts[r.key] == 1 else f"{r.key}@{str(r.document_id)[:8]}", title=r.title,
                    text=r.text, kind=r.kind, priority=r.priority, section=r.section,
                    acceptance_criteria=[[GherkinStep(**s) for s in sc] for sc in r.acceptance_criteria])
        for r in rows
    ]
    title = project.name if len(parsed) != 1 else parsed[0].filename.rsplit(".", 1)[0]
    return Loaded(title=title, requirements=requirements, document_ids=[d.id for d in parsed], plan_id=plan_id,
                  suite_id=suite_id, suite_name=suite_name, existing=existing)


def _edited(case: m.TestCase) -> bool:
    """A generated case a person changed (or wrote) is kept by regeneration."""
    return not case.ai_generated or (case.updated_at is not None and case.updated_at > case.created_at)


def _natural(key: str) -> tuple:
    import re

    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", key))


__all__ = ["NotParsedYet", "NothingToGenerate", "load"]
