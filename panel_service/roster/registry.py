"""Parse the registry of appraisal institutions (鉴定机构名录).

The registry lists each institution's name, credit code, licence number, practice
categories, district, complaints and penalties of the last three years. Its names
serve as the keys that employers and recusal targets in the roster are matched to,
through `normalise_institution_name`.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from panel_service.pool.taxonomy import resolve_practice_category
from panel_service.roster import limits
from panel_service.roster.normalise import (
    InvalidValue,
    clean_identifier,
    clean_text,
    normalise_institution_name,
    parse_whole_number,
)
from panel_service.roster.problems import IgnoredColumn, Problem, RowReport, Severity, SkippedRow
from panel_service.roster.tables import (
    ColumnSpec,
    SheetLayout,
    SheetSpec,
    Source,
    SourceError,
    SourceRow,
    Table,
    build_table,
    find_sheet,
    load_sheets,
)

REGISTRY_SHEET = SheetSpec(
    "鉴定机构名录",
    (
        ColumnSpec("sequence", ("序号", "编号")),
        ColumnSpec("name", ("机构名称", "鉴定机构名称", "名称"), required=True),
        ColumnSpec("credit_code", ("统一社会信用代码", "信用代码")),
        ColumnSpec("licence_number", ("司法鉴定许可证号", "许可证号", "执业许可证号")),
        ColumnSpec("practice_categories", ("执业类别", "业务范围", "鉴定业务范围"), required=True),
        ColumnSpec("district", ("所在区", "所在地区", "区县", "所在地")),
        ColumnSpec("complaints", ("近三年投诉件数", "投诉件数", "投诉数")),
        ColumnSpec("penalised", ("近三年行政处罚或行业惩戒", "行政处罚或行业惩戒", "处罚记录")),
        ColumnSpec("note", ("备注",)),
        ColumnSpec("rejection_reason", ("错误原因",)),
    ),
    sheet_names=("机构名录", "鉴定机构", "司法鉴定机构名录"),
)

BEIJING_DISTRICTS = frozenset(
    {
        "东城区", "西城区", "朝阳区", "丰台区", "石景山区", "海淀区", "门头沟区", "房山区",
        "通州区", "顺义区", "昌平区", "大兴区", "怀柔区", "平谷区", "密云区", "延庆区",
    }
)

# The 31 characters of GB 32100-2015 (digits and capitals without I, O, S, V, Z).
_CREDIT_CODE = re.compile(r"[0-9A-HJ-NPQRTUWXY]{18}")
_CATEGORY_SEPARATORS = re.compile(r"[、,，;；/\s]+")
_YES = frozenset({"有", "是", "Y", "YES", "1"})
_NO = frozenset({"无", "否", "没有", "N", "NO", "0"})
# A bound far above any count that a registry of complaints lists. It keeps a typing
# slip such as a pasted ID number out of the database's integer column.
MAX_COMPLAINTS = 100_000


@dataclass(frozen=True)
class Institution:
    """One registry row, normalised."""

    source_row: int
    # The name as written, trimmed, with its brackets and partnership suffix kept.
    name: str
    # Matching key from normalise_institution_name: unique within a registry.
    name_key: str
    credit_code: str | None
    licence_number: str | None
    # Professional group codes (pool.taxonomy) of the practice categories.
    practice_categories: tuple[str, ...]
    district: str | None
    # True when the district names no Beijing district, for example 天津（外省市）.
    out_of_province: bool
    # None when the cell is empty, or unreadable (with a warning). A count outside
    # 0 to MAX_COMPLAINTS is an error, so the row is not imported.
    complaints_last_3_years: int | None
    penalised_last_3_years: bool | None
    note: str | None


@dataclass
class RegistryParse:
    """The result of `parse_registry`: institutions plus everything reported."""

    filename: str
    institutions: list[Institution] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    skipped_rows: list[SkippedRow] = field(default_factory=list)
    ignored_columns: list[IgnoredColumn] = field(default_factory=list)
    sheets: list[SheetLayout] = field(default_factory=list)

    def find(self, name_key: str) -> Institution | None:
        """Return the institution with this key from `normalise_institution_name`."""
        return next((i for i in self.institutions if i.name_key == name_key), None)

    @property
    def errors(self) -> list[Problem]:
        return [problem for problem in self.problems if problem.severity is Severity.ERROR]

    @property
    def rejected_rows(self) -> set[tuple[str | None, int]]:
        """(sheet, row) of every row that has an error and is not imported."""
        return {(problem.sheet, problem.row) for problem in self.errors if problem.row is not None}


def parse_registry(source: Source, filename: str) -> RegistryParse:
    """Parse an institution registry from an .xlsx workbook or a CSV file.

    Never raises for bad content: an unreadable file, a missing sheet or a missing
    required column becomes an error problem without a row number, and no
    institutions are returned.
    """
    result = RegistryParse(filename)
    try:
        sheets = load_sheets(source, filename)
        sheet = find_sheet(sheets, REGISTRY_SHEET) or (sheets[0] if len(sheets) == 1 else None)
        if sheet is None:
            raise SourceError([Problem("sheet_missing", Severity.ERROR, params={"sheet": REGISTRY_SHEET.name})])
        table = build_table(sheet, REGISTRY_SHEET)
    except SourceError as error:
        result.problems.extend(error.problems)
        return result

    result.problems.extend(table.problems)
    result.skipped_rows.extend(table.skipped_rows)
    result.ignored_columns.extend(table.ignored_columns)
    result.sheets.append(table.layout)
    _parse_institutions(result, table)
    return result


def _parse_institutions(result: RegistryParse, table: Table) -> None:
    parsed: list[tuple[RowReport, Institution | None]] = []
    for row in table.rows:
        report = RowReport.for_row(table.sheet, table.headers, row)
        parsed.append((report, _parse_row(report, row)))

    _flag_duplicates(parsed, "name_key", "duplicate_institution", Severity.ERROR)
    _flag_duplicates(parsed, "credit_code", "duplicate_credit_code", Severity.ERROR)
    _flag_duplicate_sequence_numbers(parsed)

    for report, institution in parsed:
        result.problems.extend(report.problems)
        if institution is not None and not report.has_errors:
            result.institutions.append(institution)


def _parse_row(report: RowReport, row: SourceRow) -> Institution | None:
    name = clean_text(row.values.get("name"), fold=False)
    if name is None:
        report.error("name", "missing_value")
        return None
    if not report.check_length("name", name, limits.INSTITUTION_NAME):
        return None
    name_key = normalise_institution_name(name)
    # NFKC can lengthen a name (㈱ becomes (株)), so the key is checked too.
    if not report.check_length("name", name_key, limits.INSTITUTION_NAME):
        return None

    district = clean_text(row.values.get("district"), fold=False)
    report.check_length("district", district, limits.DISTRICT)
    note = clean_text(row.values.get("note"))
    report.check_length("note", note, limits.NOTE)
    out_of_province = _is_out_of_province(report, district)
    return Institution(
        source_row=row.number,
        name=name,
        name_key=name_key,
        credit_code=_credit_code(report, row),
        licence_number=_licence_number(report, row, out_of_province),
        practice_categories=_practice_categories(report, row),
        district=district,
        out_of_province=out_of_province,
        complaints_last_3_years=_complaints(report, row),
        penalised_last_3_years=_penalised(report, row),
        note=note,
    )


def _is_out_of_province(report: RowReport, district: str | None) -> bool:
    if district is None:
        report.warning("district", "missing_value")
        return False
    if "外省市" in district:
        return True

    name = district.removeprefix("北京市").removeprefix("北京")
    if name in BEIJING_DISTRICTS or f"{name}区" in BEIJING_DISTRICTS:
        return False
    report.warning("district", "unknown_district")
    return False


def _credit_code(report: RowReport, row: SourceRow) -> str | None:
    code = clean_identifier(row.values.get("credit_code"))
    # NOTE: only the length and alphabet are checked, not the GB 32100 check
    # character, because the demo registry's codes are made up and all fail it.
    if code is not None and not _CREDIT_CODE.fullmatch(code):
        report.warning("credit_code", "invalid_credit_code")
        return None
    return code


def _licence_number(report: RowReport, row: SourceRow, out_of_province: bool) -> str | None:
    licence = clean_identifier(row.values.get("licence_number"))
    if licence is None:
        # Institutions from other provinces hold licences from their own justice
        # departments, which the association often does not record.
        report.warning("licence_number", "licence_missing_out_of_province" if out_of_province else "institution_licence_missing")
        return None
    if not re.fullmatch(r"[0-9A-Z]{6,20}", licence):
        report.warning("licence_number", "invalid_licence_number")
        return None
    return licence


def _practice_categories(report: RowReport, row: SourceRow) -> tuple[str, ...]:
    text = clean_text(row.values.get("practice_categories"))
    if text is None:
        report.warning("practice_categories", "missing_value")
        return ()

    codes: list[str] = []
    for part in filter(None, _CATEGORY_SEPARATORS.split(text)):
        group = resolve_practice_category(part)
        if group is None:
            report.warning("practice_categories", "unknown_practice_category", category=part)
        elif group.code not in codes:
            codes.append(group.code)
    return tuple(codes)


def _complaints(report: RowReport, row: SourceRow) -> int | None:
    value = row.values.get("complaints")
    if clean_text(value) is None:
        return None
    try:
        return parse_whole_number(value, units=("件", "起", "次"), maximum=MAX_COMPLAINTS)
    except InvalidValue as error:
        # Unreadable text such as 若干 is kept as unknown, but a number out of range
        # is more likely a slip in a column that was copied wrongly.
        severity = Severity.ERROR if error.code == "number_out_of_range" else Severity.WARNING
        report.invalid("complaints", error, severity)
        return None


def _penalised(report: RowReport, row: SourceRow) -> bool | None:
    text = clean_text(row.values.get("penalised"))
    if text is None:
        return None
    if text.upper() in _YES:
        return True
    if text.upper() in _NO:
        return False
    report.warning("penalised", "invalid_yes_no")
    return None


def _flag_duplicates(parsed: list[tuple[RowReport, Institution | None]], attribute: str, code: str, severity: Severity) -> None:
    rows_by_value: dict[str, list[RowReport]] = defaultdict(list)
    for report, institution in parsed:
        value = getattr(institution, attribute, None) if institution else None
        if value:
            rows_by_value[value].append(report)

    for reports in rows_by_value.values():
        if len(reports) > 1:
            for report in reports:
                others = [other.row for other in reports if other is not report]
                report.add(severity, "name" if attribute == "name_key" else attribute, code, rows=others)


def _flag_duplicate_sequence_numbers(parsed: list[tuple[RowReport, Institution | None]]) -> None:
    # 序号 only numbers the printed list, so a repeated number is a warning.
    rows_by_number: dict[str, list[RowReport]] = defaultdict(list)
    for report, _ in parsed:
        number = clean_text(report.values.get("sequence"))
        if number:
            rows_by_number[number].append(report)

    for reports in rows_by_number.values():
        if len(reports) > 1:
            for report in reports:
                report.warning("sequence", "duplicate_sequence_number", rows=[o.row for o in reports if o is not report])
