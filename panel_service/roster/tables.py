"""Read .xlsx workbooks and CSV files into header-mapped rows.

Hand-kept sheets put title rows above the header, write headers with stray spaces or
full-width characters, order columns freely and leave blank or totals rows. This
module finds the header row and maps each header to a field through a list of
synonyms. It returns the data rows with the row numbers that Excel shows, so that
every problem points at a cell the user can find.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import unicodedata
import warnings
import zipfile
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, BinaryIO, Iterable, Mapping

import openpyxl

from panel_service.roster.normalise import SanitisedText, clean_text, sanitise_cell, sanitise_text
from panel_service.roster.problems import IgnoredColumn, Problem, Severity, SkippedRow

if TYPE_CHECKING:
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

Source = bytes | bytearray | memoryview | str | os.PathLike[str] | BinaryIO

# The header must lie within the first rows; titles and notes rarely take more.
HEADER_SEARCH_ROWS = 20
# A guard against a sheet whose formatting reaches far below its data. The
# association's roster has about 400 rows.
MAX_ROWS = 100_000
# Guards against a decompression bomb, checked on the zip directory before openpyxl
# unpacks anything. The demo roster (demo/roster-2026.xlsx, about 400 rows) has
# 383 KB of sheet XML compressed 7 to 1, so MAX_ROWS such rows take about 100 MB.
MAX_UNCOMPRESSED_BYTES = 200 * 2**20
# A member of more than MIN_RATIO_CHECKED_BYTES compressed more than this is taken
# for a bomb. Small members such as styles.xml may compress better without harm.
MAX_COMPRESSION_RATIO = 200
MIN_RATIO_CHECKED_BYTES = 2**20
# Excel and WPS write members stored or deflated. zipfile inflates other methods
# (bzip2, LZMA) without a bound on each chunk, so they are not read at all.
_ZIP_METHODS = frozenset({zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED})

_XLSX_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, and .xlsx saved with a password
_TOTALS = re.compile(r"^(合计|总计|小计|共计)")
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


class SourceError(Exception):
    """Raised when a file or sheet cannot be read as a table. `problems` lists the reasons."""

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(f"{p.code} {dict(p.params)}" for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class ColumnSpec:
    """A field and the headers that name it; headers compare without spaces or width."""

    field: str
    headers: tuple[str, ...]
    required: bool = False


@dataclass(frozen=True)
class SheetSpec:
    """The columns of one kind of sheet, and the sheet names that hold it."""

    name: str
    columns: tuple[ColumnSpec, ...]
    sheet_names: tuple[str, ...] = ()

    def field_for(self, header: str) -> str | None:
        """Return the field that a header names, or None for an unknown header."""
        key = header_key(header)
        if key in self._fields_by_key:
            return self._fields_by_key[key]
        # A trailing note in brackets, as in 出生年月（年.月）, does not change the field.
        return self._fields_by_key.get(re.sub(r"\([^()]*\)$", "", key))

    @cached_property
    def _fields_by_key(self) -> dict[str, str]:
        return {header_key(header): column.field for column in self.columns for header in column.headers}

    def matches_name(self, sheet_name: str) -> bool:
        return header_key(sheet_name) in {header_key(name) for name in (self.name, *self.sheet_names)}


@dataclass(frozen=True)
class RawSheet:
    """Every non-trailing row of one sheet: (row number, cells). CSV files have no name."""

    name: str | None
    rows: list[tuple[int, tuple[object, ...]]]


@dataclass(frozen=True)
class Column:
    position: int  # 1-based
    header: str  # as written
    field: str | None


@dataclass(frozen=True)
class SourceRow:
    """A data row: sanitised cells by field, and every raw cell in file order.

    `sanitised` maps the fields whose text lost characters to `sanitise_text` to
    what was removed, so that the row's report can warn about it.
    """

    number: int
    values: dict[str, object]
    cells: tuple[object, ...]
    sanitised: Mapping[str, SanitisedText] = field(default_factory=dict)


@dataclass(frozen=True)
class SheetLayout:
    """The position of a parsed sheet's header row, used to find its rows again."""

    # The sheet's name in the file, None for a CSV file.
    name: str | None
    # The SheetSpec name of the sheet kind, such as 专家名册.
    kind: str
    header_row: int


