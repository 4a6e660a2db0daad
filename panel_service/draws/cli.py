"""CLI commands for tasks and draws."""

from __future__ import annotations

import datetime as dt
import json
import sys

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import gettext, lazy_gettext as _l
from pydantic import ValidationError
from sqlmodel import select

from panel_service import db
from panel_service.draws import operations
from panel_service.draws.messages import describe_counts, group_name, status_label
from panel_service.draws.models import Draw
from panel_service.errors import NotFound, PanelError
from panel_service.tasks.models import Task, TaskType
from panel_service.tasks.operations import create_task
from panel_service.tasks.schemas import AttributeRuleIn, TaskCreate
from panel_service.users.models import User


def _fail(error: PanelError) -> None:
    from panel_service.cli import _fail as fail

    fail(error)


def _actor(session, username: str) -> User:
    from panel_service.auth import STAFF
    from panel_service.cli import actor_with_role

    return actor_with_role(session, username, STAFF)


def _parse_groups(values: tuple[str, ...]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in values:
        code, _, count = value.partition("=")
        if not count.isdigit():
            raise click.BadParameter(gettext("Expected GROUP=COUNT such as forensic_clinical=2, got %(value)s", value=value))
        counts[code.strip()] = int(count)
    return counts


def _parse_rules(values: tuple[str, ...]) -> list[AttributeRuleIn]:
    """Parse ATTRIBUTE=VALUE:MIN:MAX, where MIN or MAX may be empty."""
    rules = []
    for value in values:
        try:
            target, bounds = value.split(":", 1)
            attribute, attr_value = target.split("=", 1)
            low, _, high = bounds.partition(":")
            rules.append(
                AttributeRuleIn(attribute=attribute, value=attr_value, minimum=int(low or 0), maximum=int(high) if high else None)
            )
        except ValueError:
            raise click.BadParameter(
                gettext("Expected ATTRIBUTE=VALUE:MIN:MAX such as title_level=full_senior:1:, got %(value)s", value=value)
            ) from None
    return rules


@click.command("create-task")
@click.option("--type", "task_type", required=True, type=click.Choice([t.value for t in TaskType]), help="Task type.")
@click.option("--title", required=True, help="Short title shown on screens.")
@click.option("--target", default=None, help="Target institution: registry name (any spelling) or id.")
@click.option("--from", "sits_from", required=True, type=click.DateTime(["%Y-%m-%d"]), help="First day the panel sits (YYYY-MM-DD).")
@click.option("--to", "sits_to", default=None, type=click.DateTime(["%Y-%m-%d"]), help="Last day the panel sits; defaults to --from.")
@click.option("--group", "groups", multiple=True, required=True, help="GROUP=COUNT, repeatable, e.g. forensic_clinical=2.")
@click.option("--alternates", default=0, show_default=True, type=click.IntRange(0, 20), help="Alternates drawn per required group.")
@click.option("--rule", "rules", multiple=True, help="Panel rule ATTRIBUTE=VALUE:MIN:MAX, repeatable, e.g. title_level=full_senior:1:")
@click.option("--leader/--no-leader", default=False, help="Require a leader with a full senior title.")
@click.option("--method", default=None, help="Selection method; defaults to draw.default_method.")
@click.option("--as-user", "username", required=True, help="User name recorded as the requester.")
@with_appcontext
def create_task_command(task_type, title, target, sits_from, sits_to, groups, alternates, rules, leader, method, username) -> None:
    """Create a task that a panel can be drawn for."""
    target_id = int(target) if target and target.isdigit() else None
    try:
        data = TaskCreate(
            task_type=task_type,
            title=title,
            target_institution_id=target_id,
            target_institution_name=None if target_id else target,
            sits_from=sits_from.date(),
            sits_to=(sits_to or sits_from).date(),
            group_counts=_parse_groups(groups),
            alternates=alternates,
            attribute_rules=_parse_rules(rules),
            require_leader=leader,
            method=method,
        )
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(str(p) for p in item['loc'])}: {item['msg']}" for item in error.errors())
        raise click.BadParameter(problems) from None
    try:
        with db.unit_of_work() as session:
            task = create_task(session, data, _actor(session, username), current_app.extensions["panel_settings"].draw.default_method)
    except PanelError as error:
        _fail(error)
    click.echo(gettext("Created task %(id)s.", id=task.id))


