"""The conflict (回避关系) and unavailability (不可用时段) sheets of the roster."""

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from panel_service.roster import parse_registry, parse_roster
from panel_service.roster.idcard import check_character
from panel_service.roster.problems import RowReport
from panel_service.roster.relations import (
    CONFLICT_SHEET,
    UNAVAILABILITY_SHEET,
    ExpertDirectory,
    parse_conflict_row,
    parse_unavailability_row,
)
from panel_service.roster.tables import SourceRow
from tests.test_roster_parsing import (
    AS_OF,
    CONFLICT_HEADER,
    UNAVAILABILITY_HEADER,
    codes_at,
    expert_row,
    make_id,
    registry_workbook,
    roster_rows,
    roster_workbook,
    workbook,
)

ZHANG = make_id(sequence="123")
LI = make_id(birth="19700101", sequence="134")
GUO = make_id(birth="19670709", sequence="436")
EXPERTS = [
    expert_row(),
    expert_row(姓名="李四", 身份证号码=LI, 出生年月="1970.01", 性别="女"),
    expert_row(姓名="郭琴", 身份证号码=GUO, 出生年月="1967.07", 性别="女"),
]


def conflicts(*rows: list[object], experts=EXPERTS, **kwargs):
    data = roster_workbook(experts, 回避关系=[CONFLICT_HEADER, *rows])
    return parse_roster(data, "roster.xlsx", kwargs.pop("as_of", AS_OF), **kwargs)


def unavailability(*rows: list[object], experts=EXPERTS):
    return parse_roster(roster_workbook(experts, 不可用时段=[UNAVAILABILITY_HEADER, *rows]), "roster.xlsx", AS_OF)


def other(name: str, number: str, width: str = "full") -> str:
    return f"{name}（{number[-4:]}）" if width == "full" else f"{name}({number[-4:]})"


# Conflicts with institutions --------------------------------------------------------


def test_former_employment_end_date_parsed():
    result = conflicts(["张三", ZHANG, "单位", "北京卓信文书痕迹司法鉴定所", "曾任职", "2016年3月离职", None])

    conflict = result.conflicts[0]
    assert (conflict.relation, conflict.target_type) == ("former_employment", "institution")
    assert conflict.institution_key == "北京卓信文书痕迹司法鉴定所"
    assert conflict.ended_on == dt.date(2016, 3, 31)
    assert conflict.ended_on_precision == "month"
    assert result.problems == []


def test_lapsed_after_lookback():
    row = ["张三", ZHANG, "单位", "北京卓信文书痕迹司法鉴定所", "曾任职", "2023年12月离职", None]

    assert conflicts(row, lookback_years=3).conflicts[0].lapsed is False
    assert conflicts(row, lookback_years=3, as_of=dt.date(2027, 1, 1)).conflicts[0].lapsed is True
    assert conflicts(row, lookback_years=1).conflicts[0].lapsed is True


def test_former_employment_without_date_kept_as_recent():
    result = conflicts(["张三", ZHANG, "单位", "北京卓信文书痕迹司法鉴定所", "曾任职", None, None])

    assert result.conflicts[0].ended_on is None
    assert result.conflicts[0].lapsed is False
    assert codes_at(result, 2, "回避关系") == {"employment_end_missing"}


def test_end_date_after_as_of_warned():
    result = conflicts(["张三", ZHANG, "单位", "北京卓信文书痕迹司法鉴定所", "曾任职", "2027年3月离职", None])

    assert result.conflicts[0].ended_on == dt.date(2027, 3, 31)
    assert codes_at(result, 2, "回避关系") == {"date_after_as_of"}


@pytest.mark.parametrize(
    ("written", "code"),
    [("近亲属任职", "relative_employed"), ("兼职顾问", "advisory"), ("曾受聘为技术顾问", "advisory")],
)
def test_institution_relations(written, code):
    result = conflicts(["张三", ZHANG, "单位", "北京睿识法医司法鉴定所", written, None, None])

    assert result.conflicts[0].relation == code
    assert result.conflicts[0].relation_text == written
    assert result.problems == []


