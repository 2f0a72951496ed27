"""Upload steps send only files of the fixtures directory: a step naming a file of the host is
refused when the case is saved (by a person, a model or an import) and again at run time (where
variables and symlinks are known), and a fixture file really reaches the page."""

import os
import uuid

import httpx

from tests.integration.test_execution import make_case, run_and_wait, suite_of
from tests.support.demo_app import DemoApp
from tests.support.stack import PlatformStack

UPLOAD = {"action": "upload", "target": {"label": "File"}}


async def test_a_case_naming_a_host_file_is_refused_when_saved(stack: PlatformStack, api: httpx.AsyncClient,
                                                               project: dict) -> None:
    base = f"/api/v1/projects/{project['id']}/cases"
    secret = str(stack.settings.data_dir / "secrets" / "admin-token")
    for files in ([secret], ["../secrets/admin-token"], ["~/.ssh/id_rsa"], ["file:///etc/passwd"]):
        r = await api.post(base, json={"title": "exfiltrate", "executable_steps": [
            {"action": "goto", "url": "/upload"}, {**UPLOAD, "files": files}]})
        assert r.status_code == 422 and "fixtures directory" in r.text, (files, r.text)
    r = await api.post(base, json={"title": "a project file", "executable_steps": [
        {**UPLOAD, "files": [f"file:{uuid.uuid4()}"]}]})
    assert r.status_code == 202, r.text  # a project file id: checked against the run's project when it runs
    case = (await api.post(base, params={"wait": "true"}, json={"title": "fine"})).json()
    r = await api.patch(f"{base}/{case['id']}", json={"executable_steps": [{**UPLOAD, "files": [secret]}]})
    assert r.status_code == 422
    r = await api.post(base, json={"title": "js", "executable_steps": [{"action": "goto", "url": "javascript:alert(1)"}]})
    assert r.status_code == 422 and "http" in r.text


async def test_fixture_files_upload_and_anything_else_is_refused_at_run_time(
        stack: PlatformStack, api: httpx.AsyncClient, project: dict, demo: DemoApp) -> None:
    pid = project["id"]
    fixtures = stack.settings.execution.fixtures_dir
    assert fixtures is not None
    link = fixtures / "innocent.txt"
    if not link.exists():
        os.symlink(stack.settings.data_dir / "secrets" / "admin-token", link)  # points out of the fixtures
    suite = await suite_of(api, pid, "Uploads")
    good = await make_case(api, pid, suite, "upload a fixture", [
        {"action": "goto", "url": "/upload"}, {**UPLOAD, "files": ["sample.txt"]},
        {"action": "expect_text", "target": {"css": "#out"}, "text": "sample.txt: hello from the fixtures"}])
    through_link = await make_case(api, pid, suite, "upload through a symlink", [
        {"action": "goto", "url": "/upload"}, {**UPLOAD, "files": ["innocent.txt"]}])
    through_variable = await make_case(api, pid, suite, "upload a path from a variable", [
        {"action": "goto", "url": "/upload"}, {**UPLOAD, "files": ["{{where}}"]}])
    run, results = await run_and_wait(api, pid, suite_id=suite, environment={
        "base_url": demo.url, "variables": {"where": str(stack.settings.data_dir / "secrets" / "admin-token")}})
    by_case = {r["case_id"]: r for r in results}
    assert by_case[good["id"]]["outcome"] == "passed", by_case[good["id"]]
    for case in (through_link, through_variable):
        result = by_case[case["id"]]
        assert result["outcome"] != "passed" and "refused" in (result.get("error") or ""), result
    assert run["totals"]["passed"] == 1


async def test_a_project_uploads_its_own_files_and_only_it_can_send_them(
        stack: PlatformStack, api: httpx.AsyncClient, project: dict, demo: DemoApp) -> None:
    pid = project["id"]
    other = (await api.post("/api/v1/projects", params={"wait": "true"}, json={"name": "other files"})).json()["id"]
    stored = await api.post(f"/api/v1/projects/{pid}/files", params={"wait": "true"},
                            files=[("files", ("invoice.csv", b"id,total\n1,42\n", "text/csv")),
                                   ("files", ("avatar.txt", b"a picture of a cat\n", "text/plain"))])
    assert stored.status_code == 201, stored.text
    invoice, avatar = stored.json()["files"]
    assert invoice["name"] == "invoice.csv" and invoice["ref"] == f"file:{invoice['id']}" and invoice["size_bytes"] == 14
    listed = (await api.get(f"/api/v1/projects/{pid}/files")).json()["items"]
    assert [f["name"] for f in listed] == ["invoice.csv", "avatar.txt"]
    assert (await api.get(f"/api/v1/projects/{pid}/files/{invoice['id']}")).content == b"id,total\n1,42\n"
    assert (await api.get(f"/api/v1/projects/{other}/files/{invoice['id']}")).status_code == 404
    foreign = (await api.post(f"/api/v1/projects/{other}/files", params={"wait": "true"},
                              files=[("files", ("theirs.txt", b"not yours", "text/plain"))])).json()["files"][0]
    huge = await api.post(f"/api/v1/projects/{pid}/files", files=[("files", ("big.bin", b"x" * 25_000_100))])
    assert huge.status_code == 413 and "limit" in huge.json()["message"]

    suite = await suite_of(api, pid, "Project files")
    sends = await make_case(api, pid, suite, "upload the project's file", [
        {"action": "goto", "url": "/upload"}, {**UPLOAD, "files": [invoice["ref"]]},
        {"action": "expect_text", "target": {"css": "#out"}, "text": "invoice.csv: id,total"}])
    borrows = await make_case(api, pid, suite, "upload another project's file", [
        {"action": "goto", "url": "/upload"}, {**UPLOAD, "files": [foreign["ref"]]}])
    removed = await make_case(api, pid, suite, "upload a removed file", [
        {"action": "goto", "url": "/upload"}, {**UPLOAD, "files": [avatar["ref"]]}])
    gone = await api.delete(f"/api/v1/projects/{pid}/files/{avatar['id']}", params={"wait": "true"})
    assert gone.status_code == 200, gone.text
    assert [f["name"] for f in (await api.get(f"/api/v1/projects/{pid}/files")).json()["items"]] == ["invoice.csv"]
    run, results = await run_and_wait(api, pid, suite_id=suite, environment={"base_url": demo.url})
    by_case = {r["case_id"]: r for r in results}
    assert by_case[sends["id"]]["outcome"] == "passed", by_case[sends["id"]]
    assert "this project has no such file" in by_case[borrows["id"]]["error"], by_case[borrows["id"]]
    assert "avatar.txt was removed" in by_case[removed["id"]]["error"], by_case[removed["id"]]
    assert run["totals"]["passed"] == 1
    # a file's bytes are only ever named by the files route: a raw event pointing at a blob is refused
    raw = await api.post("/api/v1/events", json={"type": "file.uploaded", "subject": pid, "data": {
        "file_id": str(uuid.uuid4()), "name": "x", "media_type": "text/plain", "size_bytes": 1, "sha256": "0" * 64,
        "blob_ref": "blob:sha256:" + "0" * 64}})
    assert raw.status_code == 403 and "published by the platform itself" in raw.text, raw.text


