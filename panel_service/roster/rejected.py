"""Build a workbook of the rejected rows, for the user to fix and import again.

Each sheet that had rejected rows appears under its kind's name (专家名册, 回避关系,
不可用时段 or 鉴定机构名录) with the original header in row 1, the original cells of
each rejected row, and a last column 错误原因 with the reasons. The parsers know
错误原因 and ignore it, so the fixed workbook imports without new problems.

Every text cell is written as text, never as a formula, because a cell such as
=HYPERLINK(...) in an uploaded file would otherwise run when the user opens the
workbook. Text is written as the parser saw it, after `sanitise_text`.
"""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict

import openpyxl
from openpyxl.cell.cell import Cell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from panel_service.roster.messages import format_problem_at_row
from panel_service.roster.normalise import clean_text, sanitise_cell, value_as_text
from panel_service.roster.parsing import ROSTER_SHEETS, RosterParse
from panel_service.roster.problems import Problem
from panel_service.roster.registry import REGISTRY_SHEET, RegistryParse
from panel_service.roster.tables import RawSheet, SheetLayout, Source, load_sheets

REASON_HEADER = "错误原因"
_SPECS = {spec.name: spec for spec in (*ROSTER_SHEETS, REGISTRY_SHEET)}
# Text format, so that Excel does not turn a retyped ID number into a number again.
_TEXT_FORMAT = "@"
_DATE_FORMAT = "yyyy-mm-dd"
# Excel and WPS read text typed with these first characters as a formula.
_FORMULA_PREFIXES = ("=", "+", "-", "@")


def rejected_rows_workbook(parse: RosterParse | RegistryParse, source: Source) -> bytes:
    """Return an .xlsx file of the rows that `parse` rejected, read again from `source`.

    `source` must be the file that produced `parse`. Messages in 错误原因 use the
    current locale (see `messages.format_problem`). Rows rejected by a file or sheet
    problem, such as a missing column, have no row number and are not included.
    """
    sheets = {sheet.name: sheet for sheet in load_sheets(source, parse.filename)}
    errors_by_row = _errors_by_row(parse.errors)

    workbook = openpyxl.Workbook()
    placeholder = workbook.active
    for layout in parse.sheets:
        rows = sorted(row for sheet, row in errors_by_row if sheet == layout.name)
        if rows:
            _write_sheet(workbook, layout, sheets[layout.name], rows, errors_by_row)

    # A workbook needs one sheet, so without rejected rows the first sheet's header
    # is written alone, and without any readable sheet the empty default stays.
    if len(workbook.worksheets) > 1:
        workbook.remove(placeholder)
    elif parse.sheets:
        workbook.remove(placeholder)
        layout = parse.sheets[0]
        _write_sheet(workbook, layout, sheets[layout.name], [], errors_by_row)

    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def _errors_by_row(errors: list[Problem]) -> dict[tuple[str | None, int], list[Problem]]:
    by_row: dict[tuple[str | None, int], list[Problem]] = defaultdict(list)
    for problem in errors:
        if problem.row is not None:
            by_row[(problem.sheet, problem.row)].append(problem)
    return by_row


def _write_sheet(
    workbook: openpyxl.Workbook,
    layout: SheetLayout,
    sheet: RawSheet,
    rows: list[int],
    errors_by_row: dict[tuple[str | None, int], list[Problem]],
) -> None:
    cells_by_row = dict(sheet.rows)
    headers, reason_position = _headers(cells_by_row[layout.header_row])
    spec = _SPECS[layout.kind]
    text_positions = {i for i, header in enumerate(headers) if header and spec.field_for(header) == "id_number"}

    worksheet = workbook.create_sheet(layout.kind)
    worksheet.append(headers)
    for cell in worksheet[1]:
        cell.font = Font(bold=True)
        _keep_as_text(cell)

    for row in rows:
        values = list(cells_by_row[row])[: len(headers)]
        values += [None] * (len(headers) - len(values))
        # The original row number leads each reason, because the messages refer to
        # other rows by their numbers in the original file.
        values[reason_position] = " ".join(format_problem_at_row(p) for p in errors_by_row[(layout.name, row)])
        worksheet.append([_cell_value(value, i in text_positions) for i, value in enumerate(values)])
        _format_row(worksheet, text_positions)

    worksheet.freeze_panes = "A2"
    for position, header in enumerate(headers, start=1):
        worksheet.column_dimensions[get_column_letter(position)].width = max(12, 2 * len(header or "") + 4)
    worksheet.column_dimensions[get_column_letter(reason_position + 1)].width = 60


def _headers(header_cells: tuple[object, ...]) -> tuple[list[str | None], int]:
    """Return the original headers with a 错误原因 column, reusing one if present."""
    headers = [clean_text(cell, fold=False) for cell in header_cells]
    while headers and headers[-1] is None:
        headers.pop()
    if REASON_HEADER in headers:
        return headers, headers.index(REASON_HEADER)
    return [*headers, REASON_HEADER], len(headers)


def _cell_value(value: object, as_text: bool) -> object:
    # An ID that Excel already turned into a float is written as the text the user
    # saw, so the reason message and the cell agree, and the retyped ID stays text.
    if as_text and value is not None:
        value = value_as_text(value)
    # openpyxl rejects control characters, and a lone surrogate fails when saving.
    return sanitise_cell(value)[0]


def _format_row(worksheet: Worksheet, text_positions: set[int]) -> None:
    for position, cell in enumerate(worksheet[worksheet.max_row]):
        _keep_as_text(cell)
        if position in text_positions:
            cell.number_format = _TEXT_FORMAT
        elif isinstance(cell.value, dt.date | dt.datetime):
            cell.number_format = _DATE_FORMAT


def _keep_as_text(cell: Cell) -> None:
    """Store a text cell as a string, never as a formula or an error value."""
    if not isinstance(cell.value, str):
        return
    # openpyxl marks text starting with = as a formula, and #N/A and the like as
    # error values; type "s" writes the same text as a plain string.
    cell.data_type = "s"
    # quotePrefix (ECMA-376) is the mark Excel stores for text typed as '=..., so
    # the cell shows the text, and editing it in Excel keeps it text.
    if cell.value.startswith(_FORMULA_PREFIXES):
        cell.quotePrefix = True
