"""Roster sheet parsing, one test per defect kind, on workbooks built in memory.

The builders at the top are shared with the other test_roster_* files.
"""

import codecs
import re
import datetime as dt
import io

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from panel_service.roster import ExpertStatus, RosterParse, Severity, format_problem, parse_registry, parse_roster
from panel_service.roster.experts import ROSTER_SHEET, parse_expert_row
from panel_service.roster.idcard import check_character
from panel_service.roster.problems import RowReport
from panel_service.roster.tables import SourceRow

AS_OF = dt.date(2026, 12, 1)

HEADER = [
    "序号", "姓名", "性别", "出生年月", "身份证号码", "工作单位", "单位类别", "职称", "从事鉴定相关工作年限",
    "司法鉴定人执业证号", "子库", "专业组", "推荐方式", "聘期起始", "聘期截止", "手机", "电子邮箱", "备注",
]
CONFLICT_HEADER = ["专家姓名", "身份证号码", "回避对象类型", "回避对象", "关系", "说明", "备注"]
UNAVAILABILITY_HEADER = ["专家姓名", "身份证号码", "开始日期", "结束日期", "原因"]
REGISTRY_HEADER = ["序号", "机构名称", "统一社会信用代码", "司法鉴定许可证号", "执业类别", "所在区", "近三年投诉件数", "近三年行政处罚或行业惩戒"]

# The parser's field for each header of HEADER.
FIELDS = [ROSTER_SHEET.field_for(column) for column in HEADER]
# With a title row, the header is row 2 and the first data row is row 3.
FIRST_ROW = 3


def make_id(region: str = "110101", birth: str = "19650312", sequence: str = "123") -> str:
    first_17 = region + birth + sequence
    return first_17 + check_character(first_17)


def expert_row(**changes: object) -> dict[str, object]:
    """A valid, active roster row for a man born 1965-03-12; `changes` replace cells."""
    row: dict[str, object] = {
        "序号": 1,
        "姓名": "张三",
        "性别": "男",
        "出生年月": "1965.03",
        "身份证号码": make_id(),
        "工作单位": "北京金盾司法鉴定中心",
        "单位类别": "司法鉴定机构",
        "职称": "教授",
        "从事鉴定相关工作年限": 30,
        "子库": "法医类",
        "专业组": "法医临床",
        "推荐方式": "专业委员会推荐",
        "聘期起始": dt.datetime(2024, 1, 1),
        "聘期截止": dt.datetime(2028, 12, 31),
        "手机": "13800000000",
        "电子邮箱": "zhang@example.com",
        "备注": None,
    }
    row.update(changes)
    # A licence number derived from the ID, so that rows of different experts differ.
    number = row["身份证号码"]
    if "司法鉴定人执业证号" not in changes:
        row["司法鉴定人执业证号"] = "1" + number[6:17] if isinstance(number, str) and len(number) == 18 else "114245257709"
    return row


def workbook(sheets: dict[str, list[list[object]]]) -> bytes:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


def roster_rows(rows: list[dict[str, object]], header: list[str] = HEADER, title: bool = True) -> list[list[object]]:
    lines: list[list[object]] = [["北京司法鉴定业协会司法鉴定专家库专家名册"]] if title else []
    lines.append(header)
    lines.extend([row.get(column) for column in header] for row in rows)
    return lines


def roster_workbook(rows: list[dict[str, object]], header: list[str] = HEADER, **sheets: list[list[object]]) -> bytes:
    """A roster workbook; the conflict and unavailability sheets default to headers only."""
    defaults = {"回避关系": [CONFLICT_HEADER], "不可用时段": [UNAVAILABILITY_HEADER]}
    return workbook({"专家名册": roster_rows(rows, header), **defaults, **sheets})


def parse(rows: list[dict[str, object]], **kwargs: object) -> RosterParse:
    return parse_roster(roster_workbook(rows), "roster.xlsx", kwargs.pop("as_of", AS_OF), **kwargs)


def codes_at(result: RosterParse, row: int, sheet: str | None = "专家名册") -> set[str]:
    return {problem.code for problem in result.problems_at(sheet, row)}


