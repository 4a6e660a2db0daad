"""CLI commands: the README's spot-check flow, role checks and atomic failures."""

from __future__ import annotations

from sqlmodel import func, select

from panel_service.db import unit_of_work
from panel_service.draws.models import Draw
from tests.conftest import DEMO


def _count_draws(app) -> int:
    with app.app_context(), unit_of_work() as session:
        return session.exec(select(func.count()).select_from(Draw)).one()


def _setup(runner, make_user):
    make_user("admin", username="clerk")
    assert runner.invoke(args=["import-registry", str(DEMO / "institutions-2026.xlsx"), "--as-user", "clerk"]).exit_code == 0
    result = runner.invoke(args=["import-roster", str(DEMO / "roster-2026.xlsx"), "--as-user", "clerk", "--as-of", "2026-12-04"])
    assert result.exit_code == 0, result.output
    return result


def _create_task(runner, user="clerk"):
    return runner.invoke(
        args=[
            "create-task", "--as-user", user, "--type", "spot_check", "--title", "2027年第一批双随机抽查",
            "--target", "北京金盾司法鉴定中心", "--from", "2027-03-01", "--to", "2027-03-02",
            "--group", "forensic_clinical=2", "--group", "forensic_pathology=1",
            "--alternates", "1", "--rule", "title_level=full_senior:1:", "--leader",
        ]
    )


def test_readme_spot_check_flow(runner, make_user, app):
    report = _setup(runner, make_user)
    assert "110105196112277312" not in report.output

    created = _create_task(runner)
    assert created.exit_code == 0, created.output
    drawn = runner.invoke(args=["draw", "1", "--as-user", "clerk", "--entropy", "20270301", "--entropy", "8848"])
    assert drawn.exit_code == 0, drawn.output
    assert "承诺值" in drawn.output
    assert "组长" in drawn.output
    record_output = runner.invoke(args=["show-draw", "1", "--json"])
    assert '"commitment"' in record_output.output


def test_bad_entropy_leaves_no_draw(runner, make_user, app):
    _setup(runner, make_user)
    _create_task(runner)
    result = runner.invoke(args=["draw", "1", "--as-user", "clerk", "--entropy", "abc"])
    assert result.exit_code == 1
    assert _count_draws(app) == 0


def test_expert_role_cannot_draw(runner, make_user, app):
    _setup(runner, make_user)
    _create_task(runner)
    make_user("expert", username="someexpert")
    result = runner.invoke(args=["draw", "1", "--as-user", "someexpert", "--entropy", "1"])
    assert result.exit_code == 1
    assert _count_draws(app) == 0
    assert _create_task(runner, user="someexpert").exit_code == 1


def test_void_then_draw_again(runner, make_user, app):
    _setup(runner, make_user)
    _create_task(runner)
    assert runner.invoke(args=["draw", "1", "--as-user", "clerk", "--entropy", "1"]).exit_code == 0
    assert runner.invoke(args=["draw", "1", "--as-user", "clerk", "--entropy", "2"]).exit_code == 1
    assert runner.invoke(args=["void-draw", "1", "--as-user", "clerk", "--reason", "监督人员未到场"]).exit_code == 0
    assert runner.invoke(args=["draw", "1", "--as-user", "clerk", "--entropy", "2"]).exit_code == 0
    assert _count_draws(app) == 2


def test_demo_runs_once(runner, app):
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert "pst_" in first.output
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0
    assert "pst_" not in second.output
    token = runner.invoke(args=["issue-token", "demo-admin"])
    assert "pst_" in token.output


def test_id_numbers_with_spaces_masked():
    from panel_service.cli import mask_personal

    assert mask_personal("370102 196008155680") == "370102********5680"
    assert mask_personal("１１０１０５１９６１１２２７７３１２") == "１１０１０５********７３１２"
    assert mask_personal("row 12") == "row 12"


def test_draw_without_terminal_needs_entropy(runner, make_user, app):
    _setup(runner, make_user)
    _create_task(runner)
    result = runner.invoke(args=["draw", "1", "--as-user", "clerk"])
    assert result.exit_code == 1
    assert _count_draws(app) == 0
