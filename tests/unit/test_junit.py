"""JUnit XML from several producers; malformed and malicious XML."""

from pathlib import Path

import pytest

from cognitest.infra.results.importer import BATCH_RESULTS, plan_import, totals_of
from cognitest.infra.results.junit import MalformedReport, parse_junit

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "junit"


def read(name: str):  # type: ignore[no-untyped-def]
    return parse_junit((FIXTURES / name).read_bytes(), name)


def test_producers() -> None:
    pytest_results = read("pytest.xml")
    assert [(r.key, r.outcome) for r in pytest_results] == [
        ("tests.test_login::test_login_ok", "passed"), ("tests.test_login::test_login_wrong_password", "failed"),
        ("tests.test_login::test_lockout[5]", "error"), ("tests.test_cart::test_cart_total", "skipped"),
        ("tests.test_cart::test_cart_empty", "passed")]
    first, *body = pytest_results[1].message.splitlines()
    assert first == "AssertionError: assert 401 == 200" and pytest_results[1].duration_ms == 310
    assert any("assert response.status_code == 200" in line for line in body)  # the body is kept too
    surefire = read("surefire.xml")
    assert [r.outcome for r in surefire] == ["passed", "failed", "passed"] and "REFUSED" in surefire[1].message
    assert [r.outcome for r in read("gradle.xml")] == ["passed", "skipped"]
    jest = read("jest.xml")
    assert jest[1].outcome == "failed" and "toBeDisabled" in jest[1].message
    go = read("go.xml")
    assert [r.key for r in go] == ["orders::TestCreate", "orders::TestCreate/with_discount", "orders::TestCancel"]
    totals = totals_of(pytest_results + surefire + go)
    assert (totals.total, totals.passed, totals.failed, totals.errors, totals.skipped) == (11, 6, 3, 1, 1)


@pytest.mark.parametrize(("data", "words"), [
    (b"<testsuites><testsuite><testcase name='x'>", "not well-formed"),
    (b"<html><body>not junit</body></html>", "not <testsuites>"),
    (b"<testsuites></testsuites>", "no test cases"),
    (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
     b"<testsuites><testsuite><testcase name='&lol2;'/></testsuite></testsuites>", "declares entities or a DTD"),
    (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><testsuite><testcase name="&xxe;"/></testsuite>',
     "declares entities or a DTD"),
])
def test_malformed_and_malicious_xml_is_refused(data: bytes, words: str) -> None:
    with pytest.raises(MalformedReport, match=words):
        parse_junit(data)


def test_import_plan_is_deterministic_and_batched() -> None:
    import uuid

    project, run = uuid.uuid4(), uuid.uuid4()
    results = read("pytest.xml") * 1000
    plan = plan_import(project, run, results, existing_case_ids=set(), suite_exists=False, actor="ci", source="t",
                       run_name="nightly", commit="abc", branch="main")
    again = plan_import(project, run, results, existing_case_ids=set(), suite_exists=False, actor="ci", source="t",
                        run_name="nightly", commit="abc", branch="main")
    assert [e.id for e in plan.events] == [e.id for e in again.events]
    types = [e.type for e in plan.events]
    assert types[0] == "suite.created" and types.count("case.created") == 5 == plan.cases_created
    batches = [e for e in plan.events if e.type == "results.ingested"]
    assert len(batches) == 3 and all(len(b.data.results) <= BATCH_RESULTS for b in batches)
    assert [b.data.last_batch for b in batches] == [False, False, True] and batches[-1].data.totals.total == 5000
    assert max(len(e.model_dump_json()) for e in plan.events) < 1_000_000
