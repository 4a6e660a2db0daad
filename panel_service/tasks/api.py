"""JSON views of tasks."""

from __future__ import annotations

from flask_openapi3 import APIBlueprint, Tag
from sqlmodel import select

from panel_service.api.common import Page
from panel_service.app import get_settings
from panel_service.auth import BEARER_SECURITY, STAFF, current_user, requires
from panel_service.db import get_session, unit_of_work
from panel_service.errors import NotFound
from panel_service.tasks.models import Task
from panel_service.tasks.operations import create_task
from panel_service.tasks.schemas import TaskCreate, TaskPath

tag = Tag(name="tasks", description="Tasks that panels are drawn for")
bp = APIBlueprint("tasks", __name__, url_prefix="/tasks", abp_tags=[tag], abp_security=BEARER_SECURITY)


def task_dict(task: Task) -> dict:
    return task.model_dump(mode="json")


@bp.post("")
@requires(*STAFF)
def add_task(body: TaskCreate):
    with unit_of_work() as session:
        task = create_task(session, body, current_user(), get_settings().draw.default_method)
    return task_dict(task), 201


@bp.get("")
@requires(*STAFF)
def list_tasks(query: Page):
    rows = get_session().exec(select(Task).order_by(Task.id.desc()).offset((query.page - 1) * query.per_page).limit(query.per_page))
    return {"items": [task_dict(task) for task in rows], "page": query.page, "per_page": query.per_page}


@bp.get("/<int:task_id>")
@requires(*STAFF)
def get_task(path: TaskPath):
    task = get_session().get(Task, path.task_id)
    if task is None:
        raise NotFound(kind="task", id=path.task_id)
    return task_dict(task)
