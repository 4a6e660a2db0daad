"""Problem messages and the workbook of rejected rows."""

import ast
import datetime as dt
import io
import re
from pathlib import Path

import openpyxl
import pytest

from panel_service.roster import (
    Problem,
    Severity,
    SkippedRow,
    StatusReason,
    format_problem,
    format_skipped_row,
    format_status_reason,
    parse_registry,
    parse_roster,
    rejected_rows_workbook,
)
from panel_service.roster.messages import PROBLEM_MESSAGES, format_problem_at_row
from tests.test_roster_parsing import (
    AS_OF,
    CONFLICT_HEADER,
    HEADER,
    csv_text,
    expert_row,
    make_id,
    registry_workbook,
    roster_workbook,
)

ROSTER_PACKAGE = Path(__file__).resolve().parent.parent / "panel_service" / "roster"
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def emitted_codes() -> set[str]:
    """Collect the problem codes that the roster package's source can emit."""
    positions = {"error": 1, "warning": 1, "add": 2, "Problem": 0, "_source_error": 0, "InvalidValue": 0}
    codes: set[str] = set()
    for path in ROSTER_PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
            position = positions.get(name)
            if position is None or len(node.args) <= position:
                continue
            argument = node.args[position]
            candidates = [argument.body, argument.orelse] if isinstance(argument, ast.IfExp) else [argument]
            codes.update(c.value for c in candidates if isinstance(c, ast.Constant) and isinstance(c.value, str))
    return codes


def test_every_emitted_code_has_a_message():
    codes = emitted_codes()

    assert len(codes) > 60
    assert codes - set(PROBLEM_MESSAGES) == set()


@pytest.mark.parametrize("code", sorted(PROBLEM_MESSAGES))
def test_message_formats_with_its_placeholders(code):
    placeholders = set(PLACEHOLDER.findall(PROBLEM_MESSAGES[code]._args[0]))
    problem = Problem(code, Severity.ERROR, "专家名册", 5, "列", "值", {name: f"<{name}>" for name in placeholders})

    message = format_problem(problem)
    assert "%(" not in message
    for name in placeholders - {"value", "column"}:
        assert f"<{name}>" in message


def test_message_shows_value_and_expected_check_character():
    problem = Problem("id_checksum", Severity.ERROR, "专家名册", 5, "身份证号码", "110101196503121230", {"expected": "X"})

    assert format_problem(problem) == "Invalid ID number 110101196503121230: checksum digit should be X."


def test_list_parameters_joined():
    problem = Problem("duplicate_id_number", Severity.ERROR, "专家名册", 5, "身份证号码", "1", {"rows": [7, 9]})

    assert "row 7, 9" in format_problem(problem)


def test_row_number_prefixed():
    problem = Problem("missing_value", Severity.ERROR, "专家名册", 5, "姓名", None, {})

    assert format_problem_at_row(problem) == "Row 5: 姓名 is empty."
    assert format_problem_at_row(Problem("empty_file", Severity.ERROR, params={"filename": "a.xlsx"})) == "The file a.xlsx is empty."


def test_unknown_code_still_renders():
    problem = Problem("something_new", Severity.WARNING, "专家名册", 5, "列", "值", {})

    assert format_problem(problem) == "Problem something_new with value 值."


def test_status_reasons_and_skipped_rows_render():
    for reason in StatusReason:
        assert format_status_reason(reason) != reason.value
    assert format_skipped_row(SkippedRow("专家名册", 7, "totals")) == "Totals row"


def test_problem_to_dict_is_plain_data():
    problem = Problem("duplicate_id_number", Severity.ERROR, "专家名册", 5, "身份证号码", "1", {"rows": [7]})

    assert problem.to_dict() == {
        "code": "duplicate_id_number",
        "severity": "error",
        "sheet": "专家名册",
        "row": 5,
        "column": "身份证号码",
        "value": "1",
        "params": {"rows": [7]},
    }


# Rejected rows ----------------------------------------------------------------------

GOOD = expert_row()
FLOAT_ID = expert_row(姓名="赵玉华", 身份证号码=1.10108198109074e17)
BAD_TITLE = expert_row(姓名="李四", 身份证号码=make_id(sequence="133"), 职称="首席专家")
CONFLICT = ["赵玉华", "110108198109074000", "单位", "北京卓信文书痕迹司法鉴定所", "曾任职", "2016年3月离职", None]


def rejected_sheets(data: bytes) -> dict[str, list[tuple[object, ...]]]:
    book = openpyxl.load_workbook(io.BytesIO(data))
    return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets}


