"""JSON views of the expert pool."""

from __future__ import annotations

import sqlalchemy as sa
from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, Field
from sqlmodel import select

from panel_service.api.common import escape_like
from panel_service.auth import BEARER_SECURITY, EVERYONE, STAFF, current_user, requires
from panel_service.db import get_session, unit_of_work
from panel_service.experts import operations
from panel_service.errors import Forbidden, NotFound
from panel_service.experts.models import Expert
from panel_service.experts.schemas import ExpertPath, ExpertPublic, ExpertQuery
from panel_service.users.models import Role

tag = Tag(name="experts", description="The expert pool")
bp = APIBlueprint("experts", __name__, url_prefix="/experts", abp_tags=[tag], abp_security=BEARER_SECURITY)


@bp.get("")
@requires(*STAFF)
def list_experts(query: ExpertQuery):
    statement = select(Expert)
    if query.group:
        statement = statement.where(Expert.group == query.group)
    if query.sub_pool:
        statement = statement.where(Expert.sub_pool == query.sub_pool)
    if query.status:
        statement = statement.where(Expert.status == query.status)
    if query.employer_institution_id:
        statement = statement.where(Expert.employer_institution_id == query.employer_institution_id)
    if query.q:
        pattern = f"%{escape_like(query.q.strip())}%"
        statement = statement.where(
            sa.or_(Expert.name.like(pattern, escape="\\"), Expert.employer_name.like(pattern, escape="\\"))
        )

    session = get_session()
    total = session.exec(select(sa.func.count()).select_from(statement.subquery())).one()
    rows = session.exec(statement.order_by(Expert.id).offset((query.page - 1) * query.per_page).limit(query.per_page))
    user = current_user()
    return {
        "total": total,
        "page": query.page,
        "per_page": query.per_page,
        "items": [ExpertPublic.for_user(expert, user).model_dump(mode="json") for expert in rows],
    }


@bp.get("/<int:expert_id>")
@requires(*EVERYONE)
def get_expert(path: ExpertPath):
    user = current_user()
    if user.role == Role.expert and user.expert_id != path.expert_id:
        raise Forbidden()
    return ExpertPublic.for_user(_load(path.expert_id), user).model_dump(mode="json")


class AgeDecision(BaseModel):
    note: str = Field(min_length=1, max_length=500, description="the decision and who took it")


class Removal(BaseModel):
    ground: str = Field(max_length=40, description="withdrawal, unable_to_serve, violation_while_serving, refused_duties, penalised, other_unsuitability")
    note: str = Field(default="", max_length=500)


def _load(expert_id: int) -> Expert:
    expert = get_session().get(Expert, expert_id)
    if expert is None:
        raise NotFound(kind="expert", id=expert_id)
    return expert


@bp.post("/<int:expert_id>/allow-over-70")
@requires(Role.admin)
def allow_over_70(path: ExpertPath, body: AgeDecision):
    with unit_of_work():
        expert = operations.allow_over_70(get_session(), _load(path.expert_id), current_user(), body.note)
    return ExpertPublic.for_user(expert, current_user()).model_dump(mode="json")


@bp.post("/<int:expert_id>/removal")
@requires(Role.admin)
def remove(path: ExpertPath, body: Removal):
    with unit_of_work():
        expert = operations.remove_expert(get_session(), _load(path.expert_id), current_user(), body.ground, body.note)
    return ExpertPublic.for_user(expert, current_user()).model_dump(mode="json")
