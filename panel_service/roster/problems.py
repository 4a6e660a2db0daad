"""Problems, skipped rows and ignored columns: the report that comes with parsed data.

Every input row ends up in exactly one place: in the parsed data (possibly with
warnings), in an error problem (the row is not imported), or in `skipped_rows` (a
blank row, a title row or a totals row). Problems carry a code and parameters, never
finished text, so that `messages.format_problem` can render them in the reader's
language long after the parse.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Mapping

from panel_service.roster.normalise import REPLACEMENT_CHARACTER, InvalidValue, SanitisedText, value_as_text

if TYPE_CHECKING:
    from panel_service.roster.tables import SourceRow

# A problem shows at most this many characters of its cell, so that one huge cell
# does not bloat the stored import report. The whole cell is still in the file.
MAX_VALUE_SHOWN = 200


class Severity(StrEnum):
    # The row (or, without a row number, the whole file or sheet) is not imported.
    ERROR = "error"
    # The row is imported, but something was filled in, mapped or dropped. A row
    # with an error as well is not imported; its warnings still help to fix it.
    WARNING = "warning"
    # Nothing is wrong with the data: for example an optional sheet is absent.
    INFO = "info"


@dataclass(frozen=True)
class Problem:
    """One finding about the input, located as precisely as the input allows.

    `row` is the 1-based row number as Excel shows it (None for a file or sheet
    problem). `column` is the header as written in the file and `value` the cell as
    the user sees it, so that the user can find and fix it.
    """

    code: str
    severity: Severity
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    value: str | None = None
    params: Mapping[str, object] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        """Return the problem as JSON-ready data, as the import report stores it."""
        return {
            "code": self.code,
            "severity": str(self.severity),
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "params": dict(self.params),
        }


@dataclass(frozen=True)
class SkippedRow:
    """A row that is not imported without being wrong.

    `reason` is blank, title (above the header), totals, or duplicate (a row that
    repeats an earlier one, which a warning names).
    """

    sheet: str | None
    row: int
    reason: str


@dataclass(frozen=True)
class IgnoredColumn:
    """A column whose header names no field that the parser reads."""

    sheet: str | None
    header: str
    # 1-based column number, as in Excel's A=1, B=2 ...
    position: int


class RowReport:
    """The problems of one input row, with its location filled in.

    `headers` maps field names to the column headers as written; `values` maps field
    names to the raw cells.
    """

    def __init__(self, sheet: str | None, row: int, headers: Mapping[str, str], values: Mapping[str, object]):
        self.sheet = sheet
        self.row = row
        self.headers = headers
        self.values = values
        self.problems: list[Problem] = []

    @classmethod
    def for_row(cls, sheet: str | None, headers: Mapping[str, str], row: SourceRow) -> RowReport:
        """Create the report of a data row, starting with what cleaning its cells removed."""
        report = cls(sheet, row.number, headers, row.values)
        for field_name, sanitised in row.sanitised.items():
            report.note_sanitised(field_name, sanitised)
        return report

    @property
    def has_errors(self) -> bool:
        return any(problem.severity is Severity.ERROR for problem in self.problems)

    def add(self, severity: Severity, field_name: str | None, code: str, **params: object) -> None:
        column = self.headers.get(field_name) if field_name else None
        raw = self.values.get(field_name) if field_name else None
        value = value_as_text(raw) if raw is not None else None
        if value is not None and len(value) > MAX_VALUE_SHOWN:
            value = value[:MAX_VALUE_SHOWN] + "…"
        self.problems.append(Problem(code, severity, self.sheet, self.row, column, value, params))

    def error(self, field_name: str | None, code: str, **params: object) -> None:
        self.add(Severity.ERROR, field_name, code, **params)

    def warning(self, field_name: str | None, code: str, **params: object) -> None:
        self.add(Severity.WARNING, field_name, code, **params)

    def invalid(self, field_name: str, error: InvalidValue, severity: Severity = Severity.ERROR) -> None:
        """Report a value that a normaliser rejected, with the normaliser's code."""
        self.add(severity, field_name, error.code, **error.params)

    def note_sanitised(self, field_name: str, sanitised: SanitisedText) -> None:
        """Report the characters that `sanitise_text` removed from or replaced in a cell."""
        if sanitised.invisible_removed:
            self.warning(field_name, "invisible_characters_removed")
        if sanitised.controls_removed:
            self.warning(field_name, "control_characters_removed")
        # The replacement character marks where the text was broken, so the value
        # cannot be imported as written.
        if sanitised.surrogates_replaced:
            self.error(field_name, "invalid_unicode", replacement=REPLACEMENT_CHARACTER)

    def check_length(self, field_name: str, text: str | None, maximum: int) -> bool:
        """Return whether `text` fits a column of `maximum` characters; report it if not."""
        if text is None or len(text) <= maximum:
            return True
        self.error(field_name, "value_too_long", maximum=maximum, length=len(text))
        return False
