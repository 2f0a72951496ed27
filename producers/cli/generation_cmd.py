"""`cognitest requirements add|list`, `cognitest generate`, `cognitest plans matrix`."""


import time
from pathlib import Path

import typer

from cognitest.producers.cli import dry_run
from cognitest.producers.cli.client import Api
from cognitest.producers.cli.exits import BAD_INPUT, FAILED, CliError, fail
from cognitest.producers.cli.output import console, emit_json, show

requirements_app = typer.Typer(help="Upload requirement documents and read their atomic requirements.", no_args_is_help=True)
API = typer.Option(None, "--api", envvar="COGNITEST_API", help="API base URL")
JSON = typer.Option(False, "--json", help="print only JSON")
PROJECT = typer.Option(..., "--project", "-p", envvar="COGNITEST_PROJECT", help="project id")


@requirements_app.command("add")
def add(files: list[Path] = typer.Argument(..., help="PDF, DOCX, Markdown, text, HTML, Gherkin, JSON or CSV files"),
        project: str = PROJECT, no_wait: bool = typer.Option(False, "--no-wait", help="do not wait for parsing"),
        api: str = API, as_json: bool = JSON) -> None:
    """Upload documents; prints each document's id and its parsed requirements. Exit 2 if any is rejected."""
    documents = Api(api, timeout=120).upload(f"/api/v1/projects/{project}/requirements", "files", files,
                                             params=None if no_wait else {"wait": "true"})["documents"]
    if as_json:
        emit_json({"documents": [{"id": d.get("id", d.get("document_id")), "filename": d["filename"],
                                  "status": d.get("status", "uploaded"), "reason": d.get("reason"),
                                  "requirements": d.get("requirements", [])} for d in documents]})
    else:
        for d in documents:
            console.print(f"[bold]{d['filename']}[/] {d.get('id', d.get('document_id'))} — {d.get('status', 'uploaded')}"
                          + (f": {d['reason']}" if d.get("reason") else ""))
            for r in d.get("requirements", []):
                where = f"L{r['lines'][0]}" + (f"-{r['lines'][1]}" if r["lines"][1] != r["lines"][0] else "") \
                    if r.get("lines") else ""
                console.print(f"  {r['key']:<10} {r['priority']:<8} {r['kind']:<15} {where:<8} {r['title'][:80]}")
    if any(d.get("status") == "rejected" for d in documents):
        raise SystemExit(BAD_INPUT)


@requirements_app.command("list")
def list_requirements(project: str = PROJECT, document: str = typer.Option(None, "--document"), api: str = API,
                      as_json: bool = JSON) -> None:
    """List the project's atomic requirements."""
    show(Api(api).get(f"/api/v1/projects/{project}/requirements", document_id=document), as_json=as_json,
         columns=["key", "priority", "kind", "section", "title"], title="requirements")


