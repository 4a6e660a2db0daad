"""Importing the roster and the registry into the database, through the API and the CLI."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from sqlmodel import func, select

from panel_service.db import unit_of_work
from panel_service.experts.models import Conflict, Expert, ExpertChange, ExpertStatus, Unavailability
from panel_service.imports.models import RosterImport
from panel_service.institutions.models import Institution
from tests.conftest import DEMO

ROSTER = DEMO / "roster-2026.xlsx"
REGISTRY = DEMO / "institutions-2026.xlsx"
AS_OF = "2026-12-04"


def _upload(client, kind: str, path, headers, *, dry_run=False, data: bytes | None = None, filename=None):
    payload = {"file": (io.BytesIO(data if data is not None else path.read_bytes()), filename or path.name)}
    if dry_run:
        payload["dry_run"] = "true"
    return client.post(f"/api/v1/imports/{kind}", data=payload, headers=headers, content_type="multipart/form-data")


def _count(app, model) -> int:
    with app.app_context(), unit_of_work() as session:
        return session.exec(select(func.count()).select_from(model)).one()


@pytest.fixture
def admin_headers(auth):
    return auth("admin")


@pytest.fixture
def imported(client, app, admin_headers, monkeypatch):
    """The demo registry and roster, imported as of the day the roster was issued."""
    monkeypatch.setattr("panel_service.imports.operations.today_in", lambda _tz: dt.date.fromisoformat(AS_OF))
    registry = _upload(client, "registry", REGISTRY, admin_headers)
    assert registry.status_code == 201, registry.json
    roster = _upload(client, "roster", ROSTER, admin_headers)
    assert roster.status_code == 201, roster.json
    return roster.json


def test_registry_import_creates_institutions(client, app, admin_headers):
    response = _upload(client, "registry", REGISTRY, admin_headers)
    assert response.status_code == 201
    assert response.json["summary"]["created"] == 40
    with app.app_context(), unit_of_work() as session:
        jindun = session.exec(select(Institution).where(Institution.name_key == "北京金盾司法鉴定中心")).one()
    assert jindun.name == "北京金盾司法鉴定中心（普通合伙）"
    assert jindun.practice_categories == ["forensic_clinical"]


def test_roster_import_accounts_for_every_row(imported, app):
    summary = imported["summary"]
    workbook = openpyxl.load_workbook(ROSTER, read_only=True)
    data_rows = workbook["专家名册"].max_row - 2  # title row and header row

    roster_rejected = {p["row"] for p in imported["problems"] if p["severity"] == "error" and p["sheet"] == "专家名册"}
    roster_skipped = {s["row"] for s in imported["skipped_rows"] if s["sheet"] == "专家名册" and s["reason"] != "title"}
    assert summary["created"] + len(roster_rejected) + len(roster_skipped) == data_rows
    assert _count(app, Expert) == summary["created"]


def test_roster_import_reports_each_defect_kind(imported):
    codes = {(p["row"], p["code"]) for p in imported["problems"] if p["sheet"] == "专家名册"}
    found = {code for _, code in codes}
    # Excel turned three IDs into numbers; digits are lost.
    assert sum(1 for _, code in codes if code == "id_excel_number") == 3
    for expected in ("duplicate_id_number", "group_alias_mapped", "sub_pool_inferred", "sex_filled_from_id", "id_reformatted", "sub_pool_mismatch"):
        assert expected in found, expected
    messages = [p["message"] for p in imported["problems"]]
    assert all(message for message in messages)


def test_roster_import_statuses(imported, app):
    with app.app_context(), unit_of_work() as session:
        statuses = dict(session.exec(select(Expert.status, func.count()).group_by(Expert.status)).all())
        police = session.exec(select(Expert).where(Expert.title == "主检法医师")).all()
    assert statuses[ExpertStatus.active] > 100
    assert statuses[ExpertStatus.term_expired] > 0
    assert statuses[ExpertStatus.pending_review] > 0
    assert police and all(expert.status == ExpertStatus.ineligible for expert in police)


def test_roster_import_links_employers_and_conflicts(imported, app):
    with app.app_context(), unit_of_work() as session:
        linked = session.exec(select(func.count()).select_from(Expert).where(Expert.employer_institution_id.is_not(None))).one()
        trailing = session.exec(select(Expert).where(Expert.employer_name.like("北京德衡司法鉴定中心%"))).all()
        conflicts = session.exec(select(Conflict)).all()
        unavailable = session.exec(select(func.count()).select_from(Unavailability)).one()
    assert linked > 150
    assert trailing and all(expert.employer_institution_id is not None for expert in trailing)
    assert any(c.relation == "former_employment" and c.ended_on for c in conflicts)
    assert any(c.other_expert_id is not None for c in conflicts)
    assert unavailable > 40


def test_reimport_updates_without_duplicates(imported, client, app, admin_headers):
    workbook = openpyxl.load_workbook(ROSTER)
    sheet = workbook["专家名册"]
    sheet.cell(row=3, column=6).value = "北京新单位司法鉴定所"
    buffer = io.BytesIO()
    workbook.save(buffer)

    response = _upload(client, "roster", ROSTER, admin_headers, data=buffer.getvalue())
    assert response.status_code == 201, response.json
    assert response.json["summary"]["created"] == 0
    assert response.json["summary"]["updated"] == 1
    assert _count(app, Expert) == imported["summary"]["created"]
    with app.app_context(), unit_of_work() as session:
        change = session.exec(select(ExpertChange).where(ExpertChange.field == "employer_name")).one()
    assert change.new_value == "北京新单位司法鉴定所"


def test_dry_run_writes_nothing(client, app, admin_headers):
    response = _upload(client, "roster", ROSTER, admin_headers, dry_run=True)
    assert response.status_code == 200
    assert response.json["dry_run"] is True
    assert response.json["summary"]["created"] > 300
    assert _count(app, Expert) == 0
    assert _count(app, RosterImport) == 0


def test_unreadable_file_writes_nothing(client, app, admin_headers):
    response = _upload(client, "roster", ROSTER, admin_headers, data=b"\x00\x01 not a workbook", filename="roster.xlsx")
    assert response.status_code == 400
    assert response.json["error"]["code"] == "import_failed"
    assert _count(app, Expert) == 0
    assert _count(app, RosterImport) == 0


def test_rejected_rows_workbook_round_trip(imported, client, admin_headers):
    download = client.get(f"/api/v1/imports/{imported['import_id']}/rejected.xlsx", headers=admin_headers)
    assert download.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(download.data))
    sheet = workbook.worksheets[0]
    headers = [cell.value for cell in next(sheet.iter_rows(min_row=1, max_row=3)) if cell.value]
    text = str([[cell.value for cell in row] for row in sheet.iter_rows()])
    assert "错误原因" in text or "错误原因" in headers
    assert sheet.max_row >= 5

    again = _upload(client, "roster", ROSTER, admin_headers, data=download.data, filename="rejected.xlsx", dry_run=True)
    assert again.status_code == 200, again.json


def test_import_requires_admin(client, auth):
    response = _upload(client, "roster", ROSTER, auth("inspector"))
    assert response.status_code == 403


def test_cli_import_prints_report(runner, make_user, app):
    make_user("admin", username="clerk")
    result = runner.invoke(args=["import-registry", str(REGISTRY), "--as-user", "clerk"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["import-roster", str(ROSTER), "--as-user", "clerk", "--dry-run", "--as-of", AS_OF])
    assert result.exit_code == 0, result.output
    assert "专家名册 | 93 | 身份证号码" in result.output
    assert "1.10108198109074e+17" not in result.output
    assert _count(app, Expert) == 0

    unmasked = runner.invoke(args=["import-roster", str(ROSTER), "--as-user", "clerk", "--dry-run", "--show-personal-data"])
    assert "1.10108198109074e+17" in unmasked.output


def test_removed_status_survives_reimport(imported, client, app, admin_headers):
    with app.app_context(), unit_of_work() as session:
        expert = session.exec(select(Expert).where(Expert.status == ExpertStatus.active)).first()
        expert.status = ExpertStatus.banned
        session.add(expert)
    _upload(client, "roster", ROSTER, admin_headers)
    with app.app_context(), unit_of_work() as session:
        assert session.get(Expert, expert.id).status == ExpertStatus.banned


def test_partial_file_keeps_declared_conflicts(imported, client, app, admin_headers):
    before_conflicts = _count(app, Conflict)
    before_unavailable = _count(app, Unavailability)
    download = client.get(f"/api/v1/imports/{imported['import_id']}/rejected.xlsx", headers=admin_headers)

    response = _upload(client, "roster", ROSTER, admin_headers, data=download.data, filename="rejected.xlsx")

    assert response.status_code == 201, response.json
    assert _count(app, Conflict) == before_conflicts
    assert _count(app, Unavailability) == before_unavailable


def test_reimport_adds_no_duplicate_declarations(imported, client, app, admin_headers):
    before = _count(app, Conflict)
    _upload(client, "roster", ROSTER, admin_headers)
    assert _count(app, Conflict) == before
    assert before > 20
