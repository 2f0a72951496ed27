"""The `cognitest` command. Exit codes: 0 success, 1 a failed check, 2 bad usage or input,
3 the platform could not be reached."""

import sys

import typer

from cognitest.producers.cli import (
    access_cmd, automations_cmd, doctor, events, feedback_cmd, files_cmd, generation_cmd, resources, runs_cmd, stack,
)
from pydantic import ValidationError

from cognitest.producers.cli.exits import CliError, report
from cognitest.producers.cli.schemas_cmd import schemas_app

app = typer.Typer(
    name="cognitest",
    help="Cognitest: an AI-first testing platform on an event spine (NATS JetStream, PostgreSQL, Temporal).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
stack.register(app)
app.command("publish")(events.publish)
app.command("status")(events.status)
app.add_typer(events.events_app, name="events")
app.add_typer(schemas_app, name="schemas")
resources.register(app)
app.add_typer(generation_cmd.requirements_app, name="requirements")
app.add_typer(files_cmd.files_app, name="files")
app.command("generate")(generation_cmd.generate)
app.command("report")(generation_cmd.report)
app.command("run")(generation_cmd.run)
app.add_typer(runs_cmd.runs_app, name="runs")
app.add_typer(automations_cmd.automations_app, name="automations")
app.add_typer(feedback_cmd.feedback_app, name="feedback")
app.add_typer(feedback_cmd.knowledge_app, name="knowledge")
app.add_typer(access_cmd.users_app, name="users")
app.add_typer(access_cmd.tokens_app, name="tokens")
app.add_typer(access_cmd.members_app, name="members")
app.command("audit")(access_cmd.audit)
app.command("alerts")(access_cmd.alerts)
app.command("doctor")(doctor.doctor)


@app.command("mcp")
def mcp_server(api: str = typer.Option(None, "--api", envvar="COGNITEST_API", help="API base URL")) -> None:
    """Serve Cognitest's tools to AI agents over the Model Context Protocol (stdio). Authenticates like every
    CLI command: COGNITEST_TOKEN (a project API token: the agent can do what its role allows), else the local
    stack's admin token. Add it to an agent as the command `cognitest mcp`."""
    from cognitest.producers.mcp.server import serve_stdio

    serve_stdio(api)


def run() -> None:
    try:
        app()
    except CliError as error:
        report(error)
    except ValidationError as error:
        if error.title != "Settings":
            raise
        wrong = "; ".join(f"COGNITEST_{'__'.join(str(p) for p in e['loc']).upper()}: {e['msg']}" for e in error.errors())
        report(CliError(f"invalid setting(s): {wrong}"))
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        raise SystemExit(130) from None


if __name__ == "__main__":
    run()
