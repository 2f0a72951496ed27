"""Cases that read alike but test other values are never duplicates."""

from cognitest.infra.knowledge.documents import case_text
from cognitest.infra.knowledge.values import same_values, values_of


def test_limits_durations_and_counts_are_read_with_their_units() -> None:
    assert values_of("The password must be between 10 and 64 characters long") == {"10 char", "64 char"}
    assert values_of("Sessions expire after 60 minutes of inactivity") == {"60 min"}
    assert values_of("After five failed attempts the account is locked for 15 min") == {"15 min", "5 attempt"}
    assert values_of("Respond within 2.50 seconds for 95% of requests") == {"2.5 s", "95 %"}
    assert values_of("FR-3: step 2 of scenario 4 shows the cart") == frozenset()  # ids and numbering are not values


def test_a_new_limit_is_not_a_duplicate_of_the_old_one_and_a_rewording_is() -> None:
    old = case_text({"title": "Password of 8 characters is accepted", "expected_result": "The account is created",
                     "steps": [{"action": "Enter a password of 8 characters"}]})
    new_limit = case_text({"title": "Password of 10 characters is accepted", "expected_result": "The account is created",
                           "steps": [{"action": "Enter a password of 10 characters"}]})
    reworded = case_text({"title": "A password with 8 characters is accepted", "expected_result": "Account created",
                          "steps": [{"action": "Type a password of 8 characters"}]})
    assert not same_values(old, new_limit)
    assert same_values(old, reworded)
    assert not same_values("Session expires after 30 minutes", "Session expires after 60 minutes")
    assert same_values("Log in with a valid password", "Sign in with a valid passphrase")  # no values: wording decides