@dataclass
class Table:
    """One sheet after header detection."""

    sheet: str | None
    header_row: int
    header_cells: tuple[object, ...]
    columns: list[Column]
    rows: list[SourceRow]
    skipped_rows: list[SkippedRow] = field(default_factory=list)
    ignored_columns: list[IgnoredColumn] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # The SheetSpec name of the sheet kind.
    kind: str = ""

    @property
    def layout(self) -> SheetLayout:
        return SheetLayout(self.sheet, self.kind, self.header_row)

    @property
    def headers(self) -> dict[str, str]:
        """Field name to header as written, for the fields present in this sheet."""
        return {column.field: column.header for column in self.columns if column.field}


def header_key(text: str) -> str:
    """Return the comparison form of a header: NFKC, no whitespace or *, lower case."""
    key = re.sub(r"[\s*]+", "", unicodedata.normalize("NFKC", sanitise_text(text).text))
    return key.rstrip(":").lower()


# Loading ---------------------------------------------------------------------------


def load_sheets(source: Source, filename: str) -> list[RawSheet]:
    """Read every sheet of an .xlsx workbook, or the one table of a CSV file.

    The format comes from the file's first bytes, then from its extension. Raises
    SourceError for an empty, unreadable or unsupported file.
    """
    data = read_bytes(source)
    if not data:
        raise _source_error("empty_file", filename=filename)
    if data.startswith(_XLSX_MAGIC):
        return _load_workbook(data, filename)
    if data.startswith(_OLE_MAGIC):
        raise _source_error("legacy_workbook", filename=filename)

    extension = os.path.splitext(filename)[1].lower()
    if extension in (".xlsx", ".xlsm"):
        raise _source_error("unreadable_workbook", filename=filename, error="not a zip archive")
    if extension in (".xls", ".et", ".ods", ".numbers"):
        raise _source_error("legacy_workbook", filename=filename)
    return [_load_csv(data, filename)]


def read_bytes(source: Source) -> bytes:
    """Return the content of bytes, a path, or a binary file object."""
    if isinstance(source, bytes | bytearray | memoryview):
        return bytes(source)
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as stream:
            return stream.read()

    data = source.read()
    if not isinstance(data, bytes):
        raise TypeError(f"expected a binary file object, got one that returns {type(data).__name__}")
    return data


def _source_error(code: str, **params: object) -> SourceError:
    return SourceError([Problem(code, Severity.ERROR, params=params)])


def _load_workbook(data: bytes, filename: str) -> list[RawSheet]:
    workbook = None
    try:
        # openpyxl warns about features it does not read (data validation, some
        # extensions); they do not change cell values.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _check_zip_members(data, filename)
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            return [_read_worksheet(worksheet) for worksheet in workbook.worksheets]
    except SourceError:
        raise
    except Exception as error:
        # A damaged upload makes openpyxl raise many types (zlib.error, ParseError,
        # KeyError, ValueError, TypeError ...), all of which mean "cannot read".
        raise _source_error("unreadable_workbook", filename=filename, error=f"{type(error).__name__}: {error}") from error
    finally:
        if workbook is not None:
            workbook.close()


def _check_zip_members(data: bytes, filename: str) -> None:
    """Raise SourceError for a workbook that would unpack to too much XML, or unsafely.

    The sizes come from the zip's central directory. zipfile (CPython 3.11) never
    returns more than a member's stated size, so a member that claims to be small
    cannot unpack to more. A damaged archive raises zipfile.BadZipFile.
    """
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = archive.infolist()

    for member in members:
        if member.compress_type not in _ZIP_METHODS:
            error = f"member {member.filename} uses zip compression method {member.compress_type}, expected stored (0) or deflated (8)"
            raise _source_error("unreadable_workbook", filename=filename, error=error)

    total = sum(member.file_size for member in members)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise _source_error(
            "workbook_too_large", filename=filename, size_mb=_megabytes(total), limit_mb=_megabytes(MAX_UNCOMPRESSED_BYTES)
        )

    for member in members:
        if member.file_size > MIN_RATIO_CHECKED_BYTES and member.file_size > MAX_COMPRESSION_RATIO * member.compress_size:
            ratio = member.file_size // max(member.compress_size, 1)
            raise _source_error(
                "workbook_compression_too_high",
                filename=filename,
                member=sanitise_text(member.filename[:100]).text,
                ratio=ratio,
                limit=MAX_COMPRESSION_RATIO,
            )


