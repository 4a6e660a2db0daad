import pytest

from panel_service.pool.taxonomy import (
    EMPLOYER_TYPES,
    GROUPS,
    GROUPS_BY_CODE,
    PUBLIC_ORGAN_TYPES,
    SUB_POOLS,
    SUB_POOLS_BY_CODE,
    resolve_employer_type,
    resolve_group,
    resolve_practice_category,
    resolve_sub_pool,
    resolve_title_level,
)


def test_codes_are_unique():
    assert len({g.code for g in GROUPS}) == len(GROUPS)
    assert len({g.name for g in GROUPS}) == len(GROUPS)
    assert len({s.code for s in SUB_POOLS}) == len(SUB_POOLS) == 4
    assert len({t.code for t in EMPLOYER_TYPES}) == len(EMPLOYER_TYPES)


def test_every_group_has_its_sub_pool():
    for group in GROUPS:
        assert group.sub_pool in SUB_POOLS_BY_CODE, group


def test_sub_pools_have_their_groups():
    counts = {code: sum(1 for g in GROUPS if g.sub_pool == code) for code in SUB_POOLS_BY_CODE}
    assert counts == {
        "forensic_medicine": 5,
        "physical_evidence": 4,
        "audio_visual": 3,
        "environmental_damage": 7,
    }


@pytest.mark.parametrize("group", GROUPS, ids=lambda g: g.code)
def test_group_resolves_by_name_and_code(group):
    assert resolve_group(group.name) is group
    assert resolve_group(group.code) is group
    assert resolve_group(group.name + "鉴定") is group


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("法医病理鉴定", "forensic_pathology"),
        ("法医临床鉴定", "forensic_clinical"),
        ("法医精神病鉴定", "forensic_psychiatry"),
        ("法医精神疾病", "forensic_psychiatry"),
        ("法医物证鉴定", "forensic_genetics"),
        ("法医物证（DNA）", "forensic_genetics"),
        ("法医物证(DNA)", "forensic_genetics"),
        ("法医物证（ＤＮＡ）", "forensic_genetics"),
        ("法医毒物鉴定", "forensic_toxicology"),
        ("文书鉴定", "documents"),
        ("痕迹鉴定", "traces"),
        ("交通事故痕迹", "traffic_traces"),
        ("微量鉴定", "trace_evidence"),
        ("微量物证鉴定", "trace_evidence"),
        ("录音鉴定", "audio"),
        ("图像鉴定", "image"),
        ("电子数据鉴定", "electronic_data"),
        ("污染物性质鉴定", "pollutant_properties"),
        ("地表水和沉积物", "surface_water_sediment"),
        ("地表水与沉积物环境损害鉴定", "surface_water_sediment"),
        ("空气污染环境损害鉴定", "air_pollution"),
        ("土壤与地下水环境损害鉴定", "soil_groundwater"),
        ("近海海洋与海岸带", "coastal_marine"),
        ("生态系统环境损害鉴定", "ecosystem"),
        ("其他", "other_environmental"),
        ("其他环境损害鉴定", "other_environmental"),
        (" 法医 临床 ", "forensic_clinical"),
    ],
)
def test_group_aliases(text, code):
    assert resolve_group(text) is GROUPS_BY_CODE[code]


@pytest.mark.parametrize("text", ["", "鉴定", "法医", "法医临床学", "声像资料", "环境损害鉴定"])
def test_unknown_group_is_none(text):
    assert resolve_group(text) is None


def test_traces_and_traffic_traces_stay_apart():
    assert resolve_group("痕迹").code == "traces"
    assert resolve_group("交通事故痕迹物证").code == "traffic_traces"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("法医类", "forensic_medicine"),
        ("法医", "forensic_medicine"),
        ("法医类司法鉴定", "forensic_medicine"),
        ("物证类", "physical_evidence"),
        ("声像资料", "audio_visual"),
        ("声像资料类", "audio_visual"),
        ("环境损害", "environmental_damage"),
        ("环境损害司法鉴定", "environmental_damage"),
        ("environmental_damage", "environmental_damage"),
    ],
)
def test_sub_pool_aliases(text, code):
    assert resolve_sub_pool(text) is SUB_POOLS_BY_CODE[code]


def test_unknown_sub_pool_is_none():
    assert resolve_sub_pool("化学类") is None


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("司法鉴定机构", "appraisal_institution"),
        ("大专院校", "university"),
        ("高校", "university"),
        ("科研院所", "research_institute"),
        ("公安机关", "public_security"),
        ("检察机关", "procuratorate"),
        ("审判机关", "court"),
        ("法院", "court"),
        ("安全机关", "state_security"),
        ("医院", "hospital"),
    ],
)
def test_employer_types(text, code):
    assert resolve_employer_type(text).code == code


def test_public_organs_are_the_four_organs():
    assert PUBLIC_ORGAN_TYPES == {"public_security", "procuratorate", "court", "state_security"}


@pytest.mark.parametrize(
    ("title", "level"),
    [
        ("教授", "full_senior"),
        ("研究员", "full_senior"),
        ("正高级工程师", "full_senior"),
        ("主任法医师", "full_senior"),
        ("主任医师", "full_senior"),
        ("副教授", "associate_senior"),
        ("副研究员", "associate_senior"),
        ("高级工程师", "associate_senior"),
        ("副主任法医师", "associate_senior"),
        ("副主任医师", "associate_senior"),
        ("主检法医师", "other"),
        ("法医师", "other"),
        ("讲师", "other"),
        (" 副 教授 ", "associate_senior"),
    ],
)
def test_title_levels(title, level):
    assert resolve_title_level(title) == level


def test_unknown_title_is_none():
    assert resolve_title_level("首席专家") is None


def test_practice_categories_map_to_groups():
    assert resolve_practice_category("法医临床").code == "forensic_clinical"
    assert resolve_practice_category("交通事故痕迹物证").code == "traffic_traces"
    assert resolve_practice_category("近岸海洋与海岸带").code == "coastal_marine"