def test_unclassified_relation_kept_as_other():
    result = conflicts(["张三", ZHANG, "单位", "北京睿识法医司法鉴定所", "曾参与该所评审", None, None])

    assert (result.conflicts[0].relation, result.conflicts[0].relation_text) == ("other", "曾参与该所评审")
    assert codes_at(result, 2, "回避关系") == {"relation_unclassified"}


def test_institution_checked_against_registry():
    registry = parse_registry(
        registry_workbook([[1, "北京睿识法医司法鉴定所（普通合伙）", "52110NKDF4FW7UW3LN", "1169873096", "法医毒物", "西城区", 0, "无"]]),
        "registry.xlsx",
    )
    result = conflicts(
        ["张三", ZHANG, "单位", "北京睿识法医司法鉴定所", "兼职顾问", None, None],
        ["张三", ZHANG, "单位", "北京无名司法鉴定所", "兼职顾问", None, None],
        registry=registry,
    )

    assert len(result.conflicts) == 2
    assert codes_at(result, 2, "回避关系") == set()
    assert codes_at(result, 3, "回避关系") == {"target_institution_not_in_registry"}


# Conflicts between experts ----------------------------------------------------------


@pytest.mark.parametrize("width", ["full", "half"])
def test_other_expert_by_name_and_last_four(width):
    result = conflicts(["李四", LI, "专家", other("郭琴", GUO, width), "配偶", None, None])

    conflict = result.conflicts[0]
    assert (conflict.target_type, conflict.relation) == ("expert", "spouse")
    assert conflict.other_expert_id_number == GUO
    assert conflict.institution_name is None
    assert result.problems == []


@pytest.mark.parametrize(("written", "code"), [("师生", "teacher_student"), ("同一课题组", "same_research_group")])
def test_expert_relations(written, code):
    result = conflicts(["李四", LI, "专家", other("郭琴", GUO), written, None, None])

    assert result.conflicts[0].relation == code


def test_other_expert_not_found():
    result = conflicts(["李四", LI, "专家", "王五（1234）", "配偶", None, None])

    assert result.conflicts == []
    assert codes_at(result, 2, "回避关系") == {"target_expert_not_found"}


def test_other_expert_wrong_suffix_not_found():
    result = conflicts(["李四", LI, "专家", "郭琴（0000）", "配偶", None, None])

    assert codes_at(result, 2, "回避关系") == {"target_expert_not_found"}


def test_other_expert_ambiguous():
    # Two experts called 郭琴 whose ID numbers end alike.
    second = next(
        number
        for day in range(1, 29)
        if (number := make_id(birth=f"197203{day:02d}", sequence="436"))[-4:] == GUO[-4:]
    )
    experts = [*EXPERTS, expert_row(姓名="郭琴", 身份证号码=second, 出生年月="1972.03", 性别="女")]
    result = conflicts(["李四", LI, "专家", other("郭琴", GUO), "配偶", None, None], experts=experts)

    assert result.conflicts == []
    assert codes_at(result, 2, "回避关系") == {"target_expert_ambiguous"}


def test_other_expert_by_name_only():
    result = conflicts(["李四", LI, "专家", "郭琴", "配偶", None, None])

    assert result.conflicts[0].other_expert_id_number == GUO
    assert codes_at(result, 2, "回避关系") == {"target_expert_by_name_only"}


def test_other_expert_unreadable():
    result = conflicts(["李四", LI, "专家", "郭琴（身份证4362）", "配偶", None, None])

    assert codes_at(result, 2, "回避关系") == {"target_expert_unreadable"}


def test_other_expert_in_rejected_row():
    experts = [*EXPERTS, expert_row(姓名="王五", 身份证号码=1.10108198109074e17)]
    result = conflicts(["李四", LI, "专家", "王五（1234）", "配偶", None, None], experts=experts)

    assert codes_at(result, 2, "回避关系") == {"target_expert_rejected"}
    assert result.problems_at("回避关系", 2)[0].params == {"rows": [6]}


def test_conflict_with_oneself_rejected():
    result = conflicts(["郭琴", GUO, "专家", other("郭琴", GUO), "配偶", None, None])

    assert codes_at(result, 2, "回避关系") == {"target_is_self"}


