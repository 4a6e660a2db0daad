"""Import every table so that SQLModel.metadata (and Alembic) contains the whole schema."""

from panel_service.audit.models import AuditEntry
from panel_service.draws.models import Draw, DrawCandidate, DrawMember
from panel_service.experts.models import Conflict, Expert, ExpertChange, Unavailability
from panel_service.imports.models import RosterImport
from panel_service.institutions.models import Institution
from panel_service.tasks.models import Task
from panel_service.users.models import ApiToken, User

__all__ = [
    "ApiToken",
    "AuditEntry",
    "Conflict",
    "Draw",
    "DrawCandidate",
    "DrawMember",
    "Expert",
    "ExpertChange",
    "Institution",
    "RosterImport",
    "Task",
    "Unavailability",
    "User",
]
