"""Requirement documents in, traceable plans, suites and cases out: through the API, the
consumers and the GenerationPipeline workflow on real NATS, PostgreSQL and Temporal."""

import io
import json
import zipfile
from pathlib import Path

import httpx

from tests.conftest import eventually
from tests.support.fake_llm import FakeLlm
from tests.support.cli import cli_for
from tests.support.stack import PlatformStack

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


async def upload(api: httpx.AsyncClient, pid: str, *files: tuple[str, bytes], wait: bool = True) -> httpx.Response:
    return await api.post(f"/api/v1/projects/{pid}/requirements", params={"wait": "true"} if wait else None,
                          files=[("files", f) for f in files])


async def generate(api: httpx.AsyncClient, pid: str, timeout: float = 90, **body) -> dict:  # type: ignore[no-untyped-def]
    response = await api.post(f"/api/v1/projects/{pid}/generations", json=body)
    assert response.status_code == 202, response.text
    gid = response.json()["resource_id"]

    async def finished():
        r = await api.get(f"/api/v1/projects/{pid}/generations/{gid}")
        return r.json() if r.status_code == 200 and r.json()["status"] in ("completed", "failed") else None
    return await eventually(finished, timeout=timeout, interval=0.3)


async def test_bad_uploads_are_refused_and_nothing_is_stored(stack: PlatformStack, api: httpx.AsyncClient, project: dict) -> None:
    pid = project["id"]
    blobs = stack.settings.blob.local_path(stack.settings.data_dir)
    before = sorted(blobs.rglob("*")) if blobs.exists() else []
    exe = b"MZ\x90\x00" + b"\x00" * 500
    r = await upload(api, pid, ("spec.pdf", exe))
    assert r.status_code == 415 and "spec.pdf" in r.json()["message"]
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", b"\x00" * 60_000_000)
    r = await upload(api, pid, ("bomb.docx", bomb.getvalue()))
    assert r.status_code == 422 and "zip bomb" in r.json()["message"]
    r = await upload(api, pid, ("empty.md", b"  \n"))
    assert r.status_code == 422 and "empty" in r.json()["message"]
    r = await upload(api, pid, ("big.txt", b"The system shall scale. " * 90_000))
    assert r.status_code == 413
    # one bad file refuses the whole upload: the good one is not stored either
    r = await upload(api, pid, ("good.md", b"The system shall work."), ("bad.pdf", exe))
    assert r.status_code == 415
    assert (sorted(blobs.rglob("*")) if blobs.exists() else []) == before
    assert (await api.get(f"/api/v1/projects/{pid}/documents")).json()["items"] == []


async def test_corrupt_pdf_becomes_a_clear_rejection(api: httpx.AsyncClient, project: dict) -> None:
    r = await upload(api, project["id"], ("broken.pdf", b"%PDF-1.7\nthis is not really a pdf"))
    assert r.status_code == 201
    document = r.json()["documents"][0]
    assert document["status"] == "rejected" and "damaged" in document["reason"]


