"""Intake as real documents are written: a PRD whose acceptance criteria are checkbox lists under
feature headings, with goals, risks, a timeline, open questions and closing boilerplate around them;
a StrictDoc specification with EARS statements; and cases written from a requirement's own sentence."""

import json
import uuid
from pathlib import Path

from cognitest.infra.generation.offline.cases import positive
from cognitest.infra.generation.offline.statements import derive
from cognitest.infra.generation.quality import case_strength
from cognitest.infra.requirements.convert import convert
from cognitest.infra.requirements.sniff import DocumentKind, sniff
from cognitest.infra.requirements.split import split
from cognitest.schemas.generation import Requirement

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "requirements"


def parsed(name: str) -> list:  # type: ignore[type-arg]
    data = (FIXTURES / name).read_bytes()
    return split(convert(data, sniff(data, max_unzipped=10**7, max_ratio=100)))


def test_a_prd_gives_its_criteria_and_nothing_of_its_plans_risks_or_boilerplate() -> None:
    expected = json.loads((FIXTURES / "prd_password_reset.expected.json").read_text())
    found = parsed("prd_password_reset.md")
    assert len(found) == expected["count"]
    assert [r.text for r in found] == expected["texts"]  # wrapped items joined, markup and checkboxes gone
    assert [r.key for r in found if not r.key.startswith("REQ-")] == expected["keys"]
    # each criterion is a requirement of its feature, and checked as stated
    assert {r.section for r in found[:4]} == {"3.1 Request a reset link"}
    assert found[4].acceptance_criteria[0][0].text == "The reset link expires 30 minutes after it was sent"
    text = " ".join(r.text for r in found)
    for never in ("support tickets", "Mitigation", "Beta for 5%", "SMS", "authoritative reference", "Approved"):
        assert never not in text


def test_a_strictdoc_specification_keeps_its_uids_titles_sections_and_ears_statements() -> None:
    data = (FIXTURES / "semaphore.sdoc").read_bytes()
    assert sniff(data, max_unzipped=10**7, max_ratio=100) == DocumentKind.sdoc
    expected = json.loads((FIXTURES / "semaphore.expected.json").read_text())
    found = parsed("semaphore.sdoc")
    assert [r.key for r in found] == expected["keys"] and [r.title for r in found] == expected["titles"]
    # a wrapped statement is one requirement; "When ..." is an EARS statement, not a Gherkin step
    assert found[1].text == "The maximum count limit a semaphore can have shall be set when the semaphore is initialized."
    assert found[2].text.startswith("When a thread gives a semaphore") and found[2].acceptance_criteria == []
    assert found[0].section == "Semaphore creation" and found[6].section == "Giving and taking"
    assert "working group" not in " ".join(r.text for r in found)  # [TEXT] is about the document


def test_cases_are_written_from_the_requirements_own_sentence() -> None:
    event = derive("When a thread gives a semaphore whose count is below its limit, the kernel shall increment "
                   "the semaphore's count by one.")
    assert event is not None and event.action == "A thread gives a semaphore whose count is below its limit"
    assert event.expected == "The kernel shall increment the semaphore's count by one"
    unwanted = derive("If a semaphore is reset while threads are waiting on it, then the kernel shall wake every waiting thread.")
    assert unwanted is not None and unwanted.action.startswith("Cause the condition: a semaphore is reset")
    after = derive("After a successful reset all other sessions of the user are signed out")
    assert after is not None and (after.action, after.expected) == (
        "Complete a successful reset", "All other sessions of the user are signed out")
    submit = derive("Submitting a registered email address sends a reset email within 60 seconds")
    assert submit is not None and submit.action == "Submit a registered email address"
    assert derive("Marketing opt-in may be offered.") is None  # names no action: the case stays weak, and says so

    strengths = []
    for r in parsed("semaphore.sdoc"):
        requirement = Requirement.model_validate({**r.model_dump(), "id": uuid.uuid4()})
        strengths += [case_strength(c.steps, c.expected_result, c.executable_steps) for c in positive(requirement)]
    assert strengths.count("concrete") == 6 and strengths.count("weak") == 1  # the count limit names no action


def test_every_requirement_keeps_where_it_sits_in_its_document() -> None:
    from tests.support.intake_eval import parse as parse_labelled

    assert [r.lines for r in parse_labelled("semaphore.sdoc")][:2] == [(13, 20), (22, 29)]  # [REQUIREMENT] to <<<
    thermostat = {r.key: r.lines for r in parse_labelled("thermostat_srs.txt")}
    assert thermostat["FR-3.1.1"] == (19, 20) and thermostat["FR-3.2.1"] == (28, 28)  # a wrapped statement: both lines
    passkeys = {r.key: r.lines for r in parse_labelled("passkeys_spec.md")}
    assert passkeys["AUTH-413.3"] == (27, 28)  # a criterion wrapped onto a second line
    checkout = {r.key: r.lines for r in parse_labelled("checkout.feature")}
    assert checkout["CHK-103"] == (28, 37)  # a Scenario Outline to its last Examples row
    backlog = {r.key: r.lines for r in parse_labelled("shop_backlog.csv")}
    assert backlog["SHOP-201"] == (2, 4)  # a row whose quoted cell spans three lines
    assert all(r.lines for r in parse_labelled("warehouse_confluence.html"))
    assert all(r.lines is None for r in parse_labelled("payments_jira.json"))  # JSON has no lines to point at