def registry_workbook(rows: list[list[object]]) -> bytes:
    return workbook({"鉴定机构名录": [REGISTRY_HEADER, *rows]})


def assert_rows_accounted(result: RosterParse, sheet: str, rows: set[int], imported: set[int]) -> None:
    """Every row in `rows` is imported, rejected or skipped, and only one of these."""
    rejected = {row for s, row in result.rejected_rows if s == sheet}
    skipped = {skipped.row for skipped in result.skipped_rows if skipped.sheet == sheet}
    assert imported | rejected | skipped == rows
    assert not imported & rejected
    assert not imported & skipped
    assert not rejected & skipped


# Header and layout ----------------------------------------------------------------


def test_header_found_below_title_row():
    result = parse([expert_row()])

    assert [e.source_row for e in result.experts] == [FIRST_ROW]
    assert [(s.row, s.reason) for s in result.skipped_rows] == [(1, "title")]
    assert result.problems == []


def test_merged_title_row_skipped():
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "专家名册"
    sheet.append(["专家名册（2026年12月）"])
    sheet.merge_cells("A1:R1")
    sheet.append(HEADER)
    sheet.append([expert_row().get(c) for c in HEADER])
    output = io.BytesIO()
    book.save(output)

    result = parse_roster(output.getvalue(), "roster.xlsx", AS_OF)

    assert len(result.experts) == 1
    assert result.experts[0].source_row == 3


def test_header_synonyms_order_and_spaces():
    header = ["公民身份号码", "姓 名", "工作单位", "职称", "工作年限", "专业组", "出生日期", "ｅｍａｉｌ", "聘期起始", "聘期截止"]
    row = {
        "公民身份号码": make_id(),
        "姓 名": "张 三",
        "工作单位": "北京金盾司法鉴定中心",
        "职称": "教授",
        "工作年限": "30年",
        "专业组": "法医临床",
        "出生日期": "1965-03-12",
        "ｅｍａｉｌ": "zhang@example.com",
        "聘期起始": dt.datetime(2024, 1, 1),
        "聘期截止": dt.datetime(2028, 12, 31),
    }
    result = parse_roster(roster_workbook([row], header), "r.xlsx", AS_OF)

    expert = result.experts[0]
    assert expert.name == "张三"
    assert expert.years_of_service == 30
    assert expert.email == "zhang@example.com"
    assert result.errors == []


def test_header_with_inner_space_and_full_width():
    header = [h.replace("身份证号码", "身份证 号码").replace("职称", "职　称") for h in HEADER]
    rows = [{h: v for h, v in zip(header, (expert_row().get(c) for c in HEADER))}]

    result = parse_roster(roster_workbook(rows, header), "r.xlsx", AS_OF)

    assert len(result.experts) == 1
    assert result.problems == []


def test_unknown_column_ignored_and_reported():
    header = [*HEADER, "政治面貌"]
    result = parse_roster(roster_workbook([expert_row(政治面貌="群众")], header), "r.xlsx", AS_OF)

    assert len(result.experts) == 1
    assert [(c.header, c.position) for c in result.ignored_columns] == [("政治面貌", 19)]
    assert [(p.code, p.severity, p.column) for p in result.problems] == [("unknown_column", Severity.INFO, "政治面貌")]


def test_unnamed_column_with_data_reported():
    rows = roster_rows([expert_row()])
    rows[2].extend([None, "多余的数据"])
    result = parse_roster(workbook({"专家名册": rows, "回避关系": [CONFLICT_HEADER], "不可用时段": [UNAVAILABILITY_HEADER]}), "r.xlsx", AS_OF)

    assert [(c.header, c.position) for c in result.ignored_columns] == [("", 20)]
    assert [p.code for p in result.problems] == ["unnamed_column"]


def test_missing_required_column_is_sheet_error():
    header = [h for h in HEADER if h != "职称"]
    result = parse_roster(workbook({"专家名册": roster_rows([expert_row()], header)}), "r.xlsx", AS_OF)

    assert result.experts == []
    assert [(p.code, p.row, p.params["column"]) for p in result.errors] == [("missing_column", 2, "职称")]