async def test_upload_generate_and_trace(api: httpx.AsyncClient, project: dict) -> None:
    pid = project["id"]
    r = await upload(api, pid, ("login_spec.md", (FIXTURES / "login_spec.md").read_bytes()),
                     ("checkout.feature", (FIXTURES / "checkout_stories.feature").read_bytes()))
    assert r.status_code == 201, r.text
    documents = r.json()["documents"]
    assert [d["status"] for d in documents] == ["parsed", "parsed"]
    assert [q["key"] for q in documents[0]["requirements"]][:3] == ["FR-1.1", "FR-1.2", "FR-1.3"]
    status = await generate(api, pid, engine="offline")
    assert status["status"] == "completed", status
    result = status["result"]
    total = sum(len(d["requirements"]) for d in documents)
    assert result["total_requirements"] == total and result["uncovered"] == [], result
    # honest coverage: a requirement only placeholder cases trace is "weakly covered", not covered
    assert result["covered_requirements"] + len(result["weakly_covered"]) == total, result
    # ... such as "Marketing opt-in may be offered.", whose sentence names no action to take and no
    # outcome to see (only a placeholder step "Exercise the behaviour" traces it)
    [weak] = [q for d in documents for q in d["requirements"] if q["key"] in result["weakly_covered"]]
    assert weak["title"] == "Marketing opt-in may be offered.", weak
    plan = (await api.get(f"/api/v1/projects/{pid}/plans/{result['plan_id']}")).json()
    assert plan["generated_by"] == "offline" and plan["sections"]["exit_criteria"]
    suites = (await api.get(f"/api/v1/projects/{pid}/suites", params={"plan_id": result["plan_id"]})).json()["items"]
    assert {"Checkout", "Negative", "Security"} <= {s["name"] for s in suites}
    cases = (await api.get(f"/api/v1/projects/{pid}/cases", params={"tag": "boundary", "limit": 500})).json()["items"]
    assert any("64 characters is accepted" in c["title"] for c in cases)
    assert all(c["ai_generated"] and c["requirement_ids"] for c in cases)
    matrix = (await api.get(f"/api/v1/projects/{pid}/plans/{result['plan_id']}/traceability")).json()
    assert matrix["total"] == total and all(row["cases"] for row in matrix["requirements"])
    assert matrix["weakly_covered"] == result["weakly_covered"] and matrix["covered"] == total - 1
    assert matrix["coverage"] == round((total - 1) / total, 4)
    login = (await api.get(f"/api/v1/projects/{pid}/cases", params={"q": "/login", "limit": 50})).json()["items"]
    assert any(c["executable_steps"] and c["executable_steps"][0]["action"] == "goto" for c in login) or any(
        c["executable_steps"] for c in (await api.get(f"/api/v1/projects/{pid}/cases", params={"limit": 500})).json()["items"])


async def test_regenerating_a_suite_keeps_what_people_edited(api: httpx.AsyncClient, project: dict) -> None:
    pid = project["id"]
    await upload(api, pid, ("login_spec.md", (FIXTURES / "login_spec.md").read_bytes()))
    first = await generate(api, pid, engine="offline")
    suites = (await api.get(f"/api/v1/projects/{pid}/suites", params={"plan_id": first["result"]["plan_id"]})).json()["items"]
    negative = next(s for s in suites if s["name"] == "Negative")
    before = (await api.get(f"/api/v1/projects/{pid}/cases", params={"suite_id": negative["id"], "limit": 500})).json()["items"]
    edited = before[0]
    r = await api.patch(f"/api/v1/projects/{pid}/cases/{edited['id']}", params={"wait": "true"},
                        json={"title": "Edited by a person"})
    assert r.status_code == 200
    again = await generate(api, pid, engine="offline", suite_id=negative["id"])
    assert again["status"] == "completed", again

    async def replaced():
        items = (await api.get(f"/api/v1/projects/{pid}/cases", params={"suite_id": negative["id"], "limit": 500})).json()["items"]
        return items if len(items) == len(before) + 1 else None
    after = await eventually(replaced)
    ids = {c["id"] for c in after}
    assert edited["id"] in ids  # kept, with the person's title
    assert next(c for c in after if c["id"] == edited["id"])["title"] == "Edited by a person"
    assert not ({c["id"] for c in before[1:]} & ids)  # the untouched generated ones were replaced


