"""JSON views of draws: commit, reveal, void, show, publish and the public record."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import select

from panel_service.api.common import Page, RowId
from panel_service.app import get_settings
from panel_service.auth import BEARER_SECURITY, STAFF, current_user, requires
from panel_service.db import get_session, unit_of_work
from panel_service.draws import operations
from panel_service.draws.messages import exclusion_label, group_name
from panel_service.draws.models import Draw, DrawCandidate, DrawMember, DrawStatus, MemberRole
from panel_service.errors import NotFound
from panel_service.experts.models import Expert
from panel_service.tasks.models import Task
from panel_service.users.models import Role

tag = Tag(name="draws", description="Committed and revealed draws")
bp = APIBlueprint("draws", __name__, abp_tags=[tag], abp_security=BEARER_SECURITY)
public_bp = APIBlueprint("public", __name__, url_prefix="/public", abp_tags=[Tag(name="public")])


class TaskPath(BaseModel):
    task_id: RowId


class DrawPath(BaseModel):
    draw_id: RowId


class Relaxation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(max_length=40)
    params: dict[str, Any] = Field(default_factory=dict)


class DrawCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    method: str | None = Field(default=None, max_length=40, description="first_feasible, maximin or leximin")
    replaces_draw_id: RowId | None = Field(default=None, description="the draw this one replaces; it is voided")
    reason: str | None = Field(default=None, max_length=500, description="why the earlier draw is replaced")
    relaxation: Relaxation | None = Field(default=None, description="a relaxation proposed by a failed draw")


class RevealBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    supervisor_entropy: list[str] = Field(min_length=1, max_length=20, description="digits typed by each supervisor present")
    public_value: str | None = Field(default=None, max_length=1024, description="e.g. a drand round or lottery result")


class ReplacementBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    expert_id: RowId = Field(description="the member who declined or was recused")
    reason: str = Field(min_length=1, max_length=500)


class VoidBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=500)


def load_draw(draw_id: int) -> Draw:
    draw = get_session().get(Draw, draw_id)
    if draw is None:
        raise NotFound(kind="draw", id=draw_id)
    return draw


def _members(draw: Draw) -> tuple[list[dict], list[dict]]:
    statement = (
        select(DrawMember, Expert)
        .join(Expert, Expert.id == DrawMember.expert_id)
        .where(DrawMember.draw_id == draw.id)
        .order_by(DrawMember.role, DrawMember.position)
    )
    panel, alternates = [], []
    for member, expert in get_session().exec(statement):
        item = {
            "position": member.position,
            "expert_id": expert.id,
            "pseudonym": expert.pseudonym,
            "name": expert.name,
            "group": member.group,
            "group_name": group_name(member.group),
            "employer_name": expert.employer_name,
            "title": expert.title,
            "is_leader": member.is_leader,
            "active": member.active,
            "withdrawal_reason": member.withdrawal_reason,
            "replaces_expert_id": member.replaces_expert_id,
        }
        (panel if member.role == MemberRole.member else alternates).append(item)
    return panel, alternates


def _candidates_table(draw: Draw, page: Page) -> list[dict]:
    statement = (
        select(DrawCandidate, Expert)
        .join(Expert, Expert.id == DrawCandidate.expert_id)
        .where(DrawCandidate.draw_id == draw.id)
        .order_by(DrawCandidate.group, Expert.id)
        .offset((page.page - 1) * page.per_page)
        .limit(page.per_page)
    )
    return [
        {
            "expert_id": expert.id,
            "pseudonym": expert.pseudonym,
            "name": expert.name,
            "group": candidate.group,
            "drawable": not candidate.exclusion_reasons,
            "exclusion_reasons": candidate.exclusion_reasons,
            "exclusion_labels": [exclusion_label(code) for code in candidate.exclusion_reasons],
            "probability": candidate.probability,
        }
        for candidate, expert in get_session().exec(statement)
    ]


def _exclusion_summary(draw: Draw) -> dict[str, dict[str, int]]:
    summary: dict[str, dict[str, int]] = {}
    rows = get_session().exec(select(DrawCandidate.group, DrawCandidate.exclusion_reasons).where(DrawCandidate.draw_id == draw.id))
    for group, reasons in rows:
        counts = summary.setdefault(group, {})
        for reason in reasons or ["drawable"]:
            counts[reason] = counts.get(reason, 0) + 1
    return summary


def draw_dict(draw: Draw) -> dict[str, Any]:
    committed = draw.record.get("committed", {})
    body: dict[str, Any] = {
        "id": draw.id,
        "task_id": draw.task_id,
        "status": draw.status.value,
        "method": draw.method,
        "method_version": draw.method_version,
        "commitment": draw.commitment,
        "nonce_commitment": committed.get("nonce_commitment"),
        "distribution_hash": committed.get("distribution_hash"),
        "replaces_draw_id": draw.replaces_draw_id,
        "replace_reason": draw.replace_reason,
        "relaxation": draw.relaxation,
        "created_at": draw.created_at.isoformat(),
        "requested_by_id": draw.requested_by_id,
        "revealed_at": draw.revealed_at.isoformat() if draw.revealed_at else None,
        "seed": draw.seed,
        "void_reason": draw.void_reason,
        "published": draw.published,
        "wrong_group_count": draw.wrong_group_count,
        "exclusions_by_group": _exclusion_summary(draw),
    }
    if draw.status != DrawStatus.committed:
        body["reveal"] = draw.record.get("reveal")
        body["panel"], body["alternates"] = _members(draw)
    return body


@bp.post("/tasks/<int:task_id>/draws")
@requires(*STAFF)
def commit(path: TaskPath, body: DrawCreate):
    settings = get_settings()
    with unit_of_work() as session:
        task = session.get(Task, path.task_id)
        if task is None:
            raise NotFound(kind="task", id=path.task_id)
        replaces = load_draw(body.replaces_draw_id) if body.replaces_draw_id else None
        draw = operations.commit_draw(
            session,
            task,
            current_user(),
            settings,
            method_name=body.method,
            replaces=replaces,
            reason=body.reason,
            relaxation=body.relaxation.model_dump() if body.relaxation else None,
        )
    return draw_dict(draw), 201


@bp.post("/draws/<int:draw_id>/reveal")
@requires(*STAFF)
def reveal(path: DrawPath, body: RevealBody):
    with unit_of_work() as session:
        draw = operations.reveal_draw(session, load_draw(path.draw_id), current_user(), body.supervisor_entropy, body.public_value)
    return draw_dict(draw)


@bp.post("/draws/<int:draw_id>/void")
@requires(*STAFF)
def void(path: DrawPath, body: VoidBody):
    with unit_of_work() as session:
        draw = operations.void_draw(session, load_draw(path.draw_id), current_user(), body.reason)
    return draw_dict(draw)


@bp.post("/draws/<int:draw_id>/replacements")
@requires(*STAFF)
def replace(path: DrawPath, body: ReplacementBody):
    with unit_of_work() as session:
        draw = load_draw(path.draw_id)
        called = operations.replace_member(session, draw, body.expert_id, current_user(), body.reason, get_settings())
    result = draw_dict(draw)
    result["called_expert_id"] = called.expert_id if called else None
    return result


@bp.post("/draws/<int:draw_id>/publish")
@requires(Role.admin)
def publish(path: DrawPath):
    with unit_of_work() as session:
        draw = operations.publish_draw(session, load_draw(path.draw_id), current_user())
    return draw_dict(draw)


@bp.get("/draws/<int:draw_id>")
@requires(*STAFF)
def show(path: DrawPath):
    return draw_dict(load_draw(path.draw_id))


@bp.get("/draws/<int:draw_id>/candidates")
@requires(Role.admin)
def candidates(path: DrawPath, query: Page):
    """List every expert of the required groups with exclusion reasons and selection probability."""
    draw = load_draw(path.draw_id)
    total = get_session().exec(select(sa.func.count()).select_from(DrawCandidate).where(DrawCandidate.draw_id == draw.id)).one()
    return {"total": total, "page": query.page, "per_page": query.per_page, "items": _candidates_table(draw, query)}


@bp.get("/draws/<int:draw_id>/record")
@requires(*STAFF)
def record(path: DrawPath):
    return load_draw(path.draw_id).record


def _public_withdrawals(draw: Draw) -> list[dict[str, Any]]:
    members = get_session().exec(select(DrawMember).where(DrawMember.draw_id == draw.id)).all()
    ids = {m.expert_id for m in members} | {m.replaces_expert_id for m in members if m.replaces_expert_id}
    pseudonyms = dict(get_session().exec(select(Expert.id, Expert.pseudonym).where(Expert.id.in_(list(ids)))).all())
    called = {m.replaces_expert_id: m for m in members if m.replaces_expert_id}
    return [
        {
            "member": pseudonyms[m.expert_id],
            "replaced_by": pseudonyms[called[m.expert_id].expert_id] if m.expert_id in called else None,
            "called_at": called[m.expert_id].called_at.isoformat() if m.expert_id in called else None,
        }
        for m in sorted(members, key=lambda m: m.position)
        if m.role == MemberRole.member and not m.active
    ]


@public_bp.get("/draws/<int:draw_id>/record")
def public_record(path: DrawPath):
    # Open to everyone once an administrator has published the draw: the record contains
    # pseudonymous ids only, so that anyone can verify it.
    draw = get_session().get(Draw, path.draw_id)
    if draw is None or not draw.published:
        raise NotFound(kind="draw", id=path.draw_id)
    replacement = get_session().exec(select(Draw.id).where(Draw.replaces_draw_id == draw.id)).first()
    return {
        # Seats that changed after the reveal, under pseudonyms; reasons are free text and
        # stay internal.
        "withdrawals": _public_withdrawals(draw),
        # A published draw that was later voided stays public, marked as void. The
        # reason is free text that may name people, so it is not published.
        "status": draw.status.value,
        "replaced_by_draw_id": replacement,
        "record": draw.record,
    }
