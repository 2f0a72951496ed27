"""`cognitest runs list|show|cancel|record|close|compare|report`: runs after they started."""

import os
from pathlib import Path

import typer

from cognitest.producers.cli.client import Api
from cognitest.producers.cli.exits import BAD_INPUT, FAILED, fail
from cognitest.producers.cli.output import console, emit_json, show

API = typer.Option(None, "--api", envvar="COGNITEST_API", help="API base URL")
JSON = typer.Option(False, "--json", help="print only JSON")
PROJECT = typer.Option(..., "--project", "-p", envvar="COGNITEST_PROJECT", help="project id")

runs_app = typer.Typer(help="Runs: list, show, cancel, record a manual result, compare two runs, report.",
                       no_args_is_help=True)


@runs_app.command("list")
def runs_list(project: str = PROJECT, status: str = typer.Option(None, "--status"), api: str = API, as_json: bool = JSON) -> None:
    """List runs, newest first."""
    show(Api(api).get(f"/api/v1/projects/{project}/runs", status=status), as_json=as_json, title="runs",
         columns=["id", "name", "status", "source", "totals", "created_at"])


@runs_app.command("show")
def runs_show(run_id: str = typer.Argument(..., metavar="RUN_ID"), project: str = PROJECT, api: str = API,
              as_json: bool = JSON) -> None:
    """A run with its totals and its results."""
    client = Api(api)
    data = client.get(f"/api/v1/projects/{project}/runs/{run_id}")
    data["results"] = client.get(f"/api/v1/projects/{project}/runs/{run_id}/results")["items"]
    show(data, as_json=as_json)


@runs_app.command("cancel")
def runs_cancel(run_id: str = typer.Argument(..., metavar="RUN_ID"), project: str = PROJECT, api: str = API,
                as_json: bool = JSON) -> None:
    """Cancel a run: running cases stop, the run ends as cancelled."""
    show(Api(api).post(f"/api/v1/projects/{project}/runs/{run_id}/cancel"), as_json=as_json)


@runs_app.command("record")
def runs_record(run_id: str = typer.Argument(..., metavar="RUN_ID"), project: str = PROJECT,
                case: str = typer.Option(..., "--case", help="the manual case"),
                outcome: str = typer.Option(..., "--outcome", help="passed, failed, skipped or error"),
                comment: str = typer.Option(None, "--comment"), api: str = API, as_json: bool = JSON) -> None:
    """Record the result of a case done by hand."""
    body = {"case_id": case, "outcome": outcome, "comment": comment}
    show(Api(api).post(f"/api/v1/projects/{project}/runs/{run_id}/results", body, wait="true"), as_json=as_json)


@runs_app.command("close")
def runs_close(run_id: str = typer.Argument(..., metavar="RUN_ID"), project: str = PROJECT,
               reason: str = typer.Option(None, "--reason", help="why the rest was not tested"), api: str = API,
               as_json: bool = JSON) -> None:
    """Close a run awaiting manual results: the manual cases not recorded yet become 'untested'."""
    body = {"reason": reason} if reason else {}
    show(Api(api).post(f"/api/v1/projects/{project}/runs/{run_id}/close", body, wait="true"), as_json=as_json)


SECTIONS = (("new_failures", "new failures"), ("fixed", "fixed"), ("still_failing", "still failing"),
            ("flaky", "flaky"), ("not_checked", "not checked"), ("added", "added"), ("removed", "removed"),
            ("slower", "much slower"))


@runs_app.command("compare")
def runs_compare(run_id: str = typer.Argument(..., metavar="RUN_ID", help="the newer run"),
                 base: str = typer.Argument(None, metavar="[BASE_RUN_ID]",
                                            help="the run to compare with; unset = the one before on the same branch"),
                 project: str = PROJECT, api: str = API, as_json: bool = JSON,
                 fail_on_new: bool = typer.Option(False, "--fail-on-new", help="exit 1 when anything newly fails")) -> None:
    """Compare two runs: new failures, fixed, still failing, flaky, not checked, added, removed, slower.

    For a CI comment: `cognitest runs compare $RUN --json`, or `--fail-on-new` to fail the build only on
    failures this change introduced."""
    data = Api(api).get(f"/api/v1/projects/{project}/runs/{run_id}/compare", base=base)
    if as_json:
        emit_json(data)
    else:
        head, other, counts = data["head"], data["base"], data["counts"]
        console.print(f"{head.get('name') or head['id']} compared with {other.get('name') or other['id']}"
                      + (f" (branch {head['branch']})" if head.get("branch") else ""))
        console.print(", ".join(f"{counts[key]} {label}" for key, label in SECTIONS))
        for key, label in SECTIONS:
            for entry in data[key][:20]:
                name = entry.get("key") or entry.get("case_id")
                extra = f" ({entry['was_ms']} -> {entry['duration_ms']} ms)" if key == "slower" else ""
                error = f": {entry['error']}" if entry.get("error") and key in ("new_failures", "still_failing") else ""
                console.print(f"  {label}: {name}{extra}{error}", markup=False, highlight=False)
    if fail_on_new and data["counts"]["new_failures"]:
        fail(f"{data['counts']['new_failures']} case(s) newly failing", FAILED)


@runs_app.command("report")
def runs_report(run_id: str = typer.Argument(..., metavar="RUN_ID"), project: str = PROJECT,
                output: Path = typer.Option(None, "--output", "-o", help="the file to write (default: "
                                            "cognitest-run-<id>.html, or .pdf)"),
                pdf: bool = typer.Option(False, "--pdf", help="print it to PDF with Chromium"), api: str = API) -> None:
    """Save a run as one self-contained HTML file (or a PDF) to send to anyone: totals, what changed since the
    run before, every result with its error. Prints the file's path."""
    html = Api(api).get(f"/api/v1/projects/{project}/runs/{run_id}/report")
    target = output or Path(f"cognitest-run-{run_id[:8]}.{'pdf' if pdf else 'html'}")
    try:
        if pdf:
            _print_pdf(html, target)
        else:
            target.write_text(html, encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {target}: {exc.strerror}", BAD_INPUT)
    console.print(str(target), markup=False, highlight=False)


def _print_pdf(html: str, target: Path) -> None:
    from playwright.sync_api import Error, sync_playwright

    from cognitest.infra.browser import CHROMIUM_ARGS, system_chromium

    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=system_chromium(os.environ.get("COGNITEST_EXECUTION__CHROMIUM_PATH")),
                                         args=CHROMIUM_ARGS)
            page = browser.new_page()
            page.set_content(html, wait_until="load")
            page.pdf(path=str(target), format="A4", print_background=True,
                     margin={"top": "12mm", "bottom": "12mm", "left": "10mm", "right": "10mm"})
            browser.close()
    except Error as exc:
        fail(f"cannot print the PDF: {str(exc).splitlines()[0]} (see `cognitest doctor` for Chromium)", BAD_INPUT)
