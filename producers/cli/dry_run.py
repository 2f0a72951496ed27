"""Following a generation's dry run (app-aware generation): wait for the run of its executable
cases, then say which were verified against the live app, which fail (a real finding or a wrong
guess, for review) and how many stayed manual."""

from typing import Any

from cognitest.producers.cli.client import Api

TERMINAL = ("completed", "failed", "cancelled", "awaiting_manual")


def follow(client: Api, project: str, app: dict[str, Any], cases: int, timeout: float) -> dict[str, Any]:
    report = {"pages": app.get("pages", 0), "skipped": app.get("skipped", []), "error": app.get("error"),
              "executable": app.get("executable", 0), "manual": cases - app.get("executable", 0),
              "dry_run_id": app.get("dry_run_id"), "verified": 0, "failing": [], "status": None}
    run_id = app.get("dry_run_id")
    if not run_id:
        return report
    state = client.until(f"/api/v1/projects/{project}/runs/{run_id}", lambda s: s.get("status") in TERMINAL, timeout)
    report["status"] = state.get("status") or "not started"
    results = client.get(f"/api/v1/projects/{project}/runs/{run_id}/results", limit=5000)["items"] if state else []
    report["verified"] = sum(1 for r in results if r["outcome"] == "passed")  # a pass on a retry is not a verification
    report["failing"] = [{"case_id": r["case_id"], "title": r.get("title") or r.get("key"), "error": r.get("error")}
                         for r in results if r["outcome"] in ("failed", "error")]
    return report


def describe(report: dict[str, Any]) -> list[str]:
    lines = [f"App: {report['pages']} page(s) mapped" + (f" ({report['error']})" if report.get("error") else "")
             + (f", {len(report['skipped'])} link(s) not followed" if report["skipped"] else "")]
    if report["dry_run_id"]:
        lines.append(f"Dry run {report['dry_run_id']} ({report['status']}): {report['executable']} executable case(s), "
                     f"{report['verified']} verified against the app, {len(report['failing'])} failing (review them: "
                     f"a real finding or a wrong guess), {report['manual']} manual")
        lines += [f"  FAIL {f['title']}: {(f['error'] or '')[:160]}" for f in report["failing"]]
    elif report["executable"]:
        lines.append(f"{report['executable']} executable case(s), not dry-run (--no-verify); {report['manual']} manual")
    elif report["manual"]:
        lines.append(f"No executable case: all {report['manual']} stay manual (nothing in them binds to the app)")
    else:
        lines.append("No new case to ground or dry-run")
    return lines
