"""Hostile or damaged input: formulas, zip bombs, huge numbers, long and invisible text."""

import datetime as dt
import io
import json
import zipfile

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from panel_service.experts import models as expert_models
from panel_service.institutions import models as institution_models
from panel_service.roster import limits, parse_registry, parse_roster, rejected, rejected_rows_workbook, tables
from panel_service.roster.experts import ROSTER_SHEET, parse_expert_row
from panel_service.roster.idcard import parse_id_number
from panel_service.roster.normalise import InvalidValue, clean_text, parse_whole_number, sanitise_text
from panel_service.roster.problems import RowReport
from panel_service.roster.tables import RawSheet, SourceError, build_table, load_sheets
from tests.test_roster_parsing import (
    AS_OF,
    CONFLICT_HEADER,
    FIRST_ROW,
    REGISTRY_HEADER,
    HEADER,
    UNAVAILABILITY_HEADER,
    codes_at,
    expert_row,
    make_id,
    parse,
    roster_rows,
    roster_workbook,
    workbook,
)
from tests.test_roster_registry import institution
from tests.test_roster_registry import parse as parse_institutions

# An ID whose integer is no double, so that it cannot have been rounded by a spreadsheet.
INTEGER_ID = make_id(sequence="135")
HYPERLINK = '=HYPERLINK("http://x","y")'
FORMULA_LIKE = [HYPERLINK, "=1+1", "+1", "-1", "@SUM(A1)", "#N/A"]


def problems_of(result, code):
    return [problem for problem in result.problems if problem.code == code]


# Formulas in the rejected-rows workbook ---------------------------------------------


def as_text_cells(data: bytes) -> bytes:
    """Return the workbook with every cell that openpyxl wrote as a formula stored as text."""
    book = openpyxl.load_workbook(io.BytesIO(data))
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    cell.data_type = "s"
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


def rejected_with_notes(notes: list[str]) -> tuple[bytes, bytes]:
    """Return a roster whose rows are rejected for their title, and its rejected-rows workbook."""
    rows = [
        expert_row(姓名=f"专家{i}", 身份证号码=make_id(sequence=f"{101 + 2 * i}"), 职称="首席专家", 备注=note)
        for i, note in enumerate(notes)
    ]
    source = as_text_cells(roster_workbook(rows))
    return source, rejected_rows_workbook(parse_roster(source, "roster.xlsx", AS_OF), source)


def test_rejected_workbook_writes_formulas_as_text():
    _, data = rejected_with_notes(FORMULA_LIKE)

    sheet = openpyxl.load_workbook(io.BytesIO(data))["专家名册"]
    column = HEADER.index("备注") + 1
    cells = [sheet.cell(row=row, column=column) for row in range(2, 2 + len(FORMULA_LIKE))]
    assert [cell.value for cell in cells] == FORMULA_LIKE
    assert [cell.data_type for cell in cells] == ["s"] * len(FORMULA_LIKE)


def test_rejected_workbook_has_no_formula_elements():
    _, data = rejected_with_notes(FORMULA_LIKE)

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheets = [archive.read(name).decode("utf-8") for name in archive.namelist() if name.startswith("xl/worksheets/")]
    assert sheets
    for xml in sheets:
        assert "<f>" not in xml
        assert 't="e"' not in xml


def test_rejected_workbook_quote_prefixes_formula_text():
    _, data = rejected_with_notes([HYPERLINK, "普通备注"])

    sheet = openpyxl.load_workbook(io.BytesIO(data))["专家名册"]
    column = HEADER.index("备注") + 1
    assert sheet.cell(row=2, column=column).quotePrefix
    assert not sheet.cell(row=3, column=column).quotePrefix


def test_fixed_formula_row_imports_same_text():
    _, data = rejected_with_notes([HYPERLINK])
    book = openpyxl.load_workbook(io.BytesIO(data))
    book["专家名册"].cell(row=2, column=HEADER.index("职称") + 1).value = "教授"
    fixed = io.BytesIO()
    book.save(fixed)

    result = parse_roster(fixed.getvalue(), "fixed.xlsx", AS_OF)

    assert [expert.note for expert in result.experts] == [HYPERLINK]


# Decompression bombs ----------------------------------------------------------------


