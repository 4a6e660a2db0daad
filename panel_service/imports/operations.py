"""Storing parsed rosters and registries: create, update by key, record what changed.

Parsing is pure (`panel_service.roster`); this module only writes. A dry run computes
the same outcome and writes nothing. A file with a file-level error (unreadable, a
missing sheet or required column) writes nothing either.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlmodel import Session, select

from panel_service.audit.operations import record_audit
from panel_service.db import utcnow
from panel_service.errors import PanelError
from panel_service.imports.models import RosterImport
from panel_service.draws.eligibility import pseudonym
from panel_service.experts.models import Conflict, Expert, ExpertChange, ExpertStatus, Unavailability
from panel_service.institutions.models import Institution
from panel_service.roster import registry as registry_parsing
from panel_service.roster.messages import format_problem
from panel_service.roster.rejected import rejected_rows_workbook
from panel_service.roster.parsing import RosterParse, parse_roster
from panel_service.roster.problems import Problem, Severity
from panel_service.roster.registry import RegistryParse, parse_registry
from panel_service.roster.relations import CONFLICT_SHEET, UNAVAILABILITY_SHEET
from panel_service.users.models import User

log = logging.getLogger(__name__)


@dataclass
class ImportOutcome:
    kind: str
    filename: str
    dry_run: bool
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected_rows: int = 0
    skipped_rows: list[dict[str, Any]] = field(default_factory=list)
    ignored_columns: list[dict[str, Any]] = field(default_factory=list)
    problems: list[dict[str, Any]] = field(default_factory=list)
    changes: list[dict[str, Any]] = field(default_factory=list)
    import_id: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, int]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected_rows": self.rejected_rows,
            "skipped_rows": len(self.skipped_rows),
            **{key: value for key, value in self.extra.items() if isinstance(value, int)},
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "import_id": self.import_id,
            "kind": self.kind,
            "filename": self.filename,
            "dry_run": self.dry_run,
            "summary": self.summary(),
            "problems": [render_problem(problem) for problem in self.problems],
            "skipped_rows": self.skipped_rows,
            "ignored_columns": self.ignored_columns,
            "changes": self.changes,
        }


def render_problem(problem: dict[str, Any]) -> dict[str, Any]:
    """Add the message in the reader's locale to a stored problem."""
    rebuilt = Problem(
        problem["code"],
        Severity(problem["severity"]),
        problem.get("sheet"),
        problem.get("row"),
        problem.get("column"),
        problem.get("value"),
        problem.get("params") or {},
    )
    return {**problem, "message": format_problem(rebuilt)}


def _file_level_errors(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity is Severity.ERROR and p.row is None]


def _reject_file(filename: str, problems: list[Problem]) -> PanelError:
    return PanelError(
        _l("The file %(filename)s cannot be imported: %(problems)s"),
        code="import_failed",
        filename=filename,
        problems="; ".join(format_problem(p) for p in problems),
        report=[render_problem(p.to_dict()) for p in problems],
    )


def _base_outcome(kind: str, filename: str, dry_run: bool, parse) -> ImportOutcome:
    return ImportOutcome(
        kind=kind,
        filename=filename,
        dry_run=dry_run,
        problems=[p.to_dict() for p in parse.problems],
        skipped_rows=[{"sheet": s.sheet, "row": s.row, "reason": s.reason} for s in parse.skipped_rows],
        ignored_columns=[{"sheet": c.sheet, "header": c.header, "position": c.position} for c in parse.ignored_columns],
        rejected_rows=len(parse.rejected_rows),
    )


def _save_import(session: Session, outcome: ImportOutcome, data: bytes, actor: User, rejected: bytes | None) -> None:
    row = RosterImport(
        kind=outcome.kind,
        filename=outcome.filename[:255],
        sha256=hashlib.sha256(data).hexdigest(),
        created_by_id=actor.id,
        summary=outcome.summary(),
        problems=outcome.problems,
        rejected_workbook=rejected,
    )
    session.add(row)
    session.flush()
    outcome.import_id = row.id
    record_audit(session, actor, f"import.{outcome.kind}", "import", row.id, {"summary": outcome.summary()})
    log.info("imported %s id=%s by user=%s summary=%s", outcome.kind, row.id, actor.id, outcome.summary())


