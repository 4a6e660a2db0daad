"""The institution registry (鉴定机构名录)."""

import pytest

from panel_service.roster import parse_registry, tables
from tests.test_roster_parsing import REGISTRY_HEADER, registry_workbook, workbook

JINDUN = [1, "北京金盾司法鉴定中心（普通合伙）", "52110HDRJHTPQQFQQJ", "1167815040", "法医临床", "顺义区", 1, "无"]
JINGZHENG = [2, "北京京正法庭科学技术鉴定所", "52110RCPGL2PA2HH99", "1169958028", "法医临床、法医毒物、法医物证、法医精神病", "石景山区", 0, "无"]
BOHAI = [3, "天津渤海司法鉴定中心", "52110G0D0J01M3LGCA", None, "法医临床", "天津（外省市）", 0, "无"]


def parse(*rows):
    return parse_registry(registry_workbook(list(rows)), "registry.xlsx")


def institution(**changes):
    """A registry row for 北京某司法鉴定所; `changes` replace cells by header."""
    row = dict(zip(REGISTRY_HEADER, [1, "北京某司法鉴定所", None, "1167815040", "法医临床", "顺义区", 0, "无"]))
    row.update(changes)
    return [row[header] for header in REGISTRY_HEADER]


def codes_at(result, row):
    return {p.code for p in result.problems if p.row == row}


def test_institution_fields():
    result = parse(JINDUN)

    institution = result.institutions[0]
    assert institution.name == "北京金盾司法鉴定中心（普通合伙）"
    assert institution.name_key == "北京金盾司法鉴定中心"
    assert institution.credit_code == "52110HDRJHTPQQFQQJ"
    assert institution.licence_number == "1167815040"
    assert institution.practice_categories == ("forensic_clinical",)
    assert (institution.district, institution.out_of_province) == ("顺义区", False)
    assert institution.complaints_last_3_years == 1
    assert institution.penalised_last_3_years is False
    assert result.problems == []


@pytest.mark.parametrize("suffix", ["（普通合伙）", "(普通合伙)", "（特殊普通合伙）", ""])
def test_partnership_suffix_dropped_from_key(suffix):
    result = parse(institution(机构名称=f"北京金盾司法鉴定中心{suffix}"))

    assert result.find("北京金盾司法鉴定中心").name == f"北京金盾司法鉴定中心{suffix}"


def test_categories_split_and_mapped():
    result = parse(JINGZHENG, institution(序号=4, 机构名称="北京清源文书痕迹司法鉴定所", 执业类别="文书,痕迹；微量物证鉴定"))

    assert result.institutions[0].practice_categories == (
        "forensic_clinical",
        "forensic_toxicology",
        "forensic_genetics",
        "forensic_psychiatry",
    )
    assert result.institutions[1].practice_categories == ("documents", "traces", "trace_evidence")


def test_unknown_category_left_out_with_warning():
    result = parse(institution(执业类别="法医临床、司法会计"))

    assert result.institutions[0].practice_categories == ("forensic_clinical",)
    assert [(p.code, p.params) for p in result.problems] == [("unknown_practice_category", {"category": "司法会计"})]


def test_duplicate_sequence_numbers_warned():
    hebei = [38, "河北冀衡司法鉴定所", "521100AW88G3CBDAB5", None, "法医临床", "河北（外省市）", 0, "无"]
    result = parse([38, *BOHAI[1:]], hebei)

    assert len(result.institutions) == 2
    duplicates = [(p.row, p.params["rows"]) for p in result.problems if p.code == "duplicate_sequence_number"]
    assert duplicates == [(2, [3]), (3, [2])]


def test_out_of_province_licence_missing_warned():
    result = parse(BOHAI)

    assert result.institutions[0].out_of_province is True
    assert result.institutions[0].licence_number is None
    assert codes_at(result, 2) == {"licence_missing_out_of_province"}


def test_beijing_licence_missing_warned():
    result = parse(institution(司法鉴定许可证号=None))

    assert codes_at(result, 2) == {"institution_licence_missing"}


def test_duplicate_institutions_rejected():
    result = parse(JINDUN, institution(序号=2, 机构名称="北京金盾司法鉴定中心"))

    assert result.institutions == []
    assert [(p.row, p.code, p.params) for p in result.errors] == [
        (2, "duplicate_institution", {"rows": [3]}),
        (3, "duplicate_institution", {"rows": [2]}),
    ]


def test_duplicate_credit_codes_rejected():
    result = parse(JINDUN, institution(序号=2, 统一社会信用代码=JINDUN[2]))

    assert result.institutions == []
    assert {p.code for p in result.errors} == {"duplicate_credit_code"}


@pytest.mark.parametrize(("written", "count"), [(0, 0), (2, 2), ("3件", 3), (None, None)])
def test_complaint_counts(written, count):
    result = parse(institution(近三年投诉件数=written))

    assert result.institutions[0].complaints_last_3_years == count


def test_unreadable_complaint_count_warned():
    result = parse(institution(近三年投诉件数="若干"))

    assert result.institutions[0].complaints_last_3_years is None
    assert codes_at(result, 2) == {"invalid_number"}


@pytest.mark.parametrize(("written", "penalised"), [("有", True), ("无", False), ("是", True), ("否", False), (None, None)])
def test_penalty_flags(written, penalised):
    result = parse(institution(近三年行政处罚或行业惩戒=written))

    assert result.institutions[0].penalised_last_3_years is penalised


def test_unreadable_penalty_flag_warned():
    result = parse(institution(近三年行政处罚或行业惩戒="待查"))

    assert result.institutions[0].penalised_last_3_years is None
    assert codes_at(result, 2) == {"invalid_yes_no"}


def test_invalid_credit_code_dropped_with_warning():
    result = parse(institution(统一社会信用代码="52110-IOSVZ"))

    assert result.institutions[0].credit_code is None
    assert codes_at(result, 2) == {"invalid_credit_code"}


def test_unknown_district_warned():
    result = parse(institution(所在区="浦东新区"))

    assert result.institutions[0].out_of_province is False
    assert codes_at(result, 2) == {"unknown_district"}


def test_missing_name_rejected():
    result = parse(institution(机构名称=None))

    assert result.institutions == []
    assert codes_at(result, 2) == {"missing_value"}


def test_registry_from_gb18030_csv():
    line = "1,北京金盾司法鉴定中心（普通合伙）,52110HDRJHTPQQFQQJ,1167815040,法医临床,顺义区,1,无"
    result = parse_registry("\n".join([",".join(REGISTRY_HEADER), line]).encode("gb18030"), "registry.csv")

    assert result.institutions[0].name_key == "北京金盾司法鉴定中心"


def test_registry_sheet_missing_among_other_sheets():
    result = parse_registry(workbook({"甲": [["a"]], "乙": [["b"]]}), "registry.xlsx")

    assert [p.code for p in result.errors] == ["sheet_missing"]


def test_row_limit_guards_large_sheets(monkeypatch):
    monkeypatch.setattr(tables, "MAX_ROWS", 3)
    result = parse(JINDUN, JINGZHENG, BOHAI)

    assert result.institutions == []
    assert [(p.code, p.params["limit"]) for p in result.errors] == [("too_many_rows", 3)]