def test_duplicate_column_is_sheet_error():
    header = [*HEADER, "身份证号"]
    result = parse_roster(workbook({"专家名册": roster_rows([expert_row(身份证号="x")], header)}), "r.xlsx", AS_OF)

    assert result.experts == []
    assert [p.code for p in result.errors] == ["duplicate_column"]


def test_no_header_row_is_sheet_error():
    result = parse_roster(workbook({"专家名册": [["说明"], ["张三", "教授"]]}), "r.xlsx", AS_OF)

    assert result.experts == []
    assert [p.code for p in result.errors] == ["header_not_found"]


def test_blank_and_totals_rows_skipped():
    rows = roster_rows([expert_row()])
    rows.append([None] * len(HEADER))
    rows.append([expert_row(身份证号码=make_id(sequence="125"), 姓名="李四").get(c) for c in HEADER])
    rows.append(["合计", "2人"])
    rows.append([None] * len(HEADER))
    result = parse_roster(workbook({"专家名册": rows}), "r.xlsx", AS_OF)

    assert [e.source_row for e in result.experts] == [3, 5]
    assert [(s.row, s.reason) for s in result.skipped_rows] == [(1, "title"), (4, "blank"), (6, "totals")]


def test_every_row_accounted_for():
    rows = [
        expert_row(),
        expert_row(身份证号码=1.10108198109074e17),
        expert_row(身份证号码=make_id(sequence="135"), 职称="主检法医师"),
        {},
        expert_row(身份证号码=make_id(sequence="145"), 专业组="不存在的组"),
    ]
    result = parse(rows)

    # Row 2 is the header.
    assert_rows_accounted(result, "专家名册", {1, 3, 4, 5, 6, 7}, {e.source_row for e in result.experts})


# ID numbers -------------------------------------------------------------------------


def test_id_stored_as_float_rejected():
    result = parse([expert_row(身份证号码=1.10108198109074e17)])

    assert result.experts == []
    problem = result.errors[0]
    assert (problem.code, problem.row, problem.column) == ("id_excel_number", FIRST_ROW, "身份证号码")
    assert problem.value == "1.10108198109074e+17"


def test_id_in_scientific_text_rejected():
    result = parse([expert_row(身份证号码="1.10108E+17")])

    assert result.experts == []
    assert codes_at(result, FIRST_ROW) == {"id_excel_number"}


@pytest.mark.parametrize("written", ["１１０１０１１９６５０３１２１２３{}", "110101 19650312123{}"])
def test_id_full_width_or_spaced_imported_with_warning(written):
    number = make_id()
    result = parse([expert_row(身份证号码=written.format(number[-1]))])

    assert result.experts[0].id_number == number
    assert codes_at(result, FIRST_ROW) == {"id_reformatted"}
    assert result.warnings[0].params == {"normalised": number}


def test_id_lower_case_x_upper_cased():
    number = make_id("110105", "19491231", "002")
    result = parse([expert_row(身份证号码=number.lower(), 出生年月="1949.12", 性别="女")])

    assert result.experts[0].id_number == "11010519491231002X"


def test_id_checksum_error_rejected():
    number = make_id()
    wrong = number[:17] + ("1" if number[17] != "1" else "2")
    result = parse([expert_row(身份证号码=wrong)])

    assert result.experts == []
    assert result.errors[0].code == "id_checksum"
    assert result.errors[0].params == {"value": wrong, "expected": number[17]}


def test_legacy_id_rejected():
    result = parse([expert_row(身份证号码="110105650312123")])

    assert codes_at(result, FIRST_ROW) == {"id_legacy_15"}
    assert result.experts == []


def test_same_id_in_two_groups_rejects_both():
    rows = [expert_row(), expert_row(子库="物证类", 专业组="文书")]
    result = parse(rows)

    assert result.experts == []
    assert [(p.row, p.code, p.params["rows"]) for p in result.errors] == [
        (3, "duplicate_id_number", [4]),
        (4, "duplicate_id_number", [3]),
    ]