def _megabytes(size: int) -> str:
    return f"{size / 2**20:.1f}".removesuffix(".0")


def _read_worksheet(worksheet: ReadOnlyWorksheet) -> RawSheet:
    # Some writers store a wrong used range; without it openpyxl reads every row.
    worksheet.reset_dimensions()

    rows: list[tuple[int, tuple[object, ...]]] = []
    for number, cells in enumerate(worksheet.iter_rows(values_only=True), start=1):
        if number > MAX_ROWS:
            raise _source_error("too_many_rows", sheet=worksheet.title, limit=MAX_ROWS)
        rows.append((number, tuple(cells)))
    return RawSheet(worksheet.title, _without_trailing_blank_rows(rows))


def _load_csv(data: bytes, filename: str) -> RawSheet:
    text = _decode_text(data, filename)
    delimiter = _guess_delimiter(text)

    rows: list[tuple[int, tuple[object, ...]]] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        # Excel numbers a CSV file's rows by record, so a quoted cell with a line
        # break still counts as one row.
        for number, cells in enumerate(reader, start=1):
            if number > MAX_ROWS:
                raise _source_error("too_many_rows", sheet=filename, limit=MAX_ROWS)
            rows.append((number, tuple(cell if cell.strip() else None for cell in cells)))
    except csv.Error as error:
        raise _source_error("unreadable_csv", filename=filename, row=reader.line_num, error=str(error)) from error
    return RawSheet(None, _without_trailing_blank_rows(rows))


