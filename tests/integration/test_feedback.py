"""Feedback on generated artifacts through the API and the CLI, and statistics that are right on a
known history."""

import json
from pathlib import Path

import httpx

from tests.conftest import eventually
from tests.integration.test_generation import generate, upload
from tests.integration.test_metrics import scrape, value
from tests.support.cli import cli_for
from tests.support.stack import PlatformStack

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


async def generated_cases(api: httpx.AsyncClient, pid: str) -> list[dict]:
    assert (await upload(api, pid, ("login_spec.md", (FIXTURES / "login_spec.md").read_bytes()))).status_code == 201
    assert (await generate(api, pid, engine="offline"))["status"] == "completed"
    cases = (await api.get(f"/api/v1/projects/{pid}/cases", params={"limit": 500})).json()["items"]
    assert len(cases) > 12
    return cases


async def feedback(api: httpx.AsyncClient, pid: str, **body) -> httpx.Response:  # type: ignore[no-untyped-def]
    return await api.post(f"/api/v1/projects/{pid}/feedback", params={"wait": "true"}, json=body)


async def test_feedback_history_gives_exact_statistics(stack: PlatformStack, api: httpx.AsyncClient, project: dict) -> None:
    pid = project["id"]
    cases = await generated_cases(api, pid)
    plain = [c for c in cases if "security" not in c["tags"]]
    security = [c for c in cases if "security" in c["tags"]]
    assert len(plain) >= 8 and security
    for case in plain[:3]:
        assert (await feedback(api, pid, artifact_id=case["id"], verdict="accepted")).status_code == 201
    for case, reason in ((plain[3], "irrelevant"), (plain[4], "irrelevant"), (plain[5], "duplicate")):
        assert (await feedback(api, pid, artifact_id=case["id"], verdict="rejected", reason=reason)).status_code == 201
    # changed minds: the latest verdict counts, once per artifact
    assert (await feedback(api, pid, artifact_id=plain[0]["id"], verdict="rejected", reason="incorrect")).status_code == 201
    edited = await feedback(api, pid, artifact_id=plain[6]["id"], verdict="modified",
                            changes={"title": "Login refuses a wrong password", "priority": "critical"})
    assert edited.status_code == 201, edited.text
    assert {c["field"] for c in edited.json()["diff"]} == {"title", "priority"}
    assert (await feedback(api, pid, artifact_id=plain[7]["id"], verdict="rated", rating=4)).status_code == 201
    assert (await feedback(api, pid, artifact_id=security[0]["id"], verdict="rejected", reason="not_testable")).status_code == 201

    # the edit itself is applied, and the stored event keeps before, after and the diff
    case = (await api.get(f"/api/v1/projects/{pid}/cases/{plain[6]['id']}")).json()
    assert case["title"] == "Login refuses a wrong password" and case["priority"] == "critical"
    stored = (await api.get(f"/api/v1/projects/{pid}/feedback", params={"verdict": "modified"})).json()["items"]
    assert stored[0]["before"] == {"title": plain[6]["title"], "priority": plain[6]["priority"]}
    assert stored[0]["after"] == {"title": "Login refuses a wrong password", "priority": "critical"}

    stats = (await api.get(f"/api/v1/projects/{pid}/feedback/stats")).json()
    agent = stats["agents"]["case"]
    # judged: 2 accepted (plain[1], plain[2]), 1 modified, 4 rejected (plain[0], [3], [4], [5])
    assert (agent["accepted"], agent["modified"], agent["rejected"], agent["judged"]) == (2, 1, 4, 7)
    assert agent["acceptance_rate"] == round(3 / 7, 4) and agent["modification_rate"] == round(1 / 7, 4)
    assert agent["rejection_reasons"] == [{"reason": "irrelevant", "count": 2}, {"reason": "duplicate", "count": 1},
                                          {"reason": "incorrect", "count": 1}]
    assert agent["average_rating"] == 4.0 and agent["ratings"] == 1
    assert [(t["judged"], t["acceptance_rate"]) for t in agent["trend"]] == [(7, round(3 / 7, 4))]
    assert stats["agents"]["security"]["rejected"] == 1 and stats["agents"]["security"]["acceptance_rate"] == 0.0
    assert stats["overall"]["judged"] == 8

    worker = await scrape(stack.settings.metrics.worker_port)  # the generation above was timed, step by step
    assert value(worker, "cognitest_generation_step_seconds_count", engine="offline", step="feature") >= 1
    metrics = await scrape(stack.settings.metrics.consumers_port)
    assert 'cognitest_feedback_total{agent="case",verdict="accepted"}' in metrics
    assert 'cognitest_feedback_total{agent="security",verdict="rejected"}' in metrics