def with_padded_sheet(data: bytes, padding: int) -> bytes:
    """Return the workbook with `padding` spaces of XML whitespace in its first sheet."""
    output = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as original, zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in original.namelist():
            content = original.read(name)
            if name == "xl/worksheets/sheet1.xml":
                content = content.replace(b"</sheetData>", b"</sheetData>" + b" " * padding)
            archive.writestr(name, content)
    return output.getvalue()


def test_highly_compressed_member_rejected():
    data = with_padded_sheet(roster_workbook([expert_row()]), 8 * 2**20)
    assert len(data) < 100_000

    with pytest.raises(SourceError) as caught:
        load_sheets(data, "bomb.xlsx")
    (problem,) = caught.value.problems
    assert problem.code == "workbook_compression_too_high"
    assert problem.params["member"] == "xl/worksheets/sheet1.xml"
    assert problem.params["ratio"] > tables.MAX_COMPRESSION_RATIO


def test_bomb_is_an_error_of_the_parse():
    data = with_padded_sheet(roster_workbook([expert_row()]), 8 * 2**20)

    result = parse_roster(data, "bomb.xlsx", AS_OF)

    assert result.experts == []
    assert [problem.code for problem in result.errors] == ["workbook_compression_too_high"]


def test_total_uncompressed_size_limited(monkeypatch):
    monkeypatch.setattr(tables, "MAX_UNCOMPRESSED_BYTES", 2**20)
    data = with_padded_sheet(roster_workbook([expert_row()]), 2**20)

    with pytest.raises(SourceError) as caught:
        load_sheets(data, "large.xlsx")
    (problem,) = caught.value.problems
    assert problem.code == "workbook_too_large"
    assert problem.params == {"filename": "large.xlsx", "size_mb": "1", "limit_mb": "1"}


def test_ordinary_padding_accepted():
    # Under 1 MB, a well-compressed part is not judged by its ratio.
    data = with_padded_sheet(roster_workbook([expert_row()]), 2**19)

    assert [expert.name for expert in parse_roster(data, "roster.xlsx", AS_OF).experts] == ["张三"]


def test_truncated_zip_stays_unreadable():
    with pytest.raises(SourceError) as caught:
        load_sheets(roster_workbook([expert_row()])[:300], "roster.xlsx")
    assert [problem.code for problem in caught.value.problems] == ["unreadable_workbook"]


def test_lzma_member_rejected():
    # zipfile inflates LZMA chunks without a bound, and Excel never writes them.
    output = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(roster_workbook([expert_row()]))) as original, zipfile.ZipFile(output, "w", zipfile.ZIP_LZMA) as archive:
        for name in original.namelist():
            archive.writestr(name, original.read(name))

    with pytest.raises(SourceError) as caught:
        load_sheets(output.getvalue(), "roster.xlsx")
    (problem,) = caught.value.problems
    assert problem.code == "unreadable_workbook"
    assert "compression method 14" in problem.params["error"]


# ID numbers stored as exact integers ------------------------------------------------


def test_exact_integer_id_accepted():
    parsed = parse_id_number(int(INTEGER_ID))

    assert parsed.number == INTEGER_ID
    assert parsed.stored_as_number
    assert not parsed.reformatted


def test_text_id_not_marked_as_number():
    assert not parse_id_number(make_id()).stored_as_number


@pytest.mark.parametrize("value", [110108198109074000, 310104197009169920, int(1.10101196503121e17), int(float(INTEGER_ID))])
def test_integer_that_is_a_double_rejected(value):
    with pytest.raises(InvalidValue) as caught:
        parse_id_number(value)
    assert caught.value.code == "id_number_may_be_rounded"


def test_integer_id_with_bad_checksum_reported():
    wrong = int(INTEGER_ID[:17] + "1")

    with pytest.raises(InvalidValue) as caught:
        parse_id_number(wrong)
    assert caught.value.code == "id_checksum"


# openpyxl writes numbers with 16 significant digits, so a marker number is written
# and then replaced in the XML by the 18 digits that another program would write.
MARKER = 424242


def with_integer_id(data: bytes) -> bytes:
    output = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as original, zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in original.namelist():
            content = original.read(name)
            if name.startswith("xl/worksheets/"):
                content = content.replace(f"<v>{MARKER}</v>".encode(), f"<v>{INTEGER_ID}</v>".encode())
            archive.writestr(name, content)
    return output.getvalue()


