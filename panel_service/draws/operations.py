"""Committing, revealing, voiding and replacing draws. Operations flush; callers commit."""

from __future__ import annotations

import json
import logging
import secrets
from collections import Counter, defaultdict
from dataclasses import replace
from typing import Any, Sequence

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlmodel import Session, select

import solvers
from solvers.cpsat import SolverSettings
from solvers.diagnose import propose_relaxations
from solvers.first_feasible import FirstFeasible
from solvers import check
from panel_service.audit.operations import record_audit
from panel_service.db import utcnow
from panel_service.draws import relax
from panel_service.draws.eligibility import CandidatePool, busy_expert_ids, gather_candidates
from panel_service.draws.messages import InfeasibleDraw, status_label
from panel_service.draws.models import Draw, DrawCandidate, DrawMember, DrawStatus, MemberRole
from panel_service.errors import Conflict, PanelError
from panel_service.experts.models import Expert
from panel_service.institutions.models import Institution
from panel_service.settings import Settings
from panel_service.tasks.models import Task
from panel_service.users.models import User
from solvers import record as draw_record
from solvers.model import AttributeRule, InfeasibleError, PanelRules

log = logging.getLogger(__name__)


def task_rules(task: Task, conflicts: Sequence[tuple[str, str]]) -> PanelRules:
    return PanelRules(
        group_counts=dict(task.group_counts),
        attribute_rules=tuple(
            AttributeRule(r["attribute"], r["value"], int(r.get("minimum") or 0), r.get("maximum")) for r in task.attribute_rules
        ),
        conflicts=tuple(conflicts),
        one_per_employer=task.one_per_employer,
        require_leader=task.require_leader,
        alternates=task.alternates,
    )


def _active_draw(session: Session, task: Task) -> Draw | None:
    statement = select(Draw).where(Draw.task_id == task.id).where(Draw.status != DrawStatus.voided)
    return session.exec(statement).first()


def _voided_predecessor(session: Session, task: Task) -> tuple[Draw | None, str | None]:
    """Return the task's last voided draw that no later draw replaces, with its void reason.

    A draw voided on its own (void-draw, then draw again) is still linked to the draw
    that follows it, so every second draw of a task records why it exists.
    """
    replaced = select(Draw.replaces_draw_id).where(Draw.replaces_draw_id.is_not(None))
    statement = (
        select(Draw)
        .where(Draw.task_id == task.id)
        .where(Draw.status == DrawStatus.voided)
        .where(Draw.id.not_in(replaced))
        .order_by(Draw.id.desc())
    )
    previous = session.exec(statement).first()
    return (previous, previous.void_reason) if previous else (None, None)


def _draw_task(session: Session, task: Task) -> draw_record.DrawTask:
    institution = session.get(Institution, task.target_institution_id) if task.target_institution_id else None
    return draw_record.DrawTask(
        task_type=task.task_type.value,
        start_date=task.sits_from,
        end_date=task.sits_to,
        institution=institution.name if institution else None,
        task_id=str(task.id),
    )


def _exclusions(pool: CandidatePool) -> list[draw_record.Exclusion]:
    by_expert = {expert_id: name for name, expert_id in pool.expert_ids.items()}
    return [
        draw_record.Exclusion(id=by_expert[expert_id], reason=reasons[0])
        for expert_id, reasons in sorted(pool.excluded.items(), key=lambda item: by_expert[item[0]])
    ]


def exclusion_summary(pool: CandidatePool) -> dict[str, dict[str, int]]:
    """Count, per group, the drawable experts and each exclusion reason."""
    summary: dict[str, Counter] = defaultdict(Counter)
    for candidate in pool.candidates:
        summary[candidate.group]["drawable"] += 1
    for expert_id, reasons in pool.excluded.items():
        for reason in reasons:
            summary[pool.groups[expert_id]][reason] += 1
    return {group: dict(counts) for group, counts in sorted(summary.items())}