async def test_bulk_feedback_and_clear_errors(api: httpx.AsyncClient, project: dict) -> None:
    pid = project["id"]
    cases = await generated_cases(api, pid)
    suite = cases[0]["test_suite_id"]
    in_suite = [c for c in cases if c["test_suite_id"] == suite]
    bulk = await api.post(f"/api/v1/projects/{pid}/suites/{suite}/feedback", json={"verdict": "accepted"},
                          headers={"Idempotency-Key": "bulk-1"})
    assert bulk.status_code == 202 and bulk.json()["recorded"] == len(in_suite)
    again = await api.post(f"/api/v1/projects/{pid}/suites/{suite}/feedback", json={"verdict": "accepted"},
                           headers={"Idempotency-Key": "bulk-1"})
    assert again.json()["event_ids"] == bulk.json()["event_ids"]  # a retried request records nothing twice

    async def all_judged() -> bool:
        return (await api.get(f"/api/v1/projects/{pid}/feedback/stats")).json()["overall"]["judged"] == len(in_suite)
    assert await eventually(all_judged)
    listed = (await api.get(f"/api/v1/projects/{pid}/feedback", params={"limit": 500})).json()["items"]
    assert len(listed) == len(in_suite)

    case = cases[0]["id"]
    bad = [
        ({"artifact_id": case, "verdict": "rated"}, "rating"),
        ({"artifact_id": case, "verdict": "modified"}, "changes"),
        ({"artifact_id": case, "verdict": "modified", "changes": {"ai_generated": False}}, "cannot edit"),
        ({"artifact_id": case, "verdict": "modified", "changes": {"priority": "urgent-ish"}}, "priority"),
        ({"artifact_id": case, "verdict": "accepted", "reason": "irrelevant"}, "reason"),
        ({"artifact_id": case, "verdict": "rejected", "reason": "because"}, "reason"),
        ({"artifact_id": case, "artifact_kind": "plan", "verdict": "modified", "changes": {"name": "x"}}, "cases"),
    ]
    for body, word in bad:
        r = await api.post(f"/api/v1/projects/{pid}/feedback", json=body)
        assert r.status_code == 422 and word in r.text, (body, r.text)
    missing = await api.post(f"/api/v1/projects/{pid}/feedback",
                             json={"artifact_id": "00000000-0000-0000-0000-000000000000", "verdict": "accepted"})
    assert missing.status_code == 404


def test_feedback_from_the_cli(stack: PlatformStack) -> None:
    cli = cli_for(stack, timeout=120)

    pid = json.loads(cli("projects", "create", "--name", "feedback cli", "--json").stdout)["id"]
    suite = json.loads(cli("suites", "create", "-p", pid, "--name", "S", "--json").stdout)["id"]
    first = json.loads(cli("cases", "create", "-p", pid, "--title", "one", "--suite", suite, "--json").stdout)["id"]
    second = json.loads(cli("cases", "create", "-p", pid, "--title", "two", "--suite", suite, "--json").stdout)["id"]
    assert cli("feedback", "accept", first, "-p", pid).returncode == 0
    rejected = cli("feedback", "reject", second, "-p", pid, "--reason", "too_vague", "-m", "which user?")
    assert rejected.returncode == 0, rejected.stderr
    modified = cli("feedback", "modify", first, "-p", pid, "--set", "title=one, better", "--set", 'tags=["smoke"]')
    assert modified.returncode == 0 and "title" in modified.stdout, modified.stderr
    assert cli("feedback", "rate", first, "5", "-p", pid).returncode == 0
    stats = json.loads(cli("feedback", "stats", "-p", pid, "--json").stdout)
    assert stats["agents"]["case"]["modified"] == 1 and stats["agents"]["case"]["rejected"] == 1
    assert stats["agents"]["case"]["rejection_reasons"] == [{"reason": "too_vague", "count": 1}]
    assert "acceptance 50%" in cli("feedback", "stats", "-p", pid).stdout
    bad = cli("feedback", "modify", first, "-p", pid, "--changes", "{not json")
    assert bad.returncode == 2 and "not JSON" in bad.stderr and "Traceback" not in bad.stderr
    refused = cli("feedback", "reject", second, "-p", pid, "--reason", "meh")
    assert refused.returncode == 2 and "reason" in refused.stderr and "Traceback" not in refused.stderr
