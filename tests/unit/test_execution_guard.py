"""Where tests may send traffic."""

import pytest

from cognitest.infra.execution_guard import TargetRefused, check_url


@pytest.mark.parametrize("url", [
    "http://169.254.169.254/latest/meta-data/", "http://[fe80::1]/", "http://2852039166/",  # decimal 169.254.169.254
    "http://[::ffff:169.254.169.254]/", "http://[fd00:ec2::254]/", "file:///etc/passwd", "gopher://x/",
])
def test_metadata_link_local_and_odd_schemes_are_refused(url: str) -> None:
    with pytest.raises(TargetRefused):
        check_url(url)


def test_public_and_loopback_targets_pass_unless_an_allow_list_says_otherwise() -> None:
    check_url("http://127.0.0.1:8080/login")
    check_url("http://localhost/")  # resolves to 127.0.0.1: allowed, the demo app lives there
    check_url("https://shop.example.com/", ["example.com"])
    with pytest.raises(TargetRefused, match="allowed hosts"):
        check_url("https://evil.test/", ["example.com"])