def _decode_text(data: bytes, filename: str) -> str:
    """Decode UTF-8 (with or without BOM) or GB18030, the encodings Excel and WPS write."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        raise _source_error("unsupported_encoding", filename=filename, encoding="UTF-16/UTF-32")

    text = None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue

    # GB18030 decodes many binary files too, so control characters mark a failure.
    if text is None or _CONTROL_CHARACTERS.search(text):
        raise _source_error("undecodable_text", filename=filename)
    return text


def _guess_delimiter(text: str) -> str:
    # Excel writes commas, or semicolons in locales with a decimal comma; its
    # "Unicode text" export uses tabs. Title lines have none, so several lines count.
    sample = "\n".join(text.splitlines()[:HEADER_SEARCH_ROWS])
    counts = {delimiter: sample.count(delimiter) for delimiter in (",", "\t", ";")}
    best = max(counts, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def _is_blank(cells: Iterable[object]) -> bool:
    return all(clean_text(cell) is None for cell in cells)


def _without_trailing_blank_rows(rows: list[tuple[int, tuple[object, ...]]]) -> list[tuple[int, tuple[object, ...]]]:
    # Blank rows after the last data row are formatting, not input, so they are not
    # reported as skipped.
    end = len(rows)
    while end and _is_blank(rows[end - 1][1]):
        end -= 1
    return rows[:end]


# Header detection ----------------------------------------------------------------


def find_sheet(sheets: list[RawSheet], spec: SheetSpec) -> RawSheet | None:
    """Return the sheet that has one of the names `spec` expects, or None."""
    for sheet in sheets:
        if sheet.name is not None and spec.matches_name(sheet.name):
            return sheet
    return None


def has_header(sheet: RawSheet, spec: SheetSpec) -> bool:
    """Return whether a row near the top names every required column of `spec`."""
    required = {column.field for column in spec.columns if column.required}
    for _, cells in sheet.rows[:HEADER_SEARCH_ROWS]:
        fields = {spec.field_for(header) for header in map(clean_text, cells) if header}
        if required <= fields:
            return True
    return False


def build_table(sheet: RawSheet, spec: SheetSpec) -> Table:
    """Find the header row of `sheet`, map its columns and collect the data rows.

    Raises SourceError when no header row matches `spec` or when required columns
    are missing or named twice.
    """
    header_index = _find_header(sheet, spec)
    header_row, header_cells = sheet.rows[header_index]
    table = Table(sheet.name, header_row, header_cells, columns=[], rows=[], kind=spec.name)

    for number, cells in sheet.rows[:header_index]:
        table.skipped_rows.append(SkippedRow(sheet.name, number, "blank" if _is_blank(cells) else "title"))

    _map_columns(table, sheet, spec, header_index)
    _collect_rows(table, sheet, header_index)
    return table


def _find_header(sheet: RawSheet, spec: SheetSpec) -> int:
    required = [column for column in spec.columns if column.required]
    # Three known headers tell the header row from a title or note that happens to
    # contain one header word.
    threshold = min(3, len(required) or 1)

    for index, (_, cells) in enumerate(sheet.rows[:HEADER_SEARCH_ROWS]):
        headers = [clean_text(cell) for cell in cells]
        matched = {spec.field_for(header) for header in headers if header} - {None}
        if len(matched) >= threshold:
            return index

    expected = "、".join(column.headers[0] for column in required)
    params = {"sheet": sheet.name or "CSV", "rows": HEADER_SEARCH_ROWS, "expected": expected}
    raise SourceError([Problem("header_not_found", Severity.ERROR, sheet.name, params=params)])


def _map_columns(table: Table, sheet: RawSheet, spec: SheetSpec, header_index: int) -> None:
    errors: list[Problem] = []
    seen: dict[str, str] = {}

    # Data may reach beyond the last header cell, into columns without a header.
    width = max(len(cells) for _, cells in sheet.rows[header_index:])
    for position in range(1, width + 1):
        cell = table.header_cells[position - 1] if position <= len(table.header_cells) else None
        header = clean_text(cell)
        if header is None:
            _note_unnamed_column(table, sheet, header_index, position)
            continue

        field_name = spec.field_for(header)
        if field_name is None:
            table.ignored_columns.append(IgnoredColumn(sheet.name, header, position))
            table.problems.append(Problem("unknown_column", Severity.INFO, sheet.name, table.header_row, header))
        elif field_name in seen:
            errors.append(
                Problem("duplicate_column", Severity.ERROR, sheet.name, table.header_row, header, params={"other": seen[field_name]})
            )
            field_name = None
        else:
            seen[field_name] = header
        table.columns.append(Column(position, header, field_name))

    for column in spec.columns:
        if column.required and column.field not in seen:
            errors.append(Problem("missing_column", Severity.ERROR, sheet.name, table.header_row, params={"column": column.headers[0]}))
    if errors:
        raise SourceError(errors)


def _note_unnamed_column(table: Table, sheet: RawSheet, header_index: int, position: int) -> None:
    """Report a column without a header only when some row below has data in it."""
    for _, cells in sheet.rows[header_index + 1 :]:
        if len(cells) >= position and clean_text(cells[position - 1]) is not None:
            table.ignored_columns.append(IgnoredColumn(sheet.name, "", position))
            table.problems.append(
                Problem("unnamed_column", Severity.INFO, sheet.name, table.header_row, params={"position": position})
            )
            return


def _collect_rows(table: Table, sheet: RawSheet, header_index: int) -> None:
    fields = [(column.position - 1, column.field) for column in table.columns if column.field]

    for number, cells in sheet.rows[header_index + 1 :]:
        if _is_blank(cells):
            table.skipped_rows.append(SkippedRow(sheet.name, number, "blank"))
            continue
        if _is_totals(cells):
            table.skipped_rows.append(SkippedRow(sheet.name, number, "totals"))
            continue

        values: dict[str, object] = {}
        sanitised: dict[str, SanitisedText] = {}
        for index, name in fields:
            values[name], found = sanitise_cell(cells[index] if index < len(cells) else None)
            if found is not None and found.changed:
                sanitised[name] = found
        table.rows.append(SourceRow(number, values, cells, sanitised))


def _is_totals(cells: tuple[object, ...]) -> bool:
    first = next((text for text in (clean_text(cell) for cell in cells) if text), "")
    return bool(_TOTALS.match(first.replace(" ", "")))
