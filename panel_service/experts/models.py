"""Experts of the pool, their declared conflicts and their unavailability."""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from panel_service.db import UTCDateTime, utcnow


class ExpertStatus(str, enum.Enum):
    active = "active"
    term_expired = "term_expired"
    term_not_started = "term_not_started"
    ineligible = "ineligible"
    # Over seventy: drawable only after a recorded decision.
    pending_review = "pending_review"
    removed = "removed"
    banned = "banned"


class Expert(SQLModel, table=True):
    __tablename__ = "experts"
    __table_args__ = (sa.Index("ix_experts_group_status", "group", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    # Stable pseudonymous id published in draw records instead of the name.
    pseudonym: str = Field(max_length=32, sa_column_kwargs={"unique": True})
    name: str = Field(max_length=50)
    sex: str | None = Field(default=None, max_length=8)
    birth_date: dt.date | None = None
    id_number: str = Field(max_length=18, sa_column_kwargs={"unique": True})
    employer_name: str = Field(default="", max_length=200)
    employer_key: str = Field(default="", max_length=200, index=True)
    employer_institution_id: int | None = Field(default=None, foreign_key="institutions.id", index=True)
    employer_type: str | None = Field(default=None, max_length=40)
    title: str | None = Field(default=None, max_length=40)
    title_level: str = Field(default="other", max_length=20)
    years_of_service: int | None = None
    licence_number: str | None = Field(default=None, max_length=32)
    sub_pool: str = Field(max_length=40, index=True)
    group: str = Field(max_length=40)
    recommendation: str | None = Field(default=None, max_length=100)
    term_start: dt.date | None = None
    term_end: dt.date | None = None
    phone: str | None = Field(default=None, max_length=20)
    email: str | None = Field(default=None, max_length=120)
    note: str | None = Field(default=None, max_length=500)
    status: ExpertStatus = Field(default=ExpertStatus.active, sa_type=sa.Enum(ExpertStatus, native_enum=False, length=20))
    status_reasons: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    # Set when an administrator records that an expert over seventy may serve.
    age_override_note: str | None = Field(default=None, max_length=500)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ExpertChange(SQLModel, table=True):
    """One field that a roster re-import changed."""

    __tablename__ = "expert_changes"

    id: int | None = Field(default=None, primary_key=True)
    expert_id: int = Field(foreign_key="experts.id", index=True)
    import_id: int = Field(foreign_key="imports.id", index=True)
    field: str = Field(max_length=40)
    old_value: str | None = Field(default=None, max_length=500)
    new_value: str | None = Field(default=None, max_length=500)


class Conflict(SQLModel, table=True):
    """A declared relation that forces recusal: with an institution or another expert."""

    __tablename__ = "conflicts"

    id: int | None = Field(default=None, primary_key=True)
    expert_id: int = Field(foreign_key="experts.id", index=True)
    institution_id: int | None = Field(default=None, foreign_key="institutions.id", index=True)
    # The institution as written when it matches no registry entry.
    institution_key: str | None = Field(default=None, max_length=200, index=True)
    other_expert_id: int | None = Field(default=None, foreign_key="experts.id", index=True)
    relation: str = Field(max_length=40)
    relation_text: str | None = Field(default=None, max_length=100)
    ended_on: dt.date | None = None
    note: str | None = Field(default=None, max_length=500)


class Unavailability(SQLModel, table=True):
    __tablename__ = "unavailability"
    __table_args__ = (sa.CheckConstraint("ends_on >= starts_on", name="ck_unavailability_period"),)

    id: int | None = Field(default=None, primary_key=True)
    expert_id: int = Field(foreign_key="experts.id", index=True)
    starts_on: dt.date = Field(index=True)
    ends_on: dt.date = Field(index=True)
    reason: str | None = Field(default=None, max_length=100)
