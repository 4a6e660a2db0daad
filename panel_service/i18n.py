"""Locale selection: Chinese unless the client explicitly asks for English."""

from __future__ import annotations

from flask import current_app, has_request_context, request
from flask_babel import Babel

SUPPORTED_LOCALES = ("zh_CN", "en")

babel = Babel()


def select_locale() -> str:
    default = current_app.config["BABEL_DEFAULT_LOCALE"]
    if not has_request_context():
        return current_app.config.get("PANEL_CLI_LOCALE") or default

    requested = request.args.get("lang")
    if requested in SUPPORTED_LOCALES:
        return requested
    header = request.headers.get("Accept-Language", "")
    if not header:
        return default
    return request.accept_languages.best_match(SUPPORTED_LOCALES, default=default)
