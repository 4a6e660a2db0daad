"""Append-only, hash-chained audit log."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from panel_service.db import UTCDateTime, utcnow


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    actor_id: int | None = Field(default=None, foreign_key="users.id")
    action: str = Field(max_length=60, index=True)
    object_type: str = Field(max_length=40)
    object_id: str = Field(max_length=40)
    # Never personal data: ids, counts and codes only.
    details: dict = Field(default_factory=dict, sa_type=sa.JSON)
    previous_hash: str = Field(max_length=64)
    entry_hash: str = Field(max_length=64, sa_column_kwargs={"unique": True})
