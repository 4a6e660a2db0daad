"""Bearer-token authentication and role checks for the JSON API."""

from __future__ import annotations

import functools
from typing import Callable

from flask import current_app, g, request

from panel_service.db import get_session
from panel_service.errors import Forbidden, Unauthorized
from panel_service.users.models import Role, User
from panel_service.users.operations import user_for_token

BEARER_SECURITY = [{"bearer": []}]


def current_user() -> User:
    user = g.get("current_user")
    if user is None:
        raise Unauthorized()
    return user


def _authenticate() -> User:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized()
    user = user_for_token(get_session(), token.strip())
    if user is None:
        raise Unauthorized()
    return user


def _check(allowed: frozenset[Role]) -> User:
    user = g.get("current_user") or _authenticate()
    if user.role not in allowed:
        raise Forbidden()
    g.current_user = user
    return user


def authorize_request() -> None:
    """Check the token and role before flask-openapi3 validates the request body.

    Without this a caller with no token would learn from validation errors what a
    protected endpoint expects.
    """
    view = current_app.view_functions.get(request.endpoint or "")
    allowed = getattr(view, "allowed_roles", None)
    if allowed is not None:
        _check(allowed)


def requires(*roles: Role) -> Callable:
    """Allow the view only to signed-in users with one of `roles`."""
    allowed = frozenset(roles)

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            _check(allowed)
            return view(*args, **kwargs)

        # Read by `authorize_request` and by the test that checks every endpoint.
        wrapper.allowed_roles = allowed
        return wrapper

    return decorator


STAFF = (Role.admin, Role.inspector, Role.complaint_handler)
EVERYONE = (Role.admin, Role.inspector, Role.complaint_handler, Role.expert)
