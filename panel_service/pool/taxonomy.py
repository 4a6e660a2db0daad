"""The pool's sub-pools, professional groups, employer types and title levels.

Codes are stable English identifiers stored in the database and in draw records.
Names are the Chinese terms shown to users. The `resolve_*` functions map what a
hand-kept spreadsheet contains to a code. They fold full-width characters, ignore
spaces and accept the variants seen in rosters and registries, for example 法医临床鉴定,
法医物证（DNA） or 空气污染环境损害鉴定. They return None for text they do not know,
so the caller can report it.

The groups follow the Ministry of Justice's classification of appraisal categories
(司规〔2020〕3号 and 〔2020〕5号). 痕迹 and 交通事故痕迹物证 are separate groups because
the 2021 admission review rules review them as separate fields.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class SubPool:
    """A sub-pool (子库): one of the four appraisal classes of the Beijing pool."""

    code: str
    name: str


@dataclass(frozen=True)
class Group:
    """A professional group (专业组) inside a sub-pool."""

    code: str
    name: str
    sub_pool: str


@dataclass(frozen=True)
class EmployerType:
    """A kind of employer as written in the roster column 单位类别."""

    code: str
    name: str
    # Public security, procuratorate, court and state security organs may recommend
    # experts and are named together throughout the Measures.
    public_organ: bool = False


SUB_POOLS: tuple[SubPool, ...] = (
    SubPool("forensic_medicine", "法医类"),
    SubPool("physical_evidence", "物证类"),
    SubPool("audio_visual", "声像资料"),
    SubPool("environmental_damage", "环境损害"),
)

GROUPS: tuple[Group, ...] = (
    Group("forensic_pathology", "法医病理", "forensic_medicine"),
    Group("forensic_clinical", "法医临床", "forensic_medicine"),
    Group("forensic_psychiatry", "法医精神病", "forensic_medicine"),
    Group("forensic_genetics", "法医物证", "forensic_medicine"),
    Group("forensic_toxicology", "法医毒物", "forensic_medicine"),
    Group("documents", "文书", "physical_evidence"),
    Group("traces", "痕迹", "physical_evidence"),
    Group("traffic_traces", "交通事故痕迹物证", "physical_evidence"),
    Group("trace_evidence", "微量物证", "physical_evidence"),
    Group("audio", "录音", "audio_visual"),
    Group("image", "图像", "audio_visual"),
    Group("electronic_data", "电子数据", "audio_visual"),
    Group("pollutant_properties", "污染物性质", "environmental_damage"),
    Group("surface_water_sediment", "地表水与沉积物", "environmental_damage"),
    Group("air_pollution", "空气污染", "environmental_damage"),
    Group("soil_groundwater", "土壤与地下水", "environmental_damage"),
    Group("coastal_marine", "近岸海洋与海岸带", "environmental_damage"),
    Group("ecosystem", "生态系统", "environmental_damage"),
    Group("other_environmental", "其他环境损害", "environmental_damage"),
)

EMPLOYER_TYPES: tuple[EmployerType, ...] = (
    EmployerType("appraisal_institution", "司法鉴定机构"),
    EmployerType("university", "大专院校"),
    EmployerType("research_institute", "科研院所"),
    EmployerType("public_security", "公安机关", public_organ=True),
    EmployerType("procuratorate", "检察机关", public_organ=True),
    EmployerType("court", "审判机关", public_organ=True),
    EmployerType("state_security", "安全机关", public_organ=True),
    EmployerType("hospital", "医院"),
)

SUB_POOLS_BY_CODE = {sub_pool.code: sub_pool for sub_pool in SUB_POOLS}
GROUPS_BY_CODE = {group.code: group for group in GROUPS}
EMPLOYER_TYPES_BY_CODE = {employer_type.code: employer_type for employer_type in EMPLOYER_TYPES}
PUBLIC_ORGAN_TYPES = frozenset(t.code for t in EMPLOYER_TYPES if t.public_organ)

# Title levels (title_level). Only full_senior and associate_senior meet the
# requirement of a senior professional title (高级职称).
FULL_SENIOR = "full_senior"
ASSOCIATE_SENIOR = "associate_senior"
OTHER = "other"
TITLE_LEVELS = (FULL_SENIOR, ASSOCIATE_SENIOR, OTHER)

_TITLE_LEVELS: dict[str, str] = {
    **dict.fromkeys(
        (
            "教授", "研究员", "正高级工程师", "教授级高级工程师", "主任法医师", "主任医师",
            "主任技师", "主任药师", "主任护师", "正高级实验师",
        ),
        FULL_SENIOR,
    ),
    **dict.fromkeys(
        (
            "副教授", "副研究员", "高级工程师", "副主任法医师", "副主任医师", "副主任技师",
            "副主任药师", "副主任护师", "高级实验师", "高级讲师",
        ),
        ASSOCIATE_SENIOR,
    ),
    # 主检法医师 is the intermediate rank of the police forensic titles (主任, 副主任,
    # 主检, 法医师), so it is not a senior title even though it sounds like one.
    **dict.fromkeys(
        (
            "主检法医师", "法医师", "讲师", "助教", "助理研究员", "研究实习员", "工程师",
            "助理工程师", "技术员", "主治医师", "医师", "实验师", "助理实验师", "主管技师",
            "技师", "主管药师", "药师",
        ),
        OTHER,
    ),
}

_SUB_POOL_ALIASES: dict[str, str] = {
    **{sub_pool.name: sub_pool.code for sub_pool in SUB_POOLS},
    "法医": "forensic_medicine",
    "物证": "physical_evidence",
    "声像": "audio_visual",
    "环境": "environmental_damage",
}

_GROUP_ALIASES: dict[str, str] = {
    **{group.name: group.code for group in GROUPS},
    "法医精神疾病": "forensic_psychiatry",
    "法医物证(DNA)": "forensic_genetics",
    "交通事故痕迹": "traffic_traces",
    "微量": "trace_evidence",
    "地表水和沉积物": "surface_water_sediment",
    "近海海洋与海岸带": "coastal_marine",
    "其他": "other_environmental",
}

_EMPLOYER_TYPE_ALIASES: dict[str, str] = {
    **{employer_type.name: employer_type.code for employer_type in EMPLOYER_TYPES},
    "鉴定机构": "appraisal_institution",
    "司法鉴定所": "appraisal_institution",
    "高等院校": "university",
    "高校": "university",
    "大学": "university",
    "科研机构": "research_institute",
    "公安": "public_security",
    "检察院": "procuratorate",
    "人民检察院": "procuratorate",
    "法院": "court",
    "人民法院": "court",
    "国家安全机关": "state_security",
    "医疗机构": "hospital",
}

# Suffixes that hand-kept lists append to category names. The longest goes first so
# that 空气污染环境损害鉴定 becomes 空气污染, not 空气污染环境损害.
_CATEGORY_SUFFIXES = ("环境损害鉴定", "司法鉴定", "鉴定")
_SUB_POOL_SUFFIXES = ("司法鉴定", "鉴定", "类")

_WHITESPACE = re.compile(r"\s+")


def fold_text(text: str) -> str:
    """Return `text` with full-width forms folded (NFKC) and all whitespace removed."""
    return _WHITESPACE.sub("", unicodedata.normalize("NFKC", text))


def _lookup(text: str, aliases: dict[str, str], suffixes: tuple[str, ...]) -> str | None:
    key = fold_text(text)
    if key in aliases:
        return aliases[key]

    for suffix in suffixes:
        if key.endswith(suffix) and len(key) > len(suffix):
            stripped = key[: -len(suffix)]
            if stripped in aliases:
                return aliases[stripped]
    return None


def resolve_group(text: str) -> Group | None:
    """Return the professional group that `text` names, or None if it names none.

    Accepts the Chinese name, the aliases seen in hand-kept lists (法医精神疾病,
    法医物证（DNA）, 地表水和沉积物 ...), any of those followed by 鉴定, 司法鉴定 or
    环境损害鉴定, and the English code.
    """
    if fold_text(text) in GROUPS_BY_CODE:
        return GROUPS_BY_CODE[fold_text(text)]

    code = _lookup(text, _GROUP_ALIASES, _CATEGORY_SUFFIXES)
    return GROUPS_BY_CODE[code] if code else None


def resolve_practice_category(text: str) -> Group | None:
    """Return the group of an institution's practice category (执业类别).

    Institutions are licensed per appraisal category, which are the same categories as
    the professional groups of the pool.
    """
    return resolve_group(text)


def resolve_sub_pool(text: str) -> SubPool | None:
    """Return the sub-pool that `text` names (法医类, 法医, 物证类鉴定 ... or a code)."""
    if fold_text(text) in SUB_POOLS_BY_CODE:
        return SUB_POOLS_BY_CODE[fold_text(text)]

    code = _lookup(text, _SUB_POOL_ALIASES, _SUB_POOL_SUFFIXES)
    return SUB_POOLS_BY_CODE[code] if code else None


def resolve_employer_type(text: str) -> EmployerType | None:
    """Return the employer type that `text` names (司法鉴定机构, 高校, 法院 ... or a code)."""
    if fold_text(text) in EMPLOYER_TYPES_BY_CODE:
        return EMPLOYER_TYPES_BY_CODE[fold_text(text)]

    code = _EMPLOYER_TYPE_ALIASES.get(fold_text(text))
    return EMPLOYER_TYPES_BY_CODE[code] if code else None


def resolve_title_level(title: str) -> str | None:
    """Return `full_senior`, `associate_senior` or `other` for a title (职称), or None.

    None means the title is unknown, so eligibility cannot be decided from it.
    """
    return _TITLE_LEVELS.get(fold_text(title))

