"""API shapes of tasks."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field, StrictInt, model_validator

from panel_service.tasks.models import TaskType
from panel_service.api.common import RowId


class AttributeRuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    attribute: str = Field(max_length=40, description="title_level, employer_type, employer_category or sub_pool")
    value: str = Field(max_length=40)
    minimum: int = Field(default=0, ge=0, le=50)
    maximum: int | None = Field(default=None, ge=0, le=50)


class TaskCreate(BaseModel):
    # A misspelt field (require_leadr) must fail, not silently drop a rule.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    task_type: TaskType
    title: str = Field(min_length=1, max_length=200)
    target_institution_id: RowId | None = None
    target_institution_name: str | None = Field(default=None, max_length=200, description="alternative to the id")
    sits_from: dt.date = Field(ge=dt.date(2000, 1, 1), le=dt.date(2100, 12, 31))
    sits_to: dt.date = Field(ge=dt.date(2000, 1, 1), le=dt.date(2100, 12, 31))
    group_counts: dict[str, StrictInt] = Field(description="professional group code -> number of members")
    alternates: int = Field(default=0, ge=0, le=20, description="alternates per required group")
    attribute_rules: list[AttributeRuleIn] = Field(default_factory=list, max_length=20)
    require_leader: bool = False
    one_per_employer: bool = True
    method: str | None = Field(default=None, max_length=40)


    @model_validator(mode="after")
    def _one_target(self) -> "TaskCreate":
        if self.target_institution_id is not None and self.target_institution_name:
            raise ValueError("give target_institution_id or target_institution_name, not both")
        return self


class TaskPath(BaseModel):
    task_id: RowId
