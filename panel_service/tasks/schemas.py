"""API shapes of tasks."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from panel_service.tasks.models import TaskType
from panel_service.api.common import RowId


class AttributeRuleIn(BaseModel):
    attribute: str = Field(max_length=40, description="title_level, employer_type, employer_category or sub_pool")
    value: str = Field(max_length=40)
    minimum: int = Field(default=0, ge=0, le=50)
    maximum: int | None = Field(default=None, ge=0, le=50)


class TaskCreate(BaseModel):
    task_type: TaskType
    title: str = Field(min_length=1, max_length=200)
    target_institution_id: RowId | None = None
    target_institution_name: str | None = Field(default=None, max_length=200, description="alternative to the id")
    sits_from: dt.date
    sits_to: dt.date
    group_counts: dict[str, int] = Field(description="professional group code -> number of members")
    alternates: int = Field(default=0, ge=0, le=20, description="alternates per required group")
    attribute_rules: list[AttributeRuleIn] = Field(default_factory=list, max_length=20)
    require_leader: bool = False
    one_per_employer: bool = True
    method: str | None = Field(default=None, max_length=40)


class TaskPath(BaseModel):
    task_id: RowId