def test_marker_becomes_integer_cell():
    data = with_integer_id(roster_workbook([expert_row(身份证号码=MARKER)]))

    (sheet, *_) = load_sheets(data, "roster.xlsx")
    assert sheet.rows[2][1][HEADER.index("身份证号码")] == int(INTEGER_ID)


def test_roster_integer_id_imported_with_warning():
    data = with_integer_id(roster_workbook([expert_row(身份证号码=MARKER, 司法鉴定人执业证号="114245257709")]))
    result = parse_roster(data, "roster.xlsx", AS_OF)

    assert [expert.id_number for expert in result.experts] == [INTEGER_ID]
    assert codes_at(result, FIRST_ROW) == {"id_stored_as_number"}
    assert problems_of(result, "id_stored_as_number")[0].column == "身份证号码"


def test_conflict_integer_id_imported_with_warning():
    row = ["张三", MARKER, "单位", "北京卓信文书痕迹司法鉴定所", "曾任职", "2016年3月离职", None]
    data = with_integer_id(roster_workbook([expert_row(身份证号码=INTEGER_ID)], 回避关系=[CONFLICT_HEADER, row]))
    result = parse_roster(data, "roster.xlsx", AS_OF)

    assert [conflict.expert_id_number for conflict in result.conflicts] == [INTEGER_ID]
    assert codes_at(result, 2, "回避关系") == {"id_stored_as_number"}


def test_rejected_workbook_writes_integer_id_as_text():
    source = with_integer_id(roster_workbook([expert_row(身份证号码=MARKER, 司法鉴定人执业证号="114245257709", 职称="首席专家")]))
    result = parse_roster(source, "roster.xlsx", AS_OF)

    sheet = openpyxl.load_workbook(io.BytesIO(rejected_rows_workbook(result, source)))["专家名册"]
    assert sheet.cell(row=2, column=HEADER.index("身份证号码") + 1).value == INTEGER_ID


# Values longer than their columns ---------------------------------------------------


def test_limits_match_database_columns():
    experts = expert_models.Expert.__table__.c
    conflicts = expert_models.Conflict.__table__.c
    institutions = institution_models.Institution.__table__.c

    assert experts.name.type.length == limits.EXPERT_NAME
    assert experts.employer_name.type.length == limits.EMPLOYER_NAME
    assert experts.employer_key.type.length == limits.EMPLOYER_NAME
    assert experts.title.type.length == limits.TITLE
    assert experts.recommendation.type.length == limits.RECOMMENDATION
    assert experts.phone.type.length == limits.PHONE
    assert experts.email.type.length == limits.EMAIL
    assert experts.note.type.length == limits.NOTE
    assert conflicts.relation_text.type.length == limits.RELATION_TEXT
    assert conflicts.note.type.length == limits.CONFLICT_NOTE
    assert conflicts.institution_key.type.length == limits.INSTITUTION_KEY
    assert expert_models.Unavailability.__table__.c.reason.type.length == limits.UNAVAILABILITY_REASON
    assert institutions.name.type.length == limits.INSTITUTION_NAME
    assert institutions.name_key.type.length == limits.INSTITUTION_NAME
    assert institutions.district.type.length == limits.DISTRICT


def test_licence_and_credit_code_formats_fit_columns():
    # These values are not length-checked: their formats allow at most 20 characters.
    experts = expert_models.Expert.__table__.c
    institutions = institution_models.Institution.__table__.c

    assert experts.licence_number.type.length >= 20
    assert institutions.licence_number.type.length >= 20
    assert institutions.credit_code.type.length >= 18


