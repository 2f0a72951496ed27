"""What app-aware generation learns of a live web application: the pages reachable from its base
URL (same origin, bounded), and on each the elements a test can bind to by role, accessible name,
label or placeholder. Cases are grounded in these elements, and the LLM engine's executable steps
are checked against them (no invented selectors)."""

from pydantic import AnyHttpUrl, BaseModel, Field, StrictBool
from cognitest.schemas.numbers import JsonInt


class AppTarget(BaseModel):
    """Where the application under test runs, and how far generation may explore it."""

    base_url: AnyHttpUrl
    max_pages: JsonInt = Field(default=10, ge=1, le=50, description="pages visited, breadth first from the base URL")
    allow_destructive: StrictBool = Field(default=False, description=(
        "follow links that look destructive (log out, delete, remove, cancel ...); never by default"))
    verify: StrictBool = Field(default=True, description="dry-run every generated executable case once (a run of them)")


class PageElement(BaseModel):
    role: str = Field(max_length=40, description="button, link, textbox, combobox, checkbox, heading, listitem ...")
    name: str = Field(default="", max_length=300, description="its accessible name (label, text, aria-label)")
    label: str | None = Field(default=None, max_length=300)
    placeholder: str | None = Field(default=None, max_length=300)
    input_type: str | None = Field(default=None, max_length=40)
    required: StrictBool = False
    href: str | None = Field(default=None, max_length=2000)
    form: JsonInt | None = Field(default=None, description="index of the form it belongs to on the page")


class AppPage(BaseModel):
    path: str = Field(max_length=2000, description="path and query, relative to the base URL's origin")
    title: str = Field(default="", max_length=300)
    elements: list[PageElement] = Field(default_factory=list, max_length=300)


class AppMap(BaseModel):
    base_url: str
    pages: list[AppPage] = Field(default_factory=list, max_length=50)
    skipped: list[str] = Field(default_factory=list, max_length=200, description="links not followed, and why")
    error: str | None = Field(default=None, max_length=2000, description="why exploring stopped early")


class ExploreJob(BaseModel):
    project_id: str
    target: AppTarget
