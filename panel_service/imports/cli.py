"""CLI commands to import rosters and registries, and to set up the demo."""

from __future__ import annotations

import datetime as dt
import secrets
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import gettext
from sqlmodel import select

from panel_service import db, migrate
from panel_service.errors import NotFound, PanelError
from panel_service.imports import operations
from panel_service.users.models import Role, User

DEMO_DIR = Path(__file__).resolve().parent.parent.parent / "demo"
DEMO_ROSTER = DEMO_DIR / "roster-2026.xlsx"
DEMO_REGISTRY = DEMO_DIR / "institutions-2026.xlsx"
DEMO_ADMIN = "demo-admin"


def _fail(error: PanelError) -> None:
    from panel_service.cli import _fail as fail

    fail(error)


def _actor(session, username: str) -> User:
    from panel_service.cli import actor_with_role

    return actor_with_role(session, username, (Role.admin,))


def print_report(outcome: operations.ImportOutcome, show_personal_data: bool = False) -> None:
    """Print the import report as a table: row, column, value as written, problem.

    ID numbers are masked unless `show_personal_data`: terminal output often ends up in
    log files.
    """
    from panel_service.cli import mask_personal

    def echo(text: str) -> None:
        click.echo(text if show_personal_data else mask_personal(text))

    result = outcome.to_dict()
    title = gettext("Dry run, nothing written") if outcome.dry_run else gettext("Import %(id)s", id=outcome.import_id)
    echo(gettext("%(title)s: %(filename)s", title=title, filename=outcome.filename))
    summary = result["summary"]
    echo(
        gettext(
            "created %(created)s, updated %(updated)s, unchanged %(unchanged)s, rejected rows %(rejected)s, skipped rows %(skipped)s",
            created=summary["created"],
            updated=summary["updated"],
            unchanged=summary["unchanged"],
            rejected=summary["rejected_rows"],
            skipped=summary["skipped_rows"],
        )
    )
    if result["problems"]:
        echo(gettext("Sheet | Row | Column | Value as written | Severity | Problem"))
        for problem in result["problems"]:
            echo(
                " | ".join(
                    str(part if part is not None else "")
                    for part in (
                        problem.get("sheet"),
                        problem.get("row"),
                        problem.get("column"),
                        problem.get("value"),
                        _severity_label(problem["severity"]),
                        problem["message"],
                    )
                )
            )
    for column in result["ignored_columns"]:
        echo(gettext("Ignored column %(header)s (sheet %(sheet)s)", header=column["header"], sheet=column["sheet"]))
    for change in result["changes"][:50]:
        echo(gettext("Changed: %(change)s", change=change))


def _severity_label(severity: str) -> str:
    return {"error": gettext("error"), "warning": gettext("warning"), "info": gettext("info")}.get(severity, severity)


def _run_import(
    kind: str,
    path: Path,
    username: str,
    dry_run: bool,
    as_of: dt.date | None,
    rejected_out: Path | None,
    show_personal_data: bool = False,
):
    if rejected_out is not None and not rejected_out.parent.is_dir():
        raise click.BadParameter(gettext("Folder %(path)s does not exist.", path=str(rejected_out.parent)))
    data = path.read_bytes()
    with db.unit_of_work() as session:
        actor = _actor(session, username)
        if kind == "roster":
            outcome = operations.import_roster(session, data, path.name, actor, dry_run=dry_run, as_of=as_of)
        else:
            outcome = operations.import_registry(session, data, path.name, actor, dry_run=dry_run)
    print_report(outcome, show_personal_data)
    if rejected_out is not None and outcome.extra.get("rejected_workbook"):
        rejected_out.write_bytes(outcome.extra["rejected_workbook"])
        click.echo(gettext("Rejected rows written to %(path)s; fix them and import that file again.", path=rejected_out))
    return outcome


@click.command("import-roster")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--as-user", "username", required=True, help="User name recorded as the importer (an admin).")
@click.option("--dry-run", is_flag=True, help="Show the report without writing anything.")
@click.option("--as-of", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Day eligibility is judged on (YYYY-MM-DD); default today.")
@click.option("--rejected-out", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Write the rejected rows, with a reason column, to this .xlsx file.")
@click.option("--show-personal-data", is_flag=True, help="Print ID numbers in the report unmasked.")
@with_appcontext
def import_roster_command(path, username, dry_run, as_of, rejected_out, show_personal_data) -> None:
    """Import the expert roster from an .xlsx workbook or a CSV file."""
    try:
        _run_import("roster", path, username, dry_run, as_of.date() if as_of else None, rejected_out, show_personal_data)
    except PanelError as error:
        _fail(error)


@click.command("import-registry")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--as-user", "username", required=True, help="User name recorded as the importer (an admin).")
@click.option("--dry-run", is_flag=True, help="Show the report without writing anything.")
@with_appcontext
def import_registry_command(path, username, dry_run) -> None:
    """Import the institution registry from an .xlsx workbook or a CSV file."""
    try:
        _run_import("registry", path, username, dry_run, None, None)
    except PanelError as error:
        _fail(error)


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Migrate the database, import the demo registry and roster, and create a demo admin."""
    from panel_service.users.operations import create_user, issue_token

    migrate.upgrade(db.get_engine())
    settings = current_app.extensions["panel_settings"]
    if settings.is_production:
        raise click.ClickException(gettext("The demo set-up is not allowed in production."))

    with db.unit_of_work() as session:
        if session.exec(select(User).where(User.username == DEMO_ADMIN)).first() is not None:
            # A second `make run` must not overwrite what was changed since the first.
            click.echo(
                gettext(
                    "The demo data is already set up; nothing was imported. "
                    "Run `panel issue-token %(name)s` for a new API token.",
                    name=DEMO_ADMIN,
                )
            )
            return
        password = secrets.token_urlsafe(12)
        admin = create_user(session, DEMO_ADMIN, password, "admin", display_name=gettext("Demo administrator"))
        token = issue_token(session, admin, "demo")

    try:
        _run_import("registry", DEMO_REGISTRY, DEMO_ADMIN, False, None, None)
        _run_import("roster", DEMO_ROSTER, DEMO_ADMIN, False, None, None)
    except PanelError as error:
        _fail(error)

    click.echo("")
    click.echo(gettext("Demo administrator: %(name)s, password %(password)s (shown only once)", name=DEMO_ADMIN, password=password))
    click.echo(gettext("API token (shown only once): %(token)s", token=token))
