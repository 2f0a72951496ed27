"""`cognitest projects|plans|suites|cases|issues|collections create|list|show|update|delete`,
generated from the same resource descriptions as the HTTP routes."""

import inspect
import json
import sys
from pathlib import Path
from typing import Any

import typer

from cognitest.producers.api.resource import NESTED, PROJECTS, Resource, enum_values
from cognitest.producers.cli.client import Api
from cognitest.producers.cli.exits import fail
from cognitest.producers.cli.output import show

KW = inspect.Parameter.KEYWORD_ONLY
LIST_COLUMNS = {
    "projects": ["id", "name", "status", "owner_id", "created_at"],
    "plans": ["id", "name", "tags", "created_at"],
    "suites": ["id", "name", "test_plan_id", "tags"],
    "cases": ["id", "title", "priority", "status", "test_suite_id", "tags"],
    "issues": ["id", "title", "severity", "status", "created_at"],
    "collections": ["id", "name", "imported_from", "tags"],
}
# Options that set a body field, per resource: option name -> (body field, help).
FIELDS: dict[str, dict[str, tuple[str, str]]] = {
    "projects": {"status": ("status", "active or archived")},
    "plans": {"objective": ("objectives", "an objective (repeat for several)")},
    "suites": {"plan": ("plan_id", "the plan this suite belongs to")},
    "cases": {"suite": ("suite_id", "the suite this case belongs to"), "priority": ("priority", "critical|high|medium|low"),
              "status": ("status", "draft|ready|passed|failed|blocked|skipped|deprecated"),
              "step": ("steps", "a step as 'action => expected result' (repeat)"),
              "expected": ("expected_result", "the expected result"), "requirement": ("requirement_ids", "a requirement key it covers (repeat)"),
              "steps": ("executable_steps", "a YAML or JSON file of executable steps in the step language ('-' = stdin)")},
    "issues": {"severity": ("severity", "critical|high|medium|low|info"), "status": ("status", "open|in_progress|resolved|closed"),
               "case": ("related_test_case_id", "the test case it relates to")},
    "collections": {"source-url": ("source_url", "where it came from")},
}
REPEATED = {"objectives", "steps", "requirement_ids"}


def _api_opt() -> Any:
    return typer.Option(None, "--api", envvar="COGNITEST_API", help="API base URL (default http://127.0.0.1:8000)")


def _json_opt() -> Any:
    return typer.Option(False, "--json", help="print only JSON")


def _project_opt() -> Any:
    return typer.Option(..., "--project", "-p", envvar="COGNITEST_PROJECT", help="project id")


