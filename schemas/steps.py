"""The step language of executable test cases, version 1.

A case's `executable_steps` is a list of these; the execution engine (web through Playwright,
mobile through Appium, API through httpx) runs them in order. Cases without them are manual.
Values may reference variables as `{{name}}` (set by `set_var` or saved from a response)."""

import re
from typing import Annotated, Any, Literal, Union

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, model_validator
from cognitest.schemas.numbers import JsonInt

STEP_LANGUAGE_VERSION = 1

# Checked wherever a step is made (a person's edit, a model's answer, an import), so a refused
# step is reported where it comes from and never stored; the runner checks again at run time.
_SCHEME = re.compile(r"^\s*([a-zA-Z][a-zA-Z0-9+.-]*):")
_WINDOWS_DRIVE = re.compile(r"^[a-zA-Z]:[\\/]")


def web_url(value: str) -> str:
    """A step's URL is relative (to the environment's base URL), a template, or http(s)."""
    found = _SCHEME.match(value)
    if found and found.group(1).lower() not in ("http", "https"):
        raise ValueError(f"only http and https URLs are allowed, not {found.group(1).lower()}:")
    return value


PROJECT_FILE = re.compile(r"^file:([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$")


def upload_source(value: str) -> str:
    """A file to upload is one the project uploaded (`file:<id>`, POST .../files) or a file of the
    instance's fixtures directory: a path relative to it, never absolute, never `..`, never a URL
    (a step must not send a file of the host running the tests to the site under test)."""
    if "\x00" in value:
        raise ValueError("a file name must not contain NUL")
    stripped = value.strip()
    if PROJECT_FILE.match(stripped):
        return value
    if stripped.startswith(("/", "\\", "~")) or _WINDOWS_DRIVE.match(stripped) or _SCHEME.match(stripped):
        raise ValueError("upload files are the project's files (file:<id>) or paths relative to the fixtures "
                         "directory: absolute paths, home directories and URLs are refused")
    if ".." in re.split(r"[\\/]+", stripped):
        raise ValueError("upload files must stay inside the fixtures directory: '..' is refused")
    return value


WebUrl = Annotated[str, Field(min_length=1, max_length=4000), AfterValidator(web_url)]
UploadSource = Annotated[str, Field(min_length=1, max_length=500), AfterValidator(upload_source)]


STRATEGIES = ("role", "label", "text", "test_id", "css", "xpath", "placeholder", "title", "accessibility_id")
_CHOSEN = {"type": "string", "minLength": 1}


def _one_strategy_schema(schema: dict[str, Any]) -> None:
    """The rule of the validator below, in the schema: exactly one strategy is a non-empty string,
    and a name only goes with a role."""
    schema["oneOf"] = [
        {"required": [k], "properties": {k: _CHOSEN, **{o: {"not": _CHOSEN} for o in STRATEGIES if o != k},
                                         **({} if k == "role" else {"name": {"not": _CHOSEN}})}}
        for k in STRATEGIES]


