"""Signing in to the UI through the OIDC provider: the authorization code flow with PKCE. The
state, nonce and code verifier travel in a short-lived encrypted cookie; the ID token is verified
against the provider's JWKS (audience = our client id, the nonce we sent); the person gets an
account on first sign-in (no password) and an ordinary browser session."""

import base64
import hashlib
import json
import secrets
from typing import Annotated, Any
from urllib.parse import urlencode

import httpx
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse

from cognitest.infra.identity.crypto import SecretUnreadable
from cognitest.infra.identity.oidc import InvalidToken, JwksVerifier
from cognitest.producers.api.access import sessions
from cognitest.producers.api.errors import ApiError
from cognitest.producers.api.state import AppState, get_state
from cognitest.producers.web.pages_core import safe_next

State = Annotated[AppState, Depends(get_state)]
router = APIRouter(prefix="/ui", include_in_schema=False)
FLOW_COOKIE = "cognitest_oidc"
FLOW_SECONDS = 600


async def _endpoints(state: AppState) -> dict[str, Any]:
    cached = getattr(state, "_oidc_endpoints", None)
    if cached:
        return cached
    issuer = (state.settings.auth.oidc.issuer or "").rstrip("/")
    async with httpx.AsyncClient(timeout=10) as client:
        try:
            found = (await client.get(f"{issuer}/.well-known/openid-configuration")).raise_for_status().json()
        except (httpx.HTTPError, ValueError):
            raise ApiError(503, "the identity provider cannot be reached; try again shortly") from None
    state._oidc_endpoints = found  # type: ignore[attr-defined]
    return found


def _redirect_url(state: AppState, request: Request) -> str:
    return state.settings.auth.oidc.redirect_url or str(request.url_for("oidc_callback"))


@router.get("/login/oidc")
async def oidc_start(request: Request, state: State, next: str | None = Query(None, max_length=2000)) -> RedirectResponse:
    oidc = state.settings.auth.oidc
    if not (oidc.issuer and oidc.client_id):
        raise ApiError(404, "sign-in through an identity provider is not configured")
    endpoints = await _endpoints(state)
    flow = {"state": secrets.token_urlsafe(24), "nonce": secrets.token_urlsafe(24),
            "verifier": secrets.token_urlsafe(48), "next": safe_next(next)}
    challenge = base64.urlsafe_b64encode(hashlib.sha256(flow["verifier"].encode()).digest()).rstrip(b"=").decode()
    query = {"response_type": "code", "client_id": oidc.client_id, "redirect_uri": _redirect_url(state, request),
             "scope": oidc.scopes, "state": flow["state"], "nonce": flow["nonce"], "code_challenge": challenge,
             "code_challenge_method": "S256"}
    response = RedirectResponse(f"{endpoints['authorization_endpoint']}?{urlencode(query)}", status_code=303)
    response.set_cookie(FLOW_COOKIE, state.cipher.seal(json.dumps(flow)), max_age=FLOW_SECONDS, httponly=True,
                        samesite="lax", secure=sessions.secure_cookie(state, request), path="/ui")
    return response


@router.get("/oidc/callback", name="oidc_callback")
async def oidc_callback(request: Request, state: State, code: str = Query(..., max_length=4000),
                        state_: str = Query(..., alias="state", max_length=200)) -> RedirectResponse:
    oidc = state.settings.auth.oidc
    try:
        flow = json.loads(state.cipher.open(request.cookies.get(FLOW_COOKIE, ""), max_age=FLOW_SECONDS) or "{}")
    except (SecretUnreadable, ValueError):
        flow = {}
    if not flow or not secrets.compare_digest(str(flow.get("state", "")), state_):
        raise ApiError(400, "the sign-in took too long or did not start here; sign in again")
    endpoints = await _endpoints(state)
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": _redirect_url(state, request),
            "client_id": oidc.client_id or "", "code_verifier": flow["verifier"]}
    if oidc.client_secret is not None:
        form["client_secret"] = oidc.client_secret.get_secret_value()
    async with httpx.AsyncClient(timeout=10) as client:
        try:
            answer = (await client.post(endpoints["token_endpoint"], data=form)).raise_for_status().json()
        except (httpx.HTTPError, ValueError):
            raise ApiError(502, "the identity provider refused the sign-in; try again") from None
    verifier = JwksVerifier(oidc.model_copy(update={"audience": [oidc.client_id], "authorized_parties": []}))
    try:
        identity = await verifier.verify(str(answer.get("id_token", "")))
    except InvalidToken as exc:
        raise ApiError(401, f"the identity provider's answer is not valid: {exc}") from None
    finally:
        await verifier.close()
    if identity.claims.get("nonce") != flow["nonce"]:
        raise ApiError(401, "the identity provider's answer is not for this sign-in (nonce)")
    account = await state.auth.store.external_user(identity.user, identity.claims.get("name"),
                                                   identity.user in oidc.admin_users)
    response = RedirectResponse(flow["next"], status_code=303)
    await sessions.start(state, request, response, account.id)
    response.delete_cookie(FLOW_COOKIE, path="/ui")
    return response