# ---------------------------------------------------------------------------
# Institution registry


def _institution_fields(parsed) -> dict[str, Any]:
    return {
        "name": parsed.name,
        "credit_code": parsed.credit_code,
        "licence_number": parsed.licence_number,
        "practice_categories": list(parsed.practice_categories),
        "district": parsed.district,
        "complaints_last_3_years": parsed.complaints_last_3_years or 0,
        "penalised_last_3_years": bool(parsed.penalised_last_3_years),
    }


def import_registry(session: Session, data: bytes, filename: str, actor: User, *, dry_run: bool = False) -> ImportOutcome:
    parse: RegistryParse = parse_registry(data, filename)
    fatal = _file_level_errors(parse.problems)
    if fatal:
        raise _reject_file(filename, fatal)

    outcome = _base_outcome("registry", filename, dry_run, parse)
    existing = {row.name_key: row for row in session.exec(select(Institution))}
    for parsed in parse.institutions:
        fields = _institution_fields(parsed)
        current = existing.get(parsed.name_key)
        if current is None:
            outcome.created += 1
            if not dry_run:
                session.add(Institution(name_key=parsed.name_key, **fields))
            continue

        changed = {key: (getattr(current, key), value) for key, value in fields.items() if getattr(current, key) != value}
        if not changed:
            outcome.unchanged += 1
            continue
        outcome.updated += 1
        outcome.changes.append({"institution": parsed.name, "fields": sorted(changed)})
        if not dry_run:
            for key, (_, value) in changed.items():
                setattr(current, key, value)
            current.updated_at = utcnow()
            session.add(current)

    if not dry_run:
        session.flush()
        _save_import(session, outcome, data, actor, None)
    return outcome


# ---------------------------------------------------------------------------
# Expert roster

# Fields a re-import compares and updates. Status is handled apart because an
# administrator's removal or ban must survive a re-import.
EXPERT_FIELDS = (
    "name", "sex", "birth_date", "employer_name", "employer_key", "employer_institution_id", "employer_type",
    "title", "title_level", "years_of_service", "licence_number", "sub_pool", "group", "recommendation",
    "term_start", "term_end", "phone", "email", "note",
)
# Statuses set by a decision of the association, never by a roster import.
DECIDED_STATUSES = {ExpertStatus.removed, ExpertStatus.banned}
SEX_LABELS = {"male": "男", "female": "女"}


def _registry_from_database(session: Session) -> RegistryParse:
    """Present the stored institutions to the roster parser as if it had read a registry."""
    parse = RegistryParse("database")
    for row in session.exec(select(Institution).order_by(Institution.id)):
        parse.institutions.append(
            registry_parsing.Institution(
                source_row=0,
                name=row.name,
                name_key=row.name_key,
                credit_code=row.credit_code,
                licence_number=row.licence_number,
                practice_categories=tuple(row.practice_categories or ()),
                district=row.district,
                out_of_province=bool(row.district and "外省市" in row.district),
                complaints_last_3_years=row.complaints_last_3_years,
                penalised_last_3_years=row.penalised_last_3_years,
                note=None,
            )
        )
    return parse


def _expert_values(parsed, institutions: dict[str, int]) -> dict[str, Any]:
    return {
        "name": parsed.name,
        "sex": SEX_LABELS.get(parsed.sex, parsed.sex),
        "birth_date": parsed.birth_date,
        "employer_name": parsed.employer_name,
        "employer_key": parsed.employer_key,
        "employer_institution_id": institutions.get(parsed.employer_key),
        "employer_type": parsed.employer_type,
        "title": parsed.title,
        "title_level": parsed.title_level,
        "years_of_service": parsed.years_of_service,
        "licence_number": parsed.licence_number,
        "sub_pool": parsed.sub_pool,
        "group": parsed.group,
        "recommendation": parsed.recommendation_text or parsed.recommendation,
        "term_start": parsed.term_start,
        "term_end": parsed.term_end,
        "phone": parsed.phone,
        "email": parsed.email,
        "note": parsed.note,
    }


