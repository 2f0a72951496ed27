"""Expected against actual, read from the assertion messages real tools write."""

from cognitest.infra.triage.context import artifact_links, expected_actual


def test_expected_and_actual_from_real_assertion_messages() -> None:
    assert expected_actual("step 5 (expect_text): Locator expected to contain text 'Welcome back'; "
                           "Actual value: Wrong email or password") == ("Welcome back", "Wrong email or password")
    assert expected_actual("expect.toHaveCount; Expected: 3; Received: 2") == ("3", "2")
    assert expected_actual("step 5 (expect_text): Locator expected to contain text 'Welcome back'; Actual value:") == (
        "Welcome back", "(nothing)")  # the text is nowhere on the page
    assert expected_actual('Error: expect(received).toBe(expected)\nExpected: "paid"\nReceived: "pending"') == (
        '"paid"', '"pending"')
    assert expected_actual("AssertionError: expected status 200 but got 500") == ("200", "500")
    assert expected_actual("AssertionError: expected 404 to equal 200") == ("200", "404")
    assert expected_actual("E       assert 404 == 200") == ("200", "404")
    assert expected_actual("TimeoutError: locator.click: Timeout 5000ms exceeded") is None


def test_artifact_links_open_the_projects_artifact_route() -> None:
    [link] = artifact_links("https://qa.example", "p1", [{"kind": "screenshot", "name": "s.png", "ref": "sha256/ab+c"},
                                                         {"kind": "trace"}])
    assert link == {"kind": "screenshot", "name": "s.png",
                    "url": "https://qa.example/api/v1/projects/p1/artifacts?ref=sha256%2Fab%2Bc"}


def test_a_detected_issue_says_where_what_and_the_cases_history() -> None:
    import uuid

    from cognitest.consumers.triage.handler import Triage
    from cognitest.infra.triage.failures import Failure
    from cognitest.infra.triage.signature import signature_of

    error = "step 5 (expect_text): Locator expected to contain text 'Welcome back'; Actual value: Wrong password"
    failure = Failure(0, uuid.uuid4(), None, "login shows the dashboard", "failed", error, "expect_text", "chromium",
                      [{"kind": "screenshot", "ref": "r1"}])
    links = artifact_links("https://qa.example", "p", failure.artifacts)
    issue = Triage._detected(uuid.uuid4(), failure, signature_of(error, "expect_text"), None, ["look at the login"],
                             {"base_url": "https://staging.example", "browser": "chromium", "run_name": "nightly 812"},
                             links, ["passed", "passed", "passed", "failed"])
    assert issue.description.startswith("First seen in run nightly 812 (failed).\nFailing step: expect_text\n"
                                        "Expected: Welcome back\nActual: Wrong password\n"
                                        "Recent results of this case (oldest first): ✓✓✓✗; a regression: it passed the 3 run(s) before")
    assert issue.environment["base_url"] == "https://staging.example" and issue.attachments == links
    flaky = Triage._detected(uuid.uuid4(), failure, signature_of(error, "expect_text"), None, [], {}, [],
                             ["passed", "failed", "passed", "failed", "passed", "failed"])
    assert "✓✗✓✗✓✗; flaky: the outcome changed 5 times in 6 runs (100%)" in flaky.description
    assert "regression" not in Triage._detected(uuid.uuid4(), failure, signature_of(error, "expect_text"), None, [], {},
                                                [], ["failed"]).description
    assert issue.metadata["expected"] == "Welcome back"
