"""JSON views of roster and registry imports."""

from __future__ import annotations

import io

from flask import send_file
from flask_babel import lazy_gettext as _l
from flask_openapi3 import APIBlueprint, FileStorage, Tag
from pydantic import BaseModel, Field

from panel_service.auth import BEARER_SECURITY, current_user, requires
from panel_service.db import get_session, unit_of_work
from panel_service.errors import NotFound, PanelError
from panel_service.imports import operations
from panel_service.imports.models import RosterImport
from panel_service.users.models import Role
from panel_service.api.common import RowId

tag = Tag(name="imports", description="Roster and institution registry imports")
bp = APIBlueprint("imports", __name__, url_prefix="/imports", abp_tags=[tag], abp_security=BEARER_SECURITY)


class ImportForm(BaseModel):
    file: FileStorage
    dry_run: bool = Field(default=False, description="report only; write nothing")


class ImportPath(BaseModel):
    import_id: RowId


def _read(form: ImportForm) -> tuple[bytes, str]:
    if not hasattr(form.file, "read"):
        raise PanelError(_l("Send the roster or registry as a file in the form field named file."), code="file_missing")
    return form.file.read(), form.file.filename or "upload"


def _import(kind: str, form: ImportForm):
    data, filename = _read(form)
    run = operations.import_roster if kind == "roster" else operations.import_registry
    with unit_of_work() as session:
        outcome = run(session, data, filename, current_user(), dry_run=form.dry_run)
    return outcome.to_dict(), 200 if form.dry_run else 201


@bp.post("/roster")
@requires(Role.admin)
def import_roster(form: ImportForm):
    return _import("roster", form)


@bp.post("/registry")
@requires(Role.admin)
def import_registry(form: ImportForm):
    return _import("registry", form)


@bp.get("/<int:import_id>")
@requires(Role.admin)
def show_import(path: ImportPath):
    row = get_session().get(RosterImport, path.import_id)
    if row is None:
        raise NotFound(kind="import", id=path.import_id)
    return operations.import_dict(row)


@bp.get("/<int:import_id>/rejected.xlsx")
@requires(Role.admin)
def rejected_rows(path: ImportPath):
    row = get_session().get(RosterImport, path.import_id)
    if row is None:
        raise NotFound(kind="import", id=path.import_id)
    workbook = operations.rejected_workbook(row)
    return send_file(
        io.BytesIO(workbook),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        as_attachment=True,
        download_name=f"rejected-rows-{row.id}.xlsx",
    )
