"""Triage on a labelled set of failures: precision and recall of "same issue", signatures,
flakiness and remediation rules."""

from itertools import combinations

from cognitest.infra.triage.failures import flips
from cognitest.infra.triage.remediation import remediation, severity
from cognitest.infra.triage.signature import headline, normalise, signature_of, top_frames
from cognitest.infra.triage.similarity import match_issue
from tests.support.triage_set import CAUSES, labelled_failures


def cluster(failures):  # type: ignore[no-untyped-def]
    """Assign each failure to an issue the way the triage consumer does, in arrival order."""
    known: dict[str, str] = {}
    candidates: list[tuple[str, str]] = []
    assigned = []
    for index, failure in enumerate(failures):
        sig = signature_of(failure.error, failure.step)
        issue, _, _ = match_issue(sig.digest, sig.text, known, candidates)
        if issue is None:
            issue = f"issue-{index}"
            known[sig.digest] = issue
            candidates.append((issue, sig.text))
        assigned.append(issue)
    return assigned


def pair_scores(failures, assigned):  # type: ignore[no-untyped-def]
    tp = fp = fn = 0
    for i, j in combinations(range(len(failures)), 2):
        same_truth = failures[i].cause == failures[j].cause
        same_predicted = assigned[i] == assigned[j]
        tp += same_truth and same_predicted
        fp += same_predicted and not same_truth
        fn += same_truth and not same_predicted
    return tp / (tp + fp), tp / (tp + fn)


def test_labelled_set_precision_and_recall() -> None:
    failures = labelled_failures(per_cause=3)
    assert len(failures) >= 60 and len({f.cause for f in failures}) == len(CAUSES) == 20
    assigned = cluster(failures)
    precision, recall = pair_scores(failures, assigned)
    print(f"triage on {len(failures)} failures / {len(CAUSES)} causes: precision {precision:.3f} recall {recall:.3f}")
    assert precision >= 0.95
    assert recall >= 0.9
    assert len(set(assigned)) <= len(CAUSES) + 2


def test_exact_signature_ignores_what_changes_between_runs() -> None:
    a = signature_of('File "/builds/1/app/x.py", line 10, in test_a\nKeyError: 7 at 2026-01-02T10:00:00Z id 3f2a1b4c-1111-2222-3333-444455556666')
    b = signature_of('File "/builds/2/app/x.py", line 99, in test_a\nKeyError: 8 at 2026-03-04T11:11:11Z id 00000000-1111-2222-3333-444455556666')
    assert a.digest == b.digest
    assert signature_of("KeyError: 'profile'").digest != signature_of("KeyError: 'profile'", "click #save").digest


def test_signature_parts() -> None:
    assert normalise("Timeout 3000ms at /tmp/run-12/file.txt for 'bob'") == "timeout <n> at <path> for <str>"
    error = 'Traceback (most recent call last):\n  File "/a/b/t.py", line 3, in test_x\nValueError: bad'
    assert headline(error) == "ValueError: bad"
    assert top_frames(error) == ["t.py:test_x"]
    assert top_frames("TypeError: x\n    at render (webpack:///src/A.jsx:1:2)") == ["A.jsx:render"]


def test_flaky_when_outcomes_flip() -> None:
    assert flips(["passed", "failed", "passed", "failed"]) == 3
    assert flips(["failed", "failed", "failed"]) == 0
    assert flips(["passed", "skipped", "passed"]) == 0


def test_remediation_and_severity_rules() -> None:
    assert "timed out" in remediation("TimeoutError: Timeout 5000ms exceeded")[0]
    assert any("could not be reached" in h for h in remediation("Connection refused"))
    assert severity("Connection refused", None) == "high"
    assert severity("anything", "critical") == "critical"
    assert remediation("???")  # never empty


async def test_model_remediation_through_a_real_http_model_and_its_fallback() -> None:
    from cognitest.infra.settings import LlmSettings
    from cognitest.infra.triage.remediation_llm import model_remediation
    from tests.support.fake_llm import FakeLlm

    fake = FakeLlm()
    try:
        settings = LlmSettings(model="openai/gpt-4o-mini", api_base=fake.url, api_key="k", timeout=5, max_repairs=0)
        assert model_remediation(settings.model_copy(update={"remediation": False})) is None
        model = model_remediation(settings)
        assert model is not None
        hints = await model.suggest({"case": "pay", "error": "TimeoutError", "failing_step": "click #pay", "steps": []})
        assert hints == ["Model: look at click #pay", "Model: compare with the last passing run"]
        user = next(m["content"] for m in fake.requests[-1]["messages"] if m["role"] == "user")
        assert "<failure>" in user and "TimeoutError" in user
        fake.script["gpt-4o-mini"] = ["this is not json"]  # invalid, and no repairs allowed
        assert await model.suggest({"case": "pay", "error": "x", "failing_step": None, "steps": []}) is None
    finally:
        fake.close()
