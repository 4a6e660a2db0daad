"""Fixtures: the app on SQLite and on PostgreSQL, a clean database per test, users and tokens.

Every test that requests `app` (directly or through `client`, `session`, `runner`) runs
once per backend. The PostgreSQL database is created on 127.0.0.1:5432 for the session
and dropped at the end; set PANEL_TEST_POSTGRES=0 to run on SQLite only.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from sqlmodel import SQLModel

from panel_service import migrate
from panel_service.app import create_app

PG_ADMIN_DSN = os.environ.get("PANEL_TEST_PG_ADMIN_DSN", "host=127.0.0.1 port=5432 user=postgres dbname=postgres")
PG_URL_TEMPLATE = os.environ.get("PANEL_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/{name}")
DEMO = Path(__file__).resolve().parent.parent / "demo"

BACKENDS = ["sqlite"] if os.environ.get("PANEL_TEST_POSTGRES") == "0" else ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def postgres_url():
    name = f"panel_service_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    yield PG_URL_TEMPLATE.format(name=name)
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _url_for(backend: str, request, tmp_path_factory) -> str:
    if backend == "postgresql":
        return request.getfixturevalue("postgres_url")
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'panel.db'}"


@pytest.fixture(scope="session", params=BACKENDS)
def _app_once(request, tmp_path_factory):
    url = _url_for(request.param, request, tmp_path_factory)
    app = create_app(
        {
            "app": {"env": "testing", "secret_key": "test-secret-key-" + "x" * 32},
            "database": {"url": url},
            "pseudonym": {"key": "test-pseudonym-key"},
        }
    )
    migrate.upgrade(app.extensions["panel_engine"])
    yield app
    app.extensions["panel_engine"].dispose()


def _clean(engine: sa.Engine) -> None:
    tables = list(reversed(SQLModel.metadata.sorted_tables))
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{table.name}"' for table in tables)
            connection.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(table.delete())


@pytest.fixture
def app(_app_once):
    # Clean before the test, not after, so a failed test never leaks rows into the next.
    _clean(_app_once.extensions["panel_engine"])
    yield _app_once


@pytest.fixture
def backend(app) -> str:
    return app.extensions["panel_engine"].dialect.name


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def session(app):
    from panel_service.db import get_session

    with app.app_context():
        yield get_session()


@pytest.fixture
def make_user(app):
    """Create a user with a role and return (user, token)."""
    from panel_service.db import unit_of_work
    from panel_service.users.operations import create_user, issue_token

    def factory(role: str = "admin", username: str | None = None, expert_id: int | None = None):
        with app.app_context(), unit_of_work() as session:
            if role == "expert" and expert_id is None:
                from tests.factories import add_expert

                expert_id = add_expert(session).id
            user = create_user(session, username or f"{role}-{uuid.uuid4().hex[:6]}", "correct-horse-battery", role, expert_id=expert_id)
            token = issue_token(session, user)
        return user, token

    return factory


@pytest.fixture
def auth(make_user):
    """Return Authorization headers for a new user of `role`."""

    def factory(role: str = "admin", **kwargs) -> dict[str, str]:
        _, token = make_user(role, **kwargs)
        return {"Authorization": f"Bearer {token}"}

    return factory


@pytest.fixture
def today() -> dt.date:
    return dt.date(2026, 12, 4)
