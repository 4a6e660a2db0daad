"""JSON views of the institution registry."""

from __future__ import annotations

from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, Field
from sqlmodel import select

from panel_service.api.common import Page, RowId, escape_like
from panel_service.auth import BEARER_SECURITY, STAFF, requires
from panel_service.db import get_session
from panel_service.errors import NotFound
from panel_service.institutions.models import Institution

tag = Tag(name="institutions", description="Appraisal institutions")
bp = APIBlueprint("institutions", __name__, url_prefix="/institutions", abp_tags=[tag], abp_security=BEARER_SECURITY)


class InstitutionQuery(Page):
    q: str | None = Field(default=None, max_length=100, description="part of the name")
    practice_category: str | None = Field(default=None, max_length=40, description="professional group code")


class InstitutionPath(BaseModel):
    institution_id: RowId


def institution_dict(institution: Institution) -> dict:
    return institution.model_dump(mode="json", exclude={"name_key"})


@bp.get("")
@requires(*STAFF)
def list_institutions(query: InstitutionQuery):
    statement = select(Institution)
    if query.q:
        statement = statement.where(Institution.name.like(f"%{escape_like(query.q.strip())}%", escape="\\"))
    session = get_session()
    rows = list(session.exec(statement.order_by(Institution.id)))
    if query.practice_category:
        # JSON containment differs between SQLite and PostgreSQL; the registry is small.
        rows = [row for row in rows if query.practice_category in (row.practice_categories or [])]
    start = (query.page - 1) * query.per_page
    return {
        "total": len(rows),
        "page": query.page,
        "per_page": query.per_page,
        "items": [institution_dict(row) for row in rows[start : start + query.per_page]],
    }


@bp.get("/<int:institution_id>")
@requires(*STAFF)
def get_institution(path: InstitutionPath):
    institution = get_session().get(Institution, path.institution_id)
    if institution is None:
        raise NotFound(kind="institution", id=path.institution_id)
    return institution_dict(institution)
