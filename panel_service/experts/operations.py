"""Recorded decisions about an expert: serving past seventy, removal and the permanent ban."""

from __future__ import annotations

import logging

from flask_babel import lazy_gettext as _l
from sqlmodel import Session

from panel_service.audit.operations import record_audit
from panel_service.db import utcnow
from panel_service.draws.messages import status_label
from panel_service.errors import Conflict, PanelError
from panel_service.experts.models import Expert, ExpertStatus
from panel_service.users.models import User

log = logging.getLogger(__name__)

OVER_70 = "over_70"
# Art 15 grounds (3) to (5) ban a removed expert for good.
BANNING_GROUNDS = {"violation_while_serving", "refused_duties", "penalised"}
REMOVAL_GROUNDS = {"withdrawal", "unable_to_serve", "other_unsuitability"} | BANNING_GROUNDS


def allow_over_70(session: Session, expert: Expert, actor: User, note: str) -> Expert:
    """Record the decision that an expert over seventy may serve.

    The association's measures set the age limit at "generally" not over 70, so a
    recorded decision can lift it.
    """
    if not note.strip():
        raise PanelError(_l("A decision needs a written reason."), code="reason_required")
    if expert.status != ExpertStatus.pending_review or OVER_70 not in (expert.status_reasons or []):
        raise Conflict(
            _l("Expert %(id)s is not awaiting a decision about age; the status is %(state)s."),
            code="no_age_decision_pending",
            id=expert.id,
            state=status_label(expert.status.value),
        )
    expert.age_override_note = note.strip()
    if expert.status_reasons == [OVER_70]:
        expert.status = ExpertStatus.active
    expert.updated_at = utcnow()
    session.add(expert)
    session.flush()
    record_audit(session, actor, "expert.allow_over_70", "expert", expert.id, {})
    log.info("recorded age decision for expert id=%s by user=%s", expert.id, actor.id)
    return expert


def remove_expert(session: Session, expert: Expert, actor: User, ground: str, note: str) -> Expert:
    """Remove an expert from the pool; grounds (3) to (5) of Art 15 ban them permanently."""
    if ground not in REMOVAL_GROUNDS:
        raise PanelError(
            _l("Unknown removal ground %(value)s; expected one of %(expected)s."),
            code="invalid_ground",
            value=ground,
            expected=", ".join(sorted(REMOVAL_GROUNDS)),
        )
    if expert.status == ExpertStatus.banned:
        raise Conflict(_l("Expert %(id)s is already banned."), code="already_banned", id=expert.id)
    expert.status = ExpertStatus.banned if ground in BANNING_GROUNDS else ExpertStatus.removed
    expert.status_reasons = [ground]
    expert.note = (note or "").strip()[:500] or expert.note
    expert.updated_at = utcnow()
    session.add(expert)
    session.flush()
    record_audit(session, actor, "expert.remove", "expert", expert.id, {"ground": ground, "status": expert.status.value})
    log.info("removed expert id=%s ground=%s by user=%s", expert.id, ground, actor.id)
    return expert
