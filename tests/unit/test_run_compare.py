"""Run comparison on its own: each case lands in the lists a team expects, a case that checked
nothing is never fixed or passing, matching is by case id before result key, and the counts stay
complete when the lists are cut."""

from cognitest.infra.insight import compare as c
from cognitest.infra.insight.compare import Outcome, compare


def test_each_change_is_named() -> None:
    base = [Outcome(None, "login ok", "passed", 100), Outcome(None, "wrong password", "failed", 300),
            Outcome(None, "lockout", "error", 50), Outcome(None, "cart total", "failed", 20),
            Outcome(None, "gone", "passed", 10), Outcome(None, "export", "passed", 1000),
            Outcome("c1", "renamed key", "passed", 10)]
    head = [Outcome(None, "login ok", "failed", 640, error="AssertionError: 'Welcome'\n  at x"),
            Outcome(None, "wrong password", "passed", 300), Outcome(None, "lockout", "error", 50),
            Outcome(None, "cart total", "skipped", 0), Outcome(None, "new one", "passed", 5),
            Outcome(None, "export", "passed", 3000, attempts=2), Outcome("c1", "the key changed", "passed", 10)]
    result = compare(base, head)
    names = {key: [e["key"] for e in result[key]] for key in result["counts"]}
    assert names["new_failures"] == ["login ok"] and result["new_failures"][0]["error"] == "AssertionError: 'Welcome'"
    assert names["fixed"] == ["wrong password"] and names["still_failing"] == ["lockout"]
    assert names["not_checked"] == ["cart total"]  # skipped now: neither fixed nor passing
    assert names["added"] == ["new one"] and names["removed"] == ["gone"]
    assert names["flaky"] == ["export"] and names["slower"] == ["export", "login ok"]  # the largest change first
    assert result["slower"][0]["delta_ms"] == 2000 and result["counts"]["faster"] == 0
    assert "the key changed" not in names["added"]  # matched by its case id
    assert result["new_failures"][0]["was"] == "passed" and not result["truncated"]


def test_a_case_new_in_a_failing_run_is_a_new_failure_and_lists_are_cut(monkeypatch) -> None:
    monkeypatch.setattr(c, "LISTED", 3)
    head = [Outcome(None, f"t{i}", "failed") for i in range(5)]
    result = compare([], head)
    assert result["counts"]["new_failures"] == 5 and len(result["new_failures"]) == 3 and result["truncated"]
    assert result["counts"]["added"] == 5 and result["counts"]["fixed"] == 0