class Target(BaseModel):
    """How to find an element: exactly one strategy (role takes an optional name)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_one_strategy_schema)
    role: str | None = Field(default=None, description="ARIA role, e.g. button, textbox, link")
    name: str | None = Field(default=None, description="accessible name, with role")
    label: str | None = None
    text: str | None = None
    test_id: str | None = None
    css: str | None = None
    xpath: str | None = None
    placeholder: str | None = Field(default=None, description="an input's placeholder text")
    title: str | None = Field(default=None, description="an element's title attribute")
    accessibility_id: str | None = Field(default=None, description="mobile accessibility id")

    @model_validator(mode="after")
    def one_strategy(self) -> "Target":
        chosen = [k for k in STRATEGIES if getattr(self, k)]
        if len(chosen) != 1:
            raise ValueError(f"a target needs exactly one of {', '.join(STRATEGIES)}")
        if self.name and not self.role:
            raise ValueError("name goes with role")
        return self


def _action_required(schema: dict[str, Any]) -> None:
    """The union is told apart by `action`, so a step must name it even where the model has a
    default: the schema says so (a step without it is refused)."""
    schema["required"] = ["action", *[name for name in schema.get("required", []) if name != "action"]]


class _Step(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra=_action_required)
    description: str | None = Field(default=None, max_length=500)


class Goto(_Step):
    action: Literal["goto"] = "goto"
    url: WebUrl


class Click(_Step):
    action: Literal["click"] = "click"
    target: Target


class Fill(_Step):
    action: Literal["fill"] = "fill"
    target: Target
    value: str


class Select(_Step):
    action: Literal["select"] = "select"
    target: Target
    value: str


class Check(_Step):
    action: Literal["check"] = "check"
    target: Target
    checked: StrictBool = True


class Press(_Step):
    action: Literal["press"] = "press"
    key: str
    target: Target | None = None


class Hover(_Step):
    action: Literal["hover"] = "hover"
    target: Target


class Upload(_Step):
    action: Literal["upload"] = "upload"
    target: Target
    files: list[UploadSource] = Field(min_length=1, max_length=20,
                                      description="the project's files as `file:<id>` (POST .../files), or paths relative "
                                      "to the fixtures directory (COGNITEST_EXECUTION__FIXTURES_DIR)")


class WaitFor(_Step):
    action: Literal["wait_for"] = "wait_for"
    target: Target | None = None
    state: Literal["visible", "hidden", "attached", "detached"] = "visible"
    timeout_ms: JsonInt = Field(default=5000, ge=0, le=600_000)


class ExpectText(_Step):
    action: Literal["expect_text"] = "expect_text"
    text: str
    target: Target | None = None
    exact: StrictBool = False


class ExpectVisible(_Step):
    action: Literal["expect_visible"] = "expect_visible"
    target: Target


class ExpectHidden(_Step):
    action: Literal["expect_hidden"] = "expect_hidden"
    target: Target


class ExpectValue(_Step):
    action: Literal["expect_value"] = "expect_value"
    target: Target
    value: str


class ExpectUrl(_Step):
    action: Literal["expect_url"] = "expect_url"
    pattern: str = Field(description="a substring of the URL, or a regular expression searched in it")


class ExpectTitle(_Step):
    action: Literal["expect_title"] = "expect_title"
    text: str


class ExpectCount(_Step):
    action: Literal["expect_count"] = "expect_count"
    target: Target
    count: JsonInt = Field(ge=0)


class ExpectAttribute(_Step):
    action: Literal["expect_attribute"] = "expect_attribute"
    target: Target
    name: str
    value: str


class Screenshot(_Step):
    action: Literal["screenshot"] = "screenshot"
    name: str = "screenshot"


class Request(_Step):
    action: Literal["request"] = "request"
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"] = "GET"
    url: WebUrl
    headers: dict[str, str] = Field(default_factory=dict)
    json_body: Any = None
    body: str | None = None
    multipart: dict[str, Any] | None = Field(default=None, description="{fields: {name: value}, files: {name: "
                                             "{filename, content, content_type}}}: a form with generated files")
    file_body: dict[str, Any] | None = Field(default=None, description="{filename, content, content_type}: a raw "
                                             "(octet-stream) body")
    save: dict[str, str] = Field(default_factory=dict, description="variable name -> JSON path into the response")


class ExpectStatus(_Step):
    action: Literal["expect_status"] = "expect_status"
    status: JsonInt = Field(ge=100, le=599)


class ExpectHeader(_Step):
    action: Literal["expect_header"] = "expect_header"
    name: str
    value: str | None = None


class ExpectJson(_Step):
    action: Literal["expect_json"] = "expect_json"
    path: str = Field(description="JSON path, e.g. $.items[0].id")
    equals: Any = None
    exists: StrictBool = True


class ExpectJsonSchema(_Step):
    action: Literal["expect_json_schema"] = "expect_json_schema"
    json_schema: dict[str, Any]


class SetVar(_Step):
    action: Literal["set_var"] = "set_var"
    name: str
    value: str


class Tap(_Step):
    action: Literal["tap"] = "tap"
    target: Target


class TypeText(_Step):
    action: Literal["type"] = "type"
    target: Target
    text: str


class Swipe(_Step):
    action: Literal["swipe"] = "swipe"
    direction: Literal["up", "down", "left", "right"]


class Back(_Step):
    action: Literal["back"] = "back"


class Reload(_Step):
    action: Literal["reload"] = "reload"


class GoBack(_Step):
    action: Literal["go_back"] = "go_back"


Step = Annotated[
    Union[Goto, Click, Fill, Select, Check, Press, Hover, Upload, WaitFor, ExpectText, ExpectVisible,  # noqa: UP007
          ExpectHidden, ExpectValue, ExpectUrl, ExpectTitle, ExpectCount, ExpectAttribute, Screenshot, Request,
          ExpectStatus, ExpectHeader, ExpectJson, ExpectJsonSchema, SetVar, Tap, TypeText, Swipe, Back, Reload, GoBack],
    Field(discriminator="action"),
]