def generate(project: str = PROJECT,
             document: list[str] = typer.Option(None, "--document", "-d", help="only these documents (repeat)"),
             suite: str = typer.Option(None, "--suite", help="regenerate this suite (edited cases are kept)"),
             case: str = typer.Option(None, "--case", help="regenerate this case"),
             engine: str = typer.Option(None, "--engine", help="offline or llm (default: llm when configured)"),
             base_url: str = typer.Option(None, "--base-url", help="app-aware: explore this running web app, ground the "
                                          "cases in its pages and dry-run the executable ones"),
             pages: int = typer.Option(10, "--pages", min=1, max=50, help="with --base-url: pages to explore at most"),
             allow_destructive: bool = typer.Option(False, "--allow-destructive",
                                                    help="with --base-url: follow links such as 'Delete' or 'Log out'"),
             verify: bool = typer.Option(True, "--verify/--no-verify", help="with --base-url: dry-run executable cases"),
             wait: bool = typer.Option(False, "--wait", help="show progress and wait for the result (and the dry run)"),
             timeout: float = typer.Option(900, "--timeout", help="seconds to wait"),
             api: str = API, as_json: bool = JSON) -> None:
    """Generate a test plan, suites and cases from the project's requirements. Exit 1 if the generation fails."""
    client = Api(api)
    body: dict = {"document_ids": document or [], "suite_id": suite, "case_id": case, "engine": engine}
    if base_url:
        body["app"] = {"base_url": base_url, "max_pages": pages, "allow_destructive": allow_destructive, "verify": verify}
    accepted = client.post(f"/api/v1/projects/{project}/generations", {k: v for k, v in body.items() if v})
    generation_id = accepted["resource_id"]
    if not wait:
        emit_json({"generation_id": generation_id}) if as_json else print(generation_id)
        return
    with console.status("generating…", spinner="dots") as spinner:
        def show_progress(state: dict) -> None:
            progress = state.get("progress") or {}
            if not as_json and progress:
                spinner.update(f"{progress.get('stage')}: {progress.get('done')}/{progress.get('total')} "
                               f"{progress.get('message') or ''}")
        status = client.until(f"/api/v1/projects/{project}/generations/{generation_id}",
                              lambda s: s.get("status") in ("completed", "failed"), timeout, 0.3, show_progress)
    if status.get("status") == "failed":
        if as_json:
            emit_json({"generation_id": generation_id, "status": "failed", "error": status.get("error")})
        raise CliError(f"generation failed: {status.get('error')}", FAILED)
    if status.get("status") != "completed":
        raise CliError(f"generation {generation_id} did not finish within {timeout:.0f}s", FAILED)
    result = status["result"]
    covered, total = result["covered_requirements"], result["total_requirements"]
    summary = {"generation_id": generation_id, "plan_id": result["plan_id"], "suites": result["suites"],
               "cases": result["cases"], "engine": result.get("engine"), "tokens": result.get("tokens", 0),
               "cost_usd": result.get("cost_usd", 0.0),
               "coverage": {"covered": covered, "total": total, "ratio": round(covered / total, 4) if total else 1.0,
                            "weakly_covered": result.get("weakly_covered", []), "uncovered": result.get("uncovered", [])},
               "quality": result.get("quality", {})}
    if result.get("app"):
        summary["app"] = dry_run.follow(client, project, result["app"], result["cases"], timeout)
    if as_json:
        emit_json(summary)
        return
    console.print(f"Plan {summary['plan_id']}: {summary['suites']} suites, {summary['cases']} cases "
                  f"({summary['engine']})")
    weak, uncovered = summary["coverage"]["weakly_covered"], summary["coverage"]["uncovered"]
    console.print(f"Coverage: {covered}/{total} requirements covered by concrete cases"
                  + (f"; weakly covered (placeholder cases only): {', '.join(weak)}" if weak else "")
                  + (f"; uncovered: {', '.join(uncovered)}" if uncovered else ""))
    quality = summary["quality"]
    if quality:
        console.print(f"Quality: {quality.get('cases_per_requirement', 0)} cases per requirement, "
                      f"{quality.get('generic_steps', 0)} placeholder step(s), "
                      f"{quality.get('duplicates_merged', 0)} duplicate(s) merged")
    if quality.get("note"):
        console.print(f"[yellow]{quality['note']}[/]")
    for fallback in quality.get("offline_fallbacks") or []:
        console.print(f"[yellow]The model failed a feature; the offline engine wrote its cases: {fallback}[/]")
    history = quality.get("history") or {}
    if history.get("note"):
        console.print(f"History: {history['note']}")
    elif history:
        without = history.get("without_history") or []
        console.print(f"History: {history.get('requirements_with_history', 0)} requirement(s) shaped by judged cases of "
                      f"similar earlier ones" + (f"; none close enough for {len(without)} (nearest: " + ", ".join(
                          f"{w['key']} {w['nearest']:.2f}" for w in without[:5]) + (" ..." if len(without) > 5 else "")
                          + ")" if without else ""))
    for line in dry_run.describe(summary["app"]) if summary.get("app") else []:
        console.print(line)


