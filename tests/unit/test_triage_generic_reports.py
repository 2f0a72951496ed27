"""Reports whose failure messages are generic keep their detail and triage into one issue per
real failure: 33 different gotestsum failures are at least 30 issues (not one), the same
failure again is the same issue, and PHPUnit and jest reports behave alike."""

from cognitest.infra.results.junit import parse_junit
from cognitest.infra.triage.signature import signature_of
from tests.support.generic_reports import gotestsum, jest, phpunit


def _digests(report: bytes) -> dict[str, str]:
    return {r.key: signature_of(r.message or r.outcome, None, r.key).digest
            for r in parse_junit(report) if r.outcome in ("failed", "error")}


def test_the_body_is_kept_not_just_failed() -> None:
    failures = [r for r in parse_junit(gotestsum()) if r.outcome == "failed"]
    assert len(failures) == 33
    assert all(r.message and r.message.startswith("Failed\n") and len(r.message) > 40 for r in failures)
    assert any("Not equal" in r.message and "expected: \"status-0\"" in r.message for r in failures)
    assert any("nil pointer dereference" in r.message for r in failures)
    assert any(r.key.endswith("/case_1") for r in failures)  # subtests keep their parent in the name


def test_thirty_three_distinct_failures_are_thirty_three_issues_and_the_same_again_is_the_same() -> None:
    first, again = _digests(gotestsum(seed=1)), _digests(gotestsum(seed=2))  # timings, lines, addresses differ
    assert len(set(first.values())) >= 30
    assert first == again


def test_similarity_does_not_merge_what_the_signatures_keep_apart() -> None:
    """Triage's second chance (a lexically close open issue) must not undo the signatures: 33
    failures of 33 tests stay 33 issues when matched one after another as the consumer does."""
    from cognitest.infra.triage.similarity import match_issue

    known: dict[str, str] = {}
    candidates: list[tuple[str, str]] = []
    for r in parse_junit(gotestsum()):
        if r.outcome != "failed":
            continue
        sig = signature_of(r.message or "", None, r.key)
        issue, _how, _score = match_issue(sig.digest, sig.text, known, candidates)
        if issue is None:
            issue = f"issue-{len(candidates)}"
            candidates.append((issue, sig.text))
            known[sig.digest] = issue
    assert len(candidates) == 33


def test_phpunit_and_jest_with_generic_messages() -> None:
    for report in (phpunit(), jest()):
        digests = _digests(report)
        assert len(set(digests.values())) == len(digests) == 12
        assert _digests(report) == digests


def test_one_root_cause_in_code_still_groups_different_tests() -> None:
    npe = ("java.lang.NullPointerException: order is null\n\tat com.shop.OrderService.confirm(OrderService.java:{line})\n"
           "\tat com.shop.{test}.run({test}.java:12)")
    a = signature_of(npe.format(line=88, test="CheckoutTest"), None, "CheckoutTest::pays")
    b = signature_of(npe.format(line=91, test="RefundTest"), None, "RefundTest::refunds")
    assert a.digest == b.digest  # the same frame of the code under test: one issue
    down = "httpx.ConnectError: [Errno 111] Connection refused (127.0.0.1:5432)"
    assert signature_of(down, None, "a::b").digest == signature_of(down, None, "c::d").digest