def _status_for(parsed, current: Expert | None) -> tuple[ExpertStatus, list[str]]:
    if current is not None and current.status in DECIDED_STATUSES:
        return current.status, list(current.status_reasons or [])
    reasons = [str(reason) for reason in parsed.status_reasons]
    status = ExpertStatus(str(parsed.status))
    # A recorded decision lets an expert over seventy serve; other reasons still apply.
    if current is not None and current.age_override_note and reasons == ["over_70"]:
        return ExpertStatus.active, reasons
    return status, reasons


def _shown(value: Any) -> str | None:
    return None if value is None else str(value)[:500]


@dataclass
class _ExpertPlan:
    """The change a roster import makes to one expert: a new row, or these fields."""

    id_number: str
    current: Expert | None
    values: dict[str, Any]
    changed: dict[str, tuple[Any, Any]]


def _plan_experts(session: Session, parse: RosterParse, outcome: ImportOutcome) -> list[_ExpertPlan]:
    """Compare the parsed experts with the stored ones without changing anything."""
    institutions = {row.name_key: row.id for row in session.exec(select(Institution))}
    existing = {row.id_number: row for row in session.exec(select(Expert))}
    plans = []
    for parsed in parse.experts:
        values = _expert_values(parsed, institutions)
        current = existing.get(parsed.id_number)
        values["status"], values["status_reasons"] = _status_for(parsed, current)

        if current is None:
            outcome.created += 1
            plans.append(_ExpertPlan(parsed.id_number, None, values, {}))
            continue
        changed = {name: (getattr(current, name), value) for name, value in values.items() if getattr(current, name) != value}
        if not changed:
            outcome.unchanged += 1
            continue
        outcome.updated += 1
        outcome.changes.append({"row": parsed.source_row, "expert_id": current.id, "fields": sorted(changed)})
        plans.append(_ExpertPlan(parsed.id_number, current, values, changed))
    return plans


def _apply_plans(session: Session, plans: list[_ExpertPlan], key: str) -> list[tuple[Expert, dict]]:
    applied = []
    for plan in plans:
        if plan.current is None:
            expert = Expert(id_number=plan.id_number, pseudonym=pseudonym(key, "expert", plan.id_number), **plan.values)
        else:
            expert = plan.current
            for name, (_, value) in plan.changed.items():
                setattr(expert, name, value)
            expert.updated_at = utcnow()
        session.add(expert)
        applied.append((expert, plan.changed))
    session.flush()
    return applied


def _sheet_present(parse: RosterParse, sheet_name: str) -> bool:
    return not any(p.code == "sheet_missing" and p.params.get("sheet") == sheet_name for p in parse.problems)


def _conflict_key(row) -> tuple:
    return (row.expert_id, row.institution_id, row.institution_key, row.other_expert_id, row.relation, row.ended_on)


def _merge_conflicts(session: Session, parse: RosterParse, experts: dict[str, int]) -> int:
    """Add the sheet's declared conflicts that are not stored yet; return how many were added.

    Stored declarations missing from the file are kept: a file may hold only some rows
    (a fixed rejected-rows workbook, for example), and dropping a declaration would let
    an expert with a conflict be drawn. Withdrawing a declaration is a separate decision.
    """
    institutions = {row.name_key: row.id for row in session.exec(select(Institution))}
    known = {_conflict_key(row) for row in session.exec(select(Conflict))}
    added = 0
    for parsed in parse.conflicts:
        expert_id = experts.get(parsed.expert_id_number)
        if expert_id is None:
            continue
        row = Conflict(
            expert_id=expert_id,
            institution_id=institutions.get(parsed.institution_key) if parsed.institution_key else None,
            institution_key=parsed.institution_key,
            other_expert_id=experts.get(parsed.other_expert_id_number) if parsed.other_expert_id_number else None,
            relation=parsed.relation,
            relation_text=parsed.relation_text,
            ended_on=parsed.ended_on,
            note=parsed.explanation or parsed.note,
        )
        if _conflict_key(row) in known:
            continue
        known.add(_conflict_key(row))
        session.add(row)
        added += 1
    return added