EXPERT_TEXTS = [
    ("姓名", "张" * (limits.EXPERT_NAME + 1), limits.EXPERT_NAME),
    ("工作单位", "北京" + "某" * limits.EMPLOYER_NAME, limits.EMPLOYER_NAME),
    ("职称", "教授" * (limits.TITLE // 2 + 1), limits.TITLE),
    ("推荐方式", "专业委员会推荐" + "。" * limits.RECOMMENDATION, limits.RECOMMENDATION),
    ("电子邮箱", "z" * limits.EMAIL + "@example.com", limits.EMAIL),
    ("备注", "备" * (limits.NOTE + 1), limits.NOTE),
]


@pytest.mark.parametrize(("column", "text", "maximum"), EXPERT_TEXTS, ids=[case[0] for case in EXPERT_TEXTS])
def test_long_expert_value_rejects_row(column, text, maximum):
    result = parse([expert_row(**{column: text})])

    assert result.experts == []
    (problem,) = problems_of(result, "value_too_long")
    assert problem.column == column
    assert problem.params == {"maximum": maximum, "length": len(text)}


@pytest.mark.parametrize(
    ("column", "text"),
    [("姓名", "张" * limits.EXPERT_NAME), ("备注", "备" * limits.NOTE), ("电子邮箱", "z" * (limits.EMAIL - 12) + "@example.com")],
)
def test_value_of_maximum_length_imported(column, text):
    result = parse([expert_row(**{column: text})])

    assert len(result.experts) == 1
    assert problems_of(result, "value_too_long") == []


def test_employer_key_longer_than_name_rejected():
    # NFKC turns each ㈱ into (株), so the matching key is three times longer.
    name = "㈱" * 100
    result = parse([expert_row(工作单位=name)])

    assert result.experts == []
    assert [problem.params["length"] for problem in problems_of(result, "value_too_long")] == [300]


def test_long_phone_dropped_not_stored():
    result = parse([expert_row(手机="1" * 40)])

    assert result.experts[0].phone is None
    assert codes_at(result, FIRST_ROW) == {"invalid_phone"}


def test_long_licence_dropped_not_stored():
    result = parse([expert_row(司法鉴定人执业证号="A" * 40)])

    assert result.experts[0].licence_number is None
    assert codes_at(result, FIRST_ROW) == {"invalid_licence_number"}


CONFLICT_TEXTS = [
    (3, "单" * (limits.INSTITUTION_KEY + 1), limits.INSTITUTION_KEY, "回避对象"),
    (4, "曾任职" + "。" * limits.RELATION_TEXT, limits.RELATION_TEXT, "关系"),
    (5, "2016年3月离职" + "。" * limits.CONFLICT_NOTE, limits.CONFLICT_NOTE, "说明"),
    (6, "备" * (limits.CONFLICT_NOTE + 1), limits.CONFLICT_NOTE, "备注"),
]


@pytest.mark.parametrize(("position", "text", "maximum", "column"), CONFLICT_TEXTS, ids=[case[3] for case in CONFLICT_TEXTS])
def test_long_conflict_value_rejects_row(position, text, maximum, column):
    row: list[object] = ["张三", make_id(), "单位", "北京卓信文书痕迹司法鉴定所", "曾任职", "2016年3月离职", None]
    row[position] = text
    result = parse_roster(roster_workbook([expert_row()], 回避关系=[CONFLICT_HEADER, row]), "roster.xlsx", AS_OF)

    assert result.conflicts == []
    (problem,) = problems_of(result, "value_too_long")
    assert (problem.column, problem.params["maximum"]) == (column, maximum)


@pytest.mark.parametrize(("header", "maximum"), [("原因", limits.UNAVAILABILITY_REASON), ("备注", limits.NOTE)])
def test_long_unavailability_value_rejects_row(header, maximum):
    row = {"专家姓名": "张三", "身份证号码": make_id(), "开始日期": "2026-12-01", "结束日期": "2026-12-31", header: "假" * (maximum + 1)}
    columns = [*UNAVAILABILITY_HEADER, "备注"]
    sheet = [columns, [row.get(column) for column in columns]]
    result = parse_roster(roster_workbook([expert_row()], 不可用时段=sheet), "roster.xlsx", AS_OF)

    assert result.unavailability == []
    (problem,) = problems_of(result, "value_too_long")
    assert (problem.column, problem.params) == (header, {"maximum": maximum, "length": maximum + 1})


@pytest.mark.parametrize(
    ("header", "text", "maximum"),
    [("机构名称", "北京" + "某" * limits.INSTITUTION_NAME, limits.INSTITUTION_NAME), ("所在区", "区" * (limits.DISTRICT + 1), limits.DISTRICT)],
    ids=["name", "district"],
)
def test_long_registry_value_rejects_row(header, text, maximum):
    result = parse_institutions(institution(**{header: text}))

    assert result.institutions == []
    (problem,) = problems_of(result, "value_too_long")
    assert (problem.column, problem.params) == (header, {"maximum": maximum, "length": len(text)})


def test_long_registry_note_rejects_row():
    rows = [[*REGISTRY_HEADER, "备注"], [*institution(), "备" * (limits.NOTE + 1)]]

    result = parse_registry(workbook({"鉴定机构名录": rows}), "registry.xlsx")

    assert result.institutions == []
    (problem,) = problems_of(result, "value_too_long")
    assert (problem.column, problem.params) == ("备注", {"maximum": limits.NOTE, "length": limits.NOTE + 1})


def test_long_cell_shortened_in_problem():
    result = parse([expert_row(备注="备" * 100_000)])

    (problem,) = problems_of(result, "value_too_long")
    assert len(problem.value) <= 201


# Whole numbers ----------------------------------------------------------------------


@pytest.mark.parametrize("written", [10**30, "1" + "0" * 30, "9" * 5000, 100_001, -1, "-1", 1e300])
def test_complaint_count_out_of_range_rejects_row(written):
    result = parse_institutions(institution(近三年投诉件数=written))

    assert result.institutions == []
    assert [problem.code for problem in result.errors] == ["number_out_of_range"]
    assert (result.errors[0].params["minimum"], result.errors[0].params["maximum"]) == (0, 100_000)


def test_complaint_count_at_maximum_accepted():
    result = parse_institutions(institution(近三年投诉件数=100_000))

    assert result.institutions[0].complaints_last_3_years == 100_000


@pytest.mark.parametrize("written", [10**30, "9" * 5000, -3])
def test_years_of_service_out_of_range_rejected(written):
    result = parse([expert_row(从事鉴定相关工作年限=written)])

    assert result.experts == []
    assert codes_at(result, FIRST_ROW) == {"number_out_of_range"}


def test_long_digit_string_out_of_range():
    # int() refuses strings of more than 4300 digits with a plain ValueError.
    with pytest.raises(InvalidValue) as caught:
        parse_whole_number("9" * 5000)
    assert caught.value.code == "number_out_of_range"


def test_leading_zeros_do_not_count():
    assert parse_whole_number("0" * 5000 + "7") == 7


@pytest.mark.parametrize("value", [-3, "-3", -3.0, 1_000_001, 1e7])
def test_whole_number_bounds(value):
    with pytest.raises(InvalidValue) as caught:
        parse_whole_number(value)
    assert caught.value.code == "number_out_of_range"


# Invisible and control characters ---------------------------------------------------

INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"]


@pytest.mark.parametrize("character", INVISIBLE, ids=[f"U+{ord(c):04X}" for c in INVISIBLE])
def test_invisible_character_removed_from_name(character):
    result = parse([expert_row(姓名=f"张{character}三")])

    assert [expert.name for expert in result.experts] == ["张三"]
    assert codes_at(result, FIRST_ROW) == {"invisible_characters_removed"}
    assert problems_of(result, "invisible_characters_removed")[0].column == "姓名"


def test_invisible_characters_removed_from_id_and_employer():
    result = parse([expert_row(身份证号码=f"\u2066{make_id()}\u200b\u2069", 工作单位="北京金盾\u202e司法鉴定中心")])

    expert = result.experts[0]
    assert expert.id_number == make_id()
    assert expert.employer_name == "北京金盾司法鉴定中心"
    assert {(p.column, p.code) for p in result.problems} == {
        ("身份证号码", "invisible_characters_removed"),
        ("工作单位", "invisible_characters_removed"),
    }


def test_header_with_invisible_character_matched():
    header = ["姓\u200b名" if column == "姓名" else column for column in HEADER]
    data = roster_workbook([{**expert_row(), "姓\u200b名": "张三"}], header)

    result = parse_roster(data, "roster.xlsx", AS_OF)

    assert [expert.name for expert in result.experts] == ["张三"]
    assert result.ignored_columns == []


def test_cell_of_invisible_characters_is_blank():
    result = parse([expert_row(备注="\u200b\u200b")])

    assert result.experts[0].note is None


@pytest.mark.parametrize("control", ["\x7f", "\x85", "\x9f"])
def test_control_character_removed_from_workbook_cell(control):
    result = parse([expert_row(备注=f"备{control}注")])

    assert result.experts[0].note == "备注"
    assert codes_at(result, FIRST_ROW) == {"control_characters_removed"}


def parse_raw_rows(rows: list[dict[str, object]]):
    """Parse roster rows that no file could carry, such as a NUL or a lone surrogate."""
    sheet = RawSheet("专家名册", [(number, tuple(cells)) for number, cells in enumerate(roster_rows(rows), start=1)])
    table = build_table(sheet, ROSTER_SHEET)
    return [parse_expert_row(RowReport.for_row(table.sheet, table.headers, row), row, AS_OF, None) for row in table.rows]


@pytest.mark.parametrize("control", ["\x00", "\x01", "\x08", "\x0b", "\x1f"])
def test_control_character_removed_from_any_cell(control):
    (parsed,) = parse_raw_rows([expert_row(姓名=f"张{control}三", 备注=f"备{control}注")])

    assert (parsed.expert.name, parsed.expert.note) == ("张三", "备注")
    assert {(p.column, p.code) for p in parsed.report.problems} == {
        ("姓名", "control_characters_removed"),
        ("备注", "control_characters_removed"),
    }


# Lone surrogates --------------------------------------------------------------------


def test_lone_surrogate_rejects_row():
    (parsed,) = parse_raw_rows([expert_row(姓名="张\ud800三")])

    assert parsed.expert is None
    (problem,) = parsed.report.problems
    assert (problem.code, problem.column) == ("invalid_unicode", "姓名")
    assert problem.value == "张\ufffd三"


def test_problems_of_lone_surrogate_encode():
    (parsed,) = parse_raw_rows([expert_row(姓名="\udcff", 职称="\udc80首席", 备注="\ud800")])

    text = json.dumps([problem.to_dict() for problem in parsed.report.problems], ensure_ascii=False)
    assert isinstance(text.encode("utf-8"), bytes)
    assert parsed.name == "\ufffd"


def test_rejected_workbook_of_unsafe_cells_saves(monkeypatch):
    rows = [expert_row(姓名="张\ud800三", 备注="备\x00注"), expert_row(姓名="李四", 身份证号码=make_id(sequence="135"), 职称="首席专家", 备注="\x01=1+1")]
    sheets = [RawSheet("专家名册", [(number, tuple(cells)) for number, cells in enumerate(roster_rows(rows), start=1)])]
    monkeypatch.setattr("panel_service.roster.parsing.load_sheets", lambda source, filename: sheets)
    monkeypatch.setattr(rejected, "load_sheets", lambda source, filename: sheets)
    result = parse_roster(b"", "roster.xlsx", AS_OF)

    data = rejected_rows_workbook(result, b"")

    cells = list(openpyxl.load_workbook(io.BytesIO(data))["专家名册"].iter_rows(min_row=2, values_only=True))
    assert [row[HEADER.index("姓名")] for row in cells] == ["张\ufffd三", "李四"]
    assert [row[HEADER.index("备注")] for row in cells] == ["备注", "=1+1"]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=()), max_size=40))
