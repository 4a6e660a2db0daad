"""Creating tasks with validated panel rules."""

from __future__ import annotations

import logging

from flask_babel import lazy_gettext as _l
from sqlmodel import Session, select

import solvers
from panel_service.audit.operations import record_audit
from panel_service.errors import NotFound, PanelError
from panel_service.institutions.models import Institution
from panel_service.pool.taxonomy import EMPLOYER_TYPES_BY_CODE, GROUPS_BY_CODE, SUB_POOLS_BY_CODE, TITLE_LEVELS
from panel_service.roster.normalise import normalise_institution_name
from panel_service.tasks.models import Task
from panel_service.tasks.schemas import TaskCreate
from panel_service.users.models import User

log = logging.getLogger(__name__)

MAX_GROUP_COUNT = 50
EMPLOYER_CATEGORIES = ("public_organ", "appraisal_institution", "academic", "hospital", "other")
ATTRIBUTE_VALUES = {
    "title_level": set(TITLE_LEVELS),
    "employer_type": set(EMPLOYER_TYPES_BY_CODE),
    "employer_category": set(EMPLOYER_CATEGORIES),
    "sub_pool": set(SUB_POOLS_BY_CODE),
}


def _invalid(template, **params) -> PanelError:
    return PanelError(template, code="invalid_task", **params)


def _check_groups(group_counts: dict[str, int]) -> None:
    if not group_counts:
        raise _invalid(_l("A task needs at least one professional group with a member count."))
    for code, count in group_counts.items():
        if code not in GROUPS_BY_CODE:
            raise _invalid(
                _l("Unknown professional group %(value)s; expected a group code such as %(example)s."),
                value=code,
                example="forensic_clinical",
            )
        if not 1 <= count <= MAX_GROUP_COUNT:
            raise _invalid(
                _l("The member count %(value)s for group %(group)s is invalid; expected 1 to %(maximum)s."),
                value=count,
                group=GROUPS_BY_CODE[code].name,
                maximum=MAX_GROUP_COUNT,
            )


def _check_attribute_rules(rules, panel_size: int) -> None:
    for rule in rules:
        allowed = ATTRIBUTE_VALUES.get(rule.attribute)
        if allowed is None:
            raise _invalid(
                _l("Unknown attribute %(value)s in a panel rule; expected one of %(expected)s."),
                value=rule.attribute,
                expected=", ".join(sorted(ATTRIBUTE_VALUES)),
            )
        if rule.value not in allowed:
            raise _invalid(
                _l("Unknown value %(value)s for attribute %(attribute)s; expected one of %(expected)s."),
                value=rule.value,
                attribute=rule.attribute,
                expected=", ".join(sorted(allowed)),
            )
        if rule.maximum is not None and rule.maximum < rule.minimum:
            raise _invalid(
                _l("The panel rule on %(attribute)s = %(value)s has a maximum %(maximum)s below its minimum %(minimum)s."),
                attribute=rule.attribute,
                value=rule.value,
                maximum=rule.maximum,
                minimum=rule.minimum,
            )
        if rule.minimum > panel_size:
            raise _invalid(
                _l("The panel rule on %(attribute)s = %(value)s asks for %(minimum)s members but the panel has only %(size)s."),
                attribute=rule.attribute,
                value=rule.value,
                minimum=rule.minimum,
                size=panel_size,
            )


def _resolve_target(session: Session, data: TaskCreate) -> int | None:
    if data.target_institution_id is not None:
        if session.get(Institution, data.target_institution_id) is None:
            raise NotFound(_l("Institution %(id)s was not found."), id=data.target_institution_id)
        return data.target_institution_id
    if data.target_institution_name:
        key = normalise_institution_name(data.target_institution_name)
        institution = session.exec(select(Institution).where(Institution.name_key == key)).first()
        if institution is None:
            raise NotFound(
                _l("No institution named %(value)s is in the registry; import the registry or check the name."),
                value=data.target_institution_name,
            )
        return institution.id
    return None


def create_task(session: Session, data: TaskCreate, actor: User, default_method: str) -> Task:
    if data.sits_to < data.sits_from:
        raise _invalid(
            _l("The panel's last day %(end)s is before its first day %(start)s."),
            end=data.sits_to.isoformat(),
            start=data.sits_from.isoformat(),
        )
    _check_groups(data.group_counts)
    _check_attribute_rules(data.attribute_rules, sum(data.group_counts.values()))
    method = data.method or default_method
    if method not in solvers.method_names():
        raise _invalid(
            _l("Unknown selection method %(value)s; expected one of %(expected)s."),
            value=method,
            expected=", ".join(solvers.method_names()),
        )

    task = Task(
        task_type=data.task_type,
        title=data.title.strip(),
        target_institution_id=_resolve_target(session, data),
        sits_from=data.sits_from,
        sits_to=data.sits_to,
        group_counts=dict(sorted(data.group_counts.items())),
        alternates=data.alternates,
        attribute_rules=[rule.model_dump() for rule in data.attribute_rules],
        require_leader=data.require_leader,
        one_per_employer=data.one_per_employer,
        method=method,
        created_by_id=actor.id,
    )
    session.add(task)
    session.flush()
    record_audit(session, actor, "task.create", "task", task.id, {"task_type": task.task_type.value, "groups": task.group_counts})
    log.info("created task id=%s type=%s by user=%s", task.id, task.task_type.value, actor.id)
    return task
