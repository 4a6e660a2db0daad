"""The JSON API: authentication, roles on every endpoint, masking, errors in Chinese."""

from __future__ import annotations

import logging

import pytest

from panel_service.db import unit_of_work
from tests.factories import add_expert, add_institution

ROLES = ("admin", "inspector", "complaint_handler", "expert")


def _task_body(**changes):
    body = {"task_type": "spot_check", "title": "抽查", "sits_from": "2027-03-01", "sits_to": "2027-03-01", "group_counts": {"forensic_clinical": 1}}
    body.update(changes)
    return body


def _commit_draw(client, headers, **changes) -> dict:
    """Create a task from `_task_body(**changes)` and commit a draw for it."""
    task = client.post("/api/v1/tasks", json=_task_body(**changes), headers=headers).json
    return client.post(f"/api/v1/tasks/{task['id']}/draws", json={}, headers=headers).json


def _api_rules(app):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1") and "/docs" not in rule.rule and not rule.rule.endswith("openapi.json"):
            yield rule


def test_every_endpoint_checks_role(app):
    open_endpoints = {"/api/v1/health", "/api/v1/auth/tokens", "/api/v1/public/draws/<int:draw_id>/record"}
    for rule in _api_rules(app):
        view = app.view_functions[rule.endpoint]
        if rule.rule in open_endpoints:
            continue
        assert getattr(view, "allowed_roles", None), f"{rule.rule} has no role check"


def test_requests_without_token_rejected(client, app):
    for rule in _api_rules(app):
        if rule.rule in {"/api/v1/health", "/api/v1/auth/tokens"} or "public" in rule.rule:
            continue
        path = rule.rule.replace("<int:expert_id>", "1").replace("<int:draw_id>", "1").replace("<int:task_id>", "1")
        path = path.replace("<int:institution_id>", "1").replace("<int:import_id>", "1")
        method = "POST" if "POST" in rule.methods else "GET"
        response = client.open(path, method=method, json={})
        assert response.status_code == 401, path
        assert response.json["error"]["code"] == "unauthorized"


def test_health_is_open(client):
    assert client.get("/api/v1/health").json == {"status": "ok"}


def test_password_exchanged_for_token(client, make_user):
    user, _ = make_user("inspector", username="inspector-li")
    response = client.post("/api/v1/auth/tokens", json={"username": "inspector-li", "password": "correct-horse-battery"})
    assert response.status_code == 201
    token = response.json["token"]
    me = client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json["role"] == "inspector"
    assert me.json["id"] == user.id


def test_wrong_password_message_in_chinese(client, make_user):
    make_user("inspector", username="inspector-wang")
    response = client.post("/api/v1/auth/tokens", json={"username": "inspector-wang", "password": "wrong-password"})
    assert response.status_code == 401
    assert response.json["error"]["code"] == "bad_credentials"
    assert "密码" in response.json["error"]["message"]


def test_error_in_english_on_request(client, make_user):
    make_user("inspector", username="inspector-zhao")
    response = client.post(
        "/api/v1/auth/tokens?lang=en", json={"username": "inspector-zhao", "password": "wrong-password"}
    )
    assert "password" in response.json["error"]["message"]


@pytest.fixture
def expert_in_pool(app):
    with app.app_context(), unit_of_work() as session:
        return add_expert(session, id_number="110101197001011234", phone="13812345678", email="li@example.com")


def test_admin_sees_personal_data(client, auth, expert_in_pool):
    response = client.get(f"/api/v1/experts/{expert_in_pool.id}", headers=auth("admin"))
    assert response.json["id_number"] == "110101197001011234"
    assert response.json["phone"] == "13812345678"
    assert response.json["birth_date"] == "1970-01-01"


@pytest.mark.parametrize("role", ["inspector", "complaint_handler"])
def test_staff_see_masked_data(client, auth, expert_in_pool, role):
    response = client.get(f"/api/v1/experts/{expert_in_pool.id}", headers=auth(role))
    body = response.json
    assert body["id_number"] == "110101********1234"
    assert body["phone"] == "138****5678"
    assert body["email"] == "l***@example.com"
    assert body["birth_date"] is None
    listing = client.get("/api/v1/experts", headers=auth(role)).json
    assert "110101197001011234" not in str(listing)


