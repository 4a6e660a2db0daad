"""Draws through the service: eligibility, commitment, reveal, redraws and errors."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import select

from panel_service.db import unit_of_work
from panel_service.draws import operations
from panel_service.draws.messages import InfeasibleDraw
from panel_service.draws.models import DrawCandidate, DrawMember, DrawStatus, MemberRole
from panel_service.errors import Conflict as ConflictError
from panel_service.errors import PanelError
from panel_service.experts.models import ExpertStatus
from solvers.check import check_panel
from solvers.record import candidates_from_record, rules_from_record
from tests.factories import add_conflict, add_expert, add_institution, add_task, add_unavailability

DAY = dt.date(2027, 3, 1)


@pytest.fixture
def admin(app, make_user):
    user, _ = make_user("admin")
    return user


def _settings(app):
    return app.extensions["panel_settings"]


def _commit(app, task, user, **kwargs):
    with app.app_context(), unit_of_work() as session:
        if kwargs.get("replaces") is not None:
            kwargs["replaces"] = session.merge(kwargs["replaces"])
        return operations.commit_draw(session, session.merge(task), session.merge(user), _settings(app), **kwargs)


def _reveal(app, draw, user, entropy=("123456",)):
    with app.app_context(), unit_of_work() as session:
        return operations.reveal_draw(session, session.merge(draw), session.merge(user), list(entropy))


def _reasons(app, draw) -> dict[int, list[str]]:
    with app.app_context(), unit_of_work() as session:
        rows = session.exec(select(DrawCandidate).where(DrawCandidate.draw_id == draw.id))
        return {row.expert_id: row.exclusion_reasons for row in rows}


def test_every_exclusion_reason_recorded(app, admin):
    with app.app_context(), unit_of_work() as session:
        target = add_institution(session, "北京某某司法鉴定所")
        employee = add_expert(session, employer=target)
        former_recent = add_expert(session)
        add_conflict(session, former_recent, institution=target, relation="former_employment", ended_on=dt.date(2025, 1, 1))
        former_long_ago = add_expert(session)
        add_conflict(session, former_long_ago, institution=target, relation="former_employment", ended_on=dt.date(2019, 1, 1))
        relative = add_expert(session)
        add_conflict(session, relative, institution=target, relation="relative_employed")
        away = add_expert(session)
        add_unavailability(session, away, DAY - dt.timedelta(days=3), DAY)
        expired = add_expert(session, term_end=dt.date(2026, 12, 31))
        ineligible = add_expert(session, status=ExpertStatus.ineligible)
        banned = add_expert(session, status=ExpertStatus.banned)
        free = [add_expert(session) for _ in range(3)]
        other_group = add_expert(session, group="documents")
        task = add_task(session, admin, {"forensic_clinical": 2}, target=target)

    draw = _commit(app, task, admin)
    reasons = _reasons(app, draw)

    assert reasons[employee.id] == ["employee_of_target"]
    assert reasons[former_recent.id] == ["former_employee_of_target"]
    assert reasons[former_long_ago.id] == []
    assert reasons[relative.id] == ["conflict_with_target"]
    assert reasons[away.id] == ["unavailable"]
    assert reasons[expired.id] == ["term_expired"]
    assert reasons[ineligible.id] == ["status_ineligible"]
    assert reasons[banned.id] == ["status_banned"]
    for expert in free:
        assert reasons[expert.id] == []
    assert other_group.id not in reasons
    assert draw.wrong_group_count == 1


def test_overlapping_panel_excludes_member(app, admin):
    with app.app_context(), unit_of_work() as session:
        experts = [add_expert(session) for _ in range(3)]
        first = add_task(session, admin, {"forensic_clinical": 3}, alternates=0)
        second = add_task(session, admin, {"forensic_clinical": 1}, day=DAY)
        later = add_task(session, admin, {"forensic_clinical": 1}, day=DAY + dt.timedelta(days=10))

    _reveal(app, _commit(app, first, admin), admin)

    with pytest.raises(InfeasibleDraw) as error:
        _commit(app, second, admin)
    assert error.value.summary["forensic_clinical"]["on_overlapping_panel"] == 3

    later_draw = _commit(app, later, admin)
    assert all(reasons == [] for reasons in _reasons(app, later_draw).values())
    assert len(experts) == 3


def test_revealed_panel_obeys_rules(app, admin):
    with app.app_context(), unit_of_work() as session:
        shared = add_institution(session, "北京共同司法鉴定所")
        a = add_expert(session, employer=shared)
        b = add_expert(session, employer=shared)
        c = add_expert(session)
        d = add_expert(session)
        add_conflict(session, c, other=d, relation="spouse")
        add_expert(session, group="forensic_pathology")
        add_expert(session, group="forensic_pathology")
        task = add_task(session, admin, {"forensic_clinical": 2, "forensic_pathology": 1})
        assert a.id and b.id

    draw = _reveal(app, _commit(app, task, admin), admin)
    record = draw.record
    candidates = candidates_from_record(record)
    rules = rules_from_record(record)

    assert draw.status == DrawStatus.revealed
    assert len(rules.conflicts) == 1
    assert check_panel(candidates, rules, record["result"]["panel"]) == []
    with app.app_context(), unit_of_work() as session:
        members = session.exec(select(DrawMember).where(DrawMember.draw_id == draw.id)).all()
    assert sorted(m.group for m in members if m.role == MemberRole.member) == [
        "forensic_clinical",
        "forensic_clinical",
        "forensic_pathology",
    ]


def test_infeasible_draw_explains_numbers(app, admin):
    with app.app_context(), unit_of_work() as session:
        target = add_institution(session, "北京目标司法鉴定所")
        for _ in range(3):
            add_expert(session, group="forensic_pathology", employer=target)
        away = add_expert(session, group="forensic_pathology")
        add_unavailability(session, away, DAY, DAY)
        add_expert(session, group="forensic_pathology")
        task = add_task(session, admin, {"forensic_pathology": 2}, target=target)

    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        with pytest.raises(InfeasibleDraw) as error:
            _commit(app, task, admin)
        message = error.value.message()

    assert error.value.shortfalls[0].code == "group_short"
    assert error.value.shortfalls[0].params["available"] == 1
    assert error.value.summary["forensic_pathology"]["employee_of_target"] == 3
    assert error.value.summary["forensic_pathology"]["unavailable"] == 1
    assert "法医病理" in message
    assert "2" in message
    assert "1" in message


def test_second_draw_needs_void_and_reason(app, admin):
    with app.app_context(), unit_of_work() as session:
        for _ in range(4):
            add_expert(session)
        task = add_task(session, admin, {"forensic_clinical": 2})

    first = _reveal(app, _commit(app, task, admin), admin)
    with pytest.raises(ConflictError):
        _commit(app, task, admin)
    with pytest.raises(PanelError):
        _commit(app, task, admin, replaces=first, reason="  ")

    second = _commit(app, task, admin, replaces=first, reason="组长因病无法参加")

    with app.app_context(), unit_of_work() as session:
        old = session.get(type(first), first.id)
        assert old.status == DrawStatus.voided
        assert old.void_reason == "组长因病无法参加"
        assert old.seed == first.seed
    assert second.replaces_draw_id == first.id
    assert second.replace_reason == "组长因病无法参加"


def test_reveal_only_once(app, admin):
    with app.app_context(), unit_of_work() as session:
        for _ in range(3):
            add_expert(session)
        task = add_task(session, admin, {"forensic_clinical": 1})
    draw = _reveal(app, _commit(app, task, admin), admin)
    with pytest.raises(ConflictError):
        _reveal(app, draw, admin, entropy=("999",))


def test_failed_commit_writes_nothing(app, admin):
    with app.app_context(), unit_of_work() as session:
        add_expert(session)
        task = add_task(session, admin, {"forensic_clinical": 2})
    with pytest.raises(InfeasibleDraw):
        _commit(app, task, admin)
    with app.app_context(), unit_of_work() as session:
        assert session.exec(select(DrawCandidate)).all() == []


def _members(app, draw):
    with app.app_context(), unit_of_work() as session:
        return session.exec(select(DrawMember).where(DrawMember.draw_id == draw.id).order_by(DrawMember.id)).all()


def test_declined_member_replaced_by_alternate(app, admin):
    with app.app_context(), unit_of_work() as session:
        for _ in range(5):
            add_expert(session)
        add_expert(session, group="forensic_pathology")
        task = add_task(session, admin, {"forensic_clinical": 2, "forensic_pathology": 1}, alternates=2)
    draw = _reveal(app, _commit(app, task, admin), admin)
    members = _members(app, draw)
    leaving = next(m for m in members if m.role == MemberRole.member and m.group == "forensic_clinical")
    first_alternate = next(m for m in members if m.role == MemberRole.alternate and m.position == 1)

    with app.app_context(), unit_of_work() as session:
        called = operations.replace_member(session, session.merge(draw), leaving.expert_id, session.merge(admin), "本人拒绝", _settings(app))

    assert called.expert_id == first_alternate.expert_id
    after = {m.expert_id: m for m in _members(app, draw)}
    assert after[leaving.expert_id].active is False
    assert after[leaving.expert_id].withdrawal_reason == "本人拒绝"
    assert after[called.expert_id].role == MemberRole.member
    assert after[called.expert_id].replaces_expert_id == leaving.expert_id


def test_no_alternate_fits_leaves_seat_empty(app, admin):
    with app.app_context(), unit_of_work() as session:
        add_expert(session)
        add_expert(session, group="forensic_pathology")
        add_expert(session, group="forensic_pathology")
        task = add_task(session, admin, {"forensic_clinical": 1, "forensic_pathology": 1}, alternates=1)
    draw = _reveal(app, _commit(app, task, admin), admin)
    clinical = next(m for m in _members(app, draw) if m.group == "forensic_clinical")
    with app.app_context(), unit_of_work() as session:
        called = operations.replace_member(session, session.merge(draw), clinical.expert_id, session.merge(admin), "回避", _settings(app))
    assert called is None


def test_exported_record_verifies(app, admin, tmp_path):
    import json
    import subprocess
    import sys

    with app.app_context(), unit_of_work() as session:
        for _ in range(6):
            add_expert(session)
        task = add_task(session, admin, {"forensic_clinical": 3})
    draw = _reveal(app, _commit(app, task, admin), admin)
    path = tmp_path / "record.json"
    path.write_text(json.dumps(draw.record, ensure_ascii=False), encoding="utf-8")

    result = subprocess.run(
        [sys.executable, "-m", "solvers.verify", str(path), "--commitment", draw.commitment], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr

    tampered = dict(draw.record, result=dict(draw.record["result"], panel=list(reversed(draw.record["result"]["panel"]))))
    path.write_text(json.dumps(tampered, ensure_ascii=False), encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "solvers.verify", str(path)], capture_output=True, text=True)
    assert result.returncode == 1


def test_over_70_needs_recorded_decision(app, admin, client, auth):
    with app.app_context(), unit_of_work() as session:
        senior = add_expert(session, status=ExpertStatus.pending_review, status_reasons=["over_70"])
        add_expert(session)
        task = add_task(session, admin, {"forensic_clinical": 2})
    headers = auth("admin")
    assert client.post(f"/api/v1/experts/{senior.id}/allow-over-70", json={"note": ""}, headers=headers).status_code == 400
    response = client.post(f"/api/v1/experts/{senior.id}/allow-over-70", json={"note": "理事会2026年第5次会议同意"}, headers=headers)
    assert response.status_code == 200, response.json
    assert response.json["status"] == "active"
    draw = _commit(app, task, admin)
    assert _reasons(app, draw)[senior.id] == []


def test_ban_is_permanent_status(app, client, auth):
    with app.app_context(), unit_of_work() as session:
        expert = add_expert(session)
    headers = auth("admin")
    response = client.post(f"/api/v1/experts/{expert.id}/removal", json={"ground": "penalised", "note": "受行业惩戒"}, headers=headers)
    assert response.json["status"] == "banned"
    response = client.post(f"/api/v1/experts/{expert.id}/removal", json={"ground": "nonsense"}, headers=headers)
    assert response.status_code in (400, 409)


def test_chosen_relaxation_recorded(app, admin):
    with app.app_context(), unit_of_work() as session:
        shared = add_institution(session, "北京同一司法鉴定所")
        add_expert(session, employer=shared)
        add_expert(session, employer=shared)
        task = add_task(session, admin, {"forensic_clinical": 2}, alternates=0)

    with pytest.raises(InfeasibleDraw) as error:
        _commit(app, task, admin)
    proposals = {r.code: r for r in error.value.relaxations}
    assert "allow_shared_employer" in proposals
    chosen = {"code": "allow_shared_employer", "params": dict(proposals["allow_shared_employer"].params)}

    with pytest.raises(PanelError):
        _commit(app, task, admin, relaxation={"code": "lower_group_count", "params": {"group": "forensic_clinical", "from": 5, "to": 1}})

    draw = _commit(app, task, admin, relaxation=chosen)
    assert draw.relaxation == chosen
    rules = rules_from_record(draw.record)
    assert rules.employer_limit(next(iter(rules.employer_limits))) == 2


def test_second_reveal_claim_conflicts(app, admin):
    with app.app_context(), unit_of_work() as session:
        for _ in range(3):
            add_expert(session)
        task = add_task(session, admin, {"forensic_clinical": 1})
    draw = _commit(app, task, admin)

    # Two requests both read the draw as committed before either writes.
    with app.app_context():
        from panel_service.draws.models import Draw

        stale = draw.model_copy()
        _reveal(app, draw, admin)
        with unit_of_work() as session:
            with pytest.raises(ConflictError):
                operations._claim_reveal(session, stale)
            assert session.get(Draw, draw.id).seed is not None


def test_unique_active_draw_per_task(app, admin):
    from panel_service.draws.models import Draw

    with app.app_context(), unit_of_work() as session:
        for _ in range(3):
            add_expert(session)
        task = add_task(session, admin, {"forensic_clinical": 1})
    first = _commit(app, task, admin)
    with app.app_context():
        with pytest.raises(Exception) as error:
            with unit_of_work() as session:
                session.add(Draw(**first.model_dump(exclude={"id", "commitment"}), commitment="f" * 64))
                session.flush()
    assert "unique" in str(error.value).lower() or "UNIQUE" in str(error.value)


def test_replacing_other_tasks_draw_rejected(app, admin):
    with app.app_context(), unit_of_work() as session:
        for _ in range(4):
            add_expert(session)
        first_task = add_task(session, admin, {"forensic_clinical": 1})
        second_task = add_task(session, admin, {"forensic_clinical": 1}, day=DAY + dt.timedelta(days=30))
    other = _commit(app, first_task, admin)
    with pytest.raises(PanelError) as error:
        _commit(app, second_task, admin, replaces=other, reason="误操作")
    assert error.value.code == "draw_of_other_task"


def test_withdrawn_member_not_busy(app, admin):
    with app.app_context(), unit_of_work() as session:
        for _ in range(3):
            add_expert(session)
        first = add_task(session, admin, {"forensic_clinical": 1}, alternates=1)
        second = add_task(session, admin, {"forensic_clinical": 1})
    draw = _reveal(app, _commit(app, first, admin), admin)
    leaving = next(m for m in _members(app, draw) if m.role == MemberRole.member)
    with app.app_context(), unit_of_work() as session:
        operations.replace_member(session, session.merge(draw), leaving.expert_id, session.merge(admin), "本人拒绝", _settings(app))
    reasons = _reasons(app, _commit(app, second, admin))
    assert reasons[leaving.expert_id] == []


def test_reveal_refuses_panel_clash(app, admin):
    with app.app_context(), unit_of_work() as session:
        add_expert(session)
        first = add_task(session, admin, {"forensic_clinical": 1}, alternates=0)
        second = add_task(session, admin, {"forensic_clinical": 1}, alternates=0)
    first_draw = _commit(app, first, admin)
    second_draw = _commit(app, second, admin)
    _reveal(app, first_draw, admin)
    with pytest.raises(ConflictError) as error:
        _reveal(app, second_draw, admin)
    assert error.value.code == "panel_clash"


def test_relaxation_only_when_proposed(app, admin):
    with app.app_context(), unit_of_work() as session:
        for _ in range(3):
            add_expert(session)
        task = add_task(session, admin, {"forensic_clinical": 2}, require_leader=True)
    with pytest.raises(PanelError) as error:
        _commit(app, task, admin, relaxation={"code": "drop_leader_rule", "params": {}})
    assert error.value.code == "invalid_relaxation"
    for params in ({"group": "forensic_clinical", "from": 2, "to": True}, {"group": "forensic_clinical", "from": 1, "to": 0}):
        with pytest.raises(PanelError):
            _commit(app, task, admin, relaxation={"code": "lower_group_count", "params": params})


def test_redraw_after_void_is_linked(app, admin):
    with app.app_context(), unit_of_work() as session:
        for _ in range(3):
            add_expert(session)
        task = add_task(session, admin, {"forensic_clinical": 1})
    first = _reveal(app, _commit(app, task, admin), admin)
    with app.app_context(), unit_of_work() as session:
        operations.void_draw(session, session.merge(first), session.merge(admin), "监督人员未到场")
    second = _commit(app, task, admin)
    assert second.replaces_draw_id == first.id
    assert second.replace_reason == "监督人员未到场"


def test_second_replacement_after_empty_seat(app, admin):
    with app.app_context(), unit_of_work() as session:
        add_expert(session, group="forensic_pathology")
        for _ in range(3):
            add_expert(session)
        task = add_task(session, admin, {"forensic_clinical": 1, "forensic_pathology": 1}, alternates=2)
    draw = _reveal(app, _commit(app, task, admin), admin)
    pathology = next(m for m in _members(app, draw) if m.group == "forensic_pathology" and m.role == MemberRole.member)
    clinical = next(m for m in _members(app, draw) if m.group == "forensic_clinical" and m.role == MemberRole.member)
    with app.app_context(), unit_of_work() as session:
        assert operations.replace_member(session, session.merge(draw), pathology.expert_id, session.merge(admin), "回避", _settings(app)) is None
    with app.app_context(), unit_of_work() as session:
        called = operations.replace_member(session, session.merge(draw), clinical.expert_id, session.merge(admin), "本人拒绝", _settings(app))
    assert called is not None
