"""Roster and registry imports with their reports."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from panel_service.db import UTCDateTime, utcnow


class RosterImport(SQLModel, table=True):
    __tablename__ = "imports"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=20)  # roster or registry
    filename: str = Field(max_length=255)
    sha256: str = Field(max_length=64)
    created_by_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # Counts of created, updated, unchanged and rejected rows.
    summary: dict = Field(default_factory=dict, sa_type=sa.JSON)
    # The problems found, as codes with parameters (rendered in the reader's locale).
    problems: list = Field(default_factory=list, sa_type=sa.JSON)
    # The rejected rows with a reason column, to fix and import again (personal data:
    # administrators only).
    rejected_workbook: bytes | None = Field(default=None, sa_type=sa.LargeBinary)
