"""Users, their roles and their API tokens."""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from panel_service.db import UTCDateTime, utcnow


class Role(str, enum.Enum):
    admin = "admin"
    inspector = "inspector"
    complaint_handler = "complaint_handler"
    expert = "expert"


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, sa_column_kwargs={"unique": True}, index=True)
    display_name: str = Field(default="", max_length=100)
    role: Role = Field(sa_type=sa.Enum(Role, native_enum=False, length=32))
    password_hash: str = Field(max_length=255)
    # Links a user with the expert role to the expert record they may see.
    expert_id: int | None = Field(default=None, foreign_key="experts.id")
    active: bool = True
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ApiToken(SQLModel, table=True):
    __tablename__ = "api_tokens"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    # SHA-256 of the token: the token itself is shown once and never stored.
    token_hash: str = Field(max_length=64, sa_column_kwargs={"unique": True})
    name: str = Field(default="", max_length=100)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    revoked_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
