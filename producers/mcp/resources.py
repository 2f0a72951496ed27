"""What an agent can read without calling a tool (MCP resources): a case, a plan with its
traceability, a run with its results, an issue, the event catalogue and the step-language
reference; and prompts for the loops an agent runs with Cognitest's tools: fixing a failing test,
triaging the latest failed run, writing executable cases for a requirement, turning a bug report
into a regression case."""

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

    @server.prompt(name="triage_latest_failed_run", description="Triage the project's latest failed run: what is new, "
                   "what is known, what is flaky, and who should look.")
    def triage_latest_failed_run(project_id: str) -> str:
        return (f"Triage the latest failed run of Cognitest project {project_id}. 1) Call list_runs and take the "
                f"newest run whose totals show failures or errors. 2) Call compare_runs on it: new failures first, "
                f"then the ones still failing. 3) For each failure call failed_cases and read the error, the failing "
                f"step and the screenshot link. 4) Call list_issues (status open): each failure has been grouped into "
                f"an issue by its signature; set severity and assignee with update_issue, and say in one line per "
                f"issue whether it looks like a product bug, a test defect or an environment problem, and why. "
                f"Do not resolve an issue you have not seen pass.")

    @server.prompt(name="write_executable_cases", description="Write executable test cases for one requirement.")
    def write_executable_cases(project_id: str, requirement: str, base_url: str | None = None) -> str:
        target = f" against {base_url}" if base_url else ""
        return (f"Write executable test cases for this requirement of Cognitest project {project_id}{target}:\n"
                f"<requirement>\n{requirement}\n</requirement>\n"
                f"1) Read cognitest://reference/steps: only those actions exist. 2) Write one case per behaviour: "
                f"the main path, each boundary the requirement states (at, just below, just above) and each refusal "
                f"it implies; every case ends with a check (expect_text, expect_url, expect_status ...), never with an "
                f"action alone. 3) Call list_cases first and do not write a case that already exists. 4) Create each "
                f"with create_case (executable_steps), then start_run on the new cases{target} and report which pass; "
                f"a case that fails because the step is wrong is fixed with update_case, not left behind.")

    @server.prompt(name="bug_report_to_regression_case", description="Turn a bug report into a regression case that "
                   "fails while the bug is there.")
    def bug_report_to_regression_case(project_id: str, report: str, base_url: str | None = None) -> str:
        target = f" against {base_url}" if base_url else ""
        return (f"Turn this bug report into a regression case in Cognitest project {project_id}:\n"
                f"<bug-report>\n{report}\n</bug-report>\n"
                f"1) Find the steps to reproduce and the expected behaviour in the report (ask if they are missing; "
                f"do not invent them). 2) Read cognitest://reference/steps and write the steps as executable steps "
                f"that end with a check of the expected behaviour. 3) create_case with the tag 'regression' and a "
                f"title naming the bug. 4) start_run on it{target}: while the bug is there the case must fail on "
                f"the check, not on a missing element; say so, with the error from failed_cases.")
