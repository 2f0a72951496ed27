"""The loop closed on the real stack: feedback on one generation reaches the knowledge base
(the knowledge consumer, Qdrant), and the next generation for similar requirements changes the
way people asked: rejected kinds of cases are left out, their edits are applied, confidence
follows the record; generating the same requirements again links duplicates instead of adding them."""

from pathlib import Path

import httpx

from tests.integration.test_generation import generate, upload
from tests.support.stack import PlatformStack

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


async def cases_of(api: httpx.AsyncClient, pid: str, plan_id: str) -> list[dict]:
    suites = (await api.get(f"/api/v1/projects/{pid}/suites", params={"plan_id": plan_id})).json()["items"]
    out: list[dict] = []
    for suite in suites:
        out += (await api.get(f"/api/v1/projects/{pid}/cases", params={"suite_id": suite["id"], "limit": 500})).json()["items"]
    return out


def category(case: dict) -> str:
    return case["metadata"].get("category", "functional")


async def test_feedback_changes_the_next_generation(stack: PlatformStack, api: httpx.AsyncClient, project: dict) -> None:
    pid = project["id"]
    first_doc = (await upload(api, pid, ("login_spec.md", (FIXTURES / "login_spec.md").read_bytes()))).json()["documents"][0]
    first = await generate(api, pid, engine="offline", document_ids=[first_doc["id"]])
    assert first["status"] == "completed" and first["result"]["examples_used"] == 0  # nothing judged yet
    round_one = await cases_of(api, pid, first["result"]["plan_id"])
    assert {"accessibility", "boundary", "security"} <= {category(c) for c in round_one}

    # the team's verdicts: accessibility is tested elsewhere; limits are critical and tagged
    for case in round_one:
        body: dict = {"artifact_id": case["id"], "verdict": "accepted"}
        if category(case) == "accessibility":
            body = {"artifact_id": case["id"], "verdict": "rejected", "reason": "irrelevant"}
        elif "throttles" in case["title"].lower():
            body = {"artifact_id": case["id"], "verdict": "rejected", "reason": "duplicate"}
        elif category(case) == "boundary":
            body = {"artifact_id": case["id"], "verdict": "modified",
                    "changes": {"priority": "critical", "tags": sorted({*case["tags"], "limits"})}}
        r = await api.post(f"/api/v1/projects/{pid}/feedback", json=body)
        assert r.status_code == 202, r.text
    second_doc = (await upload(api, pid, ("partner_spec.md", (FIXTURES / "partner_spec.md").read_bytes()))).json()["documents"][0]
    await stack.wait_caught_up("knowledge", timeout=60)

    second = await generate(api, pid, engine="offline", document_ids=[second_doc["id"]])
    assert second["status"] == "completed", second
    result = second["result"]
    assert result["examples_used"] > 0, result
    assert {a["category"] for a in result["avoided"]} >= {"accessibility"}
    assert any("throttles" in a["title"].lower() for a in result["avoided"])
    round_two = await cases_of(api, pid, result["plan_id"])
    assert not [c for c in round_two if category(c) == "accessibility"]
    assert not [c for c in round_two if "throttles" in c["title"].lower()]
    boundary = [c for c in round_two if category(c) == "boundary"]
    assert boundary and all(c["priority"] == "critical" and "limits" in c["tags"] for c in boundary), _debug(boundary)
    assert all(any("project history" in r for r in c["metadata"]["confidence_reasons"]) for c in boundary)
    assert result["covered_requirements"] == result["total_requirements"]

    # the first document again: what already exists is linked, not added twice
    again = await generate(api, pid, engine="offline", document_ids=[first_doc["id"]])
    assert again["status"] == "completed", again
    linked = again["result"]["duplicates"]
    assert len(linked) >= 5 and all(d["score"] >= 0.95 for d in linked)
    assert {d["case_id"] for d in linked} <= {c["id"] for c in round_one}
    matrix = (await api.get(f"/api/v1/projects/{pid}/plans/{again['result']['plan_id']}/traceability")).json()
    # the linked cases trace the new plan's requirements (some only weakly: placeholder cases count apart)
    assert matrix["uncovered"] == [] and matrix["covered"] + matrix["weak"] == matrix["total"]


def _debug(cases: list[dict]) -> list[tuple]:  # what the cases look like, for a failure message
    return [(c["title"], c["priority"], c["tags"], c["metadata"].get("confidence_reasons")) for c in cases]