def test_expert_sees_only_self(client, auth, app, expert_in_pool):
    with app.app_context(), unit_of_work() as session:
        other = add_expert(session)
    headers = auth("expert", expert_id=expert_in_pool.id)
    assert client.get(f"/api/v1/experts/{expert_in_pool.id}", headers=headers).json["phone"] == "13812345678"
    assert client.get(f"/api/v1/experts/{other.id}", headers=headers).status_code == 403
    assert client.get("/api/v1/experts", headers=headers).status_code == 403


def test_personal_data_never_logged(client, auth, expert_in_pool, caplog):
    caplog.set_level(logging.DEBUG)
    client.get(f"/api/v1/experts/{expert_in_pool.id}", headers=auth("admin"))
    client.get("/api/v1/experts", headers=auth("admin"))
    assert "110101197001011234" not in caplog.text
    assert "13812345678" not in caplog.text


def test_expert_filters(client, auth, app):
    with app.app_context(), unit_of_work() as session:
        add_expert(session, group="forensic_pathology")
        add_expert(session, group="documents", sub_pool="physical_evidence")
    listing = client.get("/api/v1/experts?group=documents", headers=auth("inspector")).json
    assert listing["total"] == 1
    assert listing["items"][0]["group"] == "documents"


def test_validation_error_names_field(client, auth):
    response = client.post("/api/v1/tasks", json={"task_type": "spot_check"}, headers=auth("inspector"))
    assert response.status_code == 400
    body = response.json["error"]
    assert body["code"] == "validation_error"
    assert "title" in body["message"]


def test_expert_role_cannot_create_task(client, auth):
    response = client.post(
        "/api/v1/tasks",
        json=_task_body(),
        headers=auth("expert"),
    )
    assert response.status_code == 403


def test_spot_check_draw_end_to_end(client, auth, app):
    with app.app_context(), unit_of_work() as session:
        target = add_institution(session, "北京金盾司法鉴定中心（普通合伙）")
        add_expert(session, employer=target)
        for _ in range(5):
            add_expert(session)
    headers = auth("inspector")
    task = client.post(
        "/api/v1/tasks",
        json={
            "task_type": "spot_check",
            "title": "2027年第一批双随机抽查",
            "target_institution_name": "北京金盾司法鉴定中心(普通合伙)",
            "sits_from": "2027-03-01",
            "sits_to": "2027-03-02",
            "group_counts": {"forensic_clinical": 3},
            "alternates": 1,
        },
        headers=headers,
    )
    assert task.status_code == 201, task.json
    assert task.json["target_institution_id"] == target.id

    committed = client.post(f"/api/v1/tasks/{task.json['id']}/draws", json={}, headers=headers)
    assert committed.status_code == 201, committed.json
    assert len(committed.json["commitment"]) == 64
    assert "panel" not in committed.json
    assert "candidates" not in committed.json

    revealed = client.post(
        f"/api/v1/draws/{committed.json['id']}/reveal", json={"supervisor_entropy": ["20270301", "8848"]}, headers=headers
    )
    assert revealed.status_code == 200, revealed.json
    assert len(revealed.json["panel"]) == 3
    assert len(revealed.json["alternates"]) == 1
    assert revealed.json["exclusions_by_group"]["forensic_clinical"]["employee_of_target"] == 1

    record = client.get(f"/api/v1/public/draws/{committed.json['id']}/record")
    assert record.status_code == 404
    assert client.post(f"/api/v1/draws/{committed.json['id']}/publish", headers=headers).status_code == 403
    assert client.post(f"/api/v1/draws/{committed.json['id']}/publish", headers=auth("admin")).status_code == 200
    public = client.get(f"/api/v1/public/draws/{committed.json['id']}/record")
    assert public.status_code == 200
    assert "专家" not in str(public.json)
    assert public.json["record"]["commitment"] == committed.json["commitment"]
    assert public.json["status"] == "revealed"

    client.post(f"/api/v1/draws/{committed.json['id']}/void", json={"reason": "组长回避"}, headers=headers)
    voided = client.get(f"/api/v1/public/draws/{committed.json['id']}/record").json
    assert voided["status"] == "voided"
    assert "组长回避" not in str(voided)


