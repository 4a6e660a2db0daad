"""Reading sheets: formats, header detection and row numbers."""

import datetime as dt
import io
import random
import zipfile

import pytest

from panel_service.roster import parse_registry, parse_roster
from panel_service.roster.tables import (
    ColumnSpec,
    SheetSpec,
    SourceError,
    build_table,
    header_key,
    load_sheets,
)
from tests.test_roster_parsing import workbook

SPEC = SheetSpec(
    "名单",
    (
        ColumnSpec("name", ("姓名",), required=True),
        ColumnSpec("id_number", ("身份证号码", "身份证号"), required=True),
        ColumnSpec("group", ("专业组",), required=True),
        ColumnSpec("note", ("备注",)),
        ColumnSpec("sex", ("性别",)),
    ),
)


def table_from_csv(text: str, encoding: str = "utf-8"):
    (sheet,) = load_sheets(text.encode(encoding), "list.csv")
    return build_table(sheet, SPEC)


def test_header_key_ignores_width_spaces_and_marks():
    assert header_key(" 身份证 号码* ") == header_key("身份证号码")
    assert header_key("Ｅ－ｍａｉｌ：") == "e-mail"


def test_header_note_in_brackets_ignored():
    assert SPEC.field_for("身份证号码（18位）") == "id_number"
    assert SPEC.field_for("专业组(必填)") == "group"


def test_csv_rows_numbered_by_record():
    table = table_from_csv('姓名,身份证号码,专业组,备注\n张三,1,文书,"两行\n备注"\n李四,2,痕迹,\n')

    assert [row.number for row in table.rows] == [2, 3]
    assert table.rows[0].values["note"] == "两行\n备注"


def test_tab_separated_text_read():
    table = table_from_csv("姓名\t身份证号码\t专业组\n张三\t1\t文书\n")

    assert table.rows[0].values == {"name": "张三", "id_number": "1", "group": "文书"}


def test_trailing_blank_rows_not_reported():
    data = workbook({"名单": [["姓名", "身份证号码", "专业组"], ["张三", "1", "文书"], [None, None], [" ", None]]})
    (sheet,) = load_sheets(data, "list.xlsx")
    table = build_table(sheet, SPEC)

    assert [row.number for row in table.rows] == [2]
    assert table.skipped_rows == []


def test_header_beyond_search_rows_not_found():
    rows = [[f"说明 {i}"] for i in range(20)] + [["姓名", "身份证号码", "专业组"], ["张三", "1", "文书"]]
    (sheet,) = load_sheets(workbook({"名单": rows}), "list.xlsx")

    with pytest.raises(SourceError) as caught:
        build_table(sheet, SPEC)
    assert [p.code for p in caught.value.problems] == ["header_not_found"]


def test_all_missing_columns_reported_together():
    (sheet,) = load_sheets(workbook({"名单": [["姓名", "备注", "性别"], ["张三", None, "男"]]}), "list.xlsx")

    with pytest.raises(SourceError) as caught:
        build_table(sheet, SPEC)
    assert [p.params["column"] for p in caught.value.problems] == ["身份证号码", "专业组"]


def test_header_needs_three_known_columns():
    # A title row that happens to contain one header word is not the header.
    rows = [["姓名登记表"], ["姓名"], ["姓名", "身份证号", "专业组"], ["张三", "1", "文书"]]
    (sheet,) = load_sheets(workbook({"名单": rows}), "list.xlsx")
    table = build_table(sheet, SPEC)

    assert table.header_row == 3
    assert [(s.row, s.reason) for s in table.skipped_rows] == [(1, "title"), (2, "title")]


def test_numbers_and_dates_keep_their_types():
    data = workbook({"名单": [["姓名", "身份证号码", "专业组", "备注"], ["张三", 1.5e17, "文书", dt.datetime(2024, 1, 1)]]})
    (sheet,) = load_sheets(data, "list.xlsx")
    values = build_table(sheet, SPEC).rows[0].values

    assert values["id_number"] == 1.5e17
    assert values["note"] == dt.datetime(2024, 1, 1)


def test_damaged_workbook_reported():
    original = zipfile.ZipFile(io.BytesIO(workbook({"名单": [["姓名", "身份证号码", "专业组"], ["张三", "1", "文书"]]})))
    damaged = io.BytesIO()
    with zipfile.ZipFile(damaged, "w") as archive:
        for name in original.namelist():
            content = original.read(name)
            archive.writestr(name, content[:-20] if name.startswith("xl/worksheets/") else content)

    with pytest.raises(SourceError) as caught:
        load_sheets(damaged.getvalue(), "list.xlsx")
    assert [p.code for p in caught.value.problems] == ["unreadable_workbook"]
    assert caught.value.problems[0].params["error"].startswith("ParseError")


def test_oversized_csv_field_reported():
    data = ("姓名,身份证号码,专业组\n" + '"' + "x" * 200_000 + '",1,文书\n').encode("utf-8")

    with pytest.raises(SourceError) as caught:
        load_sheets(data, "list.csv")
    assert [(p.code, p.params["row"]) for p in caught.value.problems] == [("unreadable_csv", 2)]


def test_damaged_bytes_never_raise():
    original = workbook({"名单": [["姓名", "身份证号码", "专业组"], ["张三", "1", "文书"]]})
    generator = random.Random(7)
    for _ in range(40):
        damaged = bytearray(original)
        for _ in range(generator.randint(1, 10)):
            damaged[generator.randrange(len(damaged))] = generator.randrange(256)

        roster = parse_roster(bytes(damaged), "list.xlsx", dt.date(2026, 12, 1))
        registry = parse_registry(bytes(damaged), "list.xlsx")

        # The sheet fits neither parser, so each reports an error whether or not the
        # damage left the file readable.
        assert roster.errors
        assert registry.errors
