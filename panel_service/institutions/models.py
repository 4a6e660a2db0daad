"""Appraisal institutions from the registry kept by the justice bureau."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from panel_service.db import UTCDateTime, utcnow


class Institution(SQLModel, table=True):
    __tablename__ = "institutions"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    # Normalised name used to match employers written in rosters by hand.
    name_key: str = Field(max_length=200, sa_column_kwargs={"unique": True}, index=True)
    credit_code: str | None = Field(default=None, max_length=18)
    licence_number: str | None = Field(default=None, max_length=32)
    # Professional group codes the institution is licensed for.
    practice_categories: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    district: str | None = Field(default=None, max_length=50)
    complaints_last_3_years: int = 0
    penalised_last_3_years: bool = False
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
