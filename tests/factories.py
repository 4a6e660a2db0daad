"""Factories that put experts, institutions and tasks straight into the database."""

from __future__ import annotations

import datetime as dt
import itertools

from panel_service.draws.eligibility import pseudonym
from panel_service.experts.models import Conflict, Expert, ExpertStatus, Unavailability
from panel_service.institutions.models import Institution
from panel_service.roster.normalise import normalise_institution_name
from panel_service.tasks.models import Task, TaskType

PSEUDONYM_KEY = "test-pseudonym-key"
_counter = itertools.count(1)


def add_institution(session, name: str, **fields) -> Institution:
    institution = Institution(name=name, name_key=normalise_institution_name(name), **fields)
    session.add(institution)
    session.flush()
    return institution


def add_expert(session, group: str = "forensic_clinical", *, employer: Institution | str | None = None, **fields) -> Expert:
    number = next(_counter)
    id_number = fields.pop("id_number", f"11010119700101{number:04d}")
    if isinstance(employer, Institution):
        employer_fields = {"employer_name": employer.name, "employer_key": employer.name_key, "employer_institution_id": employer.id}
    else:
        name = employer or f"单位{number}"
        employer_fields = {"employer_name": name, "employer_key": normalise_institution_name(name)}
    values = {
        "pseudonym": pseudonym(PSEUDONYM_KEY, "expert", id_number),
        "name": f"专家{number}",
        "id_number": id_number,
        "sub_pool": "forensic_medicine",
        "group": group,
        "title_level": "full_senior",
        "employer_type": "appraisal_institution",
        "term_start": dt.date(2024, 1, 1),
        "term_end": dt.date(2028, 12, 31),
        "status": ExpertStatus.active,
        "phone": "13800000000",
        "email": f"expert{number}@example.com",
        "birth_date": dt.date(1970, 1, 1),
        **employer_fields,
        **fields,
    }
    expert = Expert(**values)
    session.add(expert)
    session.flush()
    return expert


def add_unavailability(session, expert: Expert, start: dt.date, end: dt.date) -> None:
    session.add(Unavailability(expert_id=expert.id, starts_on=start, ends_on=end, reason="休假"))
    session.flush()


def add_conflict(session, expert: Expert, *, institution: Institution | None = None, other: Expert | None = None, relation: str, ended_on=None) -> None:
    session.add(
        Conflict(
            expert_id=expert.id,
            institution_id=institution.id if institution else None,
            other_expert_id=other.id if other else None,
            relation=relation,
            ended_on=ended_on,
        )
    )
    session.flush()


def add_task(session, user, groups: dict[str, int], *, target: Institution | None = None, day=dt.date(2027, 3, 1), **fields) -> Task:
    values = {
        "task_type": TaskType.spot_check,
        "title": "抽查",
        "target_institution_id": target.id if target else None,
        "sits_from": day,
        "sits_to": day,
        "group_counts": groups,
        "alternates": 1,
        "attribute_rules": [],
        "require_leader": False,
        "one_per_employer": True,
        "method": "first_feasible",
        "created_by_id": user.id,
        **fields,
    }
    task = Task(**values)
    session.add(task)
    session.flush()
    return task