def test_rejected_workbook_keeps_only_rejected_rows():
    source = roster_workbook([GOOD, FLOAT_ID, BAD_TITLE], 回避关系=[CONFLICT_HEADER, CONFLICT])
    result = parse_roster(source, "roster.xlsx", AS_OF)

    sheets = rejected_sheets(rejected_rows_workbook(result, source))

    assert list(sheets) == ["专家名册", "回避关系"]
    roster = sheets["专家名册"]
    assert roster[0] == (*HEADER, "错误原因")
    assert [row[1] for row in roster[1:]] == ["赵玉华", "李四"]
    assert roster[1][HEADER.index("身份证号码")] == "1.10108198109074e+17"
    assert roster[1][-1].startswith("Row 4: Excel turned ID number 1.10108198109074e+17 into a number")
    assert roster[2][HEADER.index("聘期起始")] == dt.datetime(2024, 1, 1)
    assert sheets["回避关系"][1][:2] == ("赵玉华", "110108198109074000")


def test_rejected_workbook_formats_ids_as_text():
    source = roster_workbook([FLOAT_ID])
    result = parse_roster(source, "roster.xlsx", AS_OF)

    book = openpyxl.load_workbook(io.BytesIO(rejected_rows_workbook(result, source)))
    id_cell = book["专家名册"].cell(row=2, column=HEADER.index("身份证号码") + 1)
    assert id_cell.number_format == "@"


def test_rejected_workbook_reimports_with_same_errors():
    source = roster_workbook([GOOD, FLOAT_ID, BAD_TITLE], 回避关系=[CONFLICT_HEADER, CONFLICT])
    first = parse_roster(source, "roster.xlsx", AS_OF)

    second = parse_roster(rejected_rows_workbook(first, source), "rejected.xlsx", AS_OF)

    assert [p.code for p in second.errors] == [p.code for p in first.errors]
    assert [p.code for p in second.problems if p.severity is not Severity.ERROR] == ["sheet_missing"]
    assert second.ignored_columns == []


def test_fixed_rejected_workbook_imports():
    source = roster_workbook([GOOD, FLOAT_ID, BAD_TITLE])
    first = parse_roster(source, "roster.xlsx", AS_OF)
    book = openpyxl.load_workbook(io.BytesIO(rejected_rows_workbook(first, source)))
    sheet = book["专家名册"]
    sheet.cell(row=2, column=HEADER.index("身份证号码") + 1).value = make_id("110108", "19810907", "401")
    sheet.cell(row=2, column=HEADER.index("出生年月") + 1).value = "1981.09"
    sheet.cell(row=3, column=HEADER.index("职称") + 1).value = "研究员"
    fixed = io.BytesIO()
    book.save(fixed)

    second = parse_roster(fixed.getvalue(), "fixed.xlsx", AS_OF)

    assert [e.name for e in second.experts] == ["赵玉华", "李四"]
    assert second.errors == []


def test_rejected_workbook_from_csv_named_by_kind():
    data = csv_text([GOOD, BAD_TITLE]).encode("utf-8")
    result = parse_roster(data, "roster.csv", AS_OF)

    sheets = rejected_sheets(rejected_rows_workbook(result, data))
    assert list(sheets) == ["专家名册"]
    assert len(sheets["专家名册"]) == 2


def test_rejected_workbook_of_registry():
    rows = [
        [1, "北京金盾司法鉴定中心", None, "1167815040", "法医临床", "顺义区", 0, "无"],
        [2, "北京金盾司法鉴定中心（普通合伙）", None, "1167815041", "法医临床", "顺义区", 0, "无"],
        [3, "北京京正法庭科学技术鉴定所", None, "1169958028", "法医临床", "石景山区", 0, "无"],
    ]
    source = registry_workbook(rows)
    result = parse_registry(source, "registry.xlsx")

    sheets = rejected_sheets(rejected_rows_workbook(result, source))
    assert [row[1] for row in sheets["鉴定机构名录"][1:]] == ["北京金盾司法鉴定中心", "北京金盾司法鉴定中心（普通合伙）"]
    assert parse_registry(rejected_rows_workbook(result, source), "again.xlsx").ignored_columns == []


def test_rejected_workbook_header_only_when_nothing_rejected():
    source = roster_workbook([GOOD])
    result = parse_roster(source, "roster.xlsx", AS_OF)

    assert rejected_sheets(rejected_rows_workbook(result, source)) == {"专家名册": [(*HEADER, "错误原因")]}
