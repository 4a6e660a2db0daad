"""Helpers shared by the API views: validation errors, paging and masking."""

from __future__ import annotations

import math
from typing import Annotated, Any

from flask import jsonify
from flask_babel import gettext
from pydantic import BaseModel, Field

from panel_service.users.models import Role, User


# Primary keys fit a 32-bit signed integer; larger numbers in a path or body are
# invalid input, not a database error.
MAX_ROW_ID = 2**31 - 1
RowId = Annotated[int, Field(ge=1, le=MAX_ROW_ID)]


class Page(BaseModel):
    page: int = Field(default=1, ge=1, le=1_000_000)
    per_page: int = Field(default=50, ge=1, le=500)


# Fields whose submitted value is never echoed back in an error.
SECRET_FIELDS = {"password", "token"}


def validation_error_response(error):
    details = []
    for item in error.errors():
        field = ".".join(str(part) for part in item["loc"]) or gettext("request body")
        secret = any(str(part) in SECRET_FIELDS for part in item["loc"])
        details.append({"field": field, "problem": item["msg"], "value": None if secret else _short(item.get("input"))})
    body = {
        "code": "validation_error",
        "message": gettext("Some fields of the request are invalid: %(fields)s.", fields="、".join(d["field"] for d in details)),
        "details": details,
    }
    response = jsonify({"error": body})
    response.status_code = 400
    return response


def escape_like(text: str) -> str:
    """Escape LIKE wildcards so that a search for "%" finds a percent sign, not everything."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _short(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value if not isinstance(value, str) else value[:100]
    return str(value)[:100]


def mask_id_number(value: str | None) -> str | None:
    if not value:
        return value
    return value[:6] + "*" * 8 + value[-4:] if len(value) == 18 else "*" * len(value)


def mask_phone(value: str | None) -> str | None:
    if not value:
        return value
    return value[:3] + "****" + value[-4:] if len(value) >= 7 else "****"


def mask_email(value: str | None) -> str | None:
    if not value or "@" not in value:
        return value
    local, _, domain = value.partition("@")
    return local[:1] + "***@" + domain


def sees_personal_data(user: User, expert_id: int | None = None) -> bool:
    """Return whether `user` may read the personal data of `expert_id`.

    Admins may read every expert's; an expert only their own.
    """
    if user.role == Role.admin:
        return True
    return user.role == Role.expert and expert_id is not None and user.expert_id == expert_id
