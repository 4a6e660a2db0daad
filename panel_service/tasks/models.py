"""Tasks that experts are drawn for."""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from panel_service.db import UTCDateTime, utcnow


class TaskType(str, enum.Enum):
    policy_opinion = "policy_opinion"
    standards_drafting = "standards_drafting"
    admission_review = "admission_review"
    competency_assessment = "competency_assessment"
    spot_check = "spot_check"
    report_review = "report_review"
    proficiency_test = "proficiency_test"
    complaint_hearing = "complaint_hearing"
    integrity_rating = "integrity_rating"
    public_explanation = "public_explanation"
    consultation = "consultation"
    other = "other"


class Task(SQLModel, table=True):
    __tablename__ = "tasks"
    __table_args__ = (sa.CheckConstraint("sits_to >= sits_from", name="ck_tasks_period"),)

    id: int | None = Field(default=None, primary_key=True)
    task_type: TaskType = Field(sa_type=sa.Enum(TaskType, native_enum=False, length=40))
    title: str = Field(max_length=200)
    target_institution_id: int | None = Field(default=None, foreign_key="institutions.id", index=True)
    sits_from: dt.date = Field(index=True)
    sits_to: dt.date = Field(index=True)
    # {group code: number of members}
    group_counts: dict = Field(sa_type=sa.JSON)
    alternates: int = 0
    # [{"attribute": ..., "value": ..., "minimum": ..., "maximum": ...}]
    attribute_rules: list = Field(default_factory=list, sa_type=sa.JSON)
    require_leader: bool = False
    one_per_employer: bool = True
    method: str = Field(max_length=40)
    created_by_id: int = Field(foreign_key="users.id")
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