def test_infeasible_draw_returns_422_in_chinese(client, auth, app):
    with app.app_context(), unit_of_work() as session:
        add_expert(session, group="forensic_pathology")
    headers = auth("inspector")
    task = client.post(
        "/api/v1/tasks",
        json=_task_body(group_counts={"forensic_pathology": 2}),
        headers=headers,
    ).json
    response = client.post(f"/api/v1/tasks/{task['id']}/draws", json={}, headers=headers)
    assert response.status_code == 422
    error = response.json["error"]
    assert error["code"] == "draw_infeasible"
    assert "法医病理" in error["message"]
    assert error["details"]["shortfalls"][0]["params"]["required"] == 2
    assert error["details"]["proposed_relaxations"]


def test_task_rejects_unknown_group(client, auth):
    response = client.post(
        "/api/v1/tasks",
        json=_task_body(group_counts={"法医": 2}),
        headers=auth("inspector"),
    )
    assert response.status_code == 400
    assert "法医" in response.json["error"]["message"]


def test_openapi_document_served(client):
    document = client.get("/api/v1/docs/openapi.json").json
    assert "/api/v1/tasks" in document["paths"]


def test_candidate_table_admin_only(client, auth, app):
    with app.app_context(), unit_of_work() as session:
        for _ in range(3):
            add_expert(session)
    headers = auth("inspector")
    draw = _commit_draw(client, headers, task_type="report_review", title="文书质量评查", group_counts={"forensic_clinical": 2})
    assert client.get(f"/api/v1/draws/{draw['id']}/candidates", headers=headers).status_code == 403
    table = client.get(f"/api/v1/draws/{draw['id']}/candidates", headers=auth("admin")).json
    assert len(table["items"]) == 3
    assert all(item["drawable"] for item in table["items"])


@pytest.mark.parametrize("entropy", [[], ["12a4"], ["１２３"], ["1" * 101], [""]])
def test_reveal_rejects_bad_entropy(client, auth, app, entropy):
    with app.app_context(), unit_of_work() as session:
        for _ in range(2):
            add_expert(session)
    headers = auth("inspector")
    draw = _commit_draw(client, headers)
    response = client.post(f"/api/v1/draws/{draw['id']}/reveal", json={"supervisor_entropy": entropy}, headers=headers)
    assert response.status_code == 400
    assert client.get(f"/api/v1/draws/{draw['id']}", headers=headers).json["status"] == "committed"


@pytest.mark.parametrize(
    "path",
    ["/api/v1/experts/99999999999999999999999", "/api/v1/draws/99999999999999999999999", "/api/v1/experts?page=9223372036854775807"],
)
def test_huge_numbers_rejected_not_500(client, auth, path):
    response = client.get(path, headers=auth("admin"))
    assert response.status_code == 400


def test_lone_surrogate_rejected(client, auth):
    body = '{"task_type": "spot_check", "title": "\\ud800", "sits_from": "2027-03-01", "sits_to": "2027-03-01", "group_counts": {"forensic_clinical": 1}}'
    response = client.post("/api/v1/tasks", data=body, content_type="application/json", headers=auth("inspector"))
    assert response.status_code == 400


def test_password_not_echoed(client):
    response = client.post("/api/v1/auth/tokens", json={"username": "someone", "password": "p" * 201 + "SECRET"})
    assert response.status_code == 400
    assert "SECRET" not in response.get_data(as_text=True)


def test_unknown_method_on_draw_is_400(client, auth, app):
    with app.app_context(), unit_of_work() as session:
        add_expert(session)
    headers = auth("inspector")
    task = client.post(
        "/api/v1/tasks",
        json=_task_body(),
        headers=headers,
    ).json
    response = client.post(f"/api/v1/tasks/{task['id']}/draws", json={"method": "nope"}, headers=headers)
    assert response.status_code == 400
    assert "nope" in response.json["error"]["message"]


