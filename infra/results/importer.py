"""Turning parsed CI results into events: the project's "Imported" suite if it is missing, a
case for every new test key, then the results in batches of bounded size. Every id derives from
the project, the key or the run, so importing the same report again (same run id) changes nothing
and a half-published import is completed by sending it again."""

from collections import Counter
from dataclasses import dataclass
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from cognitest.infra.results.junit import JUnitResult
from cognitest.schemas import Envelope, new_event
from cognitest.schemas.enums import CaseOutcome, CaseStatus
from cognitest.schemas.events.results import ImportedResult, ResultsIngested
from cognitest.schemas.events.runs import RunTotals
from cognitest.schemas.events.testing import CaseCreated, SuiteCreated
from cognitest.schemas.workflows import bootstrap_id

BATCH_RESULTS = 2000
BATCH_BYTES = 600_000  # well under NATS's 1 MB message limit


def case_id_for(project_id: UUID | str, key: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"cognitest:junit:{project_id}:{key}")


def imported_suite_id(project_id: UUID | str) -> UUID:
    return bootstrap_id(project_id, "suite", "Imported")


@dataclass
class ImportPlan:
    events: list[Envelope[Any]]
    totals: RunTotals
    cases_created: int
    last_event_id: str


def totals_of(results: list[JUnitResult]) -> RunTotals:
    counts = Counter(r.outcome for r in results)
    return RunTotals(total=len(results), passed=counts["passed"], failed=counts["failed"], errors=counts["error"],
                     skipped=counts["skipped"])


def plan_import(project_id: UUID, run_id: UUID, results: list[JUnitResult], *, existing_case_ids: set[UUID],
                suite_exists: bool, actor: str, source: str, run_name: str | None, commit: str | None,
                branch: str | None, correlationid: str | None = None) -> ImportPlan:
    events: list[Envelope[Any]] = []

    def emit(payload: Any, event_id: UUID | str) -> None:
        events.append(new_event(payload, project_id=project_id, actor=actor, source=source,
                                correlationid=correlationid, event_id=str(event_id)))

    suite_id = imported_suite_id(project_id)
    if not suite_exists:  # the same event the project bootstrap publishes: whichever comes first wins
        emit(SuiteCreated(suite_id=suite_id, name="Imported", tags=["default"], description="Default imported suite",
                          metadata={"bootstrap": True}), bootstrap_id(project_id, "event", "suite", "Imported"))
    created = 0
    seen: set[UUID] = set()
    for result in results:
        case_id = case_id_for(project_id, result.key)
        if case_id in existing_case_ids or case_id in seen:
            continue
        seen.add(case_id)
        created += 1
        emit(CaseCreated(case_id=case_id, suite_id=suite_id, title=result.name[:500], description=result.classname or None,
                         status=CaseStatus.ready, tags=["imported"],
                         metadata={"junit_key": result.key[:1000], "classname": result.classname}),
             uuid5(case_id, "created"))
    totals = totals_of(results)
    batches: list[list[ImportedResult]] = [[]]
    size = 0
    for result in results:
        item = ImportedResult(key=result.key[:1000], case_id=case_id_for(project_id, result.key),
                              outcome=CaseOutcome(result.outcome), duration_ms=result.duration_ms, message=result.message)
        weight = 200 + len(item.key) + len(item.message or "")
        if len(batches[-1]) >= BATCH_RESULTS or size + weight > BATCH_BYTES:
            batches.append([])
            size = 0
        batches[-1].append(item)
        size += weight
    for index, batch in enumerate(batches):
        last = index == len(batches) - 1
        emit(ResultsIngested(run_id=run_id, run_name=run_name, batch=index, last_batch=last, commit=commit,
                             branch=branch, results=batch, totals=totals if last else RunTotals()),
             uuid5(run_id, f"batch:{index}"))
    return ImportPlan(events=events, totals=totals, cases_created=created, last_event_id=events[-1].id)
