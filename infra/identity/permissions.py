"""Roles and what each may do: one table, deny by default.

A member's role in a project grants permissions; API tokens carry a role for one project; the
instance admin holds every permission everywhere. Routes (producers/api/access/routes.py) and
event types (EVENT_PERMISSIONS below) each name the one permission they need."""

from enum import StrEnum

from cognitest.schemas.enums import Role


class Permission(StrEnum):
    view = "project.view"                      # tests, runs, issues, reports, members, live events
    edit_tests = "tests.edit"                  # create and edit plans, suites, cases, requirements, generation
    delete_tests = "tests.delete"              # delete plans, suites, cases, collections ("manage tests")
    run_tests = "runs.execute"                 # start, cancel and record runs; security scans
    edit_issues = "issues.edit"                # create, update, resolve, reopen issues
    delete_issues = "issues.delete"
    run_automations = "automations.run"        # run, cancel, retry, approve executions
    manage_automations = "automations.manage"  # define, change and schedule automations
    configure = "integrations.configure"       # project settings, integrations, notification rules, tokens
    analytics = "analytics.view"               # feedback statistics, the audit log
    manage_members = "members.manage"
    delete_project = "project.delete"


_VIEWER = {Permission.view}
_EDITOR = _VIEWER | {Permission.edit_tests, Permission.run_tests, Permission.edit_issues, Permission.run_automations}
_ADMIN = _EDITOR | {Permission.delete_tests, Permission.delete_issues, Permission.manage_automations,
                    Permission.configure, Permission.analytics}
_OWNER = _ADMIN | {Permission.manage_members, Permission.delete_project}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.viewer: frozenset(_VIEWER),
    Role.editor: frozenset(_EDITOR),
    Role.admin: frozenset(_ADMIN),
    Role.owner: frozenset(_OWNER),
}
RANK = {Role.viewer: 0, Role.editor: 1, Role.admin: 2, Role.owner: 3}


def allows(role: Role | None, permission: Permission) -> bool:
    return role is not None and permission in ROLE_PERMISSIONS[role]


def at_most(granted: Role, wanted: Role) -> bool:
    """A caller hands out (tokens, members) no more than their own role."""
    return RANK[wanted] <= RANK[granted]


# Published through POST /api/v1/events: the permission each type needs. None = only the
# platform's own processes publish it (facts they establish), so the API refuses it.
P = Permission
EVENT_PERMISSIONS: dict[str, Permission | None] = {
    "project.created": P.view,  # checked separately: any person may create a project and owns it
    "project.updated": P.configure, "project.deleted": P.delete_project,
    "member.added": P.manage_members, "member.role_changed": P.manage_members, "member.removed": P.manage_members,
    **{f"{kind}.{verb}": P.edit_tests for kind in ("plan", "suite", "case", "collection") for verb in ("created", "updated")},
    **{f"{kind}.deleted": P.delete_tests for kind in ("plan", "suite", "case", "collection")},
    "collection.imported": P.edit_tests, "requirement.uploaded": P.edit_tests,
    "generation.requested": P.edit_tests, "feedback.recorded": P.edit_tests,
    "run.requested": P.run_tests, "run.cancel_requested": P.run_tests, "results.ingested": P.run_tests,
    "issue.created": P.edit_issues, "issue.updated": P.edit_issues, "issue.resolved": P.edit_issues,
    "issue.deleted": P.delete_issues,
    "workflow.defined": P.manage_automations, "workflow.run_requested": P.run_automations,
    "knowledge.reembed_requested": P.configure, "security.scan.requested": P.run_tests,
    **{name: None for name in (
        "alert.sent", "case.generated", "plan.generated", "suite.generated", "event.dead_lettered",
        "generation.completed", "generation.failed", "generation.progress", "issue.detected", "issue.linked",
        "issue.occurred", "requirement.parsed", "requirement.rejected", "run.cancelled", "run.case_finished",
        "run.completed", "run.failed", "run.started", "workflow.completed", "workflow.step_finished",
        "workflow.triggered", "token.created", "token.revoked", "security.scan.finished",
        "file.uploaded", "file.deleted",  # through the files route only: it stores the bytes it names
    )},
}