def _parse_value(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def _body_from(kwargs: dict[str, Any], res: Resource, *, creating: bool) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if kwargs.get("body"):
        source = sys.stdin.read() if str(kwargs["body"]) == "-" else Path(kwargs["body"]).read_text()
        try:
            body = json.loads(source)
        except ValueError as exc:
            fail(f"--body is not valid JSON: {exc}")
        if not isinstance(body, dict):
            fail("--body must hold a JSON object")
    main = res.text_column
    if kwargs.get(main) is not None:
        body[main] = kwargs[main]
    if kwargs.get("description") is not None:
        body["description"] = kwargs["description"]
    if kwargs.get("tag"):
        body["tags"] = list(kwargs["tag"])
    for option, (field, _help) in FIELDS.get(res.plural, {}).items():
        value = kwargs.get(option.replace("-", "_"))
        if value in (None, [], ()):
            continue
        if field == "steps":
            value = [_step(s) for s in value]
        if field == "executable_steps":
            value = _executable_steps(str(value))
        body[field] = list(value) if field in REPEATED else value
    for item in kwargs.get("set") or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            fail(f"--set takes KEY=VALUE, got {item!r}")
        body[key] = _parse_value(value)
    if creating and main not in body:
        fail(f"--{main} is required")
    return body


def _executable_steps(source: str) -> list[dict[str, Any]]:
    """A file of steps in the step language (a YAML or JSON list), checked here so a mistake is
    reported with its step number before anything is sent."""
    import yaml
    from pydantic import TypeAdapter, ValidationError

    from cognitest.schemas.steps import Step

    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text()
    except OSError as exc:
        fail(f"cannot read {source}: {exc.strerror}")
    try:
        steps = yaml.safe_load(text)  # JSON is YAML too
    except yaml.YAMLError as exc:
        fail(f"--steps: {source} is neither JSON nor YAML: {str(exc).splitlines()[0]}")
    if isinstance(steps, dict) and "steps" in steps:
        steps = steps["steps"]
    if not isinstance(steps, list):
        fail("--steps: the file must hold a list of steps (or an object with a `steps` list)")
    try:
        checked = TypeAdapter(list[Step]).validate_python(steps)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        fail(f"--steps: step {where}: {first['msg']}")
    return [s.model_dump(exclude_none=True) for s in checked]


def _step(text: str) -> dict[str, str]:
    action, _, expected = text.partition("=>")
    return {"action": action.strip(), "expected": expected.strip()}


def _params(res: Resource, *, with_project: bool, creating: bool) -> list[inspect.Parameter]:
    main = res.text_column
    params = [
        inspect.Parameter(main, KW, annotation=str | None, default=typer.Option(None, f"--{main}", help=f"the {res.singular}'s {main}")),
        inspect.Parameter("description", KW, annotation=str | None, default=typer.Option(None, "--description", "-d")),
        inspect.Parameter("tag", KW, annotation=list[str] | None, default=typer.Option(None, "--tag", help="a tag (repeat)")),
    ]
    for option, (_field, help_) in FIELDS.get(res.plural, {}).items():
        repeated = _field in REPEATED
        params.append(inspect.Parameter(option.replace("-", "_"), KW, annotation=list[str] | None if repeated else str | None,
                                        default=typer.Option(None, f"--{option}", help=help_)))
    params += [
        inspect.Parameter("set", KW, annotation=list[str] | None,
                          default=typer.Option(None, "--set", help="any body field as KEY=VALUE (VALUE may be JSON)")),
        inspect.Parameter("body", KW, annotation=str | None, default=typer.Option(None, "--body", help="a JSON file with the body ('-' = stdin)")),
        inspect.Parameter("no_wait", KW, annotation=bool, default=typer.Option(False, "--no-wait", help="return once the event is accepted")),
        inspect.Parameter("api", KW, annotation=str | None, default=_api_opt()),
        inspect.Parameter("as_json", KW, annotation=bool, default=_json_opt()),
    ]
    if with_project:
        params.insert(0, inspect.Parameter("project", KW, annotation=str, default=_project_opt()))
    return params


def _base(res: Resource, project: str | None) -> str:
    return "/api/v1/projects" if res is PROJECTS else f"/api/v1/projects/{project}/{res.plural}"


def _signed(fn: Any, params: list[inspect.Parameter], doc: str) -> Any:
    fn.__signature__ = inspect.Signature(params)
    fn.__doc__ = doc
    return fn


def resource_app(res: Resource) -> typer.Typer:
    app = typer.Typer(help=f"Manage {res.plural}.", no_args_is_help=True)
    nested = res is not PROJECTS
    id_param = inspect.Parameter("item_id", KW, annotation=str, default=typer.Argument(..., metavar="ID", help=f"{res.singular} id"))

    def create(**kw: Any) -> None:
        body = _body_from(kw, res, creating=True)
        result = Api(kw["api"]).post(_base(res, kw.get("project")), body, wait=None if kw["no_wait"] else "true")
        if kw.get("id_only"):  # for scripts: SUITE=$(cognitest suites create --name X --id)
            print(result.get("id") or result.get("resource_id"))
            return
        show(result, as_json=kw["as_json"])

    def update(**kw: Any) -> None:
        body = _body_from(kw, res, creating=False)
        if not body:
            fail("nothing to update: give at least one field option")
        result = Api(kw["api"]).patch(f"{_base(res, kw.get('project'))}/{kw['item_id']}", body,
                                      wait=None if kw["no_wait"] else "true")
        show(result, as_json=kw["as_json"])

    def show_one(**kw: Any) -> None:
        show(Api(kw["api"]).get(f"{_base(res, kw.get('project'))}/{kw['item_id']}"), as_json=kw["as_json"])

    def delete(**kw: Any) -> None:
        result = Api(kw["api"]).delete(f"{_base(res, kw.get('project'))}/{kw['item_id']}",
                                       wait=None if kw["no_wait"] else "true")
        show(result, as_json=kw["as_json"])

    def list_items(**kw: Any) -> None:
        params = {f.param: kw.get(f.param) for f in res.filters}
        params.update(q=kw["q"], sort=kw["sort"], limit=kw["limit"], offset=kw["offset"])
        show(Api(kw["api"]).get(_base(res, kw.get("project")), **params), as_json=kw["as_json"],
             columns=LIST_COLUMNS[res.plural], title=res.plural)

    project = [inspect.Parameter("project", KW, annotation=str, default=_project_opt())] if nested else []
    common = [inspect.Parameter("api", KW, annotation=str | None, default=_api_opt()),
              inspect.Parameter("as_json", KW, annotation=bool, default=_json_opt())]
    no_wait = [inspect.Parameter("no_wait", KW, annotation=bool, default=typer.Option(False, "--no-wait"))]
    list_params = []
    for f in res.filters:
        values = enum_values(f.kind)
        help_ = f"filter by {f.param}" + (f" ({'|'.join(values)})" if values else "") + " (repeat for several)"
        list_params.append(inspect.Parameter(f.param, KW, annotation=list[str] | None,
                                             default=typer.Option(None, f"--{f.param.replace('_', '-')}", help=help_)))
    list_params += [
        inspect.Parameter("q", KW, annotation=str | None, default=typer.Option(None, "--q", help=f"search in {res.text_column}")),
        inspect.Parameter("sort", KW, annotation=str, default=typer.Option("-created_at", help=f"one of {', '.join(res.sorts)}; '-' = descending")),
        inspect.Parameter("limit", KW, annotation=int, default=typer.Option(50, min=1, max=500)),
        inspect.Parameter("offset", KW, annotation=int, default=typer.Option(0, min=0)),
    ]

    id_only = [inspect.Parameter("id_only", KW, annotation=bool, default=typer.Option(
        False, "--id", help="print only the new id (for scripts: ID=$(cognitest ... create ... --id))"))]
    app.command("create")(_signed(create, _params(res, with_project=nested, creating=True) + id_only,
                                  f"Create a {res.singular}."))
    app.command("list")(_signed(list_items, [*project, *list_params, *common], f"List {res.plural}."))
    app.command("show")(_signed(show_one, [id_param, *project, *common], f"Show one {res.singular}."))
    app.command("update")(_signed(update, [id_param, *_params(res, with_project=nested, creating=False)],
                                  f"Update a {res.singular} (only the fields you give change)."))
    app.command("delete")(_signed(delete, [id_param, *project, *no_wait, *common], f"Delete a {res.singular}."))
    return app


def register(root: typer.Typer) -> None:
    from cognitest.producers.cli.generation_cmd import import_collection, matrix

    root.add_typer(resource_app(PROJECTS), name="projects")
    for res in NESTED:
        sub = resource_app(res)
        if res.plural == "plans":
            sub.command("matrix")(matrix)
        if res.plural == "collections":
            sub.command("import")(import_collection)
        root.add_typer(sub, name=res.plural)