def test_relation_and_target_type_must_agree():
    result = conflicts(
        ["李四", LI, "单位", "北京睿识法医司法鉴定所", "配偶", None, None],
        ["李四", LI, "专家", other("郭琴", GUO), "曾任职", "2020年1月离职", None],
    )

    assert result.conflicts == []
    assert codes_at(result, 2, "回避关系") == {"relation_target_mismatch"}
    assert codes_at(result, 3, "回避关系") == {"relation_target_mismatch"}


def test_different_unclassified_relations_kept_apart():
    result = conflicts(
        ["张三", ZHANG, "单位", "北京睿识法医司法鉴定所", "曾参与该所评审", None, None],
        ["张三", ZHANG, "单位", "北京睿识法医司法鉴定所", "曾投诉该所", None, None],
    )

    assert [c.relation_text for c in result.conflicts] == ["曾参与该所评审", "曾投诉该所"]


def test_unknown_target_type_rejected():
    result = conflicts(["李四", LI, "亲戚", "郭琴", "配偶", None, None])

    assert codes_at(result, 2, "回避关系") == {"unknown_target_type"}


def test_repeated_and_mirrored_conflicts_merged():
    result = conflicts(
        ["李四", LI, "专家", other("郭琴", GUO), "配偶", None, None],
        ["郭琴", GUO, "专家", other("李四", LI), "配偶", None, None],
        ["张三", ZHANG, "单位", "北京睿识法医司法鉴定所", "兼职顾问", None, None],
        ["张三", ZHANG, "单位", "北京睿识法医司法鉴定所（普通合伙）", "兼职顾问", None, None],
    )

    assert [c.source_row for c in result.conflicts] == [2, 4]
    assert [(s.row, s.reason) for s in result.skipped_rows if s.sheet == "回避关系"] == [(3, "duplicate"), (5, "duplicate")]
    assert [(p.row, p.code, p.params) for p in result.problems] == [
        (3, "duplicate_row", {"first_row": 2}),
        (5, "duplicate_row", {"first_row": 4}),
    ]


# The expert a row names -------------------------------------------------------------


def test_unknown_expert_rejected():
    result = conflicts(["王五", make_id(sequence="999"), "单位", "北京睿识法医司法鉴定所", "兼职顾问", None, None])

    assert result.conflicts == []
    assert codes_at(result, 2, "回避关系") == {"expert_not_found"}


def test_known_expert_from_pool_accepted():
    outside = make_id(sequence="999")
    result = conflicts(
        ["王五", outside, "单位", "北京睿识法医司法鉴定所", "兼职顾问", None, None],
        known_experts={outside: "王五"},
    )

    assert result.conflicts[0].expert_id_number == outside


def test_expert_name_must_match_roster():
    result = conflicts(["张四", ZHANG, "单位", "北京睿识法医司法鉴定所", "兼职顾问", None, None])

    assert codes_at(result, 2, "回避关系") == {"expert_name_mismatch"}
    assert result.problems_at("回避关系", 2)[0].params == {"roster_name": "张三"}


def test_expert_of_rejected_row_rejected():
    experts = [*EXPERTS, expert_row(姓名="赵六", 身份证号码=make_id(sequence="555"), 职称="首席")]
    result = conflicts(["赵六", make_id(sequence="555"), "单位", "北京睿识法医司法鉴定所", "兼职顾问", None, None], experts=experts)

    assert codes_at(result, 2, "回避关系") == {"expert_row_rejected"}
    assert result.problems_at("回避关系", 2)[0].params == {"rows": [6]}


def test_expert_with_excel_number_id_found_by_name():
    experts = [*EXPERTS, expert_row(姓名="黄红霞", 身份证号码=3.101041970091699e17)]
    true_id = "310104197009169896"
    assert check_character(true_id[:17]) == true_id[17]
    result = unavailability(["黄红霞", true_id, dt.datetime(2027, 1, 4), dt.datetime(2027, 1, 27), "出国"], experts=experts)

    assert result.unavailability == []
    assert codes_at(result, 2, "不可用时段") == {"expert_not_found_rejected_name"}
    assert result.problems_at("不可用时段", 2)[0].params == {"rows": [6]}


