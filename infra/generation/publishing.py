"""Turning the pipeline's drafts into events: suites by feature and by category, cases traced
to requirement ids, everything with ids derived from the generation (a retried publish sends
the very same events)."""

from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from cognitest.infra.generation.quality import (
    UNCOVERED, WEAKLY_COVERED, case_strength, is_generic, requirement_status, absorbed,
)
from cognitest.schemas import Envelope, new_event
from cognitest.schemas.events.generation import GenerationCompleted
from cognitest.schemas.events.runs import RunRequested
from cognitest.schemas.events.testing import (
    CaseChanges,
    CaseDeleted,
    CaseGenerated,
    CaseUpdated,
    PlanGenerated,
    SuiteGenerated,
)
from cognitest.schemas.generation import CaseDraft, GenerationSummary, Usage
from cognitest.schemas.pipeline import PublishJob

CATEGORY_SUITES = {"negative": "Negative", "boundary": "Boundary", "security": "Security",
                   "accessibility": "Accessibility", "api": "API", "performance": "Performance smoke"}


def derived(generation_id: UUID, *parts: object) -> UUID:
    return uuid5(NAMESPACE_URL, f"cognitest:generation:{generation_id}:" + ":".join(map(str, parts)))


def build_events(job: PublishJob, source: str) -> tuple[list[Envelope[Any]], GenerationSummary]:
    g = job.generation
    loaded = job.loaded
    events: list[Envelope[Any]] = []

    def emit(payload: Any, *parts: object) -> None:
        events.append(new_event(payload, project_id=g.project_id, actor=g.actor, source=source,
                                correlationid=g.correlationid, event_id=str(derived(g.generation_id, "event", *parts))))

    usage = Usage(engine="offline")
    for result in job.features:  # the model's label stays when some features fell back to the offline engine
        engine = result.usage.engine if result.usage.engine != "offline" or usage.engine == "offline" else usage.engine
        usage = usage.add(result.usage).model_copy(update={"engine": engine, "model": usage.model or result.usage.model})
    if job.plan is not None:
        usage = usage.add(job.plan.usage).model_copy(update={"engine": job.plan.usage.engine})
    engine_label = f"{usage.engine}:{usage.model}" if usage.model else usage.engine
    by_key = {r.key: r for r in loaded.requirements}

    plan_id = loaded.plan_id or derived(g.generation_id, "plan")
    if job.plan is not None and loaded.suite_id is None:
        p = job.plan.plan
        emit(PlanGenerated(plan_id=plan_id, name=p.name, description=p.description, objectives=p.objectives,
                           sections=p.sections(), generated_by=engine_label[:50],
                           source_documents=[str(d) for d in loaded.document_ids], confidence_score=None,
                           tags=["generated"], metadata={"generation_id": str(g.generation_id)},
                           generation_id=g.generation_id), "plan")

    if g.case_id is not None and loaded.existing:
        return _regenerate_case(job, emit, events, usage, engine_label)

    suites: dict[str, list[CaseDraft]] = {}
    # regenerating a suite or a case: only the kinds of cases that suite holds
    keep = {e.category for e in loaded.existing if e.category} if loaded.suite_id else set()
    duplicate_of = {d.index: d for d in job.duplicates}
    links: dict[str, tuple[Any, set[str]]] = {}  # existing case -> (its duplicate, requirement ids to add)
    drafted: dict[str, CaseDraft] = {}  # signature -> the case that will be published for it
    identical = 0
    index = -1
    for result in job.features:
        for case in result.cases:
            index += 1
            if index in duplicate_of:  # linked to the existing case instead of added twice
                dup = duplicate_of[index]
                _, ids = links.setdefault(dup.case_id, (dup, set()))
                ids.update(str(by_key[k].id) for k in case.requirement_keys if k in by_key)
                continue
            if keep and case.category not in keep:
                continue
            if absorbed(drafted, case):  # the same check drafted twice: one case traces both
                identical += 1
                continue
            name = loaded.suite_name or (result.feature if case.category == "functional"
                                         else CATEGORY_SUITES.get(case.category, case.category.title()))
            suites.setdefault(name, []).append(case)

    covered: set[str] = set()
    strengths: dict[str, set[str]] = {}  # requirement id -> how well its new cases check it
    generic_steps = 0
    case_count = 0
    executable: list[UUID] = []
    for name, cases in suites.items():
        suite_id = loaded.suite_id or derived(g.generation_id, "suite", name)
        if loaded.suite_id is None:
            category = next(iter({c.category for c in cases}), "functional")
            emit(SuiteGenerated(suite_id=suite_id, plan_id=plan_id, name=name[:255], generated_by=engine_label[:50],
                                description=f"{len(cases)} generated case(s)", tags=["generated", category],
                                metadata={"generation_id": str(g.generation_id), "category": category},
                                generation_id=g.generation_id), "suite", name)
        for index, case in enumerate(cases):
            requirement_ids = [str(by_key[k].id) for k in case.requirement_keys if k in by_key]
            covered.update(requirement_ids)
            strength = case_strength(case.steps, case.expected_result, case.executable_steps)
            generic_steps += sum(1 for s in case.steps if is_generic(s.action) or is_generic(s.expected))
            for rid in requirement_ids:
                strengths.setdefault(rid, set()).add(strength)
            case_id = derived(g.generation_id, "case", name, index)
            emit(CaseGenerated(
                case_id=case_id, suite_id=suite_id, title=case.title, preconditions=case.preconditions,
                steps=[s.model_dump() for s in case.steps], executable_steps=case.executable_steps,
                expected_result=case.expected_result, priority=case.priority, tags=case.tags[:50],
                generated_by=engine_label[:50], confidence_score=round(case.confidence, 3),
                requirement_ids=requirement_ids, generation_id=g.generation_id,
                metadata={"generation_id": str(g.generation_id), "category": case.category, "draft_title": case.title,
                          "confidence_reasons": case.confidence_reasons, "requirement_keys": case.requirement_keys},
            ), "case", name, index)
            case_count += 1
            if case.executable_steps:
                executable.append(case_id)
    for old in loaded.existing:  # regeneration replaces generated cases nobody edited
        if not old.edited:
            emit(CaseDeleted(case_id=old.id), "replace", old.id)
    duplicates = []
    for case_id, (dup, ids) in links.items():
        covered.update(ids)
        for rid in ids:  # judged like a new case: a placeholder kept from before covers only weakly
            strengths.setdefault(rid, set()).add(dup.strength)
        if not ids <= set(dup.requirement_ids):  # the existing case now traces these requirements too
            emit(CaseUpdated(case_id=UUID(case_id), changes=CaseChanges(
                requirement_ids=list(dict.fromkeys([*dup.requirement_ids, *sorted(ids)])))), "link", case_id)
        duplicates.append({"title": dup.title, "case_id": case_id, "score": dup.score,
                           "drafts": sum(1 for d in job.duplicates if d.case_id == case_id)})
    avoided = [a for result in job.features for a in result.avoided]

    total = len(loaded.requirements)
    status = {r.key: requirement_status(strengths.get(str(r.id), set())) for r in loaded.requirements}
    uncovered = [key for key, s in status.items() if s == UNCOVERED]
    weak = [key for key, s in status.items() if s == WEAKLY_COVERED]
    quality = {"requirements": total, "cases": case_count, "duplicates_merged": sum(d["drafts"] for d in duplicates),
               "identical_merged": identical, "history": _history(job),
               "offline_fallbacks": [f.fallback for f in job.features if f.fallback],
               **({"note": _nothing_new(job, duplicates, total)} if case_count == 0 else {}),
               "generic_steps": generic_steps, "weakly_covered": len(weak),
               "cases_per_requirement": round(case_count / total, 2) if total else 0.0}
    app = _dry_run(job, emit, executable)
    summary = GenerationSummary(generation_id=g.generation_id, plan_id=plan_id, suites=len(suites), cases=case_count,
                                covered_requirements=total - len(uncovered) - len(weak), total_requirements=total,
                                uncovered=uncovered, weakly_covered=weak, quality=quality, usage=usage,
                                duplicates=duplicates, avoided=avoided, app=app)
    emit(GenerationCompleted(generation_id=g.generation_id, plan_id=plan_id, suites=summary.suites, cases=case_count,
                             duplicates=duplicates[:1000], avoided=avoided[:1000], examples_used=sum(1 for e in job.examples if e.kind == "case"),
                             covered_requirements=summary.covered_requirements, total_requirements=total,
                             uncovered=uncovered, weakly_covered=weak, quality=quality, engine=engine_label[:200],
                             repairs=usage.repairs,
                             fallbacks_used=usage.fallbacks_used,
                             tokens=usage.prompt_tokens + usage.completion_tokens, cost_usd=usage.cost_usd, app=app),
         "completed")
    return events, summary