async def test_llm_engine_end_to_end_with_a_timeout_retried_by_temporal(api: httpx.AsyncClient, project: dict,
                                                                        fake_llm: FakeLlm) -> None:
    pid = project["id"]
    await upload(api, pid, ("checkout.feature", (FIXTURES / "checkout_stories.feature").read_bytes()))
    calls = len(fake_llm.requests)
    fake_llm.script["gpt-4o-mini"].append(("sleep", 5))  # over the 3 s timeout
    fake_llm.script["gpt-4o"].append(("sleep", 5))  # the fallback too: the activity fails, Temporal retries it
    status = await generate(api, pid, engine="llm", timeout=120)
    assert status["status"] == "completed", status
    result = status["result"]
    assert result["engine"].startswith("llm") and result["tokens"] > 0 and result["cost_usd"] > 0
    assert result["covered_requirements"] == result["total_requirements"] == 3
    assert len(fake_llm.requests) - calls >= 4  # timed-out calls, then the retried activity's calls
    cases = (await api.get(f"/api/v1/projects/{pid}/cases", params={"q": "LLM case", "limit": 100})).json()
    assert cases["total"] == 3


def test_cli_requirements_add_and_generate(stack: PlatformStack, tmp_path: Path) -> None:
    cli = cli_for(stack, timeout=180)

    import json

    pid = json.loads(cli("projects", "create", "--name", "cli-gen", "--json").stdout)["id"]
    added = cli("requirements", "add", str(FIXTURES / "stories.json"), str(FIXTURES / "stories.csv"), "-p", pid, "--json")
    assert added.returncode == 0, added.stderr
    documents = json.loads(added.stdout)["documents"]
    assert [[r["key"] for r in d["requirements"]] for d in documents] == [["SHOP-11", "SHOP-12"], ["US-1", "US-2"]]
    generated = cli("generate", "-p", pid, "--engine", "offline", "--wait", "--json")
    assert generated.returncode == 0, generated.stderr
    summary = json.loads(generated.stdout)
    assert summary["coverage"] == {"covered": 4, "total": 4, "ratio": 1.0, "weakly_covered": [], "uncovered": []}
    quality = summary["quality"]  # the quality report: placeholder steps are counted, never hidden
    assert quality["requirements"] == 4 and quality["cases"] == summary["cases"] and "generic_steps" in quality
    assert summary["suites"] >= 2 and summary["cases"] >= 4
    matrix = cli("plans", "matrix", summary["plan_id"], "-p", pid, "--json")
    assert json.loads(matrix.stdout)["coverage"] == 1.0
    (tmp_path / "evil.pdf").write_bytes(b"MZ" + b"\x00" * 100)
    refused = cli("requirements", "add", str(tmp_path / "evil.pdf"), "-p", pid)
    assert refused.returncode == 2 and "415" in refused.stderr


async def test_regenerating_one_case_replaces_its_content_in_place(api: httpx.AsyncClient, project: dict) -> None:
    pid = project["id"]
    await upload(api, pid, ("login_spec.md", (FIXTURES / "login_spec.md").read_bytes()))
    first = await generate(api, pid, engine="offline")
    cases = (await api.get(f"/api/v1/projects/{pid}/cases", params={"tag": "boundary", "limit": 500})).json()["items"]
    target = next(c for c in cases if "65 characters" in c["title"] or "64 characters" in c["title"])
    await api.patch(f"/api/v1/projects/{pid}/cases/{target['id']}", params={"wait": "true"},
                    json={"title": "a person's rewrite", "steps": [{"action": "x", "expected": "y"}]})
    total_before = (await api.get(f"/api/v1/projects/{pid}/cases", params={"limit": 1})).json()["total"]
    again = await generate(api, pid, engine="offline", case_id=target["id"])
    assert again["status"] == "completed" and again["result"]["cases"] == 1, again

    async def regenerated():
        case = (await api.get(f"/api/v1/projects/{pid}/cases/{target['id']}")).json()
        return case if case["title"] != "a person's rewrite" else None
    case = await eventually(regenerated)
    assert case["title"] == target["title"] and case["requirement_ids"] == target["requirement_ids"]
    assert case["metadata"]["regenerated"] is True
    assert (await api.get(f"/api/v1/projects/{pid}/cases", params={"limit": 1})).json()["total"] == total_before
    assert first["result"]["plan_id"]


