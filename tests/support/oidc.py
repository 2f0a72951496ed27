"""A stand-in identity provider: RSA and EC signing keys, their JWKS, and tokens minted with any
claims (or any header), for testing the API's OIDC verification end to end."""

import base64
import json
import time
import uuid
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

ISSUER_PATH = "/oidc"
AUDIENCE = "cognitest"
CLIENT_ID = "cognitest-ui"


class Idp:
    def __init__(self, issuer: str = "") -> None:
        self.issuer = issuer
        self.keys: dict[str, Any] = {}
        self.published: list[str] = []
        self.browser_user = "browser@idp.test"  # who "signs in" at the authorize endpoint
        self.codes: dict[str, dict[str, str]] = {}
        self.rotate()

    # --- the browser flow (authorization code + PKCE) ------------------------------------------
    def discovery(self, base: str) -> dict[str, Any]:
        return {"issuer": self.issuer, "authorization_endpoint": f"{base}{ISSUER_PATH}/authorize",
                "token_endpoint": f"{base}{ISSUER_PATH}/token", "jwks_uri": f"{base}{ISSUER_PATH}/jwks"}

    def authorize(self, path: str) -> str:
        from urllib.parse import parse_qs, urlencode, urlsplit

        q = {k: v[0] for k, v in parse_qs(urlsplit(path).query).items()}
        code = uuid.uuid4().hex
        self.codes[code] = {"user": self.browser_user, "nonce": q.get("nonce", ""), "client_id": q["client_id"],
                            "challenge": q.get("code_challenge", ""), "redirect_uri": q["redirect_uri"]}
        return f"{q['redirect_uri']}?{urlencode({'code': code, 'state': q.get('state', '')})}"

    def exchange(self, body: str) -> tuple[int, dict[str, Any]]:
        import hashlib
        from urllib.parse import parse_qs

        form = {k: v[0] for k, v in parse_qs(body).items()}
        grant = self.codes.pop(form.get("code", ""), None)
        verifier = form.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if grant is None or challenge != grant["challenge"] or form.get("redirect_uri") != grant["redirect_uri"]:
            return 400, {"error": "invalid_grant"}
        return 200, {"token_type": "Bearer", "access_token": uuid.uuid4().hex,
                     "id_token": self.token(grant["user"], aud=grant["client_id"], nonce=grant["nonce"], name="Browser User")}

    def rotate(self, keep_old: bool = False) -> str:
        """A new RSA key becomes current; the old ones leave the JWKS unless kept."""
        kid = f"rsa-{uuid.uuid4().hex[:8]}"
        self.keys[kid] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.published = [*self.published, kid] if keep_old else [kid]
        self.current = kid
        return kid

    def add_ec(self) -> str:
        kid = f"ec-{uuid.uuid4().hex[:8]}"
        self.keys[kid] = ec.generate_private_key(ec.SECP256R1())
        self.published.append(kid)
        return kid

    def jwks(self) -> dict[str, Any]:
        out = []
        for kid in self.published:
            key = self.keys[kid]
            algorithm = jwt.algorithms.RSAAlgorithm if isinstance(key, rsa.RSAPrivateKey) else jwt.algorithms.ECAlgorithm
            jwk = json.loads(algorithm.to_jwk(key.public_key()))
            out.append({**jwk, "kid": kid, "use": "sig", "alg": "RS256" if "rsa" in kid else "ES256"})
        return {"keys": out}

    def claims(self, user: str, **overrides: Any) -> dict[str, Any]:
        now = int(time.time())
        return {"iss": self.issuer, "sub": f"sub-{user}", "aud": AUDIENCE, "email": user, "iat": now,
                "nbf": now, "exp": now + 300, **overrides}

    def token(self, user: str = "oidc-user@idp.test", kid: str | None = None, alg: str | None = None,
              **claims: Any) -> str:
        kid = kid or self.current
        key = self.keys[kid]
        alg = alg or ("RS256" if isinstance(key, rsa.RSAPrivateKey) else "ES256")
        return jwt.encode(self.claims(user, **claims), key, algorithm=alg, headers={"kid": kid})

    def unsigned(self, user: str = "oidc-user@idp.test") -> str:
        """`alg: none`: a token with no signature at all."""
        def part(data: dict[str, Any]) -> str:
            return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
        return f"{part({'alg': 'none', 'typ': 'JWT', 'kid': self.current})}.{part(self.claims(user))}."

    def public_pem(self, kid: str | None = None) -> bytes:
        return self.keys[kid or self.current].public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)

    def hmac_confused(self, user: str = "oidc-user@idp.test") -> str:
        """HS256 signed with the public key as the secret (the classic key-confusion attack)."""
        import hashlib
        import hmac

        header = {"alg": "HS256", "typ": "JWT", "kid": self.current}

        def part(data: dict[str, Any]) -> str:
            return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
        signing_input = f"{part(header)}.{part(self.claims(user))}".encode()
        signature = hmac.new(self.public_pem(), signing_input, hashlib.sha256).digest()
        return signing_input.decode() + "." + base64.urlsafe_b64encode(signature).rstrip(b"=").decode()
