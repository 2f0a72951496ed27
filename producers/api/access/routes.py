"""The permission table: what each route needs. Deny by default: a route missing here is refused
(403) and fails the role-matrix test, so a new route cannot ship unguarded.

Values: a Permission (checked against the caller's role in the route's {project_id}), or one of
PUBLIC (no sign-in: probes, docs, login, signed webhooks), SIGNED_IN (any caller; the route
narrows what it shows), PERSON (a user, not an API token), ADMIN (the instance admin)."""

from cognitest.infra.identity.permissions import Permission as P

PUBLIC, SIGNED_IN, PERSON, ADMIN = "public", "signed-in", "person", "instance-admin"
Access = P | str

_PROJECT = "/api/v1/projects/{project_id}"


def _crud(kind: str, item: str = "item_id", delete: P = P.delete_tests, edit: P = P.edit_tests) -> dict[str, Access]:
    return {f"GET {_PROJECT}/{kind}": P.view, f"POST {_PROJECT}/{kind}": edit,
            f"GET {_PROJECT}/{kind}/{{{item}}}": P.view, f"PATCH {_PROJECT}/{kind}/{{{item}}}": edit,
            f"DELETE {_PROJECT}/{kind}/{{{item}}}": delete}


ROUTE_ACCESS: dict[str, Access] = {
    # probes, documentation, sign-in
    "GET /": PUBLIC, "GET /healthz": PUBLIC, "GET /readyz": PUBLIC, "GET /metrics": PUBLIC,
    "GET /docs": PUBLIC, "GET /redoc": PUBLIC, "GET /openapi.json": PUBLIC,
    "POST /api/v1/auth/login": PUBLIC, "POST /api/v1/auth/logout": SIGNED_IN, "GET /api/v1/auth/me": SIGNED_IN,
    "POST /api/v1/auth/password": PERSON,  # the route takes built-in accounts only
    # the instance
    "GET /api/v1/status": SIGNED_IN, "GET /api/v1/event-types": SIGNED_IN, "GET /api/v1/automation-templates": SIGNED_IN,
    "POST /api/v1/events": SIGNED_IN,  # each event is checked against EVENT_PERMISSIONS by the route
    "GET /api/v1/events/stream": SIGNED_IN,  # the route limits it to projects the caller may view
    "GET /api/v1/dead-letters": ADMIN, "POST /api/v1/dead-letters/{seq}/redrive": ADMIN,
    "DELETE /api/v1/dead-letters/{seq}": ADMIN,
    "GET /api/v1/users": ADMIN, "POST /api/v1/users": ADMIN, "PUT /api/v1/users/{email}/password": ADMIN,
    # projects and members
    "GET /api/v1/projects": SIGNED_IN,  # lists the caller's projects only
    "POST /api/v1/projects": PERSON,    # the creator becomes the owner
    f"GET {_PROJECT}": P.view, f"PATCH {_PROJECT}": P.configure, f"DELETE {_PROJECT}": P.delete_project,
    f"GET {_PROJECT}/members": P.view, f"POST {_PROJECT}/members": P.manage_members,
    f"PATCH {_PROJECT}/members/{{user_id}}": P.manage_members, f"DELETE {_PROJECT}/members/{{user_id}}": P.manage_members,
    f"GET {_PROJECT}/tokens": P.configure, f"POST {_PROJECT}/tokens": P.configure,
    f"DELETE {_PROJECT}/tokens/{{token_id}}": P.configure,
    f"GET {_PROJECT}/audit": P.analytics, f"GET {_PROJECT}/alerts": P.view,
    # tests
    **_crud("plans"), **_crud("suites"), **_crud("cases"), **_crud("collections"),
    **_crud("issues", delete=P.delete_issues, edit=P.edit_issues),
    f"POST {_PROJECT}/collections/import": P.edit_tests,
    # any other method on the import path answers 405 (it is not a collection id)
    **{f"{method} {_PROJECT}/collections/import": P.view for method in ("GET", "PUT", "PATCH", "DELETE", "OPTIONS")},
    f"POST {_PROJECT}/requirements": P.edit_tests, f"GET {_PROJECT}/requirements": P.view,
    f"GET {_PROJECT}/documents": P.view,
    f"POST {_PROJECT}/files": P.edit_tests, f"GET {_PROJECT}/files": P.view, f"GET {_PROJECT}/files/{{file_id}}": P.view,
    f"DELETE {_PROJECT}/files/{{file_id}}": P.delete_tests,
    f"POST {_PROJECT}/generations": P.edit_tests, f"GET {_PROJECT}/generations/{{generation_id}}": P.view,
    f"GET {_PROJECT}/plans/{{plan_id}}/traceability": P.view,
    f"POST {_PROJECT}/feedback": P.edit_tests, f"GET {_PROJECT}/feedback": P.view,
    f"POST {_PROJECT}/suites/{{suite_id}}/feedback": P.edit_tests, f"GET {_PROJECT}/feedback/stats": P.analytics,
    f"POST {_PROJECT}/knowledge/reembed": P.configure,
    # runs and results
    f"POST {_PROJECT}/results": P.run_tests,
    f"GET {_PROJECT}/runs": P.view, f"POST {_PROJECT}/runs": P.run_tests,
    f"GET {_PROJECT}/runs/{{run_id}}": P.view, f"GET {_PROJECT}/runs/{{run_id}}/results": P.view,
    f"POST {_PROJECT}/runs/{{run_id}}/results": P.run_tests, f"POST {_PROJECT}/runs/{{run_id}}/cancel": P.run_tests,
    f"POST {_PROJECT}/runs/{{run_id}}/close": P.run_tests, f"GET {_PROJECT}/runs/{{run_id}}/compare": P.view,
    f"GET {_PROJECT}/runs/{{run_id}}/report": P.view,
    f"GET {_PROJECT}/cases/{{case_id}}/history": P.view, f"GET {_PROJECT}/artifacts": P.view,
    f"POST {_PROJECT}/security-scans": P.run_tests,
    # automations
    f"GET {_PROJECT}/automations": P.view, f"POST {_PROJECT}/automations": P.manage_automations,
    f"GET {_PROJECT}/automations/{{automation_id}}": P.view,
    f"PATCH {_PROJECT}/automations/{{automation_id}}": P.manage_automations,
    f"GET {_PROJECT}/automations/{{automation_id}}/versions": P.view,
    f"GET {_PROJECT}/automations/{{automation_id}}/versions/{{version}}": P.view,
    f"POST {_PROJECT}/automations/{{automation_id}}/run": P.run_automations,
    f"POST {_PROJECT}/automations/{{automation_id}}/schedule/{{action}}": P.manage_automations,
    f"GET {_PROJECT}/executions": P.view, f"GET {_PROJECT}/executions/{{execution_id}}": P.view,
    f"POST {_PROJECT}/executions/{{execution_id}}/cancel": P.run_automations,
    f"POST {_PROJECT}/executions/{{execution_id}}/retry": P.run_automations,
    f"POST {_PROJECT}/executions/{{execution_id}}/approval": P.run_automations,
    "POST /api/v1/hooks/{project_id}/{automation_id}": PUBLIC,  # authenticated by its HMAC signature
    "POST /api/v1/hooks/{project_id}/trackers/{tracker}": PUBLIC,  # authenticated by its HMAC signature
    # the web UI (pages answer an HTML error, and send people who are not signed in to /ui/login)
    "GET /ui": PUBLIC, "GET /ui/login": PUBLIC, "GET /ui/login/oidc": PUBLIC, "GET /ui/oidc/callback": PUBLIC, "POST /ui/login": PUBLIC, "POST /ui/logout": SIGNED_IN, "GET /ui/projects": SIGNED_IN,
    "GET /ui/account": PERSON,
    **{f"GET /ui{_PROJECT.removeprefix('/api/v1')}{page}": P.view for page in (
        "", "/members", "/settings", "/cases", "/cases/{case_id}", "/runs", "/runs/{run_id}", "/issues",
        "/issues/{issue_id}", "/requirements", "/plans", "/plans/{plan_id}", "/automations",
        "/automations/{automation_id}")},
    f"GET /ui{_PROJECT.removeprefix('/api/v1')}/events": P.analytics,
}


def access_for(method: str, path: str) -> Access | None:
    if method == "HEAD":
        method = "GET"
    return ROUTE_ACCESS.get(f"{method} {path}")
