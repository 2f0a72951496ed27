"""Verifying bearer JWTs from an OIDC provider against its JWKS.

Only the configured algorithms are accepted (`none` and HMAC never: a public key must not be
usable as a shared secret), the key is chosen by `kid` and must be of the algorithm's family,
and issuer, audience / authorised party, expiry and not-before are checked with a bounded
clock skew. An unknown `kid` fetches the key set again (the provider rotated its keys), at
most once per `min_refresh` seconds so junk tokens cannot make us hammer the provider."""

import asyncio
import time
from dataclasses import dataclass
from typing import Any

import httpx
import jwt

from cognitest.infra.settings import OidcSettings

FAMILIES = {"RSA": ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512"),
            "EC": ("ES256", "ES384", "ES512"), "OKP": ("EdDSA",)}
ASYMMETRIC = {alg for algs in FAMILIES.values() for alg in algs}


class InvalidToken(ValueError):
    """The bearer token is not one this instance accepts; the message says why."""


@dataclass(frozen=True)
class Identity:
    user: str
    subject: str
    claims: dict[str, Any]


class JwksVerifier:
    def __init__(self, settings: OidcSettings, client: httpx.AsyncClient | None = None,
                 min_refresh: float = 10.0) -> None:
        if not settings.issuer:
            raise ValueError("OIDC needs an issuer")
        self.settings = settings
        self.algorithms = [alg for alg in settings.algorithms if alg in ASYMMETRIC]
        self.url = settings.jwks_url or settings.issuer.rstrip("/") + "/.well-known/jwks.json"
        self.client = client or httpx.AsyncClient(timeout=10)
        self.min_refresh = min_refresh
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched = 0.0
        self._lock = asyncio.Lock()

    async def close(self) -> None:
        await self.client.aclose()

    async def _refresh(self, force: bool) -> None:
        async with self._lock:
            age = time.monotonic() - self._fetched
            if self._fetched and (age < self.min_refresh or (not force and age < self.settings.jwks_cache)):
                return
            try:
                response = await self.client.get(self.url)
                response.raise_for_status()
                keys = response.json().get("keys", [])
            except (httpx.HTTPError, ValueError) as exc:
                raise InvalidToken(f"the identity provider's keys could not be fetched ({type(exc).__name__})") from None
            fresh: dict[str, jwt.PyJWK] = {}
            for data in keys:
                if not isinstance(data, dict) or data.get("use", "sig") != "sig" or data.get("kty") not in FAMILIES:
                    continue
                try:
                    fresh[str(data.get("kid", ""))] = jwt.PyJWK(data)
                except jwt.PyJWKError:
                    continue  # a key type or curve we cannot use
            self._keys, self._fetched = fresh, time.monotonic()

    async def _key(self, kid: str) -> jwt.PyJWK:
        if time.monotonic() - self._fetched >= self.settings.jwks_cache or not self._fetched:
            await self._refresh(force=False)
        if kid not in self._keys:
            await self._refresh(force=True)
        try:
            return self._keys[kid]
        except KeyError:
            raise InvalidToken("the token's signing key (kid) is not one of the provider's keys") from None

    async def verify(self, token: str) -> Identity:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError:
            raise InvalidToken("the bearer token is not a JWT") from None
        alg = header.get("alg")
        if alg not in self.algorithms:
            raise InvalidToken(f"the token's algorithm {alg!r} is not accepted")
        key = await self._key(str(header.get("kid", "")))
        declared = getattr(key, "_jwk_data", {}).get("alg")
        if alg not in FAMILIES.get(key.key_type, ()) or (declared and declared != alg):
            raise InvalidToken("the token's algorithm does not match its key")
        s = self.settings
        try:
            claims = jwt.decode(
                token, key.key, algorithms=[alg], issuer=s.issuer, audience=s.audience or None, leeway=s.leeway,
                options={"require": ["exp", "iss", "sub"], "verify_aud": bool(s.audience)},
            )
        except jwt.ExpiredSignatureError:
            raise InvalidToken("the token has expired") from None
        except jwt.ImmatureSignatureError:
            raise InvalidToken("the token is not valid yet (nbf/iat)") from None
        except jwt.InvalidIssuerError:
            raise InvalidToken("the token's issuer is not accepted") from None
        except jwt.InvalidAudienceError:
            raise InvalidToken("the token's audience is not accepted") from None
        except jwt.InvalidTokenError as exc:
            raise InvalidToken(f"the token is invalid: {exc}") from None
        if s.authorized_parties and claims.get("azp") not in s.authorized_parties:
            raise InvalidToken("the token's authorised party (azp) is not accepted")
        user = claims.get(s.user_claim) or claims["sub"]
        return Identity(user=str(user).lower() if "@" in str(user) else str(user), subject=str(claims["sub"]),
                        claims=claims)
