"""Built-in accounts, managed by the instance admin (`cognitest users create`)."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import Field

from cognitest.infra.identity.passwords import WeakPassword
from cognitest.infra.identity.store import UserExists
from cognitest.producers.api.body import Body
from cognitest.producers.api.errors import ApiError
from cognitest.producers.api.state import AppState, get_state

State = Annotated[AppState, Depends(get_state)]
router = APIRouter(prefix="/api/v1/users", tags=["users"])


class UserBody(Body):
    email: str = Field(min_length=3, max_length=255, pattern=r"^[^@\s]+@[^@\s]+$")
    password: str = Field(min_length=1, max_length=1024, description="at least 10 characters; stored as Argon2id")
    name: str | None = Field(default=None, max_length=255)
    is_admin: bool = Field(default=False, description="an instance admin sees and manages every project")


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