def matrix(plan: str = typer.Argument(..., metavar="PLAN_ID"), project: str = PROJECT, api: str = API,
           as_json: bool = JSON) -> None:
    """The traceability matrix of a plan: each requirement with the cases that cover it."""
    data = Api(api).get(f"/api/v1/projects/{project}/plans/{plan}/traceability")
    if as_json:
        emit_json(data)
        return
    for row in data["requirements"]:
        marker = {"covered": "[green]✓[/]", "weak": "[yellow]~[/]"}.get(row.get("status", ""), "[red]✗[/]")
        console.print(f"{marker} {row['key']:<10} {len(row['cases']):>3} case(s)  {row['title'][:70]}")
    console.print(f"Coverage {data['covered']}/{data['total']} ({data['coverage']:.0%}); "
                  f"{data.get('weak', 0)} weakly covered (~: placeholder cases only), {len(data['uncovered'])} uncovered")


__all__ = ["generate", "matrix", "requirements_app"]


def report(files: list[Path] = typer.Argument(..., help="JUnit XML files (one run)"), project: str = PROJECT,
           run_name: str = typer.Option(None, "--run-name"), commit: str = typer.Option(None, "--commit"),
           branch: str = typer.Option(None, "--branch"),
           fail_on_failure: bool = typer.Option(False, "--fail-on-failure", help="exit 1 when a test failed or errored"),
           force: bool = typer.Option(False, "--force", help="import again as a new run even if this report was imported before"),
           api: str = API, as_json: bool = JSON) -> None:
    """Import CI results (JUnit XML from pytest, Surefire, Gradle, jest-junit, go-junit-report ...) as one run.
    The same report imported again is recognised: the existing run is shown and nothing changes."""
    data = {k: v for k, v in {"run_name": run_name, "commit": commit, "branch": branch}.items() if v}
    params: dict[str, str] = {"wait": "true", **({"force": "true"} if force else {})}
    result = Api(api, timeout=300).upload(f"/api/v1/projects/{project}/results", "files", files, data=data,
                                          params=params)
    totals = result["totals"]
    if as_json:
        emit_json({"run_id": result["run_id"], "tests": totals["total"], "passed": totals["passed"],
                   "failed": totals["failed"], "errors": totals["errors"], "skipped": totals["skipped"],
                   "cases_created": result["cases_created"], "duplicate": bool(result.get("duplicate"))})
    else:
        if result.get("duplicate"):
            console.print(f"already imported as run {result['run_id']}: nothing changed (--force imports it again)")
        console.print(f"run {result['run_id']}: {totals['total']} tests, {totals['passed']} passed, "
                      f"{totals['failed']} failed, {totals['errors']} errors, {totals['skipped']} skipped")
    if fail_on_failure and (totals["failed"] or totals["errors"]):
        raise SystemExit(FAILED)


def read_environment(path: Path) -> dict:
    """A run's environment from a file: Cognitest's shape as it is, a Postman environment export
    (`{"values": [{"key", "value", "enabled"}]}`) as its enabled variables."""
    import json

    try:
        loaded = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError) as exc:
        fail(f"--env {path}: {exc}")
    if not isinstance(loaded, dict):
        fail(f"--env {path}: not a JSON object")
    values = loaded.get("values")
    if isinstance(values, list) and ("_postman_variable_scope" in loaded or all(isinstance(v, dict) and "key" in v for v in values)):
        return {"variables": {str(v["key"]): v.get("value") for v in values
                              if isinstance(v, dict) and v.get("key") and v.get("enabled", True)}}
    return loaded


