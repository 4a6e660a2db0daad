"""Read the association's hand-kept roster and institution registry into plain data.

Nothing in this package touches the database or needs a Flask application: the
parsers take a file and an as-of date and return dataclasses plus a list of problems,
which the import operation stores. `messages` renders the problems with Flask-Babel
when an application context is active, and in English otherwise.
"""

from panel_service.roster.eligibility import ExpertStatus, StatusReason, assess_eligibility
from panel_service.roster.experts import Expert
from panel_service.roster.messages import format_problem, format_problem_at_row, format_skipped_row, format_status_reason
from panel_service.roster.normalise import normalise_institution_name
from panel_service.roster.parsing import DEFAULT_LOOKBACK_YEARS, RosterParse, parse_roster
from panel_service.roster.problems import IgnoredColumn, Problem, Severity, SkippedRow
from panel_service.roster.registry import Institution, RegistryParse, parse_registry
from panel_service.roster.rejected import rejected_rows_workbook
from panel_service.roster.relations import Conflict, Unavailability

__all__ = [
    "DEFAULT_LOOKBACK_YEARS",
    "Conflict",
    "Expert",
    "ExpertStatus",
    "IgnoredColumn",
    "Institution",
    "Problem",
    "RegistryParse",
    "RosterParse",
    "Severity",
    "SkippedRow",
    "StatusReason",
    "Unavailability",
    "assess_eligibility",
    "format_problem",
    "format_problem_at_row",
    "format_skipped_row",
    "format_status_reason",
    "normalise_institution_name",
    "parse_registry",
    "parse_roster",
    "rejected_rows_workbook",
]
