"""The offline engine: useful cases, every parsed requirement covered, right boundary values."""

import asyncio
import uuid
from pathlib import Path

from cognitest.infra.generation.engine import OfflineEngine
from cognitest.infra.requirements.convert import convert
from cognitest.infra.requirements.sniff import sniff
from cognitest.infra.requirements.split import split
from cognitest.schemas.generation import FeatureJob, PlanJob, Requirement
from cognitest.schemas.steps import Step

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def requirements(name: str) -> list[Requirement]:
    data = (FIXTURES / name).read_bytes()
    parsed = split(convert(data, sniff(data, max_unzipped=10**8, max_ratio=100)))
    return [Requirement(id=uuid.uuid5(uuid.NAMESPACE_URL, r.key), **r.model_dump()) for r in parsed]


def generate(reqs: list[Requirement]):  # type: ignore[no-untyped-def]
    job = FeatureJob(generation_id=uuid.uuid4(), project_id=uuid.uuid4(), feature="all", requirements=reqs)
    return asyncio.run(OfflineEngine().feature_cases(job)).cases


def test_every_parsed_requirement_is_covered() -> None:
    for name in ("login_spec.md", "checkout_stories.feature", "stories.json", "stories.csv"):
        reqs = requirements(name)
        cases = generate(reqs)
        covered = {k for c in cases for k in c.requirement_keys}
        assert covered == {r.key for r in reqs}, name


def test_boundary_values_of_a_length_range() -> None:
    cases = [c for c in generate(requirements("login_spec.md")) if c.requirement_keys == ["FR-1.2"]]
    titles = " | ".join(c.title for c in cases)
    for fragment in ("of 7 characters is rejected", "of 8 characters is accepted", "of 64 characters is accepted",
                     "of 65 characters is rejected"):
        assert fragment in titles
    rejected = [c for c in cases if "65 characters" in c.title][0]
    assert rejected.category == "negative" and rejected.confidence >= 0.8


def test_negative_security_accessibility_and_executable_cases() -> None:
    cases = generate(requirements("login_spec.md"))
    categories = {c.category for c in cases}
    assert {"functional", "negative", "boundary", "security", "accessibility", "performance"} <= categories
    assert any("invalid email is rejected" in c.title for c in cases)
    assert any("email address left empty" in c.title for c in cases)
    assert any("SQL injection" in c.title for c in cases)
    lockout = [c.title for c in cases if c.requirement_keys == ["REQ-4"]]
    assert any("5 failed attempts trigger" in t for t in lockout) and any("4 failed attempts are tolerated" in t for t in lockout)
    login = next(c for c in cases if c.category == "functional" and "/login" in c.steps[0].action)
    actions = [s.action for s in login.executable_steps]
    assert actions[:3] == ["goto", "fill", "fill"] and "click" in actions
    assert login.executable_steps[0].url == "/login"
    shared = [c for c in cases if c.category == "security" and "SQL injection" in c.title]
    assert len(shared) == 1 and len(shared[0].requirement_keys) > 1  # one check traced to every requirement needing it
    from pydantic import TypeAdapter

    TypeAdapter(list[Step]).validate_python([s.model_dump() for c in cases for s in c.executable_steps])


def test_cases_from_acceptance_criteria_and_endpoints() -> None:
    cases = generate(requirements("checkout_stories.feature"))
    refused = next(c for c in cases if c.requirement_keys == ["CHK-3"] and c.category == "functional")
    assert refused.preconditions == "a customer with an expired card"
    assert refused.priority == "critical" and "regression" in refused.tags and refused.confidence == 0.9
    api = Requirement(id=uuid.uuid4(), key="API-1", title="Create orders",
                      text="POST /api/orders must create an order and return it.")
    api_cases = [c for c in generate([api]) if c.category == "api"]
    assert api_cases and api_cases[0].executable_steps[0].action == "request"
    assert api_cases[0].executable_steps[1].status == 201


def test_plan_has_the_ieee_829_sections() -> None:
    reqs = requirements("login_spec.md")
    plan = asyncio.run(OfflineEngine().plan(PlanJob(generation_id=uuid.uuid4(), project_id=uuid.uuid4(),
                                                    title="Accounts", requirements=reqs))).plan
    sections = plan.sections()
    for name in ("scope_in", "scope_out", "approach", "environment", "entry_criteria", "exit_criteria", "risks",
                 "deliverables"):
        assert sections[name], name
    assert plan.objectives and "Boundary value analysis" in " ".join(plan.approach)
