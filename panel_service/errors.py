"""Domain errors and their JSON form at the edge.

Domain code raises `PanelError` subclasses with a stable code, a translatable message
template and its parameters. Only the API layer turns them into HTTP responses.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, jsonify
from flask_babel import gettext, lazy_gettext as _l
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class PanelError(Exception):
    status = 400
    code = "bad_request"
    template = _l("The request is invalid.")

    def __init__(self, template: Any = None, *, code: str | None = None, status: int | None = None, **params: Any):
        if template is not None:
            self.template = template
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.params = params
        super().__init__(f"{self.code}: {params}")

    def message(self) -> str:
        if not self.params:
            return str(self.template)
        return str(self.template) % {k: _plain(v) for k, v in self.params.items()}

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message()}
        details = {k: _plain(v) for k, v in self.params.items() if not k.startswith("_")}
        if details:
            body["details"] = details
        return body


class NotFound(PanelError):
    status = 404
    code = "not_found"
    template = _l("%(kind)s %(id)s was not found.")

    def __init__(self, template: Any = None, *, kind: str | None = None, **params: Any):
        # `kind` is a code such as "draw"; the message shows its translated name.
        if kind is not None:
            params["kind"] = KIND_NAMES.get(kind, kind)
            params["resource"] = kind
        super().__init__(template, **params)


KIND_NAMES = {
    "draw": _l("Draw"),
    "expert": _l("Expert"),
    "import": _l("Import"),
    "institution": _l("Institution"),
    "task": _l("Task"),
    "user": _l("User"),
}


class Forbidden(PanelError):
    status = 403
    code = "forbidden"
    template = _l("Your role may not perform this action.")


class Unauthorized(PanelError):
    status = 401
    code = "unauthorized"
    template = _l("Sign in first: send a valid API token in the Authorization header (Bearer).")


class Conflict(PanelError):
    status = 409
    code = "conflict"


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str, list, dict)):
        return value
    return str(value)


def error_response(code: str, message: str, status: int, details: dict | None = None):
    body: dict[str, Any] = {"code": code, "message": message}
    if details:
        body["details"] = details
    return jsonify({"error": body}), status


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(PanelError)
    def _panel_error(error: PanelError):
        return jsonify({"error": error.to_dict()}), error.status

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        messages = {
            404: gettext("The requested address does not exist."),
            405: gettext("This method is not allowed on this address."),
            413: gettext("The uploaded file is too large."),
        }
        message = messages.get(error.code or 500, gettext("The request could not be processed."))
        return error_response(f"http_{error.code}", message, error.code or 500)

    @app.errorhandler(UnicodeError)
    @app.errorhandler(RecursionError)
    def _unprocessable_text(error: Exception):
        # Lone surrogates cannot be stored and absurdly nested JSON cannot be parsed.
        log.warning("rejected request: %s", type(error).__name__)
        return error_response(
            "invalid_text", gettext("The request contains invalid characters or is nested too deeply."), 400
        )

    @app.errorhandler(OperationalError)
    def _database_busy(error: OperationalError):
        if "locked" not in str(error.orig):
            return _unexpected(error)
        log.warning("database busy: %s", error.orig)
        return error_response("busy", gettext("Another change is being saved at the same moment; try again."), 409)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        log.exception("unhandled error")
        return error_response("internal_error", gettext("An internal error occurred; the operation was not saved."), 500)