async def test_the_step_language_for_people_writing_steps_by_hand(api: httpx.AsyncClient, project: dict,
                                                                  demo: DemoApp) -> None:
    """reload, go_back, targets by placeholder and by title, expect_url as substring or regular
    expression, and failures that say what was expected *and* what was found."""
    pid = project["id"]
    suite = await suite_of(api, pid, "By hand")
    fine = await make_case(api, pid, suite, "written by hand", [
        {"action": "goto", "url": "/steps"},
        {"action": "fill", "target": {"placeholder": "Search products"}, "value": "lamp"},
        {"action": "expect_value", "target": {"placeholder": "Search products"}, "value": "lamp"},
        {"action": "expect_text", "target": {"title": "Cart total"}, "text": "42 EUR"},
        {"action": "click", "target": {"role": "link", "name": "Next page"}},
        {"action": "expect_url", "pattern": r"list\?page=\d"},  # a regular expression
        {"action": "go_back"},
        {"action": "expect_url", "pattern": "/steps"},  # a substring
        {"action": "reload"},
        {"action": "expect_title", "text": "Steps"}])
    counted = await make_case(api, pid, suite, "says what it found", [
        {"action": "goto", "url": "/list"}, {"action": "expect_count", "target": {"test_id": "product"}, "count": 1}])
    _, results = await run_and_wait(api, pid, suite_id=suite, environment={"base_url": demo.url})
    by_case = {r["case_id"]: r for r in results}
    assert by_case[fine["id"]]["outcome"] == "passed", by_case[fine["id"]]
    error = by_case[counted["id"]]["error"]
    assert "count '1'" in error and "Actual value: 3" in error, error  # what it expected and what it found


def test_cases_create_takes_a_steps_file(stack: PlatformStack) -> None:
    import json

    from tests.support.cli import cli_for

    cli = cli_for(stack)
    pid = json.loads(cli("projects", "create", "--name", "steps file", "--json").stdout)["id"]
    steps = stack.settings.data_dir / "login.yaml"
    steps.write_text("- action: goto\n  url: /login\n- action: fill\n  target: {label: Email}\n  value: a@b.c\n"
                     "- action: expect_text\n  text: Welcome back\n")
    made = cli("cases", "create", "-p", pid, "--title", "login from a file", "--steps", str(steps), "--json")
    assert made.returncode == 0, made.stderr
    assert [s["action"] for s in json.loads(made.stdout)["executable_steps"]] == ["goto", "fill", "expect_text"]
    steps.write_text("- action: teleport\n")
    refused = cli("cases", "create", "-p", pid, "--title", "bad", "--steps", str(steps))
    assert refused.returncode == 2 and "--steps: step 0" in refused.stderr, refused.stderr
    steps.write_text("- action: upload\n  target: {label: File}\n  files: [/etc/passwd]\n")
    refused = cli("cases", "create", "-p", pid, "--title", "bad", "--steps", str(steps))
    assert refused.returncode == 2 and "fixtures directory" in refused.stderr, refused.stderr


def test_files_from_the_command_line(stack: PlatformStack) -> None:
    import json

    from tests.support.cli import cli_for

    cli = cli_for(stack)
    pid = json.loads(cli("projects", "create", "--name", "files cli", "--json").stdout)["id"]
    data = stack.settings.data_dir / "march.pdf"
    data.write_bytes(b"%PDF-1.4 an invoice\n")
    stored = cli("files", "upload", str(data), "-p", pid)
    assert stored.returncode == 0 and stored.stdout.startswith("file:") and "march.pdf" in stored.stdout, stored.stderr
    ref = stored.stdout.split()[0]
    listed = json.loads(cli("files", "list", "-p", pid, "--json").stdout)["items"]
    assert [(f["ref"], f["name"], f["media_type"]) for f in listed] == [(ref, "march.pdf", "application/pdf")]
    assert cli("files", "delete", ref.removeprefix("file:"), "-p", pid).returncode == 0
    assert json.loads(cli("files", "list", "-p", pid, "--json").stdout)["items"] == []
    missing = cli("files", "upload", str(data.with_name("nope.pdf")), "-p", pid)
    assert missing.returncode == 2 and "Traceback" not in missing.stderr
