"""Where tests and scans may send traffic: the SSRF guard, after DNS and on every redirect."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from cognitest.consumers.execution.api_runner import ApiSession
from cognitest.infra.execution_guard import TargetPolicy, TargetRefused, check_url


@pytest.mark.parametrize("url", [
    "http://169.254.169.254/latest/meta-data/", "http://[fe80::1]/", "http://2852039166/",  # decimal 169.254.169.254
    "http://[::ffff:169.254.169.254]/", "http://[fd00:ec2::254]/", "http://[64:ff9b::a9fe:a9fe]/",  # NAT64 metadata
    "file:///etc/passwd", "gopher://x/", "http:///nohost",
])
def test_metadata_link_local_and_odd_schemes_are_always_refused(url: str) -> None:
    for allow_private in (False, True):
        with pytest.raises(TargetRefused):
            check_url(url, allow_private=allow_private)


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8080/login", "http://127.1/", "http://2130706433/",  # decimal 127.0.0.1
    "http://0x7f000001/", "http://0177.0.0.1/", "http://localhost/",  # hex, octal, a name resolving to loopback
    "http://[::1]/", "http://[::ffff:127.0.0.1]/", "http://[::ffff:7f00:1]/", "http://10.0.0.5/",
    "http://172.16.3.4/", "http://192.168.1.1/", "http://[fd12:3456::1]/", "http://100.64.0.1/", "http://0.0.0.0/",
    "http://[::]/", "http://[2002:7f00:1::]/",  # 6to4 wrapping 127.0.0.1
])
def test_loopback_and_private_addresses_are_refused_unless_the_project_allows_them(url: str) -> None:
    with pytest.raises(TargetRefused, match="loopback or private"):
        check_url(url)
    TargetPolicy(allow_private=True).check(url)


def test_public_targets_pass_and_an_allow_list_is_the_only_list() -> None:
    check_url("http://93.184.215.14/")
    check_url("https://[2606:4700::1111]/")
    check_url("https://shop.example.com/", ["example.com"])
    with pytest.raises(TargetRefused, match="allowed hosts"):
        check_url("https://evil.test/", ["example.com"])


def test_project_settings_override_the_instance_defaults() -> None:
    assert TargetPolicy.of({"targets": {"allow_private": True}}, [], False).allow_private is True
    assert TargetPolicy.of({"targets": {"allow_private": False}}, [], True).allow_private is False
    assert TargetPolicy.of({}, ["a.test"], True) == TargetPolicy(("a.test",), True)
    assert TargetPolicy.of({"targets": {"allowed_hosts": ["b.test"]}}, ["a.test"], False).allowed_hosts == ("b.test",)


class Redirector(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802
        targets = {"/metadata": "http://169.254.169.254/latest/meta-data/iam", "/private": "http://10.1.2.3/admin",
                   "/decimal": "http://2852039166/"}
        self.send_response(302)
        self.send_header("location", targets[self.path])
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def redirector():  # type: ignore[no-untyped-def]
    server = ThreadingHTTPServer(("127.0.0.1", 0), Redirector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


# The app under test is on loopback here, so the project allows private targets; the metadata
# service stays refused whatever the project says, and an allow-list refuses any other host.
@pytest.mark.parametrize("path,policy", [
    ("/metadata", TargetPolicy(allow_private=True)),
    ("/decimal", TargetPolicy(allow_private=True)),
    ("/private", TargetPolicy(allowed_hosts=("127.0.0.1",), allow_private=True)),
])
async def test_a_redirect_is_checked_again_before_it_is_followed(redirector: str, path: str, policy: TargetPolicy) -> None:
    session = ApiSession(None, {}, policy, timeout=5)
    try:
        with pytest.raises(TargetRefused):
            await session.run({"action": "request", "method": "GET", "url": redirector + path}, [])
    finally:
        await session.close()
