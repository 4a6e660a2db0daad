"""The hash-chained audit log."""

from __future__ import annotations

from sqlmodel import select

from panel_service.audit.models import AuditEntry
from panel_service.audit.operations import verify_chain
from panel_service.db import unit_of_work


def test_chain_intact_after_actions(app, make_user):
    make_user("admin")
    make_user("inspector")
    with app.app_context(), unit_of_work() as session:
        assert verify_chain(session) is None
        assert len(session.exec(select(AuditEntry)).all()) >= 4


def test_chain_detects_edited_entry(app, make_user):
    make_user("admin")
    with app.app_context(), unit_of_work() as session:
        entry = session.exec(select(AuditEntry).order_by(AuditEntry.id)).first()
        entry.action = "user.delete"
        session.add(entry)
    with app.app_context(), unit_of_work() as session:
        assert verify_chain(session) == entry.id