def _regenerate_case(job: PublishJob, emit: Any, events: list[Envelope[Any]], usage: Usage,
                     engine_label: str) -> tuple[list[Envelope[Any]], GenerationSummary]:
    """Regenerate one case in place: the draft of the same kind that traces the most of the same
    requirements (then the closest title) replaces its content; its id stays."""
    from difflib import SequenceMatcher

    g, loaded = job.generation, job.loaded
    target = loaded.existing[0]
    by_key = {r.key: r for r in loaded.requirements}
    drafts = [c for result in job.features for c in result.cases if not target.category or c.category == target.category]
    drafts = drafts or [c for result in job.features for c in result.cases]

    def score(case: CaseDraft) -> tuple[int, float]:
        ids = {str(by_key[k].id) for k in case.requirement_keys if k in by_key}
        return len(ids & set(target.requirement_ids)), SequenceMatcher(None, case.title, target.title).ratio()

    best = max(drafts, key=score)
    requirement_ids = [str(by_key[k].id) for k in best.requirement_keys if k in by_key]
    emit(CaseUpdated(case_id=target.id, changes=CaseChanges(
        title=best.title, preconditions=best.preconditions, steps=[s.model_dump() for s in best.steps],
        executable_steps=best.executable_steps, expected_result=best.expected_result, priority=best.priority,
        tags=best.tags[:50], requirement_ids=requirement_ids,
        metadata={"generation_id": str(g.generation_id), "category": best.category, "regenerated": True,
                  "draft_title": best.title,
                  "confidence_reasons": best.confidence_reasons, "requirement_keys": best.requirement_keys})),
        "regenerate", target.id)
    plan_id = loaded.plan_id or derived(g.generation_id, "plan")
    total = len(loaded.requirements)
    summary = GenerationSummary(generation_id=g.generation_id, plan_id=plan_id, suites=0, cases=1,
                                covered_requirements=total, total_requirements=total, usage=usage)
    emit(GenerationCompleted(generation_id=g.generation_id, plan_id=plan_id, suites=0, cases=1,
                             covered_requirements=total, total_requirements=total, engine=engine_label[:200],
                             tokens=usage.prompt_tokens + usage.completion_tokens, cost_usd=usage.cost_usd,
                             repairs=usage.repairs, fallbacks_used=usage.fallbacks_used), "completed")
    return events, summary


