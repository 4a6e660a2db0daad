"""Creating users, issuing API tokens and resolving a token to its user."""

from __future__ import annotations

import hashlib
import logging
import re
import secrets

import sqlalchemy as sa

from flask_babel import lazy_gettext as _l
from sqlmodel import Session, select
from werkzeug.security import check_password_hash, generate_password_hash

from panel_service.audit.operations import record_audit
from panel_service.db import utcnow
from panel_service.errors import Conflict, NotFound, PanelError, Unauthorized
from panel_service.experts.models import Expert
from panel_service.users.models import ApiToken, Role, User

log = logging.getLogger(__name__)

USERNAME_PATTERN = re.compile(r"[A-Za-z0-9_.-]{3,64}")
MIN_PASSWORD_LENGTH = 10
TOKEN_PREFIX = "pst_"


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_user(
    session: Session,
    username: str,
    password: str,
    role: Role | str,
    *,
    display_name: str = "",
    expert_id: int | None = None,
    actor: User | None = None,
) -> User:
    if not USERNAME_PATTERN.fullmatch(username):
        raise PanelError(
            _l("Invalid user name %(value)s: use 3 to 64 letters, digits, dots, dashes or underscores."),
            code="invalid_username",
            value=username,
        )
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PanelError(
            _l("The password is too short: at least %(minimum)s characters are required."),
            code="weak_password",
            minimum=MIN_PASSWORD_LENGTH,
        )
    try:
        role = Role(role)
    except ValueError:
        raise PanelError(
            _l("Unknown role %(value)s; expected one of %(expected)s."),
            code="invalid_role",
            value=str(role),
            expected=", ".join(r.value for r in Role),
        ) from None
    if role == Role.expert and expert_id is None:
        raise PanelError(_l("A user with the expert role must be linked to an expert record."), code="expert_id_required")
    if role != Role.expert and expert_id is not None:
        raise PanelError(_l("Only users with the expert role are linked to an expert record."), code="expert_id_unexpected")
    if expert_id is not None and session.get(Expert, expert_id) is None:
        raise NotFound(kind="expert", id=expert_id)
    if expert_id is not None and session.exec(select(User).where(User.expert_id == expert_id)).first():
        raise Conflict(_l("Expert %(id)s already has a user."), code="expert_has_user", id=expert_id)
    if session.exec(select(User).where(sa.func.lower(User.username) == username.lower())).first():
        raise Conflict(_l("User name %(value)s is already taken."), code="username_taken", value=username)

    user = User(
        username=username,
        display_name=display_name,
        role=role,
        password_hash=generate_password_hash(password),
        expert_id=expert_id,
    )
    session.add(user)
    session.flush()
    record_audit(session, actor, "user.create", "user", user.id, {"role": role.value})
    log.info("created user id=%s role=%s", user.id, role.value)
    return user


def issue_token(session: Session, user: User, name: str = "") -> str:
    """Create an API token for `user` and return it; only its hash is stored."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, token_hash=_hash_token(token), name=name))
    session.flush()
    record_audit(session, user, "token.issue", "user", user.id, {"name": name})
    return token


def authenticate_password(session: Session, username: str, password: str) -> User:
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None or not user.active or not check_password_hash(user.password_hash, password):
        log.info("password sign-in failed for user name length=%s", len(username))
        raise Unauthorized(_l("The user name or password is wrong."), code="bad_credentials")
    return user


def user_for_token(session: Session, token: str) -> User | None:
    row = session.exec(select(ApiToken).where(ApiToken.token_hash == _hash_token(token))).first()
    if row is None or row.revoked_at is not None:
        return None
    user = session.get(User, row.user_id)
    return user if user is not None and user.active else None


def revoke_token(session: Session, token: str, actor: User) -> None:
    row = session.exec(select(ApiToken).where(ApiToken.token_hash == _hash_token(token))).first()
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()
        session.add(row)
        session.flush()
        record_audit(session, actor, "token.revoke", "api_token", row.id, {})