def _merge_unavailability(session: Session, parse: RosterParse, experts: dict[str, int]) -> int:
    """Add the sheet's unavailability periods that are not stored yet; keep the others."""
    known = {(row.expert_id, row.starts_on, row.ends_on) for row in session.exec(select(Unavailability))}
    added = 0
    for parsed in parse.unavailability:
        expert_id = experts.get(parsed.expert_id_number)
        key = (expert_id, parsed.starts_on, parsed.ends_on)
        if expert_id is None or key in known:
            continue
        known.add(key)
        session.add(Unavailability(expert_id=expert_id, starts_on=parsed.starts_on, ends_on=parsed.ends_on, reason=parsed.reason))
        added += 1
    return added


def import_roster(
    session: Session,
    data: bytes,
    filename: str,
    actor: User,
    *,
    dry_run: bool = False,
    as_of: dt.date | None = None,
) -> ImportOutcome:
    """Import a roster: experts by ID number, and the conflict and unavailability sheets."""
    from flask import current_app

    settings = current_app.extensions["panel_settings"]
    as_of = as_of or today_in(settings.app.timezone)
    known = {row.id_number: row.name for row in session.exec(select(Expert))}
    parse = parse_roster(
        data,
        filename,
        as_of,
        lookback_years=settings.draw.former_employer_lookback_years,
        registry=_registry_from_database(session),
        known_experts=known,
    )
    fatal = _file_level_errors(parse.problems)
    if fatal:
        raise _reject_file(filename, fatal)

    outcome = _base_outcome("roster", filename, dry_run, parse)
    outcome.extra["as_of"] = as_of.isoformat()
    outcome.extra["conflicts"] = len(parse.conflicts)
    outcome.extra["unavailability"] = len(parse.unavailability)
    if parse.rejected_rows:
        outcome.extra["rejected_workbook"] = rejected_rows_workbook(parse, data)
    plans = _plan_experts(session, parse, outcome)
    if dry_run:
        return outcome

    changes = _apply_plans(session, plans, settings.pseudonym.key)
    experts = {row.id_number: row.id for row in session.exec(select(Expert))}
    if _sheet_present(parse, CONFLICT_SHEET.name):
        outcome.extra["conflicts_added"] = _merge_conflicts(session, parse, experts)
    if _sheet_present(parse, UNAVAILABILITY_SHEET.name):
        outcome.extra["unavailability_added"] = _merge_unavailability(session, parse, experts)

    _save_import(session, outcome, data, actor, outcome.extra.get("rejected_workbook"))
    for expert, changed in changes:
        for name, (old, new) in changed.items():
            session.add(
                ExpertChange(expert_id=expert.id, import_id=outcome.import_id, field=name, old_value=_shown(old), new_value=_shown(new))
            )
    session.flush()
    return outcome


def import_dict(row: RosterImport) -> dict[str, Any]:
    return {
        "import_id": row.id,
        "kind": row.kind,
        "filename": row.filename,
        "sha256": row.sha256,
        "created_at": row.created_at.isoformat(),
        "created_by_id": row.created_by_id,
        "summary": row.summary,
        "problems": [render_problem(problem) for problem in row.problems],
        "rejected_rows_available": row.rejected_workbook is not None,
    }


def rejected_workbook(row: RosterImport) -> bytes:
    if row.rejected_workbook is None:
        raise PanelError(_l("Import %(id)s rejected no rows."), code="no_rejected_rows", status=404, id=row.id)
    return row.rejected_workbook


def today_in(timezone: str) -> dt.date:
    from zoneinfo import ZoneInfo

    return dt.datetime.now(ZoneInfo(timezone)).date()
