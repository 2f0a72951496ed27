"""What an agent can read without calling a tool (MCP resources): a case, a plan with its
traceability, a run with its results, an issue, the event catalogue and the step-language
reference; and one prompt, the loop of fixing a failing test with Cognitest's tools."""

import json
from typing import Any

from mcp.server.mcpserver import MCPServer

from cognitest.producers.cli.schemas_cmd import catalogue_markdown
from cognitest.producers.mcp.backend import Backend
from cognitest.schemas.step_reference import reference_markdown

PROJECT = "cognitest://projects/{project_id}"


def register_resources(server: MCPServer, backend: Backend) -> None:
    async def get(path: str, **params: Any) -> Any:
        return await backend.request("GET", path, params=params or None)

    def as_json(value: Any) -> str:
        return json.dumps(value, indent=1, default=str)

    @server.resource("cognitest://reference/steps", name="step-language", mime_type="text/markdown",
                     description="The step language of executable cases: every action, its fields, how to find an "
                                 "element, an example. Read it before writing executable_steps.")
    def steps() -> str:
        return reference_markdown()

    @server.resource("cognitest://reference/events", name="event-catalogue", mime_type="text/markdown",
                     description="Every event type the platform records, with its payload fields.")
    def events() -> str:
        return catalogue_markdown()

    @server.resource(f"{PROJECT}/cases/{{case_id}}", name="case", mime_type="application/json",
                     description="A test case: steps, executable steps, priority, status, requirement links.")
    async def case(project_id: str, case_id: str) -> str:
        return as_json(await get(f"/api/v1/projects/{project_id}/cases/{case_id}"))

    @server.resource(f"{PROJECT}/plans/{{plan_id}}", name="plan", mime_type="application/json",
                     description="A test plan with its traceability: each requirement and the cases covering it.")
    async def plan(project_id: str, plan_id: str) -> str:
        found = await get(f"/api/v1/projects/{project_id}/plans/{plan_id}")
        found["traceability"] = await get(f"/api/v1/projects/{project_id}/plans/{plan_id}/traceability")
        return as_json(found)

    @server.resource(f"{PROJECT}/runs/{{run_id}}", name="run", mime_type="application/json",
                     description="A run with its totals and each case's result (failures first).")
    async def run(project_id: str, run_id: str) -> str:
        found = await get(f"/api/v1/projects/{project_id}/runs/{run_id}")
        found["results"] = (await get(f"/api/v1/projects/{project_id}/runs/{run_id}/results", limit=500))["items"]
        return as_json(found)

    @server.resource(f"{PROJECT}/issues/{{issue_id}}", name="issue", mime_type="application/json",
                     description="An issue: its failure signature, occurrences, runs, ticket links, remediation.")
    async def issue(project_id: str, issue_id: str) -> str:
        return as_json(await get(f"/api/v1/projects/{project_id}/issues/{issue_id}"))

    @server.prompt(name="fix_failing_test", description="Find why a run failed and fix the test or report the bug.")
    def fix_failing_test(project_id: str, run_id: str) -> str:
        return (f"Run {run_id} of Cognitest project {project_id} has failures. 1) Call failed_cases for the run and "
                f"read each error, failing step and screenshot link. 2) Call compare_runs to see which failures are "
                f"new. 3) For a failure caused by the test (a changed label, a stale locator), read "
                f"cognitest://reference/steps and fix the case with update_case, then start_run on those cases. "
                f"4) For a failure caused by the application, leave the case alone: list_issues shows the issue "
                f"triage opened; add what you found with update_issue. Never mark a case passed that you did not run.")
