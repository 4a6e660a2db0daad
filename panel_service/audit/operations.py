"""Appending to the hash-chained audit log."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from panel_service.audit.models import AuditEntry
from panel_service.db import utcnow

GENESIS_HASH = "0" * 64
# Arbitrary constant naming the advisory lock that guards the chain's tail.
AUDIT_LOCK_KEY = 7_274_001


def _entry_hash(previous_hash: str, payload: dict[str, Any]) -> str:
    data = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256((previous_hash + data).encode("utf-8")).hexdigest()


def record_audit(session: Session, actor, action: str, object_type: str, object_id, details: dict[str, Any]) -> AuditEntry:
    """Append an entry chained to the previous one. `details` must hold no personal data."""
    if session.get_bind().dialect.name == "postgresql":
        # Serialise appends until commit, so two transactions never chain to the same entry.
        session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": AUDIT_LOCK_KEY})
    last = session.exec(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).first()
    previous_hash = last.entry_hash if last else GENESIS_HASH
    at = utcnow()
    payload = {
        "at": at.isoformat(),
        "actor_id": getattr(actor, "id", None),
        "action": action,
        "object_type": object_type,
        "object_id": str(object_id),
        "details": details,
    }
    entry = AuditEntry(
        at=at,
        actor_id=payload["actor_id"],
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        details=details,
        previous_hash=previous_hash,
        entry_hash=_entry_hash(previous_hash, payload),
    )
    session.add(entry)
    session.flush()
    return entry


def verify_chain(session: Session) -> int | None:
    """Return the id of the first entry whose hash does not match, or None when intact."""
    previous_hash = GENESIS_HASH
    for entry in session.exec(select(AuditEntry).order_by(AuditEntry.id)):
        payload = {
            "at": entry.at.isoformat(),
            "actor_id": entry.actor_id,
            "action": entry.action,
            "object_type": entry.object_type,
            "object_id": entry.object_id,
            "details": entry.details,
        }
        if entry.previous_hash != previous_hash or entry.entry_hash != _entry_hash(previous_hash, payload):
            return entry.id
        previous_hash = entry.entry_hash
    return None

