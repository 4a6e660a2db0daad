"""The Flask application factory."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Mapping

from flask_openapi3 import Info, OpenAPI

from panel_service import db
from panel_service.auth import authorize_request
from panel_service.errors import register_error_handlers
from panel_service.i18n import babel, select_locale
from panel_service.settings import Settings, load_settings

log = logging.getLogger(__name__)

TRANSLATIONS = Path(__file__).resolve().parent / "translations"
MAX_UPLOAD_BYTES = 20 * 1024 * 1024


def _validation_error_response(error):
    # Imported late: the view helpers need an application context.
    from panel_service.api.common import validation_error_response

    return validation_error_response(error)


def create_app(config: Mapping[str, Mapping[str, Any]] | Settings | None = None) -> OpenAPI:
    """Create the service. `config` overrides config.toml sections, e.g. {"database": {"url": ...}}."""
    settings = config if isinstance(config, Settings) else load_settings(overrides=config)

    app = OpenAPI(
        __name__,
        info=Info(title="panel-service", version="1"),
        security_schemes={"bearer": {"type": "http", "scheme": "bearer"}},
        validation_error_status=400,
        validation_error_callback=_validation_error_response,
        doc_prefix="/api/v1/docs",
        doc_url="/openapi.json",
    )
    app.config.update(
        SECRET_KEY=settings.app.secret_key,
        MAX_CONTENT_LENGTH=MAX_UPLOAD_BYTES,
        BABEL_DEFAULT_LOCALE=settings.app.default_locale,
        BABEL_TRANSLATION_DIRECTORIES=str(TRANSLATIONS),
        JSON_AS_ASCII=False,
        TESTING=settings.app.env == "testing",
    )
    app.json.ensure_ascii = False
    app.extensions["panel_settings"] = settings
    _configure_logging()

    engine = db.create_db_engine(db.resolve_url(settings.database.url, app.instance_path))
    app.extensions["panel_engine"] = engine
    app.teardown_appcontext(db.close_session)

    babel.init_app(app, locale_selector=select_locale)
    register_error_handlers(app)
    app.before_request(authorize_request)

    from panel_service.api import register_api
    from panel_service.cli import register_cli

    register_api(app)
    register_cli(app)
    log.info("panel-service created env=%s database=%s", settings.app.env, engine.url.get_backend_name())
    return app


def _configure_logging() -> None:
    """Send INFO and above to stderr unless the host (a WSGI server, pytest) set up logging."""
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        # Alembic logs every plugin it loads at INFO.
        logging.getLogger("alembic").setLevel(logging.WARNING)


def get_settings() -> Settings:
    from flask import current_app

    return current_app.extensions["panel_settings"]
