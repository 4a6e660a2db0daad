"""The association's real roster and registry of 2026 (demo/), with their planted defects."""

import collections
import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from panel_service.roster import ExpertStatus, parse_registry, parse_roster, rejected_rows_workbook

DEMO = Path(__file__).resolve().parent.parent / "demo"
ROSTER = DEMO / "roster-2026.xlsx"
REGISTRY = DEMO / "institutions-2026.xlsx"
# The roster's title row dates it 2026年12月.
AS_OF = dt.date(2026, 12, 1)


@pytest.fixture(scope="module")
def registry():
    return parse_registry(REGISTRY, REGISTRY.name)


@pytest.fixture(scope="module")
def roster(registry):
    return parse_roster(ROSTER, ROSTER.name, AS_OF, registry=registry)


def sheet_rows(sheet_name: str) -> set[int]:
    """Row numbers below the header that contain anything, read without the parser."""
    book = openpyxl.load_workbook(ROSTER, read_only=True)
    sheet = book[sheet_name]
    header = 2 if sheet_name == "专家名册" else 1
    rows = {
        number
        for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1)
        if number > header and any(cell is not None for cell in cells)
    }
    book.close()
    return rows


def test_exact_rejected_rows(roster):
    errors = [(p.sheet, p.row, p.column, p.value, p.code) for p in roster.errors]

    assert errors == [
        ("专家名册", 16, "身份证号码", "410105198111157917", "duplicate_id_number"),
        ("专家名册", 93, "身份证号码", "1.10108198109074e+17", "id_excel_number"),
        ("专家名册", 180, "身份证号码", "1.101011957021049e+17", "id_excel_number"),
        ("专家名册", 294, "身份证号码", "110106197002041780", "duplicate_id_number"),
        ("专家名册", 368, "子库", "物证类", "sub_pool_mismatch"),
        ("专家名册", 374, "身份证号码", "3.101041970091699e+17", "id_excel_number"),
        ("专家名册", 405, "身份证号码", "110106197002041780", "duplicate_id_number"),
        ("专家名册", 406, "身份证号码", "410105198111157917", "duplicate_id_number"),
        ("回避关系", 55, "身份证号码", "110106197002041780", "expert_row_rejected"),
        ("不可用时段", 30, "身份证号码", "310104197009169896", "expert_not_found_rejected_name"),
        ("不可用时段", 55, "身份证号码", "410105198111157917", "expert_row_rejected"),
    ]


def test_warning_counts(roster):
    counts = collections.Counter(p.code for p in roster.warnings)

    assert counts == {
        "group_alias_mapped": 120,
        "sex_filled_from_id": 32,
        "sub_pool_inferred": 28,
        "employer_out_of_province": 22,
        "id_reformatted": 3,
    }


def test_reformatted_ids(roster):
    reformatted = [(p.row, p.value, p.params["normalised"]) for p in roster.warnings if p.code == "id_reformatted"]

    assert reformatted == [
        (202, "１１０１０５１９６１１２２７７３１２", "110105196112277312"),
        (217, "370102 196008155680", "370102196008155680"),
        (397, "410105 197011018915", "410105197011018915"),
    ]


def test_out_of_province_employers(roster):
    employers = {p.value for p in roster.warnings if p.code == "employer_out_of_province"}

    assert employers == {"上海申正司法鉴定中心", "天津渤海司法鉴定中心", "河北冀衡司法鉴定所"}


def test_no_file_or_sheet_problems(roster):
    assert [p for p in roster.problems if p.row is None] == []
    assert roster.ignored_columns == []
    assert [(s.row, s.reason) for s in roster.skipped_rows] == [(1, "title"), (213, "blank"), (268, "blank"), (340, "blank"), (407, "totals")]


def test_every_roster_row_accounted_for(roster):
    imported = {e.source_row for e in roster.experts}
    rejected = {row for sheet, row in roster.rejected_rows if sheet == "专家名册"}
    skipped = {s.row for s in roster.skipped_rows if s.sheet == "专家名册" and s.reason != "title"}

    assert len(imported) == len(roster.experts) == 393
    assert imported | rejected | skipped == sheet_rows("专家名册") | {213, 268, 340}
    assert not imported & rejected
    assert len(rejected) == 8