@click.command("draw")
@click.argument("task_id", type=click.IntRange(1, 2**31 - 1))
@click.option(
    "--entropy",
    "entropy",
    multiple=True,
    help="Digits typed by a supervisor present; repeatable. When omitted, asked for after the commitment is shown.",
)
@click.option("--public-value", default=None, help="A public random value that did not exist at commitment (drand round, lottery result).")
@click.option("--method", default=None, help="Override the task's selection method.")
@click.option("--as-user", "username", required=True, help="User name recorded as the requester.")
@with_appcontext
def draw_command(task_id, entropy, public_value, method, username) -> None:
    """Commit a draw for TASK_ID, print the commitment, then reveal it and print the panel."""
    settings = current_app.extensions["panel_settings"]
    try:
        # Check the entered values first, so that a typo does not leave a committed draw.
        if entropy:
            operations.check_entropy(entropy)
        elif not sys.stdin.isatty():
            # Digits made up by the server would let one operator steer the draw alone.
            raise PanelError(
                _l("No supervisor digits were given and there is no terminal to ask for them; pass --entropy."),
                code="entropy_required",
            )
        operations.check_public_value(public_value)
        with db.unit_of_work() as session:
            task = session.get(Task, task_id)
            if task is None:
                raise NotFound(kind="task", id=task_id)
            actor = _actor(session, username)
            draw = operations.commit_draw(session, task, actor, settings, method_name=method)
        click.echo(gettext("Commitment: %(hash)s", hash=draw.commitment))

        if not entropy:
            entropy = _ask_entropy()
        with db.unit_of_work() as session:
            draw = operations.reveal_draw(session, session.get(Draw, draw.id), _actor(session, username), list(entropy), public_value)
    except PanelError as error:
        _fail(error)
    _print_draw(draw)


def _ask_entropy() -> tuple[str, ...]:
    """Ask the supervisors present for digits, now that the commitment is shown."""
    entries = []
    while True:
        text = click.prompt(gettext("Supervisor digits (empty line to finish)"), default="", show_default=False).strip()
        if not text and entries:
            return tuple(entries)
        if text:
            try:
                operations.check_entropy([text])
            except PanelError as error:
                click.echo(error.message(), err=True)
                continue
            entries.append(text)


@click.command("void-draw")
@click.argument("draw_id", type=click.IntRange(1, 2**31 - 1))
@click.option("--reason", required=True, help="Why the draw is void; recorded and shown to staff.")
@click.option("--as-user", "username", required=True, help="User name recorded as the one who voids it.")
@with_appcontext
def void_draw_command(draw_id: int, reason: str, username: str) -> None:
    """Void a draw with a reason, so that the task can be drawn again."""
    try:
        with db.unit_of_work() as session:
            draw = session.get(Draw, draw_id)
            if draw is None:
                raise NotFound(kind="draw", id=draw_id)
            operations.void_draw(session, draw, _actor(session, username), reason)
    except PanelError as error:
        _fail(error)
    click.echo(gettext("Draw %(id)s is void.", id=draw_id))


@click.command("show-draw")
@click.argument("draw_id", type=click.IntRange(1, 2**31 - 1))
@click.option("--json", "as_json", is_flag=True, help="Print the full draw record as JSON.")
@with_appcontext
def show_draw_command(draw_id: int, as_json: bool) -> None:
    """Show a draw: its panel, alternates and exclusions, or its record as JSON."""
    draw = db.get_session().get(Draw, draw_id)
    if draw is None:
        _fail(NotFound(kind="draw", id=draw_id))
    if as_json:
        click.echo(json.dumps(draw.record, ensure_ascii=False, indent=2))
        return
    _print_draw(draw)


def _print_draw(draw: Draw) -> None:
    from panel_service.draws.api import _exclusion_summary, _members

    click.echo(
        gettext(
            "Draw %(id)s (%(status)s), method %(method)s %(version)s",
            id=draw.id,
            status=status_label(draw.status.value),
            method=draw.method,
            version=draw.method_version,
        )
    )
    click.echo(gettext("Commitment: %(hash)s", hash=draw.commitment))
    if draw.seed:
        click.echo(gettext("Seed: %(seed)s", seed=draw.seed))
    panel, alternates = _members(draw)
    click.echo(gettext("Panel:"))
    for member in panel:
        leader = gettext(" (leader)") if member["is_leader"] else ""
        click.echo(f"  {member['position']}. {member['name']}  {member['group_name']}  {member['employer_name']}{leader}")
    click.echo(gettext("Alternates, in the order they are called:"))
    for member in alternates:
        click.echo(f"  {member['position']}. {member['name']}  {member['group_name']}  {member['employer_name']}")
    click.echo(gettext("Exclusions by group:"))
    for group, counts in _exclusion_summary(draw).items():
        click.echo(gettext("  %(group)s: %(counts)s", group=group_name(group), counts=describe_counts(counts)))
    click.echo(gettext("Experts outside the required groups: %(count)s", count=draw.wrong_group_count))
