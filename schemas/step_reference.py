"""The step language as a compact reference, written from the step models themselves: one line per
action with its fields, the ways to find an element, and an example. Agents read it (the MCP
resource `cognitest://reference/steps`) and so do prompts, so it can never drift from what the
validator accepts."""

import json
import types
import typing

from pydantic import BaseModel

from cognitest.schemas.steps import STEP_LANGUAGE_VERSION, Step, Target

EXAMPLE = [
    {"action": "goto", "url": "/login"},
    {"action": "fill", "target": {"label": "Email"}, "value": "{{email}}"},
    {"action": "click", "target": {"role": "button", "name": "Sign in"}},
    {"action": "expect_text", "text": "Welcome back"},
]


def _type(annotation: typing.Any) -> str:
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return " | ".join(json.dumps(a) for a in typing.get_args(annotation))
    if origin in (typing.Union, types.UnionType):
        return " | ".join(_type(a) for a in typing.get_args(annotation) if a is not type(None))
    if origin is typing.Annotated:
        return _type(typing.get_args(annotation)[0])
    if origin in (list, dict):
        return f"{origin.__name__}[{', '.join(_type(a) for a in typing.get_args(annotation))}]"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "target" if annotation is Target else annotation.__name__
    return getattr(annotation, "__name__", str(annotation))


def _fields(model: type[BaseModel], skip: tuple[str, ...]) -> str:
    parts = []
    for name, info in model.model_fields.items():
        if name in skip:
            continue
        text = f"{name}: {_type(info.annotation)}"
        if not info.is_required():
            default = info.get_default(call_default_factory=True)
            text += "" if default is None else f" = {json.dumps(default)}"
            text = f"[{text}]"
        if info.description:
            text += f" ({info.description})"
        parts.append(text)
    return ", ".join(parts)


def step_models() -> list[type[BaseModel]]:
    union = typing.get_args(Step)[0]
    return list(typing.get_args(union))


def action_lines() -> list[str]:
    """One line per action with its fields (no example: a prompt carries this, and an answer that
    follows an example word for word must not read as a leak of the instructions)."""
    out = []
    for model in step_models():
        fields = _fields(model, ("action", "description"))
        out.append(f"- `{model.model_fields['action'].default}`" + (f": {fields}" if fields else ""))
    return out


def target_line() -> str:
    return ("One way to find it (`name` goes with `role`): " + _fields(Target, ()) + ". Prefer role+name, then "
            "label, then test_id; css and xpath last.")


def prompt_guide() -> str:
    """The compact guide a model gets with its instructions."""
    return "\n".join(["Step language (each step: an object with `action` and that action's fields; [field] = optional; "
                      "URLs relative to the run's base URL (or `{{base_url}}/path`); `{{name}}` uses a variable):", *action_lines(),
                      "Targets: " + target_line()])


def reference_markdown() -> str:
    lines = [f"# Cognitest step language, version {STEP_LANGUAGE_VERSION}", "",
             "A case's `executable_steps` is a JSON list of steps run in order (web through Playwright, mobile through "
             "Appium, API through HTTP). Each step is an object with an `action` and that action's fields; every step "
             "may carry a `description`. Values may use `{{variable}}` (set by set_var, or saved from a response). "
             "URLs are relative to the run's base URL (also `{{base_url}}`) or http(s); upload files are the "
             "project's own files (`file:<id>`, from `cognitest files upload`) or paths inside the fixtures directory. "
             "[field] = optional.", "", "## Actions", ""]
    lines += action_lines()
    lines += ["", "## Finding an element (`target`)", "", target_line(), "", "## Example", "", "```json", "[" + ",\n ".join(json.dumps(step) for step in EXAMPLE) + "]", "```", ""]
    return "\n".join(lines)