def _check_proposed(pool: CandidatePool, rules: PanelRules, relaxation: dict[str, Any]) -> None:
    """Accept only a relaxation the solver proposes for these candidates and rules now.

    A relaxation is a person's choice after a failed draw. Applied to rules that can be
    met, or in a form the solver did not propose, it would weaken a rule for no reason.
    """
    proposals = [{"code": r.code, "params": dict(r.params)} for r in propose_relaxations(pool.candidates, rules)]
    if {"code": relaxation.get("code"), "params": dict(relaxation.get("params") or {})} not in proposals:
        raise PanelError(
            _l("The relaxation %(value)s is not one the service proposes for this task now; draw without it, or choose one of the proposed relaxations."),
            code="invalid_relaxation",
            value=str(relaxation)[:200],
        )


def configured_method(name: str, settings: Settings):
    """Return the selection method `name` with the solver limits of the configuration."""
    if name not in solvers.method_names():
        raise PanelError(
            _l("Unknown selection method %(value)s; expected one of %(expected)s."),
            code="invalid_method",
            value=name,
            expected=", ".join(solvers.method_names()),
        )
    limit = settings.draw.solver_time_limit_seconds
    if name == FirstFeasible.name:
        return FirstFeasible(SolverSettings(max_time_in_seconds=limit, num_workers=settings.draw.solver_workers))
    # The fair methods always solve on one worker, so that a lottery is reproducible.
    return type(solvers.get_method(name))(time_limit_seconds=limit)


def _prepare(method, pool: CandidatePool, rules: PanelRules):
    try:
        return method.prepare(pool.candidates, rules)
    except InfeasibleError as error:
        raise InfeasibleDraw(error.shortfalls, error.relaxations, exclusion_summary(pool), pool.names) from None


def commit_draw(
    session: Session,
    task: Task,
    actor: User,
    settings: Settings,
    *,
    method_name: str | None = None,
    replaces: Draw | None = None,
    reason: str | None = None,
    relaxation: dict[str, Any] | None = None,
) -> Draw:
    """Fix the candidates, rules and lottery of a draw and commit to a secret nonce."""
    if replaces is not None and replaces.task_id != task.id:
        raise PanelError(
            _l("Draw %(draw)s belongs to task %(other)s, not to task %(task)s; it cannot be replaced from here."),
            code="draw_of_other_task",
            draw=replaces.id,
            other=replaces.task_id,
            task=task.id,
        )
    current = _active_draw(session, task)
    if current is not None and (replaces is None or replaces.id != current.id):
        raise Conflict(
            _l("Task %(task)s already has draw %(draw)s; void it with a reason to draw again."),
            code="draw_exists",
            task=task.id,
            draw=current.id,
        )
    if replaces is not None:
        void_draw(session, replaces, actor, reason)
    else:
        replaces, reason = _voided_predecessor(session, task)

    pool = gather_candidates(session, task, settings.draw.former_employer_lookback_years, settings.pseudonym.key)
    rules = task_rules(task, pool.conflicts)
    if relaxation is not None:
        _check_proposed(pool, rules, relaxation)
        rules = relax.apply(rules, relaxation)
    method = configured_method(method_name or task.method, settings)
    distribution = _prepare(method, pool, rules)

    nonce = secrets.token_bytes(draw_record.NONCE_BYTES)
    committed = draw_record.commit_draw(
        task=_draw_task(session, task),
        candidates=pool.candidates,
        excluded=_exclusions(pool),
        rules=rules,
        method=method,
        distribution=distribution,
        nonce=nonce,
        committed_at=utcnow(),
    )
    draw = Draw(
        task_id=task.id,
        replaces_draw_id=replaces.id if replaces else None,
        replace_reason=reason if replaces else None,
        status=DrawStatus.committed,
        method=method.name,
        method_version=method.version,
        commitment=committed["commitment"],
        nonce=nonce.hex(),
        wrong_group_count=pool.wrong_group_count,
        record=committed,
        requested_by_id=actor.id,
        relaxation=relaxation,
    )
    session.add(draw)
    try:
        session.flush()
    except sa.exc.IntegrityError:
        # The partial unique index on draws.task_id: another request committed a draw
        # for this task in the meantime.
        raise Conflict(
            _l("Task %(task)s got another draw at the same moment; reload it and void that draw first."),
            code="draw_exists",
            task=task.id,
        ) from None
    _store_candidates(session, draw, pool, distribution)
    record_audit(
        session,
        actor,
        "draw.commit",
        "draw",
        draw.id,
        {"task_id": task.id, "commitment": draw.commitment, "method": method.name, "relaxation": relaxation},
    )
    log.info("committed draw id=%s task=%s method=%s candidates=%s", draw.id, task.id, method.name, len(pool.candidates))
    return draw