async def test_a_feature_the_model_fails_gets_offline_cases_and_the_others_keep_theirs(
        api: httpx.AsyncClient, project: dict, fake_llm: FakeLlm) -> None:
    from tests.support.fake_llm import good_answer

    pid = project["id"]
    spec = (b"# Shop\n\n## Returns\n\nRET-1: Customers shall return an item within 30 days.\n\n"
            b"## Vouchers\n\nVOU-1: A voucher code must be between 6 and 12 characters long.\n")
    assert (await upload(api, pid, ("shop.md", spec))).status_code == 201

    def answer(body: dict) -> str:  # the model answers the Vouchers feature with cases of requirements it was not given
        user = next(m["content"] for m in body["messages"] if m["role"] == "user")
        if "VOU-1" in user and "test plan" not in user:
            return json.dumps({"cases": [{"title": "made up", "steps": [{"action": "a"}], "expected_result": "b",
                                          "requirement_keys": []}]})
        return good_answer(body)
    for model in ("gpt-4o-mini", "gpt-4o"):
        fake_llm.script[model].extend([answer] * 8)
    calls = len(fake_llm.requests)
    status = await generate(api, pid, engine="llm", timeout=180)
    answered = len(fake_llm.requests) - calls
    for model in ("gpt-4o-mini", "gpt-4o"):
        fake_llm.script[model].clear()
    assert status["status"] == "completed", status
    result = status["result"]
    assert result["engine"].startswith("llm") and result["covered_requirements"] == 2
    assert result["tokens"] == 1500 * answered  # every answered call is counted, the failed attempts too
    [fallback] = result["quality"]["offline_fallbacks"]
    assert fallback.startswith("Vouchers:")
    cases = (await api.get(f"/api/v1/projects/{pid}/cases", params={"limit": 100})).json()["items"]
    assert any(c["title"].startswith("LLM case for RET-1") for c in cases)  # the good feature's model cases kept
    assert any("VOU-1" in c["title"] and c["generated_by"] for c in cases)  # offline cases for the failed one


async def test_a_spent_budget_stops_model_calls_with_a_clear_reason(api: httpx.AsyncClient, project: dict,
                                                                     fake_llm: FakeLlm) -> None:
    pid = project["id"]
    spec = b"# Shop\n\n## Returns\n\nRET-1: Customers shall return an item within 30 days.\n"
    assert (await upload(api, pid, ("shop.md", spec))).status_code == 201
    first = await generate(api, pid, engine="llm", timeout=120)  # paid for: the month's spend is its cost
    assert first["status"] == "completed" and first["result"]["cost_usd"] > 0, first
    r = await api.patch(f"/api/v1/projects/{pid}", params={"wait": "true"},
                        json={"settings": {"llm_budget_usd": first["result"]["cost_usd"] / 2}})
    assert r.status_code == 200, r.text
    calls = len(fake_llm.requests)
    second = await generate(api, pid, engine="llm", timeout=120)
    assert second["status"] == "completed" and len(fake_llm.requests) == calls  # no model call at all
    [fallback] = second["result"]["quality"]["offline_fallbacks"]
    assert fallback.startswith("Returns:") and "budget is spent" in fallback and "llm_budget_usd" in fallback
    assert second["result"]["covered_requirements"] == 1  # the offline engine's cases, said to be theirs


