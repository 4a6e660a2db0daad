"""Draws, their candidates and their results. Draw rows are never overwritten."""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from panel_service.db import UTCDateTime, utcnow


class DrawStatus(str, enum.Enum):
    # The candidates, rules, distribution and commitment are fixed; no randomness yet.
    committed = "committed"
    # The seed is known and the panel is drawn.
    revealed = "revealed"
    voided = "voided"


class Draw(SQLModel, table=True):
    __tablename__ = "draws"
    # At most one draw per task that is not void, even under concurrent requests.
    __table_args__ = (
        sa.Index(
            "uq_draws_task_not_voided",
            "task_id",
            unique=True,
            sqlite_where=sa.text("status != 'voided'"),
            postgresql_where=sa.text("status != 'voided'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="tasks.id", index=True)
    # A second draw for the same task links to the one it replaces and records why.
    replaces_draw_id: int | None = Field(default=None, foreign_key="draws.id")
    replace_reason: str | None = Field(default=None, max_length=500)
    status: DrawStatus = Field(sa_type=sa.Enum(DrawStatus, native_enum=False, length=20), index=True)
    method: str = Field(max_length=40)
    method_version: str = Field(max_length=20)
    commitment: str = Field(max_length=64, sa_column_kwargs={"unique": True})
    # Secret until the reveal; then published in the record.
    nonce: str = Field(max_length=64)
    seed: str | None = Field(default=None, max_length=64)
    # Experts outside the required groups are counted, not listed one by one.
    wrong_group_count: int = 0
    # The draw record (committed part, then the full record after the reveal).
    record: dict = Field(sa_type=sa.JSON)
    published: bool = False
    requested_by_id: int = Field(foreign_key="users.id")
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    revealed_by_id: int | None = Field(default=None, foreign_key="users.id")
    revealed_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    voided_by_id: int | None = Field(default=None, foreign_key="users.id")
    voided_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    void_reason: str | None = Field(default=None, max_length=500)
    # A relaxation of the task's rules that a person chose after an infeasible attempt.
    relaxation: dict | None = Field(default=None, sa_type=sa.JSON)


class DrawCandidate(SQLModel, table=True):
    """An expert of a required group, drawable or excluded with its reasons."""

    __tablename__ = "draw_candidates"
    __table_args__ = (sa.UniqueConstraint("draw_id", "expert_id"),)

    id: int | None = Field(default=None, primary_key=True)
    draw_id: int = Field(foreign_key="draws.id", index=True)
    expert_id: int = Field(foreign_key="experts.id", index=True)
    group: str = Field(max_length=40)
    # Empty when the expert was drawable.
    exclusion_reasons: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    # Exact selection probability as "p/q", when the method computes one.
    probability: str | None = Field(default=None, max_length=80)


class MemberRole(str, enum.Enum):
    member = "member"
    alternate = "alternate"


class DrawMember(SQLModel, table=True):
    """A drawn member or alternate, in draw order."""

    __tablename__ = "draw_members"
    __table_args__ = (sa.UniqueConstraint("draw_id", "expert_id"),)

    id: int | None = Field(default=None, primary_key=True)
    draw_id: int = Field(foreign_key="draws.id", index=True)
    expert_id: int = Field(foreign_key="experts.id", index=True)
    role: MemberRole = Field(sa_type=sa.Enum(MemberRole, native_enum=False, length=20))
    position: int
    group: str = Field(max_length=40)
    is_leader: bool = False
    # A member who declined or was recused stays listed, inactive, with the reason.
    active: bool = True
    withdrawal_reason: str | None = Field(default=None, max_length=500)
    # For an alternate called up: the member whose seat they took.
    replaces_expert_id: int | None = Field(default=None, foreign_key="experts.id")
    called_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