# Person -----------------------------------------------------------------------------


def test_missing_sex_filled_from_id():
    result = parse([expert_row(性别=None)])

    assert result.experts[0].sex == "male"
    assert [(p.code, p.severity, p.params) for p in result.problems] == [("sex_filled_from_id", Severity.WARNING, {"sex": "男"})]


def test_sex_contradicting_id_rejected():
    result = parse([expert_row(性别="女")])

    assert result.experts == []
    assert result.errors[0].code == "sex_mismatch"
    assert result.errors[0].value == "女"


def test_unreadable_sex_filled_from_id():
    result = parse([expert_row(性别="未知")])

    assert result.experts[0].sex == "male"
    assert codes_at(result, FIRST_ROW) == {"invalid_sex"}


@pytest.mark.parametrize(
    "written",
    [dt.datetime(1965, 3, 12), "1965.03", "1965年3月", "196503", "1965/3", "1965-03-12", 196503, 23813, "1965年3月12日"],
)
def test_birth_date_forms_accepted(written):
    result = parse([expert_row(出生年月=written)])

    assert result.problems == []
    assert result.experts[0].birth_date == dt.date(1965, 3, 12)
    assert result.experts[0].birth_date_precision == "day"


@pytest.mark.parametrize("written", ["1965.04", "1966年3月", "1965-03-13", dt.datetime(1965, 3, 11)])
def test_birth_date_contradicting_id_rejected(written):
    result = parse([expert_row(出生年月=written)])

    assert result.experts == []
    assert result.errors[0].code == "birth_date_mismatch"
    assert result.errors[0].params == {"id_birth": "1965-03-12"}


def test_missing_birth_date_filled_from_id():
    result = parse([expert_row(出生年月=None)])

    assert result.experts[0].birth_date == dt.date(1965, 3, 12)
    assert codes_at(result, FIRST_ROW) == {"birth_date_filled_from_id"}


def test_unreadable_birth_date_uses_id():
    result = parse([expert_row(出生年月="六五年三月")])

    assert result.experts[0].birth_date == dt.date(1965, 3, 12)
    assert codes_at(result, FIRST_ROW) == {"birth_date_unreadable"}


def test_birth_after_as_of_rejected():
    result = parse([expert_row(身份证号码=make_id(birth="20270101"), 出生年月="2027.01")])

    assert result.experts == []
    assert codes_at(result, FIRST_ROW) == {"implausible_birth_date"}


def test_missing_name_rejected():
    result = parse([expert_row(姓名="  ")])

    assert result.experts == []
    assert [(p.code, p.column) for p in result.errors] == [("missing_value", "姓名")]


# Employment -------------------------------------------------------------------------


def test_employer_trailing_spaces_trimmed():
    result = parse([expert_row(工作单位="北京金盾司法鉴定中心  ")])

    expert = result.experts[0]
    assert expert.employer_name == "北京金盾司法鉴定中心"
    assert expert.employer_key == "北京金盾司法鉴定中心"
    assert result.problems == []


def test_employer_type_unknown_or_missing_warned():
    result = parse([expert_row(单位类别="民营企业"), expert_row(身份证号码=make_id(sequence="133"), 单位类别=None)])

    assert [e.employer_type for e in result.experts] == [None, None]
    assert codes_at(result, 3) == {"unknown_employer_type"}
    assert codes_at(result, 4) == {"employer_type_missing"}


def test_licence_missing_at_institution_warned():
    result = parse([expert_row(司法鉴定人执业证号=None)])

    assert result.experts[0].licence_number is None
    assert codes_at(result, FIRST_ROW) == {"licence_missing"}


def test_licence_number_read_from_number_cell():
    result = parse([expert_row(司法鉴定人执业证号=114245257709)])

    assert result.experts[0].licence_number == "114245257709"