async def test_a_rate_limited_model_shows_its_attempt_error_and_next_try_then_succeeds(
        api: httpx.AsyncClient, project: dict, fake_llm: FakeLlm) -> None:
    pid = project["id"]
    spec = b"# Shop\n\n## Returns\n\nRET-1: Customers shall return an item within 30 days.\n"
    assert (await upload(api, pid, ("shop.md", spec))).status_code == 201
    for model in ("gpt-4o-mini", "gpt-4o"):  # the first two attempts: both models say 429
        fake_llm.script[model].extend([429, 429])
    r = await api.post(f"/api/v1/projects/{pid}/generations", json={"engine": "llm"})
    gid = r.json()["resource_id"]
    seen: list[dict] = []

    async def finished():
        got = await api.get(f"/api/v1/projects/{pid}/generations/{gid}")
        if got.status_code != 200:
            return None
        state = got.json()
        if (state.get("progress") or {}).get("stage") == "retrying":
            seen.append(state["progress"])
        return state if state["status"] in ("completed", "failed") else None
    state = await eventually(finished, timeout=180, interval=0.2)
    for model in ("gpt-4o-mini", "gpt-4o"):
        fake_llm.script[model].clear()
    assert state["status"] == "completed", state
    assert seen, "the record never showed the failed attempt"
    note = seen[0]
    assert note["attempt"] >= 1 and note["last_error"].startswith("rate limited by the provider")
    assert note["next_retry_at"] and "next try at" in note["message"]
    assert "Model Group" not in note["message"]  # no raw provider text


async def test_a_refused_api_key_is_not_retried_and_says_so_plainly(api: httpx.AsyncClient, project: dict,
                                                                    fake_llm: FakeLlm) -> None:
    pid = project["id"]
    spec = b"# Shop\n\n## Returns\n\nRET-1: Customers shall return an item within 30 days.\n"
    assert (await upload(api, pid, ("shop.md", spec))).status_code == 201
    for model in ("gpt-4o-mini", "gpt-4o"):
        fake_llm.script[model].extend([401] * 4)
    calls = len(fake_llm.requests)
    state = await generate(api, pid, engine="llm", timeout=120)
    answered = len(fake_llm.requests) - calls
    for model in ("gpt-4o-mini", "gpt-4o"):
        fake_llm.script[model].clear()
    assert answered <= 4  # one attempt each for the plan and the feature (both models), never retried
    assert state["status"] == "failed" and "refused the API key" in state["error"], state


async def test_an_answer_over_temporals_payload_limit_completes_through_the_blob_store(
        stack: PlatformStack, api: httpx.AsyncClient, project: dict, fake_llm: FakeLlm) -> None:
    """500 cases × 12 steps (~2.6 MB, over Temporal's 2 MB payload limit): the feature's cases and the
    publish job travel by reference through the blob store, the model is asked once, every case lands."""
    from tests.support.fake_llm import good_answer

    pid = project["id"]
    spec = b"# Shop\n\n## Search\n\nSRC-1: Customers shall find a product by any word of its name.\n"
    assert (await upload(api, pid, ("search.md", spec))).status_code == 201
    filler = "with the catalogue seeded from the fixture file and the search index rebuilt beforehand " * 4

    def huge(body: dict) -> str:
        user = next(m["content"] for m in body["messages"] if m["role"] == "user")
        if "test plan" in user:
            return good_answer(body)
        return json.dumps({"cases": [
            {"title": f"Search for product word {i} of the catalogue", "category": "functional",
             "steps": [{"action": f"Type word {i}.{s} into the search box {filler}",
                        "expected": f"Product {i}.{s} is listed {filler}"} for s in range(12)],
             "expected_result": f"Product {i} is found", "priority": "medium", "requirement_keys": ["SRC-1"],
             "confidence": 0.7, "confidence_reasons": ["model"]} for i in range(500)]})
    for model in ("gpt-4o-mini", "gpt-4o"):
        fake_llm.script[model].extend([huge] * 4)
    assert len(huge({"messages": [{"role": "user", "content": ""}]})) > 2_200_000
    calls = len(fake_llm.requests)
    state = await generate(api, pid, engine="llm", timeout=300)
    answered = len(fake_llm.requests) - calls
    for model in ("gpt-4o-mini", "gpt-4o"):
        fake_llm.script[model].clear()
    assert state["status"] == "completed", state
    assert answered == 2 and not state["result"]["quality"].get("offline_fallbacks")  # the plan, then one feature call
    count = (await api.get(f"/api/v1/projects/{pid}/cases", params={"limit": 1, "q": "product word"})).json()
    assert count["total"] >= 500, count
