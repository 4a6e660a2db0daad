"""Signing in (API tokens) and user administration."""

from __future__ import annotations

from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, Field

from panel_service.auth import BEARER_SECURITY, EVERYONE, current_user, requires
from panel_service.db import unit_of_work
from panel_service.users.models import Role
from panel_service.users.operations import authenticate_password, create_user, issue_token
from panel_service.api.common import RowId

tag = Tag(name="users", description="Users and API tokens")
bp = APIBlueprint("users", __name__, abp_tags=[tag])


class TokenRequest(BaseModel):
    username: str = Field(max_length=64)
    password: str = Field(max_length=200)
    name: str = Field(default="", max_length=100, description="label of the token, e.g. the device")


class UserCreate(BaseModel):
    username: str = Field(max_length=64)
    password: str = Field(max_length=200)
    role: Role
    display_name: str = Field(default="", max_length=100)
    expert_id: RowId | None = None


def user_dict(user) -> dict:
    return {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role.value,
        "expert_id": user.expert_id,
        "active": user.active,
    }


@bp.post("/auth/tokens")
def create_token(body: TokenRequest):
    # Open to everyone: this is where a user exchanges a password for a token.
    with unit_of_work() as session:
        user = authenticate_password(session, body.username, body.password)
        token = issue_token(session, user, body.name)
    return {"token": token, "user": user_dict(user)}, 201


@bp.get("/users/me", security=BEARER_SECURITY)
@requires(*EVERYONE)
def me():
    return user_dict(current_user())


@bp.post("/users", security=BEARER_SECURITY)
@requires(Role.admin)
def add_user(body: UserCreate):
    with unit_of_work() as session:
        user = create_user(
            session,
            body.username,
            body.password,
            body.role,
            display_name=body.display_name,
            expert_id=body.expert_id,
            actor=current_user(),
        )
    return user_dict(user), 201