def test_duplicate_licence_on_two_ids_warned():
    licence = "114245257709"
    rows = [expert_row(司法鉴定人执业证号=licence), expert_row(身份证号码=make_id(sequence="133"), 姓名="李四", 司法鉴定人执业证号=licence)]
    result = parse(rows)

    assert len(result.experts) == 2
    assert codes_at(result, 3) == {"duplicate_licence_number"}
    assert codes_at(result, 4) == {"duplicate_licence_number"}


def test_registry_checks_on_employers():
    registry = parse_registry(
        registry_workbook(
            [
                [1, "北京金盾司法鉴定中心（普通合伙）", "52110HDRJHTPQQFQQJ", "1167815040", "法医临床", "顺义区", 0, "无"],
                [2, "天津渤海司法鉴定中心", "52110G0D0J01M3LGCA", None, "法医临床", "天津（外省市）", 0, "无"],
            ]
        ),
        "registry.xlsx",
    )
    rows = [
        expert_row(),
        expert_row(身份证号码=make_id(sequence="133"), 工作单位="天津渤海司法鉴定中心", 司法鉴定人执业证号="1"),
        expert_row(身份证号码=make_id(sequence="143"), 工作单位="北京未登记司法鉴定所", 司法鉴定人执业证号=None),
        expert_row(身份证号码=make_id(sequence="153"), 单位类别="大专院校", 司法鉴定人执业证号=None),
    ]
    result = parse(rows, registry=registry)

    assert len(result.experts) == 4
    assert codes_at(result, 3) == set()
    assert codes_at(result, 4) == {"employer_out_of_province", "invalid_licence_number"}
    assert result.problems_at("专家名册", 4)[0].params == {"district": "天津（外省市）"}
    assert codes_at(result, 5) == {"employer_not_in_registry", "licence_missing"}
    assert codes_at(result, 6) == {"employer_type_mismatch"}


def test_unknown_title_rejected():
    result = parse([expert_row(职称="首席科学家")])

    assert result.experts == []
    assert [(p.code, p.value) for p in result.errors] == [("unknown_title", "首席科学家")]


@pytest.mark.parametrize(("written", "years"), [(24, 24), (24.0, 24), ("24", 24), ("24年", 24)])
def test_years_of_service_forms(written, years):
    result = parse([expert_row(从事鉴定相关工作年限=written)])

    assert result.experts[0].years_of_service == years


@pytest.mark.parametrize(("written", "code"), [("二十年", "invalid_number"), (1990, "years_of_service_out_of_range"), (None, "missing_value")])
def test_years_of_service_rejected(written, code):
    result = parse([expert_row(从事鉴定相关工作年限=written)])

    assert result.experts == []
    assert codes_at(result, FIRST_ROW) == {code}


def test_implausible_years_of_service_warned():
    result = parse([expert_row(从事鉴定相关工作年限=55)])

    assert result.experts[0].years_of_service == 55
    assert codes_at(result, FIRST_ROW) == {"implausible_years_of_service"}


# Pool placement ---------------------------------------------------------------------


def test_missing_sub_pool_inferred_from_group():
    result = parse([expert_row(子库=None, 专业组="文书")])

    assert (result.experts[0].sub_pool, result.experts[0].group) == ("physical_evidence", "documents")
    assert [(p.code, p.params) for p in result.problems] == [("sub_pool_inferred", {"sub_pool": "物证类", "group": "文书"})]


@pytest.mark.parametrize(
    ("sub_pool", "written", "group"),
    [
        ("法医类", "法医临床鉴定", "forensic_clinical"),
        ("法医类", "法医物证（DNA）", "forensic_genetics"),
        ("法医类", "法医精神疾病", "forensic_psychiatry"),
        ("环境损害", "空气污染环境损害鉴定", "air_pollution"),
        ("环境损害", "地表水和沉积物", "surface_water_sediment"),
        ("物证类", "微量鉴定", "trace_evidence"),
    ],
)
def test_group_aliases_mapped_with_warning(sub_pool, written, group):
    result = parse([expert_row(子库=sub_pool, 专业组=written)])

    assert result.experts[0].group == group
    assert codes_at(result, FIRST_ROW) == {"group_alias_mapped"}