def test_full_width_id_in_roster_matches_plain_id():
    experts = [expert_row(身份证号码=ZHANG.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"}))]
    result = conflicts(["张三", ZHANG, "单位", "北京睿识法医司法鉴定所", "兼职顾问", None, None], experts=experts)

    assert result.conflicts[0].expert_id_number == ZHANG


# Unavailability ---------------------------------------------------------------------


def test_unavailability_period():
    result = unavailability(["张三", ZHANG, dt.datetime(2027, 1, 14), dt.datetime(2027, 1, 28), "休假"])

    period = result.unavailability[0]
    assert (period.expert_id_number, period.starts_on, period.ends_on, period.reason) == (
        ZHANG,
        dt.date(2027, 1, 14),
        dt.date(2027, 1, 28),
        "休假",
    )
    assert result.problems == []


def test_one_day_unavailability():
    result = unavailability(["张三", ZHANG, "2027-01-14", "2027-01-14", None])

    assert result.unavailability[0].starts_on == result.unavailability[0].ends_on


def test_unavailability_end_before_start_rejected():
    result = unavailability(["张三", ZHANG, dt.datetime(2027, 1, 28), dt.datetime(2027, 1, 14), "休假"])

    assert result.unavailability == []
    assert codes_at(result, 2, "不可用时段") == {"end_before_start"}


def test_unavailability_month_expanded():
    result = unavailability(["张三", ZHANG, "2027年1月", "2027年2月", "出国"])

    assert (result.unavailability[0].starts_on, result.unavailability[0].ends_on) == (dt.date(2027, 1, 1), dt.date(2027, 2, 28))
    assert [p.code for p in result.problems] == ["date_expanded", "date_expanded"]


def test_unavailability_missing_dates_rejected():
    result = unavailability(["张三", ZHANG, None, dt.datetime(2027, 1, 14), "休假"])

    assert codes_at(result, 2, "不可用时段") == {"missing_value"}


def test_missing_optional_sheets_are_info():
    result = parse_roster(workbook({"专家名册": roster_rows(EXPERTS)}), "roster.xlsx", AS_OF)

    assert len(result.experts) == 3
    assert [(p.code, p.severity, p.params) for p in result.problems] == [
        ("sheet_missing", "info", {"sheet": "回避关系"}),
        ("sheet_missing", "info", {"sheet": "不可用时段"}),
    ]


# Robustness ---------------------------------------------------------------------------

cell_values = st.one_of(
    st.none(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.datetimes(dt.datetime(1800, 1, 1), dt.datetime(2200, 1, 1)),
    st.text(max_size=30),
    st.sampled_from([ZHANG, LI, "郭琴（4362）", "单位", "专家", "曾任职", "配偶", "2016年3月离职", "2027年1月"]),
)


def report_for(spec, cells):
    headers = {column.field: column.headers[0] for column in spec.columns}
    values = {field: cells.get(field) for field in headers}
    return RowReport(spec.name, 2, headers, values), SourceRow(2, values, tuple(values.values()))


@settings(max_examples=150, deadline=None)
@given(st.fixed_dictionaries({f: cell_values for f in ("expert_name", "id_number", "target_type", "target", "relation", "explanation")}))
def test_any_conflict_cells_give_conflict_or_error(cells):
    directory = ExpertDirectory(names={ZHANG: "张三", LI: "李四", GUO: "郭琴"})
    report, row = report_for(CONFLICT_SHEET, cells)

    conflict = parse_conflict_row(report, row, directory, None, AS_OF, 3)

    assert (conflict is None) == report.has_errors


@settings(max_examples=150, deadline=None)
@given(st.fixed_dictionaries({f: cell_values for f in ("expert_name", "id_number", "starts_on", "ends_on", "reason")}))
def test_any_unavailability_cells_give_period_or_error(cells):
    report, row = report_for(UNAVAILABILITY_SHEET, cells)

    period = parse_unavailability_row(report, row, ExpertDirectory(names={ZHANG: "张三"}))

    assert (period is None) == report.has_errors
    if period is not None:
        assert period.starts_on <= period.ends_on