def test_cleaned_text_always_encodes(text):
    cleaned = clean_text(text)

    assert cleaned is None or isinstance(cleaned.encode("utf-8"), bytes)
    assert isinstance(sanitise_text(text).text.encode("utf-8"), bytes)


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=()), max_size=20), st.text(alphabet=st.characters(blacklist_categories=()), max_size=20))
def test_any_text_gives_encodable_problems(name, note):
    (parsed,) = parse_raw_rows([expert_row(姓名=name, 备注=note)])

    report = json.dumps([problem.to_dict() for problem in parsed.report.problems], ensure_ascii=False)
    assert isinstance(report.encode("utf-8"), bytes)
    if parsed.expert is not None:
        assert isinstance(parsed.expert.name.encode("utf-8"), bytes)
        assert isinstance((parsed.expert.note or "").encode("utf-8"), bytes)


def test_csv_with_control_character_still_rejected_as_binary():
    # A CSV file is decoded as a whole, and control characters there mean a wrong
    # encoding, so the file is rejected before any cell is read.
    data = "姓名,身份证号码\n张\x00三,1\n".encode("utf-8")

    result = parse_roster(data, "roster.csv", AS_OF)
    assert [problem.code for problem in result.errors] == ["undecodable_text"]


def test_date_cells_untouched_by_cleaning():
    result = parse([expert_row(聘期起始=dt.datetime(2024, 1, 1))])

    assert result.experts[0].term_start == dt.date(2024, 1, 1)
    assert result.problems == []