def run(project: str = PROJECT, suite: str = typer.Option(None, "--suite"), plan: str = typer.Option(None, "--plan"),
        case: list[str] = typer.Option(None, "--case", help="a case id (repeat)"),
        collection: str = typer.Option(None, "--collection", help="run an API collection"),
        base_url: str = typer.Option(None, "--base-url", help="environment base URL"),
        env: Path = typer.Option(None, "--env", help="a JSON file with the environment: a Postman environment export, "
                                 "or Cognitest's own ({\"base_url\": ..., \"variables\": {...}})"),
        browser: list[str] = typer.Option(None, "--browser", help="chromium, firefox, webkit (repeat)"),
        parallel: int = typer.Option(1, "--parallel", min=1, max=64), retries: int = typer.Option(0, "--retries", min=0, max=10),
        name: str = typer.Option(None, "--name"), wait: bool = typer.Option(False, "--wait", help="follow and exit 1 if it fails"),
        timeout: float = typer.Option(3600, "--timeout"), api: str = API, as_json: bool = JSON) -> None:
    """Start a run; with --wait, print each case as it finishes and exit 1 when the run fails (a CI gate)."""
    environment: dict = {}
    if env is not None:
        environment = read_environment(env)
    if base_url:
        environment["base_url"] = base_url
    body = {"name": name, "suite_id": suite, "plan_id": plan, "case_ids": case or [], "collection_id": collection,
            "environment": environment, "browsers": browser or ["chromium"], "parallelism": parallel, "retries": retries}
    client = Api(api)
    run_id = client.post(f"/api/v1/projects/{project}/runs", {k: v for k, v in body.items() if v not in (None, [])})["resource_id"]
    if not wait:
        emit_json({"run_id": run_id}) if as_json else print(run_id)
        return
    deadline, shown, state = time.monotonic() + timeout, set(), {}
    while time.monotonic() < deadline:
        try:
            state = client.get(f"/api/v1/projects/{project}/runs/{run_id}")
        except CliError as exc:
            if "not found" not in str(exc):
                raise
            time.sleep(0.3)
            continue
        results = client.get(f"/api/v1/projects/{project}/runs/{run_id}/results", limit=5000)["items"]
        if not as_json:  # each case once, by its id and key: the list is ordered failures first and changes between polls
            for r in [r for r in results if (r["case_id"], r["key"]) not in shown]:
                mark = {"passed": "[green]PASS[/]", "flaky": "[yellow]FLAKY[/]", "manual": "[blue]MANUAL[/]",
                        "skipped": "[dim]SKIP[/]", "unverified": "[yellow]NO CHECK[/]",
                        "untested": "[dim]UNTESTED[/]"}.get(r["outcome"], "[red]FAIL[/]")
                console.print(f"{mark} {r['key'] or r['case_id']} ({r['duration_ms']} ms)" +
                              (f"\n      {r['error']}" if r.get("error") and r["outcome"] not in ("passed",) else ""))
        shown |= {(r["case_id"], r["key"]) for r in results}
        if state["status"] in ("completed", "failed", "cancelled", "awaiting_manual"):
            break
        time.sleep(0.5)
    totals = state.get("totals") or {}
    if as_json:
        emit_json({"run_id": run_id, "status": state.get("status"), "totals": totals})
    else:
        console.print(f"run {run_id} {state.get('status')}: " + ", ".join(f"{v} {k}" for k, v in totals.items() if v))
        if state.get("status") == "awaiting_manual":
            console.print(f"{totals.get('manual', 0)} manual case(s) left to record: cognitest runs record {run_id} "
                          f"-p {project} --case CASE --outcome passed|failed")
    # the automated part decides the exit code; manual cases left to record do not fail a pipeline
    automated_ok = state.get("status") == "completed" or (
        state.get("status") == "awaiting_manual" and not totals.get("failed") and not totals.get("errors"))
    if not automated_ok:
        raise SystemExit(FAILED)


def import_collection(file: Path = typer.Argument(..., help="a Postman Collection v2.1 or OpenAPI 3 file (JSON or YAML)"),
                      project: str = PROJECT, id_only: bool = typer.Option(False, "--id", help="print only the new id"),
                      api: str = API, as_json: bool = JSON) -> None:
    """Import an API collection; prints its id, how many requests were imported and what was skipped and why."""
    result = Api(api).upload(f"/api/v1/projects/{project}/collections/import", "file", [file])
    if id_only:
        print(result["collection_id"])
        return
    if as_json:
        emit_json({"collection_id": result["collection_id"], "requests": result["requests"], "skipped": result["skipped"]})
        return
    console.print(f"collection {result['collection_id']} ({result['imported_from']}): {result['requests']} requests")
    for item in result["skipped"]:
        console.print(f"  skipped {item['name']}: {item['reason']}")
