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
