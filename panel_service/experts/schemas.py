"""API shapes of experts, with personal data masked by role."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from panel_service.api.common import Page, RowId, mask_email, mask_id_number, mask_phone, sees_personal_data
from panel_service.experts.models import Expert, ExpertStatus
from panel_service.users.models import User


class ExpertQuery(Page):
    group: str | None = Field(default=None, max_length=40, description="professional group code")
    sub_pool: str | None = Field(default=None, max_length=40)
    status: ExpertStatus | None = None
    employer_institution_id: RowId | None = None
    q: str | None = Field(default=None, max_length=50, description="part of the name or employer")


class ExpertPath(BaseModel):
    expert_id: RowId


class ExpertPublic(BaseModel):
    id: int
    pseudonym: str
    name: str
    sex: str | None
    employer_name: str
    employer_institution_id: int | None
    employer_type: str | None
    title: str | None
    title_level: str
    years_of_service: int | None
    sub_pool: str
    group: str
    term_start: dt.date | None
    term_end: dt.date | None
    status: ExpertStatus
    status_reasons: list[str]
    # Masked unless the caller is an admin or the expert themself.
    id_number: str | None
    phone: str | None
    email: str | None
    birth_date: dt.date | None
    personal_data_masked: bool

    @classmethod
    def for_user(cls, expert: Expert, user: User) -> "ExpertPublic":
        full = sees_personal_data(user, expert.id)
        return cls(
            id=expert.id,
            pseudonym=expert.pseudonym,
            name=expert.name,
            sex=expert.sex,
            employer_name=expert.employer_name,
            employer_institution_id=expert.employer_institution_id,
            employer_type=expert.employer_type,
            title=expert.title,
            title_level=expert.title_level,
            years_of_service=expert.years_of_service,
            sub_pool=expert.sub_pool,
            group=expert.group,
            term_start=expert.term_start,
            term_end=expert.term_end,
            status=expert.status,
            status_reasons=list(expert.status_reasons or []),
            id_number=expert.id_number if full else mask_id_number(expert.id_number),
            phone=expert.phone if full else mask_phone(expert.phone),
            email=expert.email if full else mask_email(expert.email),
            birth_date=expert.birth_date if full else None,
            personal_data_masked=not full,
        )
