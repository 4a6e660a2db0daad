"""Command-line interface: `panel COMMAND` (or `flask --app panel_service.wsgi COMMAND`)."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import click
from flask import Flask
from flask.cli import FlaskGroup, with_appcontext
from flask_babel import gettext
from sqlmodel import select

from panel_service import db, migrate
from panel_service.errors import PanelError



def _fail(error: PanelError) -> None:
    click.echo(gettext("Error: %(message)s", message=error.message()), err=True)
    details = error.to_dict().get("details")
    if details:
        click.echo(json.dumps(details, ensure_ascii=False, indent=2, default=str), err=True)
    sys.exit(1)


def actor_with_role(session, username: str, roles) -> "User":
    """Return the user named by --as-user, who must be active and hold one of `roles`."""
    from panel_service.errors import Forbidden, NotFound
    from panel_service.users.models import User

    user = session.exec(select(User).where(User.username == username)).first()
    if user is None or not user.active:
        raise NotFound(kind="user", id=username)
    if user.role not in roles:
        raise Forbidden()
    return user


# Resident ID numbers (and Excel's scientific form of them) in printed reports.
# Separators as hand-kept rosters write them inside ID numbers: spaces and dashes.
_ID_NUMBER = re.compile(
    r"(?<![0-9０-９])([0-9０-９]{6})[ \u3000-]?[0-9０-９]{4}[ \u3000-]?[0-9０-９]{4}[ \u3000-]?([0-9０-９]{3}[0-9０-９XxＸｘ])(?![0-9０-９])"
    r"|[0-9]\.[0-9]{6,}e\+1[0-9]"
)


def mask_personal(text: str) -> str:
    """Mask resident ID numbers in text printed to a terminal, which often ends up in logs."""
    return _ID_NUMBER.sub(lambda m: f"{m.group(1)}********{m.group(2)}" if m.group(1) else "*" * len(m.group(0)), text)


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create or upgrade the database schema to the latest migration."""
    migrate.upgrade(db.get_engine())
    click.echo(gettext("The database schema is up to date."))


@click.command("issue-token")
@click.argument("username")
@click.option("--name", default="cli", help="Label of the token, e.g. the device it is for.")
@with_appcontext
def issue_token_command(username: str, name: str) -> None:
    """Issue a new API token for an existing user and print it once."""
    from panel_service.errors import NotFound
    from panel_service.users.models import User
    from panel_service.users.operations import issue_token

    try:
        with db.unit_of_work() as session:
            user = session.exec(select(User).where(User.username == username)).first()
            if user is None:
                raise NotFound(kind="user", id=username)
            token = issue_token(session, user, name)
    except PanelError as error:
        _fail(error)
    click.echo(gettext("API token (shown only once): %(token)s", token=token))


@click.command("create-user")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(["admin", "inspector", "complaint_handler", "expert"]), help="Role of the new user.")
@click.option("--display-name", default="", help="Name shown on screens.")
@click.option("--password", default=None, help="Password; prompted for when omitted.")
@click.option("--token/--no-token", default=True, help="Also issue an API token and print it once.")
@with_appcontext
def create_user_command(username: str, role: str, display_name: str, password: str | None, token: bool) -> None:
    """Create a user, and print an API token for it once."""
    from panel_service.users.operations import create_user, issue_token

    if password is None:
        password = click.prompt(gettext("Password"), hide_input=True, confirmation_prompt=True)
    try:
        with db.unit_of_work() as session:
            user = create_user(session, username, password, role, display_name=display_name)
            issued = issue_token(session, user, "cli") if token else None
    except PanelError as error:
        _fail(error)
    click.echo(gettext("Created user %(name)s with role %(role)s.", name=username, role=role))
    if issued:
        click.echo(gettext("API token (shown only once): %(token)s", token=issued))


def register_cli(app: Flask) -> None:
    from panel_service.draws.cli import create_task_command, draw_command, show_draw_command, void_draw_command
    from panel_service.imports.cli import demo_command, import_registry_command, import_roster_command

    for command in (
        init_db_command,
        create_user_command,
        import_roster_command,
        import_registry_command,
        create_task_command,
        draw_command,
        show_draw_command,
        void_draw_command,
        issue_token_command,
        demo_command,
    ):
        app.cli.add_command(command)


def _create_app():
    from panel_service.app import create_app
    from panel_service.settings import ConfigError

    try:
        return create_app()
    except ConfigError as error:
        # Operators fix configuration; a traceback would bury the key and value at fault.
        click.echo(f"Configuration error: {error}", err=True)
        sys.exit(2)


def main() -> None:
    os.environ.setdefault("FLASK_APP", "panel_service.wsgi")
    cli = FlaskGroup(create_app=_create_app, help="panel-service: expert pool and verifiable panel draws.")
    cli.main(prog_name="panel")