def _dry_run(job: PublishJob, emit: Any, executable: list[UUID]) -> dict[str, Any] | None:
    """App-aware generation: what exploring found, and a run of every executable case once against
    the explored application (its id derives from the generation, like everything published)."""
    target, app_map = job.generation.app, job.app_map
    if target is None:
        return None
    report: dict[str, Any] = {"base_url": str(target.base_url), "pages": len(app_map.pages) if app_map else 0,
                              "skipped": (app_map.skipped if app_map else [])[:50],
                              "error": app_map.error if app_map else "not explored", "executable": len(executable),
                              "dry_run_id": None}
    if target.verify and executable:
        run_id = derived(job.generation.generation_id, "dry-run")
        emit(RunRequested(run_id=run_id, name=f"Dry run of generated cases ({len(executable)})",
                          case_ids=executable, environment={"base_url": str(target.base_url).rstrip("/")},
                          browsers=["chromium"]), "dry-run")
        report["dry_run_id"] = str(run_id)
    return report


def _history(job: PublishJob) -> dict[str, Any]:
    """How many requirements found judged cases of earlier, similar requirements, and for those that
    did not, how close the nearest earlier requirement came (below the threshold: nothing learnt)."""
    if not job.examples:
        return {"requirements_with_history": 0, "without_history": [],
                "note": "no judged case in the project's knowledge base yet, or the knowledge process did not answer"}
    with_history = {e.for_key for e in job.examples if e.kind == "case" and e.for_key}
    nearest = [{"key": e.for_key, "nearest": e.score} for e in job.examples if e.kind == "nearest" and e.for_key]
    return {"requirements_with_history": len(with_history), "without_history": nearest[:200]}


def _nothing_new(job: PublishJob, duplicates: list[dict[str, Any]], requirements: int) -> str:
    """Why a generation added no case, said in its result rather than left to guess."""
    drafts = sum(len(f.cases) for f in job.features)
    if requirements == 0:
        return "no requirement to generate from: upload a document first (cognitest requirements add)"
    if drafts and duplicates:
        linked = sum(d["drafts"] for d in duplicates)
        return (f"no new case: {linked} of {drafts} drafts matched cases the project already has (linked to the "
                f"requirements instead); regenerate a suite (--suite) to replace its unedited AI cases")
    if drafts:
        return f"no new case: the {drafts} drafts were left out (people rejected similar ones, see avoided)"
    return "no case drafted for these requirements"
