"""Cognitest as tools for AI agents: a Model Context Protocol server (the official `mcp` SDK's
MCPServer) over the same HTTP API as the CLI. It authenticates like the CLI (COGNITEST_TOKEN: a
project API token, an OIDC access token; else the local stack's admin token), so every tool call
passes the API's permission table and lands in the audit log as that token's actor; an error
comes back as a tool error with the API's message.

    cognitest mcp            # stdio, for Claude Code, Cursor, VS Code and other local agents
"""

import asyncio
import time
from pathlib import Path
from typing import Any, Literal

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.subscriptions import InMemorySubscriptionBus

from cognitest.producers.mcp.backend import Backend, ClientBackend
from cognitest.producers.mcp.resources import register_resources
from cognitest.producers.mcp.updates import ListenGuard, ProjectFeeds

INSTRUCTIONS = """Cognitest is a test platform: projects hold requirements, test plans, suites, cases, runs and
issues. Typical flows: add_requirements then generate (with base_url to ground cases in a running web app) then
review_case; create_case with executable steps then start_run; failed_cases of a run; triage issues with
update_issue. Every id is a UUID returned by an earlier tool."""


def build(backend: Backend | None = None) -> MCPServer:
    """The server and its tools over `backend` (default: the CLI's HTTP client)."""
    backend = backend or ClientBackend()
    bus = InMemorySubscriptionBus()
    server = MCPServer(name="cognitest", instructions=INSTRUCTIONS, subscriptions=bus)
    server.middleware.append(ListenGuard(ProjectFeeds(bus, backend)))

    async def call(method: str, path: str, *, body: Any = None, **params: Any) -> Any:
        return await backend.request(method, path, params=params, body=body)

    async def until(check: Any, ctx: Context | None, what: str, timeout: float) -> Any:
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if ctx is not None:  # from the start: an agent sees at once that the work is under way
                await ctx.report_progress(time.monotonic() - started, timeout, f"waiting for {what}")
            found = await check()
            if found is not None:
                return found
            await asyncio.sleep(1.0)
        raise ToolError(f"{what} did not finish within {timeout:.0f} s; ask again with its id")

    @server.tool(description="The projects this token may see: id, name, status.")
    async def list_projects() -> list[dict[str, Any]]:
        found = await call("GET", "/api/v1/projects", limit=100)
        return [{"id": p["id"], "name": p["name"], "status": p.get("status")} for p in found["items"]]

    @server.tool(description="Test cases of a project, filtered (q: text in the title; status: draft, ready, ...).")
    async def list_cases(project_id: str, q: str | None = None, status: str | None = None,
                         limit: int = 50) -> list[dict[str, Any]]:
        found = await call("GET", f"/api/v1/projects/{project_id}/cases", q=q, status=status, limit=limit)
        return [{k: c.get(k) for k in ("id", "title", "priority", "status", "test_suite_id", "generated_by",
                                        "executable_steps")} for c in found["items"]]

    @server.tool(description="Runs of a project, newest first, with their status and totals.")
    async def list_runs(project_id: str, limit: int = 20) -> list[dict[str, Any]]:
        found = await call("GET", f"/api/v1/projects/{project_id}/runs", limit=limit)
        return [{k: r.get(k) for k in ("id", "name", "status", "totals", "created_at")} for r in found["items"]]

    @server.tool(description="Issues of a project (status: open, in_progress, resolved, closed).")
    async def list_issues(project_id: str, status: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
        found = await call("GET", f"/api/v1/projects/{project_id}/issues", status=status, limit=limit)
        return [{k: i.get(k) for k in ("id", "title", "severity", "status", "occurrences", "assigned_to", "external")}
                for i in found["items"]]

    @server.tool(description="Add a requirement document (Markdown, plain text, Gherkin, CSV or JSON stories, "
                             "StrictDoc) as text; returns the requirements parsed from it with their keys. "
                             "Example: filename='login.md', text='# Login\\nFR-1: The user shall sign in ...'")
    async def add_requirements(project_id: str, filename: str, text: str) -> dict[str, Any]:
        answer = await backend.request("POST", f"/api/v1/projects/{project_id}/requirements", params={"wait": "true"},
                                       files=[("files", (Path(filename).name, text.encode(), "text/plain"))])
        documents = answer.get("documents") or answer.get("items") or [answer]
        return {"documents": [{"id": d.get("id") or d.get("document_id"), "status": d.get("status"),
                               "reason": d.get("reason"),
                               "requirements": [{"key": r["key"], "title": r["title"]} for r in d.get("requirements", [])]}
                              for d in documents]}

    @server.tool(description="Generate a test plan, suites and cases from the project's requirements and wait for "
                             "the result (coverage, quality). With base_url, explore that running web app first, "
                             "ground the cases in its pages and dry-run the executable ones.")
    async def generate(project_id: str, base_url: str | None = None, engine: Literal["offline", "llm"] | None = None,
                       ctx: Context | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"engine": engine} if engine else {}
        if base_url:
            body["app"] = {"base_url": base_url}
        generation = (await call("POST", f"/api/v1/projects/{project_id}/generations", body=body))["resource_id"]

        async def done() -> Any:
            try:
                state = await call("GET", f"/api/v1/projects/{project_id}/generations/{generation}")
            except ToolError:
                return None
            return state if state["status"] in ("completed", "failed") else None
        state = await until(done, ctx, "the generation", 900)
        if state["status"] == "failed":
            raise ToolError(f"generation failed: {state.get('error')}")
        r = state["result"]
        return {"generation_id": generation, "plan_id": r["plan_id"], "suites": r["suites"], "cases": r["cases"],
                "covered": r["covered_requirements"], "total": r["total_requirements"],
                "weakly_covered": r.get("weakly_covered", []), "uncovered": r.get("uncovered", []),
                "quality": r.get("quality", {}), "app": r.get("app")}

    @server.tool(description="Review a generated case: accept it, reject it (reason: irrelevant, duplicate, "
                             "incorrect, not_testable, too_vague, other; comment: free text), or modify it "
                             "(changes: title, priority, tags, steps ...). The knowledge base learns from it.")
    async def review_case(project_id: str, case_id: str, verdict: Literal["accepted", "rejected", "modified"],
                          reason: str | None = None, comment: str | None = None,
                          changes: dict[str, Any] | None = None) -> dict[str, Any]:
        body = {"artifact_kind": "case", "artifact_id": case_id, "verdict": verdict, "reason": reason,
                "comment": comment, "changes": changes}
        answer = await call("POST", f"/api/v1/projects/{project_id}/feedback",
                            body={k: v for k, v in body.items() if v is not None}, wait="true")
        return {"verdict": verdict, "case_id": case_id, "agent": answer.get("agent"), "diff": answer.get("diff")}

    @server.tool(description="Create a test case. steps: written steps as [{'action': ..., 'expected': ...}]; "
                             "executable_steps: the step language, e.g. [{'action': 'goto', 'url': '/login'}, "
                             "{'action': 'fill', 'target': {'label': 'Email'}, 'value': 'a@b.c'}, "
                             "{'action': 'click', 'target': {'role': 'button', 'name': 'Sign in'}}, "
                             "{'action': 'expect_text', 'text': 'Welcome'}].")
    async def create_case(project_id: str, title: str, suite_id: str | None = None, priority: str = "medium",
                          steps: list[dict[str, Any]] | None = None, executable_steps: list[dict[str, Any]] | None = None,
                          expected_result: str | None = None) -> dict[str, Any]:
        body = {"title": title, "suite_id": suite_id, "priority": priority, "steps": steps,
                "executable_steps": executable_steps, "expected_result": expected_result}
        case = await call("POST", f"/api/v1/projects/{project_id}/cases",
                          body={k: v for k, v in body.items() if v is not None}, wait="true")
        return {"id": case["id"], "title": case["title"], "status": case.get("status")}

    @server.tool(description="Start a run (a suite, or case ids) against base_url and wait for it: status, totals "
                             "and each failed case's error.")
    async def start_run(project_id: str, suite_id: str | None = None, case_ids: list[str] | None = None,
                        base_url: str | None = None, ctx: Context | None = None) -> dict[str, Any]:
        body = {"suite_id": suite_id, "case_ids": case_ids or [], "environment": {"base_url": base_url} if base_url else {}}
        accepted = await call("POST", f"/api/v1/projects/{project_id}/runs", body={k: v for k, v in body.items() if v})
        run_id = accepted["resource_id"]

        async def ended() -> Any:
            try:
                state = await call("GET", f"/api/v1/projects/{project_id}/runs/{run_id}")
            except ToolError:
                return None
            return state if state["status"] in ("completed", "failed", "cancelled", "awaiting_manual") else None
        state = await until(ended, ctx, "the run", 1800)
        return {"run_id": run_id, "status": state["status"], "totals": state.get("totals"),
                "failed": await failed_cases(project_id, run_id)}

    @server.tool(description="The failed cases of a run: error, failing step, and links to the screenshot and trace.")
    async def failed_cases(project_id: str, run_id: str) -> list[dict[str, Any]]:
        found = await call("GET", f"/api/v1/projects/{project_id}/runs/{run_id}/results", limit=500)
        out = []
        for r in found["items"]:
            if r["outcome"] not in ("failed", "error"):
                continue
            failing = [e for e in r.get("log") or [] if isinstance(e, dict) and e.get("ok") is False]
            out.append({"case_id": r.get("case_id"), "key": r.get("key"), "outcome": r["outcome"], "error": r.get("error"),
                        "failing_step": failing[-1] if failing else None,
                        "artifacts": [f"{backend.base}/api/v1/projects/{project_id}/artifacts?ref={a['ref']}"
                                      for a in r.get("artifacts") or [] if isinstance(a, dict) and a.get("ref")]})
        return out

    @server.tool(description="Import a JUnit XML report (any CI runner's) as a run; returns the run and its totals.")
    async def import_junit(project_id: str, xml: str, run_name: str | None = None) -> dict[str, Any]:
        answer = await backend.request("POST", f"/api/v1/projects/{project_id}/results", params={"wait": "true"},
                                       data={"run_name": run_name} if run_name else None,
                                       files=[("files", ("report.xml", xml.encode(), "application/xml"))])
        return {"run_id": answer.get("run_id"), "totals": answer.get("totals")}

    @server.tool(description="Triage an issue: set its status (open, in_progress, resolved, closed), severity, or "
                             "who it is assigned to.")
    async def update_issue(project_id: str, issue_id: str, status: str | None = None, severity: str | None = None,
                           assigned_to: str | None = None) -> dict[str, Any]:
        body = {"status": status, "severity": severity, "assigned_to": assigned_to}
        issue = await call("PATCH", f"/api/v1/projects/{project_id}/issues/{issue_id}",
                           body={k: v for k, v in body.items() if v is not None}, wait="true")
        return {k: issue.get(k) for k in ("id", "title", "status", "severity", "assigned_to", "resolved_at")}

    @server.tool(description="Change a test case: title, priority (low, medium, high, critical), status (draft, "
                             "ready, ...), steps, executable_steps, expected_result, tags. Only the fields given change.")
    async def update_case(project_id: str, case_id: str, title: str | None = None, priority: str | None = None,
                          status: str | None = None, steps: list[dict[str, Any]] | None = None,
                          executable_steps: list[dict[str, Any]] | None = None, expected_result: str | None = None,
                          tags: list[str] | None = None) -> dict[str, Any]:
        body = {"title": title, "priority": priority, "status": status, "steps": steps,
                "executable_steps": executable_steps, "expected_result": expected_result, "tags": tags}
        case = await call("PATCH", f"/api/v1/projects/{project_id}/cases/{case_id}",
                          body={k: v for k, v in body.items() if v is not None}, wait="true")
        return {k: case.get(k) for k in ("id", "title", "priority", "status", "tags")}

    @server.tool(description="Cancel a run: running cases stop and the run ends as cancelled.")
    async def cancel_run(project_id: str, run_id: str) -> dict[str, Any]:
        await call("POST", f"/api/v1/projects/{project_id}/runs/{run_id}/cancel")

        async def ended() -> Any:
            state = await call("GET", f"/api/v1/projects/{project_id}/runs/{run_id}")
            return state if state["status"] in ("completed", "failed", "cancelled") else None
        state = await until(ended, None, "the run to stop", 120)
        return {"run_id": run_id, "status": state["status"], "totals": state.get("totals")}

    @server.tool(description="Compare a run with another (base_run_id unset = the run before it on the same "
                             "branch): new failures, fixed, still failing, flaky, not checked, added, removed, "
                             "much slower.")
    async def compare_runs(project_id: str, run_id: str, base_run_id: str | None = None) -> dict[str, Any]:
        return await call("GET", f"/api/v1/projects/{project_id}/runs/{run_id}/compare", base=base_run_id)

    @server.tool(description="Run an automation now (its manual trigger, with optional input) and wait until it "
                             "ends or waits for an approval; returns its status and step log.")
    async def run_automation(project_id: str, automation_id: str, input: dict[str, Any] | None = None,
                             ctx: Context | None = None) -> dict[str, Any]:
        started = await call("POST", f"/api/v1/projects/{project_id}/automations/{automation_id}/run",
                             body={"input": input or {}})
        execution = started["execution_id"]

        async def settled() -> Any:
            try:
                state = await call("GET", f"/api/v1/projects/{project_id}/executions/{execution}")
            except ToolError:
                return None
            return state if state["status"] in ("completed", "failed", "cancelled", "timed_out", "waiting") else None
        state = await until(settled, ctx, "the automation", 1800)
        return {k: state.get(k) for k in ("id", "status", "steps", "output", "error", "temporal_url")}

    @server.tool(description="Approve or reject an automation execution waiting at an approval step.")
    async def answer_approval(project_id: str, execution_id: str, approved: bool,
                              comment: str | None = None) -> dict[str, Any]:
        body = {"approved": approved, "comment": comment}
        return await call("POST", f"/api/v1/projects/{project_id}/executions/{execution_id}/approval",
                          body={k: v for k, v in body.items() if v is not None})

    register_resources(server, backend)
    return server


def serve_stdio(api_url: str | None = None) -> None:
    build(ClientBackend(api_url)).run("stdio")
