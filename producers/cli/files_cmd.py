"""`cognitest files`: a project's test data files, which upload steps send as `file:<id>`."""

from pathlib import Path

import typer

from cognitest.producers.cli.client import Api
from cognitest.producers.cli.output import console, emit_json, show

API = typer.Option(None, "--api", envvar="COGNITEST_API", help="API base URL")
JSON = typer.Option(False, "--json", help="print only JSON")
PROJECT = typer.Option(..., "--project", "-p", envvar="COGNITEST_PROJECT", help="project id")
files_app = typer.Typer(help="Test data files for upload steps (a step names one as file:<id>).", no_args_is_help=True)


@files_app.command("upload")
def upload(paths: list[Path] = typer.Argument(..., help="files to store in the project", exists=True, dir_okay=False),
           project: str = PROJECT, api: str = API, as_json: bool = JSON) -> None:
    """Store files in the project; prints each one's ref (file:<id>) for upload steps."""
    stored = Api(api, timeout=120).upload(f"/api/v1/projects/{project}/files", "files", paths,
                                          params={"wait": "true"})["files"]
    if as_json:
        emit_json({"files": stored})
        return
    for f in stored:
        console.print(f"{f['ref']}  {f['name']}")


@files_app.command("list")
def list_files(project: str = PROJECT, api: str = API, as_json: bool = JSON) -> None:
    """List the project's files."""
    show(Api(api).get(f"/api/v1/projects/{project}/files"), as_json=as_json,
         columns=["ref", "name", "media_type", "size_bytes", "created_at"], title="files")


@files_app.command("delete")
def delete(file_id: str = typer.Argument(..., help="the file's id"), project: str = PROJECT, api: str = API) -> None:
    """Remove a file: steps naming it fail from then on, saying so."""
    Api(api).delete(f"/api/v1/projects/{project}/files/{file_id}", wait="true")
    console.print(f"removed file:{file_id}")
