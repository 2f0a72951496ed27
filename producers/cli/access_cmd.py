"""`cognitest users|tokens|members|audit`: accounts, API tokens for CI, project roles, and who did what."""

import sys
from typing import Any
from urllib.parse import quote

import typer

from cognitest.producers.cli.client import Api
from cognitest.producers.cli.exits import CliError
from cognitest.producers.cli.output import console, emit_json, show

API = typer.Option(None, "--api", envvar="COGNITEST_API", help="API base URL")
JSON = typer.Option(False, "--json", help="print only JSON")
PROJECT = typer.Option(..., "--project", "-p", envvar="COGNITEST_PROJECT", help="project id")
ROLE_HELP = "owner, admin, editor or viewer"

users_app = typer.Typer(help="Built-in accounts (instance admin).", no_args_is_help=True)
tokens_app = typer.Typer(help="API tokens for CI and scripts: one project, one role, shown once.", no_args_is_help=True)
members_app = typer.Typer(help="Who is in a project, with which role.", no_args_is_help=True)


def _out(answer: Any, as_json: bool, columns: list[str]) -> None:
    show(answer, as_json=as_json, columns=columns)


@users_app.command("create")
def create_user(email: str = typer.Option(..., "--email", help="the sign-in email"),
                name: str = typer.Option(None, "--name"),
                admin: bool = typer.Option(False, "--admin", help="an instance admin (sees every project)"),
                password_stdin: bool = typer.Option(False, "--password-stdin", help="read the password from stdin "
                                                    "(for scripts); otherwise it is prompted for"),
                api: str = API, as_json: bool = JSON) -> None:
    """Create a user who signs in with email and password (at least 10 characters). Exit 2 on bad input."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    if not password:
        raise CliError("the password is empty")
    answer = Api(api).post("/api/v1/users", {"email": email, "password": password, "name": name, "is_admin": admin})
    if as_json:
        emit_json(answer)
    else:
        console.print(f"created user {answer['email']} ({answer['id']}){' — instance admin' if answer['is_admin'] else ''}")


@users_app.command("password")
def set_password(email: str = typer.Argument(..., help="the account's sign-in email"),
                 password_stdin: bool = typer.Option(False, "--password-stdin", help="read the new password from "
                                                     "stdin (for scripts); otherwise it is prompted for"),
                 api: str = API, as_json: bool = JSON) -> None:
    """Set a user's password (instance admin): for a forgotten or leaked one. Every session of the
    account is signed out. People change their own on the UI's account page."""
    password = sys.stdin.readline().rstrip("\n") if password_stdin else typer.prompt(
        "New password", hide_input=True, confirmation_prompt=True)
    if not password:
        raise CliError("the password is empty")
    answer = Api(api).request("PUT", f"/api/v1/users/{quote(email, safe='@')}/password", body={"password": password})
    if as_json:
        emit_json(answer)
    else:
        console.print(f"password of {answer['email']} set; {answer['sessions_ended']} session(s) signed out")


@users_app.command("list")
def list_users(api: str = API, as_json: bool = JSON) -> None:
    """List users."""
    _out(Api(api).get("/api/v1/users"), as_json, ["email", "name", "is_admin", "created_at", "last_login_at"])


@tokens_app.command("create")
def create_token(name: str = typer.Option(..., "--name", help="what uses it, e.g. github-actions"),
                 role: str = typer.Option("editor", "--role", help=f"{ROLE_HELP}; at most your own"),
                 expires_in_days: int = typer.Option(90, "--expires-in-days", help="0 = never expires"),
                 project: str = PROJECT, api: str = API, as_json: bool = JSON) -> None:
    """Create an API token. The token is printed once: store it as a CI secret (COGNITEST_TOKEN)."""
    answer = Api(api).post(f"/api/v1/projects/{project}/tokens",
                           {"name": name, "role": role, "expires_in_days": expires_in_days or None})
    if as_json:
        emit_json(answer)
        return
    console.print(f"token {answer['id']} ({answer['role']}, expires {answer['expires_at'] or 'never'}):")
    sys.stdout.write(answer["token"] + "\n")


@tokens_app.command("list")
def list_tokens(project: str = PROJECT, api: str = API, as_json: bool = JSON) -> None:
    """List a project's tokens (never their secrets)."""
    _out(Api(api).get(f"/api/v1/projects/{project}/tokens"), as_json,
         ["id", "name", "role", "created_by", "expires_at", "revoked_at", "last_used_at"])


@tokens_app.command("revoke")
def revoke_token(token_id: str = typer.Argument(..., help="the token's id"), project: str = PROJECT,
                 api: str = API, as_json: bool = JSON) -> None:
    """Revoke a token; it stops working at once."""
    answer = Api(api).delete(f"/api/v1/projects/{project}/tokens/{token_id}")
    if as_json:
        emit_json(answer)
    else:
        console.print(f"revoked token {answer['id']} at {answer['revoked_at']}")


@members_app.command("list")
def list_members(project: str = PROJECT, api: str = API, as_json: bool = JSON) -> None:
    """List a project's members and roles."""
    _out(Api(api).get(f"/api/v1/projects/{project}/members"), as_json, ["user_id", "role", "since"])


@members_app.command("add")
def add_member(user: str = typer.Argument(..., help="an email (built-in or OIDC user)"),
               role: str = typer.Option(..., "--role", help=ROLE_HELP), project: str = PROJECT,
               api: str = API, as_json: bool = JSON) -> None:
    """Add a member with a role, or change the role of one already there."""
    client = Api(api)
    members = client.get(f"/api/v1/projects/{project}/members")["items"]
    if any(m["user_id"] == user.lower() for m in members):
        answer = client.patch(f"/api/v1/projects/{project}/members/{user.lower()}", {"role": role}, wait="true")
    else:
        answer = client.post(f"/api/v1/projects/{project}/members", {"user_id": user, "role": role}, wait="true")
    _out(answer, as_json, ["user_id", "role", "since"])


@members_app.command("remove")
def remove_member(user: str = typer.Argument(...), project: str = PROJECT, api: str = API, as_json: bool = JSON) -> None:
    """Remove a member (the last owner cannot be removed)."""
    _out(Api(api).delete(f"/api/v1/projects/{project}/members/{user}", wait="true"), as_json, ["user_id", "role", "since"])


def audit(project: str = PROJECT, actor: str = typer.Option(None, "--actor", help="one user or token:<id>"),
          type_: str = typer.Option(None, "--type", help="an event type or prefix* (run.*)"),
          since: str = typer.Option(None, "--since", help="ISO time"), until: str = typer.Option(None, "--until"),
          limit: int = typer.Option(100, "--limit"), api: str = API, as_json: bool = JSON) -> None:
    """Who did what in a project, newest first (the event log as an audit trail)."""
    answer = Api(api).get(f"/api/v1/projects/{project}/audit", actor=actor, type=type_, since=since, until=until,
                          limit=limit)
    _out(answer, as_json, ["time", "actor", "type", "event_id"])


def alerts(project: str = PROJECT, held: bool = typer.Option(False, "--held", help="only messages not delivered "
                                                             "(held back on purpose, or failed)"),
           channel: str = typer.Option(None, "--channel", help="slack, webhook or email"),
           limit: int = typer.Option(50, "--limit"), api: str = API, as_json: bool = JSON) -> None:
    """Alerts the project's rules sent, and those held back with the reason (quiet hours, digest, rate limit)."""
    answer = Api(api).get(f"/api/v1/projects/{project}/alerts", ok=False if held else None, channel=channel, limit=limit)
    _out(answer, as_json, ["created_at", "channel", "target", "ok", "error"])