def test_sub_pool_contradicting_group_rejected():
    result = parse([expert_row(子库="物证类", 专业组="法医精神疾病")])

    assert result.experts == []
    assert [(p.code, p.params) for p in result.errors] == [("sub_pool_mismatch", {"group": "法医精神病", "expected": "法医类"})]


def test_unknown_group_and_sub_pool_rejected():
    result = parse([expert_row(专业组="化学分析"), expert_row(身份证号码=make_id(sequence="133"), 子库="化学类")])

    assert result.experts == []
    assert codes_at(result, 3) == {"unknown_group"}
    assert codes_at(result, 4) == {"unknown_sub_pool"}


def test_sub_pool_alias_warned():
    result = parse([expert_row(子库="法医")])

    assert result.experts[0].sub_pool == "forensic_medicine"
    assert codes_at(result, FIRST_ROW) == {"sub_pool_alias_mapped"}


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("专业委员会推荐", "professional_committee"),
        ("二名正高级司法鉴定人联名推荐", "two_full_senior_appraisers"),
        ("公安机关推荐", "organ"),
        ("单位推荐", "employer"),
    ],
)
def test_recommendation_codes(written, code):
    result = parse([expert_row(推荐方式=written)])

    assert result.experts[0].recommendation == code
    assert result.experts[0].recommendation_text == written


def test_unknown_recommendation_kept_as_written():
    result = parse([expert_row(推荐方式="自荐")])

    assert result.experts[0].recommendation is None
    assert result.experts[0].recommendation_text == "自荐"
    assert codes_at(result, FIRST_ROW) == {"unknown_recommendation"}


# Eligibility ------------------------------------------------------------------------


def test_active_expert():
    expert = parse([expert_row()]).experts[0]

    assert expert.status == ExpertStatus.ACTIVE
    assert expert.status_reasons == ()


def test_intermediate_police_title_ineligible():
    expert = parse([expert_row(职称="主检法医师")]).experts[0]

    assert expert.title_level == "other"
    assert expert.status == ExpertStatus.INELIGIBLE
    assert expert.status_reasons == ("title_below_senior",)


def test_under_ten_years_ineligible():
    expert = parse([expert_row(从事鉴定相关工作年限=9)]).experts[0]

    assert expert.status == ExpertStatus.INELIGIBLE
    assert expert.status_reasons == ("service_under_10_years",)


def test_exactly_ten_years_eligible():
    assert parse([expert_row(从事鉴定相关工作年限=10)]).experts[0].status == ExpertStatus.ACTIVE


def test_over_70_pending_review():
    number = make_id(birth="19551130")
    expert = parse([expert_row(身份证号码=number, 出生年月="1955.11")]).experts[0]

    assert expert.status == ExpertStatus.PENDING_REVIEW
    assert expert.status_reasons == ("over_70",)


def test_70th_year_not_over_70():
    number = make_id(birth="19551202")
    expert = parse([expert_row(身份证号码=number, 出生年月="1955.12")]).experts[0]

    assert expert.status == ExpertStatus.ACTIVE


def test_term_expired_before_as_of():
    expert = parse([expert_row(聘期起始=dt.datetime(2021, 1, 1), 聘期截止=dt.datetime(2025, 12, 31))]).experts[0]

    assert expert.status == ExpertStatus.TERM_EXPIRED
    assert expert.status_reasons == ("term_expired",)


def test_term_not_started_on_as_of():
    expert = parse([expert_row(聘期起始=dt.datetime(2027, 1, 1), 聘期截止=dt.datetime(2031, 12, 31))]).experts[0]

    assert expert.status == ExpertStatus.TERM_NOT_STARTED


def test_every_reason_kept():
    number = make_id(birth="19500101")
    row = expert_row(身份证号码=number, 出生年月="1950.01", 职称="讲师", 从事鉴定相关工作年限=5, 聘期截止=dt.datetime(2025, 12, 31), 聘期起始=dt.datetime(2021, 1, 1))
    expert = parse([row]).experts[0]

    assert expert.status == ExpertStatus.INELIGIBLE
    assert expert.status_reasons == ("title_below_senior", "service_under_10_years", "over_70", "term_expired")