def _store_candidates(session: Session, draw: Draw, pool: CandidatePool, distribution) -> None:
    marginals = distribution.marginals if distribution is not None else {}
    rows = []
    for name, expert_id in pool.expert_ids.items():
        probability = marginals.get(name)
        rows.append(
            {
                "draw_id": draw.id,
                "expert_id": expert_id,
                "group": pool.groups[expert_id],
                "exclusion_reasons": pool.excluded.get(expert_id, []),
                "probability": draw_record.fraction_text(probability) if probability is not None else None,
            }
        )
    if not rows:
        return
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        # A 100,000-expert pool gives some 16,000 candidates per draw; COPY stores them
        # about ten times faster than batched INSERTs.
        _copy_candidates(connection, rows)
    else:
        connection.execute(DrawCandidate.__table__.insert(), rows)


def _copy_candidates(connection, rows: list[dict[str, Any]]) -> None:
    columns = ("draw_id", "expert_id", "group", "exclusion_reasons", "probability")
    cursor = connection.connection.driver_connection.cursor()
    with cursor.copy('COPY draw_candidates (draw_id, expert_id, "group", exclusion_reasons, probability) FROM STDIN') as copy:
        for row in rows:
            values = [row[column] for column in columns]
            values[3] = json.dumps(values[3])
            copy.write_row(values)


def _reject_clashes(session: Session, draw: Draw, panel: Sequence[str]) -> None:
    """Reject a reveal that seats an expert revealed on another panel since this commit."""
    by_name = _pseudonym_index(session, draw, panel)
    task = session.get(Task, draw.task_id)
    busy = busy_expert_ids(session, task, sorted(task.group_counts))
    clashing = sorted(expert_id for expert_id in by_name.values() if expert_id in busy)
    if clashing:
        names = session.exec(select(Expert.name).where(Expert.id.in_(clashing))).all()
        raise Conflict(
            _l("Since this draw was committed, %(names)s joined another panel on overlapping dates; void this draw with that reason and draw again."),
            code="panel_clash",
            names="、".join(names),
            expert_ids=clashing,
        )


def _wrong_state(draw: Draw, template, code: str) -> Conflict:
    return Conflict(template, code=code, draw=draw.id, state=status_label(draw.status.value))