@pytest.mark.parametrize(("sheet", "attribute"), [("回避关系", "conflicts"), ("不可用时段", "unavailability")])
def test_every_other_row_accounted_for(roster, sheet, attribute):
    imported = {item.source_row for item in getattr(roster, attribute)}
    rejected = {row for s, row in roster.rejected_rows if s == sheet}

    assert imported | rejected == sheet_rows(sheet)
    assert not imported & rejected


def test_statuses(roster):
    rows_by_status = collections.defaultdict(set)
    for expert in roster.experts:
        rows_by_status[expert.status].add(expert.source_row)

    # 172 and 287 have 7 years of service; 197 and 327 hold the police title 主检法医师.
    assert rows_by_status[ExpertStatus.INELIGIBLE] == {172, 197, 287, 327}
    assert len(rows_by_status[ExpertStatus.TERM_EXPIRED]) == 52
    assert len(rows_by_status[ExpertStatus.PENDING_REVIEW]) == 24
    assert len(rows_by_status[ExpertStatus.ACTIVE]) == 313
    assert ExpertStatus.TERM_NOT_STARTED not in rows_by_status


def test_over_70_with_expired_term_keeps_both_reasons(roster):
    expert = next(e for e in roster.experts if e.source_row == 38)

    assert expert.status == ExpertStatus.TERM_EXPIRED
    assert expert.status_reasons == ("over_70", "term_expired")


def test_demo_normalisation_examples(roster):
    by_row = {e.source_row: e for e in roster.experts}

    assert by_row[6].phone == "13832163443"
    assert by_row[9].group == "forensic_genetics"
    assert by_row[20].sub_pool == "environmental_damage"
    assert by_row[40].employer_name == "北京华证生态环境司法鉴定所"
    assert by_row[111].group == "air_pollution"
    assert by_row[202].id_number == "110105196112277312"
    assert by_row[31].birth_date == dt.date(1969, 2, 10)


def test_conflicts(roster):
    relations = collections.Counter(c.relation for c in roster.conflicts)

    assert relations == {
        "former_employment": 44,
        "advisory": 7,
        "relative_employed": 7,
        "teacher_student": 4,
        "same_research_group": 2,
        "spouse": 2,
    }
    luo_ming = next(c for c in roster.conflicts if c.source_row == 2)
    assert (luo_ming.ended_on, luo_ming.lapsed) == (dt.date(2016, 3, 31), True)
    wang_bing = next(c for c in roster.conflicts if c.source_row == 23)
    assert (wang_bing.expert_id_number, wang_bing.lapsed) == ("110105196112277312", False)
    guo_qin = next(c for c in roster.conflicts if c.source_row == 65)
    assert guo_qin.other_expert_id_number == "370102196707094362"


def test_registry(registry):
    assert len(registry.institutions) == 40
    assert [(p.row, p.code) for p in registry.problems] == [
        (39, "licence_missing_out_of_province"),
        (39, "duplicate_sequence_number"),
        (40, "licence_missing_out_of_province"),
        (40, "duplicate_sequence_number"),
        (41, "licence_missing_out_of_province"),
        (41, "duplicate_sequence_number"),
    ]
    assert sum(i.out_of_province for i in registry.institutions) == 3
    assert {i.name_key for i in registry.institutions if i.penalised_last_3_years} == {
        "北京卓信法医司法鉴定所",
        "北京远见司法鉴定中心",
        "北京恒识环境损害司法鉴定中心",
    }


def test_every_employer_institution_in_registry(roster, registry):
    keys = {i.name_key for i in registry.institutions}
    institution_employers = {e.employer_key for e in roster.experts if e.employer_type == "appraisal_institution"}

    assert institution_employers <= keys


def test_demo_rejected_rows_reimport(roster, registry):
    again = parse_roster(rejected_rows_workbook(roster, ROSTER), "rejected.xlsx", AS_OF, registry=registry)

    assert collections.Counter(p.code for p in again.errors) == collections.Counter(p.code for p in roster.errors)
    assert [p for p in again.problems if p.row is None] == []
    assert again.experts == []
