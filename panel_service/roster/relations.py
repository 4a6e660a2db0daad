"""Parse the roster's conflict sheet (回避关系) and unavailability sheet (不可用时段).

Both sheets name an expert by ID number. The expert must be one that this roster
imports, or one of the `known_experts` that the caller passes (experts already in the
pool). A row that names a rejected roster row is rejected too, so that fixing the
roster row and re-importing brings both back together.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Callable

from panel_service.pool.taxonomy import fold_text
from panel_service.roster import limits
from panel_service.roster.idcard import parse_id_number
from panel_service.roster.normalise import (
    DatePrecision,
    InvalidValue,
    PartialDate,
    add_years,
    clean_name,
    clean_text,
    find_partial_date,
    normalise_institution_name,
    parse_partial_date,
)
from panel_service.roster.problems import RowReport
from panel_service.roster.registry import RegistryParse
from panel_service.roster.tables import ColumnSpec, SheetSpec, SourceRow

_EXPERT_COLUMNS = (
    ColumnSpec("expert_name", ("专家姓名", "姓名")),
    ColumnSpec("id_number", ("身份证号码", "身份证号", "公民身份号码", "身份证", "证件号码"), required=True),
)

CONFLICT_SHEET = SheetSpec(
    "回避关系",
    (
        *_EXPERT_COLUMNS,
        ColumnSpec("target_type", ("回避对象类型", "对象类型"), required=True),
        ColumnSpec("target", ("回避对象", "对象"), required=True),
        ColumnSpec("relation", ("关系", "关系类型"), required=True),
        ColumnSpec("explanation", ("说明", "情况说明")),
        ColumnSpec("note", ("备注",)),
        ColumnSpec("rejection_reason", ("错误原因",)),
    ),
    sheet_names=("回避", "回避信息", "利益冲突"),
)

UNAVAILABILITY_SHEET = SheetSpec(
    "不可用时段",
    (
        *_EXPERT_COLUMNS,
        ColumnSpec("starts_on", ("开始日期", "起始日期", "开始时间"), required=True),
        ColumnSpec("ends_on", ("结束日期", "截止日期", "结束时间"), required=True),
        ColumnSpec("reason", ("原因", "事由")),
        ColumnSpec("note", ("备注",)),
        ColumnSpec("rejection_reason", ("错误原因",)),
    ),
    sheet_names=("不可用时间", "不可用日期", "请假"),
)

INSTITUTION = "institution"
EXPERT = "expert"
_TARGET_TYPE_NAMES = {INSTITUTION: "单位", EXPERT: "专家"}

_TARGET_TYPES = {
    "单位": INSTITUTION, "机构": INSTITUTION, "鉴定机构": INSTITUTION, "司法鉴定机构": INSTITUTION,
    "专家": EXPERT, "个人": EXPERT, "人员": EXPERT,
}

# Relation codes and the texts seen for them. Relations with an institution bar
# the expert from matters of that institution; relations with an expert bar the two
# from sitting on one panel.
_INSTITUTION_RELATIONS = {
    "former_employment": ("曾任职", "原任职", "曾就职", "曾工作", "原工作单位"),
    "relative_employed": ("近亲属任职", "亲属任职", "近亲属在该单位任职"),
    "advisory": ("兼职顾问", "曾受聘为技术顾问", "技术顾问", "顾问", "曾任顾问", "兼职"),
}
_EXPERT_RELATIONS = {
    "spouse": ("配偶", "夫妻"),
    "teacher_student": ("师生", "导师", "学生", "师徒"),
    "same_research_group": ("同一课题组", "同课题组", "课题组"),
    "relative": ("近亲属", "亲属"),
}
_RELATIONS = {
    text: (code, kind)
    for kind, relations in ((INSTITUTION, _INSTITUTION_RELATIONS), (EXPERT, _EXPERT_RELATIONS))
    for code, texts in relations.items()
    for text in texts
}
OTHER_RELATION = "other"

_EXPERT_REFERENCE = re.compile(r"(?P<name>[^()]+)\((?P<digits>[0-9X]{4}|[0-9X]{18})\)")


@dataclass(frozen=True)
class Conflict:
    """A declared relation that forces recusal, with an institution or another expert."""

    source_row: int
    expert_id_number: str
    # "institution" or "expert".
    target_type: str
    # A code from the relation tables above, or "other" with the text kept.
    relation: str
    relation_text: str
    institution_name: str | None
    # normalise_institution_name of institution_name, to match the registry.
    institution_key: str | None
    other_expert_id_number: str | None
    # Last day of the employment period stated in 说明 (for former_employment).
    ended_on: dt.date | None
    ended_on_precision: DatePrecision | None
    # True when a former employment ended more than the look-back period before the
    # parse's as-of date, so that it no longer forces recusal. Kept for the record.
    lapsed: bool
    explanation: str | None
    note: str | None


@dataclass(frozen=True)
class Unavailability:
    """A period, both days included, in which an expert cannot be drawn."""

    source_row: int
    expert_id_number: str
    starts_on: dt.date
    ends_on: dt.date
    reason: str | None
    note: str | None


@dataclass
class ExpertDirectory:
    """The experts that the other sheets may name, and the roster rows rejected."""

    # ID number to name, for the imported experts and the caller's known experts.
    names: dict[str, str] = field(default_factory=dict)
    # (row, ID number if valid, name) of every rejected roster row.
    rejected: list[tuple[int, str | None, str | None]] = field(default_factory=list)

    def rejected_rows(self, *, id_number: str | None = None, name: str | None = None, id_suffix: str = "") -> list[int]:
        """Return the rejected rows with this ID number, or with this name.

        With `id_suffix`, a row found by name must have an ID number that ends with
        it, or no valid ID number at all.
        """
        return [
            row
            for row, rejected_id, rejected_name in self.rejected
            if (id_number and rejected_id == id_number)
            or (name and rejected_name == name and (rejected_id is None or rejected_id.endswith(id_suffix)))
        ]


def resolve_expert(report: RowReport, directory: ExpertDirectory) -> str | None:
    """Return the ID number of the expert a row names, or None after an error."""
    value = report.values.get("id_number")
    if clean_text(value) is None:
        report.error("id_number", "missing_value")
        return None
    try:
        id_number = parse_id_number(value)
    except InvalidValue as error:
        report.invalid("id_number", error)
        return None
    if id_number.reformatted:
        report.warning("id_number", "id_reformatted", normalised=id_number.number)
    if id_number.stored_as_number:
        report.warning("id_number", "id_stored_as_number")

    number = id_number.number
    name = clean_name(report.values.get("expert_name"))
    if number in directory.names:
        if name and name != directory.names[number]:
            report.error("expert_name", "expert_name_mismatch", roster_name=directory.names[number])
        return number

    _report_unknown_expert(report, directory, number, name)
    return None


def _report_unknown_expert(report: RowReport, directory: ExpertDirectory, number: str, name: str | None) -> None:
    rows = directory.rejected_rows(id_number=number)
    if rows:
        report.error("id_number", "expert_row_rejected", rows=rows)
        return
    # An ID that Excel turned into a number cannot match, but the name can point the
    # user at the rejected row that is probably the same person.
    rows = directory.rejected_rows(name=name) if name else []
    if rows:
        report.error("id_number", "expert_not_found_rejected_name", rows=rows)
    else:
        report.error("id_number", "expert_not_found")


# Conflicts --------------------------------------------------------------------------


def parse_conflict_row(
    report: RowReport,
    row: SourceRow,
    directory: ExpertDirectory,
    registry: RegistryParse | None,
    as_of: dt.date,
    lookback_years: int,
) -> Conflict | None:
    """Parse one row of the conflict sheet, adding its problems to `report`."""
    expert_id = resolve_expert(report, directory)
    target_type = _target_type(report)
    relation, relation_text = _relation(report, target_type)
    institution_name = other_expert_id = None
    if target_type == INSTITUTION:
        institution_name = _target_institution(report, registry)
    elif target_type == EXPERT:
        other_expert_id = _target_expert(report, directory, expert_id)

    explanation = _text(report, "explanation", limits.CONFLICT_NOTE)
    note = _text(report, "note", limits.CONFLICT_NOTE)
    ended = _employment_end(report, explanation, as_of) if relation == "former_employment" else None
    if report.has_errors:
        return None

    ended_on = ended.last_day() if ended else None
    return Conflict(
        source_row=row.number,
        expert_id_number=expert_id,
        target_type=target_type,
        relation=relation,
        relation_text=relation_text,
        institution_name=institution_name,
        institution_key=normalise_institution_name(institution_name) if institution_name else None,
        other_expert_id_number=other_expert_id,
        ended_on=ended_on,
        ended_on_precision=ended.precision if ended else None,
        lapsed=ended_on is not None and add_years(ended_on, lookback_years) < as_of,
        explanation=explanation,
        note=note,
    )


def conflict_key(conflict: Conflict) -> tuple[object, ...]:
    """Return what makes two conflict rows the same declaration.

    A relation between two experts binds both alike, so A-B and B-A are one.
    """
    # Unclassified relations differ by their text, so two of them are not merged.
    relation = (conflict.relation, fold_text(conflict.relation_text) if conflict.relation == OTHER_RELATION else "")
    if conflict.target_type == EXPERT:
        pair = frozenset((conflict.expert_id_number, conflict.other_expert_id_number))
        return (EXPERT, relation, pair)
    return (INSTITUTION, relation, conflict.expert_id_number, conflict.institution_key)


def _target_type(report: RowReport) -> str | None:
    text = clean_text(report.values.get("target_type"))
    if text is None:
        report.error("target_type", "missing_value")
        return None
    target_type = _TARGET_TYPES.get(fold_text(text))
    if target_type is None:
        report.error("target_type", "unknown_target_type")
    return target_type


def _relation(report: RowReport, target_type: str | None) -> tuple[str | None, str | None]:
    text = clean_text(report.values.get("relation"))
    if text is None:
        report.error("relation", "missing_value")
        return None, None
    report.check_length("relation", text, limits.RELATION_TEXT)

    code, kind = _RELATIONS.get(fold_text(text), (OTHER_RELATION, None))
    if code == OTHER_RELATION:
        report.warning("relation", "relation_unclassified")
    elif target_type is not None and kind != target_type:
        report.error("relation", "relation_target_mismatch", expected=_TARGET_TYPE_NAMES[kind])
    return code, text


def _target_institution(report: RowReport, registry: RegistryParse | None) -> str | None:
    name = clean_text(report.values.get("target"), fold=False)
    if name is None:
        report.error("target", "missing_value")
        return None
    key = normalise_institution_name(name)
    if not report.check_length("target", key, limits.INSTITUTION_KEY):
        return None
    if registry is not None and registry.find(key) is None:
        report.warning("target", "target_institution_not_in_registry")
    return name


def _target_expert(report: RowReport, directory: ExpertDirectory, expert_id: str | None) -> str | None:
    """Resolve 郭琴（4362）: a name and the last four ID characters, or a full ID."""
    text = clean_text(report.values.get("target"))
    if text is None:
        report.error("target", "missing_value")
        return None

    folded = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).upper()
    match = _EXPERT_REFERENCE.fullmatch(folded)
    if match:
        name, digits = match["name"], match["digits"]
    elif "(" not in folded and ")" not in folded:
        name, digits = folded, ""
    else:
        report.error("target", "target_expert_unreadable")
        return None

    candidates = [number for number, known in directory.names.items() if known == name and number.endswith(digits)]
    if len(candidates) > 1:
        report.error("target", "target_expert_ambiguous", count=len(candidates))
        return None
    if not candidates:
        rows = directory.rejected_rows(name=name, id_suffix=digits)
        report.error("target", "target_expert_rejected" if rows else "target_expert_not_found", rows=rows)
        return None

    if candidates[0] == expert_id:
        report.error("target", "target_is_self")
        return None
    if not digits:
        report.warning("target", "target_expert_by_name_only", id_suffix=candidates[0][-4:])
    return candidates[0]


def _employment_end(report: RowReport, explanation: str | None, as_of: dt.date) -> PartialDate | None:
    ended = find_partial_date(explanation) if explanation else None
    if ended is None:
        # Without an end date the former employment counts as recent, which is the
        # cautious reading for recusal.
        report.warning("explanation", "employment_end_missing")
        return None
    if ended.first_day() > as_of:
        report.warning("explanation", "date_after_as_of", date=str(ended), as_of=as_of.isoformat())
    return ended


# Unavailability ---------------------------------------------------------------------


def parse_unavailability_row(report: RowReport, row: SourceRow, directory: ExpertDirectory) -> Unavailability | None:
    """Parse one row of the unavailability sheet, adding its problems to `report`."""
    expert_id = resolve_expert(report, directory)
    starts_on = _period_day(report, "starts_on", PartialDate.first_day)
    ends_on = _period_day(report, "ends_on", PartialDate.last_day)
    if starts_on and ends_on and ends_on < starts_on:
        report.error("ends_on", "end_before_start", start=starts_on.isoformat())
    reason = _text(report, "reason", limits.UNAVAILABILITY_REASON)
    note = _text(report, "note", limits.NOTE)
    if report.has_errors:
        return None

    return Unavailability(
        source_row=row.number,
        expert_id_number=expert_id,
        starts_on=starts_on,
        ends_on=ends_on,
        reason=reason,
        note=note,
    )


def _period_day(report: RowReport, field_name: str, expand: Callable[[PartialDate], dt.date]) -> dt.date | None:
    value = report.values.get(field_name)
    if clean_text(value) is None:
        report.error(field_name, "missing_value")
        return None
    try:
        partial = parse_partial_date(value)
    except InvalidValue as error:
        report.invalid(field_name, error)
        return None

    day = expand(partial)
    if partial.precision is not DatePrecision.DAY:
        report.warning(field_name, "date_expanded", date=day.isoformat())
    return day


def _text(report: RowReport, field_name: str, maximum: int) -> str | None:
    text = clean_text(report.values.get(field_name))
    report.check_length(field_name, text, maximum)
    return text
