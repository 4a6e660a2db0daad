"""Parse the association's hand-kept expert roster into plain data.

A roster workbook has up to three sheets: 专家名册 (experts), 回避关系 (conflicts) and
不可用时段 (unavailability). Sheets are found by name, or else by a header row that
names all of a sheet kind's required columns, so a CSV file can hold any one of them.
Nothing here touches the database: the import operation stores the result.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Mapping

from panel_service.roster.experts import (
    ROSTER_SHEET,
    Expert,
    flag_duplicate_ids,
    flag_duplicate_licences,
    parse_expert_row,
)
from panel_service.roster.problems import IgnoredColumn, Problem, RowReport, Severity, SkippedRow
from panel_service.roster.registry import RegistryParse
from panel_service.roster.relations import (
    CONFLICT_SHEET,
    UNAVAILABILITY_SHEET,
    Conflict,
    ExpertDirectory,
    Unavailability,
    conflict_key,
    parse_conflict_row,
    parse_unavailability_row,
)
from panel_service.roster.tables import (
    RawSheet,
    SheetLayout,
    SheetSpec,
    Source,
    SourceError,
    Table,
    build_table,
    find_sheet,
    has_header,
    load_sheets,
)

ROSTER_SHEETS = (ROSTER_SHEET, CONFLICT_SHEET, UNAVAILABILITY_SHEET)

# No judicial-appraisal rule fixes how long a former employer stays a conflict.
# Zhejiang's procurement rules use three years, which serves as the default.
DEFAULT_LOOKBACK_YEARS = 3


@dataclass
class RosterParse:
    """The result of `parse_roster`.

    Every data row of every recognised sheet appears exactly once: as an expert,
    conflict or unavailability (possibly with warnings), as the row of an error
    problem (not imported), or in `skipped_rows`. Problems without a row number
    concern a whole file or sheet.
    """

    filename: str
    as_of: dt.date
    lookback_years: int
    experts: list[Expert] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    unavailability: list[Unavailability] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    skipped_rows: list[SkippedRow] = field(default_factory=list)
    ignored_columns: list[IgnoredColumn] = field(default_factory=list)
    sheets: list[SheetLayout] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [problem for problem in self.problems if problem.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [problem for problem in self.problems if problem.severity is Severity.WARNING]

    @property
    def rejected_rows(self) -> set[tuple[str | None, int]]:
        """(sheet, row) of every row that has an error and is not imported."""
        return {(problem.sheet, problem.row) for problem in self.errors if problem.row is not None}

    def problems_at(self, sheet: str | None, row: int) -> list[Problem]:
        return [problem for problem in self.problems if problem.sheet == sheet and problem.row == row]


def parse_roster(
    source: Source,
    filename: str,
    as_of: dt.date,
    *,
    lookback_years: int = DEFAULT_LOOKBACK_YEARS,
    registry: RegistryParse | None = None,
    known_experts: Mapping[str, str] | None = None,
) -> RosterParse:
    """Parse a roster workbook (.xlsx) or one of its sheets saved as CSV.

    `as_of` is the day on which eligibility and terms are assessed. A former
    employment that ended more than `lookback_years` before it is marked lapsed.
    With `registry`, employers and conflict institutions are checked against the
    registry, which also marks employers from other provinces. `known_experts` maps
    ID numbers to names of experts already in the pool, whom the conflict and
    unavailability sheets may name without a roster row in this file.

    Never raises for bad content: unreadable files and sheets become problems.
    Raises TypeError or ValueError for bad arguments.
    """
    if isinstance(as_of, dt.datetime) or not isinstance(as_of, dt.date):
        raise TypeError(f"as_of must be a date without time, got {as_of!r}")
    if lookback_years < 0:
        raise ValueError(f"lookback_years must be 0 or more, got {lookback_years}")

    result = RosterParse(filename, as_of, lookback_years)
    try:
        sheets = load_sheets(source, filename)
    except SourceError as error:
        result.problems.extend(error.problems)
        return result

    assigned = _assign_sheets(result, sheets)
    directory = ExpertDirectory(names=dict(known_experts or {}))

    table = _table(result, assigned.get(ROSTER_SHEET.name), ROSTER_SHEET)
    if table:
        _parse_experts(result, table, registry, directory)
    table = _table(result, assigned.get(CONFLICT_SHEET.name), CONFLICT_SHEET)
    if table:
        _parse_conflicts(result, table, registry, directory)
    table = _table(result, assigned.get(UNAVAILABILITY_SHEET.name), UNAVAILABILITY_SHEET)
    if table:
        _parse_unavailability(result, table, directory)
    return result


def _assign_sheets(result: RosterParse, sheets: list[RawSheet]) -> dict[str, RawSheet]:
    """Match sheets to kinds: by name first, then by their header rows."""
    assigned = {spec.name: sheet for spec in ROSTER_SHEETS if (sheet := find_sheet(sheets, spec))}
    for sheet in sheets:
        if any(sheet is chosen for chosen in assigned.values()):
            continue
        spec = next((s for s in ROSTER_SHEETS if s.name not in assigned and has_header(sheet, s)), None)
        if spec:
            assigned[spec.name] = sheet
        else:
            result.problems.append(Problem("sheet_ignored", Severity.INFO, sheet.name, params={"sheet": sheet.name or result.filename}))

    if not assigned:
        result.problems.append(Problem("no_roster_sheet", Severity.ERROR, params={"sheets": "、".join(s.name for s in ROSTER_SHEETS)}))
        return assigned
    for spec in ROSTER_SHEETS:
        if spec.name not in assigned:
            result.problems.append(Problem("sheet_missing", Severity.INFO, params={"sheet": spec.name}))
    return assigned


def _table(result: RosterParse, sheet: RawSheet | None, spec: SheetSpec) -> Table | None:
    if sheet is None:
        return None
    try:
        table = build_table(sheet, spec)
    except SourceError as error:
        result.problems.extend(error.problems)
        return None

    result.problems.extend(table.problems)
    result.skipped_rows.extend(table.skipped_rows)
    result.ignored_columns.extend(table.ignored_columns)
    result.sheets.append(table.layout)
    return table


def _parse_experts(result: RosterParse, table: Table, registry: RegistryParse | None, directory: ExpertDirectory) -> None:
    rows = [
        parse_expert_row(RowReport.for_row(table.sheet, table.headers, row), row, result.as_of, registry)
        for row in table.rows
    ]
    flag_duplicate_ids(rows)
    flag_duplicate_licences(rows)

    for parsed in rows:
        result.problems.extend(parsed.report.problems)
        if parsed.report.has_errors or parsed.expert is None:
            directory.rejected.append((parsed.report.row, parsed.id_number, parsed.name))
        else:
            result.experts.append(parsed.expert)
            directory.names[parsed.expert.id_number] = parsed.expert.name


def _parse_conflicts(result: RosterParse, table: Table, registry: RegistryParse | None, directory: ExpertDirectory) -> None:
    first_rows: dict[tuple[object, ...], int] = {}
    for row in table.rows:
        report = RowReport.for_row(table.sheet, table.headers, row)
        conflict = parse_conflict_row(report, row, directory, registry, result.as_of, result.lookback_years)

        # A repeated declaration is merged into the first, so it is not stored twice.
        if conflict is not None and conflict_key(conflict) in first_rows:
            report.warning(None, "duplicate_row", first_row=first_rows[conflict_key(conflict)])
            result.skipped_rows.append(SkippedRow(table.sheet, row.number, "duplicate"))
        elif conflict is not None:
            first_rows[conflict_key(conflict)] = row.number
            result.conflicts.append(conflict)
        result.problems.extend(report.problems)


def _parse_unavailability(result: RosterParse, table: Table, directory: ExpertDirectory) -> None:
    for row in table.rows:
        report = RowReport.for_row(table.sheet, table.headers, row)
        period = parse_unavailability_row(report, row, directory)
        if period is not None:
            result.unavailability.append(period)
        result.problems.extend(report.problems)
