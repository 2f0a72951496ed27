"""Grounding cases in an explored app: steps bound to elements the app has, values into the fields
their sentence names, the outcome as the check; nothing bound when nothing can be checked or an
element is not there; a model's invented targets dropped; boundary cases as the valid submission
with one field changed."""

from cognitest.infra.generation.grounded import checked
from cognitest.infra.generation.grounding import ground, variant
from cognitest.schemas.exploration import AppMap, AppPage, PageElement
from cognitest.schemas.generation import CaseDraft, ManualStep

APP = AppMap(base_url="http://127.0.0.1:9/", pages=[
    AppPage(path="/signin", title="Sign in · Bookshelf", elements=[
        PageElement(role="textbox", name="Email", label="Email", input_type="email", required=True, form=0),
        PageElement(role="textbox", name="Password", label="Password", input_type="password", form=0),
        PageElement(role="button", name="Sign in", form=0),
        PageElement(role="link", name="Forgot password?", href="/forgot")]),
    AppPage(path="/search", title="Search the catalogue", elements=[
        PageElement(role="searchbox", name="Title", label="Title", placeholder="e.g. Dune", form=0),
        PageElement(role="button", name="Search", form=0)]),
])


def test_a_sentence_binds_its_values_its_button_and_its_outcome() -> None:
    steps, page = ground('Signing in with the email "a@b.c" and the password "pw" shows "Welcome back"', APP)
    assert page == "/signin" and steps == [
        {"action": "goto", "url": "/signin"},
        {"action": "fill", "target": {"label": "Email"}, "value": "a@b.c"},
        {"action": "fill", "target": {"label": "Password"}, "value": "pw"},
        {"action": "click", "target": {"role": "button", "name": "Sign in"}},
        {"action": "expect_text", "text": "Welcome back"}]
    search, _ = ground('Searching for "dune" lists "Dune by Frank Herbert"', APP)
    assert search[1] == {"action": "fill", "target": {"label": "Title"}, "value": "dune"}  # the page's only input
    link, _ = ground('A "Forgot password?" link is shown on /signin', APP)
    assert link[-1] == {"action": "expect_visible", "target": {"role": "link", "name": "Forgot password?"}}


def test_nothing_is_bound_without_a_check_or_with_an_element_the_app_lacks() -> None:
    assert ground("Searching is fast", APP) is None  # no outcome to check: it would pass by checking nothing
    assert ground('A "Register" link is shown on /signin', APP) is None  # no such link: nothing invented
    assert ground('Signing in with "x" and "y" shows "Hi"', APP) is None  # two loose values, no field named


def test_a_models_invented_targets_are_dropped_and_said() -> None:
    case = CaseDraft(title="t", steps=[ManualStep(action="a", expected="b")], expected_result="b", requirement_keys=["K"],
                     executable_steps=[{"action": "goto", "url": "/signin"},
                                       {"action": "fill", "target": {"label": "Username"}, "value": "x"},
                                       {"action": "click", "target": {"role": "button", "name": "Sign in"}}])
    dropped = checked(case, APP)
    assert dropped.executable_steps == [] and "label=username" in dropped.confidence_reasons[-1]
    fine = case.model_copy(update={"executable_steps": [case.executable_steps[0], case.executable_steps[2]]})
    assert checked(fine, APP).executable_steps == fine.executable_steps


def test_boundary_cases_vary_the_features_valid_submission() -> None:
    template, _ = ground('Signing in with the email "a@b.c" and the password "pw" shows "Welcome back"', APP)
    short = variant("K-1: password of 3 characters is rejected", template)
    assert short[2]["value"] == "Aa1" and short[-1] == {"action": "expect_hidden", "target": {"text": "Welcome back"}}
    empty = variant("K-1: Email left empty is refused", template)
    assert [s["action"] for s in empty] == ["goto", "fill", "click", "expect_hidden"]
    invalid = variant("K-1: invalid email is rejected", template)
    assert invalid[-1] == {"action": "expect_text", "text": "Welcome back"} and invalid.count(template[0]) == 3
    assert variant("K-1: a value outside the list is rejected", template) is None
