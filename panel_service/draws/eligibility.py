"""Eligibility of experts for a task, with the reasons that exclude the others.

Candidates are filtered in SQL by group (an indexed column), and every other check runs
over the rows of the required groups only. Each expert of a required group ends up
either drawable or with every reason that excludes them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlmodel import Session, select

from panel_service.draws.models import Draw, DrawMember, DrawStatus, MemberRole
from panel_service.experts.models import Conflict, Expert, ExpertStatus, Unavailability
from panel_service.pool.taxonomy import PUBLIC_ORGAN_TYPES
from panel_service.tasks.models import Task
from solvers.model import Candidate

# Relations with an institution that bar an expert from a panel about it.
FORMER_EMPLOYMENT = "former_employment"

# Exclusion reason codes, stored with each draw candidate and translated on screens.
EMPLOYEE_OF_TARGET = "employee_of_target"
FORMER_EMPLOYEE_OF_TARGET = "former_employee_of_target"
CONFLICT_WITH_TARGET = "conflict_with_target"
UNAVAILABLE = "unavailable"
ON_OVERLAPPING_PANEL = "on_overlapping_panel"
TERM_EXPIRED = "term_expired"
TERM_NOT_STARTED = "term_not_started"
STATUS_PREFIX = "status_"

ACADEMIC_TYPES = {"university", "research_institute"}


@dataclass
class CandidatePool:
    """The experts of the required groups, split into drawable and excluded."""

    candidates: list[Candidate]
    # expert id -> every reason that excludes the expert
    excluded: dict[int, list[str]]
    # pseudonym -> expert id, for every expert of the required groups
    expert_ids: dict[str, int]
    groups: dict[int, str]
    conflicts: list[tuple[str, str]] = field(default_factory=list)
    wrong_group_count: int = 0
    # Pseudonymous expert and employer ids -> names, for messages shown to staff.
    names: dict[str, str] = field(default_factory=dict)


def pseudonym(key: str, kind: str, value: str) -> str:
    """Return a stable pseudonymous id: an HMAC-SHA256 of `value` under the pseudonym key."""
    digest = hmac.new(key.encode("utf-8"), f"{kind}:{value}".encode("utf-8"), hashlib.sha256).hexdigest()
    prefix = {"expert": "E", "employer": "U"}[kind]
    return f"{prefix}-{digest[:12]}"


def employer_category(employer_type: str | None) -> str:
    if employer_type in PUBLIC_ORGAN_TYPES:
        return "public_organ"
    if employer_type in ACADEMIC_TYPES:
        return "academic"
    if employer_type in ("appraisal_institution", "hospital"):
        return employer_type
    return "other"


_EXPERT_COLUMNS = (
    Expert.id,
    Expert.pseudonym,
    Expert.name,
    Expert.employer_name,
    Expert.group,
    Expert.sub_pool,
    Expert.status,
    Expert.term_start,
    Expert.term_end,
    Expert.employer_key,
    Expert.employer_institution_id,
    Expert.employer_type,
    Expert.title_level,
)


def _status_reasons(row, task: Task) -> list[str]:
    status = ExpertStatus(row.status)
    reasons = [] if status == ExpertStatus.active else [STATUS_PREFIX + status.value]
    # The term must cover every day the panel sits, whatever status the import recorded.
    if row.term_end is not None and row.term_end < task.sits_to and status != ExpertStatus.term_expired:
        reasons.append(TERM_EXPIRED)
    if row.term_start is not None and row.term_start > task.sits_from:
        reasons.append(TERM_NOT_STARTED)
    return reasons


def _unavailable_ids(session: Session, task: Task, groups: list[str]) -> set[int]:
    statement = (
        select(Unavailability.expert_id)
        .join(Expert, Expert.id == Unavailability.expert_id)
        .where(Expert.group.in_(groups))
        .where(Unavailability.starts_on <= task.sits_to)
        .where(Unavailability.ends_on >= task.sits_from)
    )
    return set(session.exec(statement))


def busy_expert_ids(session: Session, task: Task, groups: list[str]) -> set[int]:
    statement = (
        select(DrawMember.expert_id)
        .join(Draw, Draw.id == DrawMember.draw_id)
        .join(Task, Task.id == Draw.task_id)
        .where(Draw.status == DrawStatus.revealed)
        .where(DrawMember.role == MemberRole.member)
        .where(DrawMember.active)
        .where(DrawMember.group.in_(groups))
        .where(Task.id != task.id)
        .where(Task.sits_from <= task.sits_to)
        .where(Task.sits_to >= task.sits_from)
    )
    return set(session.exec(statement))


def _target_conflicts(session: Session, task: Task, lookback_years: int) -> dict[int, str]:
    """Return expert id -> reason for declared relations with the target institution."""
    if task.target_institution_id is None:
        return {}
    cutoff = _years_before(task.sits_from, lookback_years)
    reasons: dict[int, str] = {}
    statement = select(Conflict).where(Conflict.institution_id == task.target_institution_id)
    for conflict in session.exec(statement):
        if conflict.relation == FORMER_EMPLOYMENT:
            # Unknown end dates count as recent: the rule is never relaxed by a gap in the data.
            if conflict.ended_on is None or conflict.ended_on >= cutoff:
                reasons.setdefault(conflict.expert_id, FORMER_EMPLOYEE_OF_TARGET)
        else:
            reasons[conflict.expert_id] = CONFLICT_WITH_TARGET
    return reasons


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _expert_pairs(session: Session, groups: list[str]) -> list[tuple[int, int]]:
    other = sa.orm.aliased(Expert)
    statement = (
        select(Conflict.expert_id, Conflict.other_expert_id)
        .join(Expert, Expert.id == Conflict.expert_id)
        .join(other, other.id == Conflict.other_expert_id)
        .where(Expert.group.in_(groups))
        .where(other.group.in_(groups))
    )
    return [(a, b) for a, b in session.exec(statement)]


def _employer_pseudonym(row, pseudonym_key: str) -> str | None:
    employer = f"institution:{row.employer_institution_id}" if row.employer_institution_id else row.employer_key
    return pseudonym(pseudonym_key, "employer", employer) if employer else None


def _candidate(row, pseudonym_key: str) -> Candidate:
    return Candidate(
        id=row.pseudonym,
        group=row.group,
        employer=_employer_pseudonym(row, pseudonym_key),
        attributes={
            "title_level": row.title_level,
            "employer_type": row.employer_type or "other",
            "employer_category": employer_category(row.employer_type),
            "sub_pool": row.sub_pool,
        },
    )


def gather_candidates(session: Session, task: Task, lookback_years: int, pseudonym_key: str) -> CandidatePool:
    groups = sorted(task.group_counts)
    rows = session.exec(select(*_EXPERT_COLUMNS).where(Expert.group.in_(groups)).order_by(Expert.id)).all()
    total = session.exec(select(sa.func.count()).select_from(Expert)).one()

    unavailable = _unavailable_ids(session, task, groups)
    busy = busy_expert_ids(session, task, groups)
    target_reasons = _target_conflicts(session, task, lookback_years)

    pool = CandidatePool(candidates=[], excluded={}, expert_ids={}, groups={}, wrong_group_count=total - len(rows))
    for row in rows:
        pool.expert_ids[row.pseudonym] = row.id
        pool.groups[row.id] = row.group
        reasons = _status_reasons(row, task)
        if task.target_institution_id is not None and row.employer_institution_id == task.target_institution_id:
            reasons.append(EMPLOYEE_OF_TARGET)
        if row.id in target_reasons:
            reasons.append(target_reasons[row.id])
        if row.id in unavailable:
            reasons.append(UNAVAILABLE)
        if row.id in busy:
            reasons.append(ON_OVERLAPPING_PANEL)

        if reasons:
            pool.excluded[row.id] = reasons
        else:
            candidate = _candidate(row, pseudonym_key)
            pool.candidates.append(candidate)
            pool.names[candidate.id] = row.name
            if candidate.employer:
                pool.names[candidate.employer] = row.employer_name

    drawable = {c.id for c in pool.candidates}
    by_id = {expert_id: name for name, expert_id in pool.expert_ids.items()}
    pairs = {tuple(sorted((by_id[a], by_id[b]))) for a, b in _expert_pairs(session, groups) if a in by_id and b in by_id}
    pool.conflicts = sorted(pair for pair in pairs if pair[0] in drawable and pair[1] in drawable and pair[0] != pair[1])
    return pool