def test_as_of_must_be_a_date():
    with pytest.raises(TypeError):
        parse([expert_row()], as_of=dt.datetime(2026, 12, 1))
    with pytest.raises(ValueError):
        parse([expert_row()], lookback_years=-1)


def test_status_follows_as_of_parameter():
    row = expert_row(聘期起始=dt.datetime(2021, 1, 1), 聘期截止=dt.datetime(2025, 12, 31))

    assert parse([row], as_of=dt.date(2025, 12, 31)).experts[0].status == ExpertStatus.ACTIVE
    assert parse([row], as_of=dt.date(2026, 1, 1)).experts[0].status == ExpertStatus.TERM_EXPIRED


# Term and contact details -----------------------------------------------------------


def test_term_end_inferred_from_start():
    result = parse([expert_row(聘期截止=None)])

    assert result.experts[0].term_end == dt.date(2028, 12, 31)
    assert codes_at(result, FIRST_ROW) == {"term_end_inferred"}


def test_term_end_before_start_rejected():
    result = parse([expert_row(聘期截止=dt.datetime(2023, 12, 31))])

    assert result.experts == []
    assert codes_at(result, FIRST_ROW) == {"term_end_before_start"}


def test_unusual_term_length_warned():
    result = parse([expert_row(聘期截止=dt.datetime(2026, 12, 31))])

    assert result.experts[0].term_end == dt.date(2026, 12, 31)
    assert codes_at(result, FIRST_ROW) == {"term_length_unusual"}


def test_term_month_expanded():
    result = parse([expert_row(聘期起始="2024年1月", 聘期截止="2028.12")])

    assert (result.experts[0].term_start, result.experts[0].term_end) == (dt.date(2024, 1, 1), dt.date(2028, 12, 31))
    assert [p.code for p in result.problems] == ["date_expanded", "date_expanded"]


def test_missing_term_warned():
    result = parse([expert_row(聘期起始=None, 聘期截止=None)])

    assert result.experts[0].status == ExpertStatus.ACTIVE
    assert codes_at(result, FIRST_ROW) == {"term_missing"}


def test_unreadable_term_date_rejected():
    result = parse([expert_row(聘期起始="明年")])

    assert result.experts == []
    assert codes_at(result, FIRST_ROW) == {"invalid_date"}


def test_phone_normalised():
    assert parse([expert_row(手机="138-3216-3443")]).experts[0].phone == "13832163443"


def test_invalid_phone_and_email_dropped_with_warning():
    result = parse([expert_row(手机="010-62345678", 电子邮箱="zhang at example.com")])

    expert = result.experts[0]
    assert (expert.phone, expert.email) == (None, None)
    assert [(p.code, p.value) for p in result.problems] == [
        ("invalid_phone", "010-62345678"),
        ("invalid_email", "zhang at example.com"),
    ]


# Files ------------------------------------------------------------------------------


def csv_text(rows: list[dict[str, object]]) -> str:
    lines = [",".join(HEADER)]
    for row in rows:
        cells = []
        for column in HEADER:
            value = row.get(column)
            if isinstance(value, dt.datetime):
                value = value.strftime("%Y/%m/%d")
            cells.append("" if value is None else str(value))
        lines.append(",".join(cells))
    return "\r\n".join(lines) + "\r\n"


@pytest.mark.parametrize(
    "encode",
    [
        lambda text: text.encode("utf-8"),
        lambda text: codecs.BOM_UTF8 + text.encode("utf-8"),
        lambda text: text.encode("gb18030"),
    ],
    ids=["utf-8", "utf-8-bom", "gb18030"],
)
def test_csv_encodings(encode):
    data = encode(csv_text([expert_row(), expert_row(身份证号码=make_id(sequence="133"), 姓名="李四", 司法鉴定人执业证号="114245257710")]))
    result = parse_roster(data, "roster.csv", AS_OF)

    assert [(e.name, e.source_row) for e in result.experts] == [("张三", 2), ("李四", 3)]
    assert result.experts[0].term_end == dt.date(2028, 12, 31)
    assert [p.code for p in result.problems] == ["sheet_missing", "sheet_missing"]