@pytest.mark.parametrize(
    "changes",
    [
        {"require_leadr": True},
        {"title": "   "},
        {"group_counts": {"forensic_clinical": "2"}},
        {"sits_from": "1999-01-01", "sits_to": "1999-01-01"},
        {"target_institution_id": 1, "target_institution_name": "北京金盾司法鉴定中心"},
    ],
)
def test_task_rejects_sloppy_input(client, auth, changes):
    response = client.post("/api/v1/tasks", json=_task_body(**changes), headers=auth("inspector"))
    assert response.status_code == 400, response.json


def test_search_wildcards_are_literal(client, auth, app):
    with app.app_context(), unit_of_work() as session:
        add_expert(session)
    headers = auth("inspector")
    assert client.get("/api/v1/experts?q=%25", headers=headers).json["total"] == 0
    assert client.get("/api/v1/experts?q=_", headers=headers).json["total"] == 0


def test_default_draw_is_fair_and_published(client, auth, app):
    from fractions import Fraction

    with app.app_context(), unit_of_work() as session:
        shared = add_institution(session, "北京同一单位司法鉴定所")
        for _ in range(3):
            add_expert(session, employer=shared)
        for _ in range(3):
            add_expert(session)
    headers = auth("inspector")
    task = client.post("/api/v1/tasks", json=_task_body(group_counts={"forensic_clinical": 2}), headers=headers).json
    assert task["method"] == "maximin"
    draw = client.post(f"/api/v1/tasks/{task['id']}/draws", json={}, headers=headers).json
    assert draw["distribution_hash"]

    table = client.get(f"/api/v1/draws/{draw['id']}/candidates", headers=auth("admin")).json["items"]
    probabilities = [Fraction(item["probability"]) for item in table]
    assert sum(probabilities) == 2
    # Three experts share one employer and so at most one seat, yet maximin still gives
    # all six experts the same chance: 1/3 each, up to the 2**-32 rounding of the lottery.
    assert len(probabilities) == 6
    for probability in probabilities:
        assert abs(probability - Fraction(1, 3)) < Fraction(1, 10**8)

    revealed = client.post(f"/api/v1/draws/{draw['id']}/reveal", json={"supervisor_entropy": ["1"]}, headers=headers).json
    assert len(revealed["panel"]) == 2
    assert len({member["employer_name"] for member in revealed["panel"]}) == 2


def test_public_record_lists_withdrawals(client, auth, app):
    with app.app_context(), unit_of_work() as session:
        for _ in range(4):
            add_expert(session)
    headers = auth("admin")
    task = client.post("/api/v1/tasks", json=_task_body(alternates=2), headers=headers).json
    draw = client.post(f"/api/v1/tasks/{task['id']}/draws", json={}, headers=headers).json
    revealed = client.post(f"/api/v1/draws/{draw['id']}/reveal", json={"supervisor_entropy": ["7"]}, headers=headers).json
    leaving = revealed["panel"][0]
    replaced = client.post(
        f"/api/v1/draws/{draw['id']}/replacements", json={"expert_id": leaving["expert_id"], "reason": "张三因病"}, headers=headers
    ).json
    client.post(f"/api/v1/draws/{draw['id']}/publish", headers=headers)

    public = client.get(f"/api/v1/public/draws/{draw['id']}/record").json
    assert public["withdrawals"][0]["member"] == leaving["pseudonym"]
    assert public["withdrawals"][0]["replaced_by"] is not None
    assert replaced["called_expert_id"] is not None
    assert "张三" not in str(public)


def test_group_names_follow_locale(client, auth, app):
    with app.app_context(), unit_of_work() as session:
        add_expert(session, group="forensic_pathology")
    headers = auth("inspector")
    task = client.post("/api/v1/tasks", json=_task_body(group_counts={"forensic_pathology": 2}), headers=headers).json
    chinese = client.post(f"/api/v1/tasks/{task['id']}/draws", json={}, headers=headers).json
    english = client.post(f"/api/v1/tasks/{task['id']}/draws?lang=en", json={}, headers=headers).json
    assert "法医病理" in chinese["error"]["message"]
    assert "forensic pathology" in english["error"]["message"]
    assert "法医病理" not in english["error"]["message"]
