"""Built-in accounts, managed by the instance admin (`cognitest users create`)."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import Field, StrictBool

from cognitest.infra.identity.passwords import MIN_LENGTH, WeakPassword
from cognitest.infra.identity.store import UserExists
from cognitest.producers.api.body import Body
from cognitest.producers.api.errors import ApiError
from cognitest.producers.api.state import AppState, get_state

State = Annotated[AppState, Depends(get_state)]
router = APIRouter(prefix="/api/v1/users", tags=["users"])


class UserBody(Body):
    email: str = Field(min_length=3, max_length=255, pattern=r"^[^@\s]+@[^@\s]+$")
    password: str = Field(min_length=MIN_LENGTH, max_length=1024,
                          description=f"at least {MIN_LENGTH} characters; stored as Argon2id")
    name: str | None = Field(default=None, max_length=255)
    is_admin: StrictBool = Field(default=False, description="an instance admin sees and manages every project")


@router.post("", status_code=201, summary="Create a user (instance admin)")
async def create_user(state: State, body: UserBody) -> JSONResponse:
    try:
        account = await state.auth.store.create_user(body.email, body.password, body.name, body.is_admin)
    except WeakPassword as exc:
        raise ApiError(422, f"password: {exc}") from None
    except UserExists as exc:
        raise ApiError(409, str(exc)) from None
    return JSONResponse(account.as_dict(), status_code=201)


@router.get("", summary="List users (instance admin)")
async def list_users(state: State) -> dict[str, Any]:
    return {"items": jsonable_encoder(await state.auth.store.list_users())}


class PasswordReset(Body):
    password: str = Field(min_length=MIN_LENGTH, max_length=1024,
                          description=f"at least {MIN_LENGTH} characters; stored as Argon2id")


@router.put("/{email}/password", summary="Set a user's password (instance admin)",
            description="For a forgotten or leaked password: the new one is stored and every session of the "
                        "account ended. 404 for no such built-in account (identity-provider accounts have none).")
async def reset_password(state: State, email: str, body: PasswordReset) -> dict[str, Any]:
    try:
        ended = await state.auth.store.set_password(email, body.password)
    except WeakPassword as exc:
        raise ApiError(422, f"password: {exc}") from None
    if ended is None:
        raise ApiError(404, f"no built-in account with the email {email.strip().lower()}")
    return {"email": email.strip().lower(), "sessions_ended": ended}