def test_csv_with_semicolons():
    data = csv_text([expert_row()]).replace(",", ";").encode("utf-8")

    assert len(parse_roster(data, "roster.csv", AS_OF).experts) == 1


def test_csv_of_excel_number_id_rejected():
    data = csv_text([expert_row(身份证号码="1.10108E+17")]).encode("utf-8")
    result = parse_roster(data, "roster.csv", AS_OF)

    assert codes_at(result, 2, sheet=None) == {"id_excel_number"}


@pytest.mark.parametrize(
    ("data", "filename", "code"),
    [
        (b"", "roster.xlsx", "empty_file"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "roster.xls", "legacy_workbook"),
        (b"PK\x03\x04 not really a zip", "roster.xlsx", "unreadable_workbook"),
        (b"plain text", "roster.xlsx", "unreadable_workbook"),
        (b"anything", "roster.xls", "legacy_workbook"),
        (codecs.BOM_UTF16_LE + "姓名".encode("utf-16-le"), "roster.csv", "unsupported_encoding"),
        (bytes(range(256)) * 4, "roster.csv", "undecodable_text"),
        (b"\x81\x30", "roster.csv", "undecodable_text"),
    ],
)
def test_unreadable_files_reported(data, filename, code):
    result = parse_roster(data, filename, AS_OF)

    assert result.experts == []
    assert [(p.code, p.severity, p.row) for p in result.problems] == [(code, Severity.ERROR, None)]


def test_source_as_path_and_file_object(tmp_path):
    path = tmp_path / "roster.xlsx"
    path.write_bytes(roster_workbook([expert_row()]))

    assert len(parse_roster(path, "roster.xlsx", AS_OF).experts) == 1
    with path.open("rb") as stream:
        assert len(parse_roster(stream, "roster.xlsx", AS_OF).experts) == 1


def test_sheet_found_by_header_when_renamed():
    data = workbook({"Sheet1": roster_rows([expert_row()])})
    result = parse_roster(data, "roster.xlsx", AS_OF)

    assert len(result.experts) == 1
    assert [p.code for p in result.problems] == ["sheet_missing", "sheet_missing"]


def test_unrecognised_sheet_reported():
    data = roster_workbook([expert_row()], 说明=[["本表由协会秘书处维护"]])
    result = parse_roster(data, "roster.xlsx", AS_OF)

    assert ("sheet_ignored", "说明") in [(p.code, p.sheet) for p in result.problems]


def test_file_without_roster_sheets_rejected():
    result = parse_roster(workbook({"Sheet1": [["a", "b"], [1, 2]]}), "other.xlsx", AS_OF)

    assert [p.code for p in result.errors] == ["no_roster_sheet"]


# Robustness ---------------------------------------------------------------------------

cell_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.datetimes(dt.datetime(1800, 1, 1), dt.datetime(2200, 1, 1)),
    st.text(max_size=30),
    st.sampled_from(["1965.03", "1965.1", "196503", "男", "女", "法医临床鉴定", "物证类", "教授", "主检法医师", "24年", "合计"]),
)


UNFORMATTED_PLACEHOLDER = re.compile(r"%\(\w+\)s")


@settings(max_examples=150, deadline=None)
@given(st.fixed_dictionaries({column: cell_values for column in HEADER}))
def test_any_cells_give_expert_or_error(cells):
    headers = {field: column for field, column in zip(FIELDS, HEADER)}
    values = {field: cells[column] for field, column in headers.items()}
    report = RowReport("专家名册", 3, headers, values)

    parsed = parse_expert_row(report, SourceRow(3, values, tuple(cells.values())), AS_OF, None)

    assert (parsed.expert is None) == report.has_errors
    for problem in report.problems:
        # A placeholder left unformatted; the cell text itself may contain "%(".
        assert not UNFORMATTED_PLACEHOLDER.search(format_problem(problem).replace(str(problem.value), ""))