def _claim_reveal(session: Session, draw: Draw) -> None:
    """Move the draw from committed to revealed in one conditional UPDATE.

    Two reveals sent at the same moment both read "committed". Only one UPDATE can match
    the condition, so the other gets 409 instead of a second seed and panel.
    """
    claimed = session.execute(
        sa.update(Draw)
        .where(Draw.id == draw.id)
        .where(Draw.status == DrawStatus.committed)
        .values(status=DrawStatus.revealed)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        raise Conflict(
            _l("Draw %(draw)s was revealed by another request at the same moment."),
            code="draw_not_committed",
            draw=draw.id,
        )


def check_public_value(public_value: str | None) -> None:
    if public_value is None:
        return
    if not public_value.strip() or len(public_value) > draw_record.MAX_PUBLIC_VALUE_LENGTH:
        raise PanelError(
            _l("The public random value must be 1 to %(maximum)s characters."),
            code="invalid_public_value",
            maximum=draw_record.MAX_PUBLIC_VALUE_LENGTH,
        )


def check_entropy(supervisor_entropy: Sequence[str]) -> None:
    entries = list(supervisor_entropy)
    if not 1 <= len(entries) <= draw_record.MAX_SUPERVISORS:
        raise PanelError(
            _l("Enter the digits of 1 to %(maximum)s supervisors; %(count)s were given."),
            code="invalid_entropy",
            maximum=draw_record.MAX_SUPERVISORS,
            count=len(entries),
        )
    for digits in entries:
        if not isinstance(digits, str) or not digits.isascii() or not digits.isdigit() or len(digits) > draw_record.MAX_SUPERVISOR_DIGITS:
            raise PanelError(
                _l("Supervisor entry %(value)s is invalid: type 1 to %(maximum)s digits 0-9."),
                code="invalid_entropy",
                value=str(digits)[:120],
                maximum=draw_record.MAX_SUPERVISOR_DIGITS,
            )


def reveal_draw(
    session: Session,
    draw: Draw,
    actor: User,
    supervisor_entropy: Sequence[str],
    public_value: str | None = None,
) -> Draw:
    """Derive the seed from the nonce and the entropy entered now, and draw the panel."""
    if draw.status != DrawStatus.committed:
        raise _wrong_state(
            draw,
            _l("Draw %(draw)s is %(state)s; only a committed draw can be revealed, and only once."),
            "draw_not_committed",
        )
    check_entropy(supervisor_entropy)
    check_public_value(public_value)
    try:
        full = draw_record.reveal_draw(draw.record, bytes.fromhex(draw.nonce), list(supervisor_entropy), public_value)
    except draw_record.RecordError as error:
        raise PanelError(_l("The draw could not be revealed: %(problem)s"), code="invalid_reveal", problem=str(error)) from None

    _reject_clashes(session, draw, full["result"]["panel"])
    _claim_reveal(session, draw)
    draw.record = full
    draw.seed = full["reveal"]["seed"]
    draw.status = DrawStatus.revealed
    draw.revealed_by_id = actor.id
    draw.revealed_at = utcnow()
    session.add(draw)
    _store_members(session, draw, full["result"])
    session.flush()
    record_audit(session, actor, "draw.reveal", "draw", draw.id, {"seed": draw.seed, "panel": full["result"]["panel"]})
    log.info("revealed draw id=%s by user=%s", draw.id, actor.id)
    return draw


def _store_members(session: Session, draw: Draw, result: dict[str, Any]) -> None:
    names = [*result["panel"], *result["alternates"]]
    by_name = _pseudonym_index(session, draw, names)
    groups = dict(
        session.exec(
            select(DrawCandidate.expert_id, DrawCandidate.group)
            .where(DrawCandidate.draw_id == draw.id)
            .where(DrawCandidate.expert_id.in_(list(by_name.values())))
        ).all()
    )
    for role, members in ((MemberRole.member, result["panel"]), (MemberRole.alternate, result["alternates"])):
        for position, name in enumerate(members, start=1):
            expert_id = by_name[name]
            session.add(
                DrawMember(
                    draw_id=draw.id,
                    expert_id=expert_id,
                    role=role,
                    position=position,
                    group=groups[expert_id],
                    is_leader=role == MemberRole.member and name == result.get("leader"),
                )
            )


def _pseudonym_index(session: Session, draw: Draw, names: Sequence[str] | None = None) -> dict[str, int]:
    """Map pseudonyms of the draw's candidates (all, or just `names`) to expert ids."""
    statement = (
        select(Expert.pseudonym, Expert.id)
        .join(DrawCandidate, DrawCandidate.expert_id == Expert.id)
        .where(DrawCandidate.draw_id == draw.id)
    )
    if names is not None:
        statement = statement.where(Expert.pseudonym.in_(list(names)))
    return dict(session.exec(statement).all())


def _draw_members(session: Session, draw: Draw) -> list[DrawMember]:
    statement = select(DrawMember).where(DrawMember.draw_id == draw.id).order_by(DrawMember.role, DrawMember.position)
    return list(session.exec(statement))


def replace_member(session: Session, draw: Draw, expert_id: int, actor: User, reason: str, settings: Settings) -> DrawMember | None:
    """Withdraw a member who declined or was recused and call the first alternate that fits.

    Alternates are tried in draw order. One fits when they are of the leaving member's
    group, still drawable today, and the panel with them obeys every rule of the draw.
    Returns the called alternate, or None when no alternate fits (the seat stays empty
    and the task needs a new draw).
    """
    if draw.status != DrawStatus.revealed:
        raise _wrong_state(
            draw,
            _l("Draw %(draw)s is %(state)s; only a revealed draw has members to replace."),
            "draw_not_revealed",
        )
    if not reason or not reason.strip():
        raise PanelError(_l("Replacing a member needs a reason."), code="reason_required")
    members = _draw_members(session, draw)
    leaving = next((m for m in members if m.expert_id == expert_id and m.role == MemberRole.member and m.active), None)
    if leaving is None:
        raise PanelError(
            _l("Expert %(id)s is not an active member of draw %(draw)s."), code="not_a_member", status=404, id=expert_id, draw=draw.id
        )

    names = _pseudonym_index(session, draw)
    by_expert = {expert: name for name, expert in names.items()}
    task = session.get(Task, draw.task_id)
    still_drawable = {c.id for c in gather_candidates(session, task, settings.draw.former_employer_lookback_years, settings.pseudonym.key).candidates}
    panel = [by_expert[m.expert_id] for m in members if m.role == MemberRole.member and m.active]
    waiting = [m for m in members if m.role == MemberRole.alternate and m.active]
    # Seats left empty by earlier withdrawals are vacancies: count each group as it is
    # now, so that one empty seat does not block every later replacement.
    rules = draw_record.rules_from_record(draw.record)
    seated = Counter(m.group for m in members if m.role == MemberRole.member and m.active)
    rules = replace(rules, group_counts={group: seated[group] for group in rules.group_counts if seated[group]})
    chosen = check.pick_replacement(
        draw_record.candidates_from_record(draw.record),
        rules,
        panel,
        by_expert[expert_id],
        [by_expert[m.expert_id] for m in waiting if by_expert[m.expert_id] in still_drawable],
    )

    leaving.active = False
    leaving.withdrawal_reason = reason.strip()
    session.add(leaving)
    called = None
    if chosen is not None:
        called = next(m for m in waiting if by_expert[m.expert_id] == chosen)
        called.role = MemberRole.member
        called.replaces_expert_id = expert_id
        called.called_at = utcnow()
        called.position = max(m.position for m in members if m.role == MemberRole.member) + 1
        session.add(called)
    if leaving.is_leader:
        leaving.is_leader = False
        _appoint_leader(draw, [m for m in _draw_members(session, draw) if m.role == MemberRole.member and m.active], by_expert)
    session.flush()
    record_audit(
        session,
        actor,
        "draw.replace_member",
        "draw",
        draw.id,
        {"leaving_expert_id": expert_id, "called_expert_id": called.expert_id if called else None},
    )
    log.info("draw id=%s member expert=%s withdrawn, alternate expert=%s called", draw.id, expert_id, called.expert_id if called else None)
    return called


def _appoint_leader(draw: Draw, members: list[DrawMember], by_expert: dict[int, str]) -> None:
    """Make the first active member, by position, who qualifies to lead the new leader."""
    qualified = {c.id for c in draw_record.candidates_from_record(draw.record) if check.is_leader(c)}
    for member in sorted(members, key=lambda m: m.position):
        if by_expert[member.expert_id] in qualified:
            member.is_leader = True
            return


def void_draw(session: Session, draw: Draw, actor: User, reason: str | None) -> Draw:
    if not reason or not reason.strip():
        raise PanelError(_l("Voiding a draw needs a reason."), code="reason_required")
    if draw.status == DrawStatus.voided:
        raise Conflict(_l("Draw %(draw)s is already void."), code="draw_voided", draw=draw.id)
    draw.status = DrawStatus.voided
    draw.voided_by_id = actor.id
    draw.voided_at = utcnow()
    draw.void_reason = reason.strip()
    session.add(draw)
    session.flush()
    record_audit(session, actor, "draw.void", "draw", draw.id, {"task_id": draw.task_id})
    log.info("voided draw id=%s by user=%s", draw.id, actor.id)
    return draw


def publish_draw(session: Session, draw: Draw, actor: User) -> Draw:
    if draw.status != DrawStatus.revealed:
        raise _wrong_state(
            draw,
            _l("Draw %(draw)s is %(state)s; only a revealed draw can be published."),
            "draw_not_revealed",
        )
    draw.published = True
    session.add(draw)
    session.flush()
    record_audit(session, actor, "draw.publish", "draw", draw.id, {})
    return draw
