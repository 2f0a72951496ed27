"""OIDC bearer tokens verified against a JWKS served over HTTP on 127.0.0.1: what is accepted,
what is refused, and key rotation."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from cognitest.infra.identity.oidc import InvalidToken, JwksVerifier
from cognitest.infra.settings import OidcSettings
from tests.support.oidc import AUDIENCE, Idp


@pytest.fixture
def idp():  # type: ignore[no-untyped-def]
    provider = Idp()
    fetched: list[float] = []

    class Jwks(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            fetched.append(time.monotonic())
            body = json.dumps(provider.jwks()).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Jwks)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    provider.issuer = f"http://127.0.0.1:{server.server_address[1]}/realms/test"
    provider.jwks_url = f"http://127.0.0.1:{server.server_address[1]}/certs"  # type: ignore[attr-defined]
    provider.fetched = fetched  # type: ignore[attr-defined]
    yield provider
    server.shutdown()


def verifier(idp: Idp, **settings: object) -> JwksVerifier:
    config = OidcSettings(issuer=idp.issuer, jwks_url=idp.jwks_url, audience=[AUDIENCE], leeway=30,  # type: ignore[attr-defined]
                          **settings)  # type: ignore[arg-type]
    return JwksVerifier(config, min_refresh=0)


async def test_a_valid_token_names_its_user(idp: Idp) -> None:
    v = verifier(idp)
    identity = await v.verify(idp.token("Ana@Example.com"))
    assert identity.user == "ana@example.com" and identity.subject == "sub-Ana@Example.com"
    ec_kid = idp.add_ec()
    assert (await v.verify(idp.token("bo@example.com", kid=ec_kid))).user == "bo@example.com"  # ES256 too
    no_email = idp.token(email=None)
    assert (await v.verify(no_email)).user == "sub-oidc-user@idp.test"  # falls back to sub
    await v.close()


@pytest.mark.parametrize("case,message", [
    ("expired", "expired"), ("wrong issuer", "issuer"), ("wrong audience", "audience"), ("not yet valid", "not valid yet"),
    ("alg none", "algorithm 'none'"), ("hmac with the public key", "algorithm 'HS256'"), ("unknown kid", "kid"),
    ("tampered", "invalid"), ("no expiry", "invalid"), ("not a jwt", "not a JWT"), ("wrong azp", "authorised party"),
])
async def test_refused_tokens_say_why(idp: Idp, case: str, message: str) -> None:
    now = int(time.time())
    v = verifier(idp, authorized_parties=["https://app.example"] if case == "wrong azp" else [])
    token = {
        "expired": lambda: idp.token(exp=now - 31),  # beyond the 30 s leeway
        "wrong issuer": lambda: idp.token(iss="https://evil.example/"),
        "wrong audience": lambda: idp.token(aud="someone-else"),
        "not yet valid": lambda: idp.token(nbf=now + 120),
        "alg none": lambda: idp.unsigned(),
        "hmac with the public key": lambda: idp.hmac_confused(),
        "unknown kid": lambda: _foreign(idp),
        "tampered": lambda: _tampered(idp.token()),
        "no expiry": lambda: idp.token(exp=None),
        "not a jwt": lambda: "definitely-not-a-jwt",
        "wrong azp": lambda: idp.token(azp="https://evil.example"),
    }[case]()
    with pytest.raises(InvalidToken, match=message):
        await v.verify(token)
    await v.close()


def _foreign(idp: Idp) -> str:
    """Signed by a key the provider never published."""
    other = Idp(idp.issuer)
    return other.token()


def _tampered(token: str) -> str:
    header, payload, signature = token.split(".")
    import base64

    claims = json.loads(base64.urlsafe_b64decode(payload + "==="))
    claims["email"] = "root@idp.test"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


async def test_clock_skew_within_the_leeway_is_accepted(idp: Idp) -> None:
    now = int(time.time())
    v = verifier(idp)
    assert (await v.verify(idp.token(exp=now - 10, nbf=now + 10))).user == "oidc-user@idp.test"
    await v.close()


async def test_rotated_keys_are_fetched_by_kid_and_old_keys_stop_working(idp: Idp) -> None:
    v = verifier(idp)
    old = idp.token()
    assert await v.verify(old)
    fetches = len(idp.fetched)  # type: ignore[attr-defined]
    assert await v.verify(idp.token())  # cached: no new fetch
    assert len(idp.fetched) == fetches  # type: ignore[attr-defined]
    idp.rotate()  # the provider publishes a new key and drops the old one
    assert await v.verify(idp.token())  # unknown kid -> the key set is fetched again
    assert len(idp.fetched) == fetches + 1  # type: ignore[attr-defined]
    with pytest.raises(InvalidToken, match="kid"):
        await v.verify(old)
    await v.close()


async def test_unknown_kids_do_not_hammer_the_provider(idp: Idp) -> None:
    v = JwksVerifier(OidcSettings(issuer=idp.issuer, jwks_url=idp.jwks_url, audience=[AUDIENCE]),  # type: ignore[attr-defined]
                     min_refresh=60)
    assert await v.verify(idp.token())
    for _ in range(20):
        with pytest.raises(InvalidToken):
            await v.verify(_foreign(idp))
    assert len(idp.fetched) == 1  # type: ignore[attr-defined]
    await v.close()
