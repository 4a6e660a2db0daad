"""Parse the expert rows of the roster sheet (专家名册).

Each row becomes an `Expert` or, if it has an error, stays out with its problems.
The ID number is the expert's identity, so a row whose ID is invalid, or whose sex or
birth date contradicts the ID, is rejected rather than imported under a guess.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Callable

from panel_service.pool.taxonomy import (
    EMPLOYER_TYPES_BY_CODE,
    SUB_POOLS_BY_CODE,
    fold_text,
    resolve_employer_type,
    resolve_group,
    resolve_sub_pool,
    resolve_title_level,
)
from panel_service.roster import limits
from panel_service.roster.eligibility import TERM_YEARS, ExpertStatus, StatusReason, age_on, assess_eligibility
from panel_service.roster.idcard import IdNumber, parse_id_number
from panel_service.roster.normalise import (
    DatePrecision,
    InvalidValue,
    PartialDate,
    add_years,
    clean_identifier,
    clean_name,
    clean_text,
    normalise_email,
    normalise_institution_name,
    normalise_phone,
    parse_partial_date,
    parse_whole_number,
)
from panel_service.roster.problems import RowReport, Severity
from panel_service.roster.registry import RegistryParse
from panel_service.roster.tables import ColumnSpec, SheetSpec, SourceRow

ROSTER_SHEET = SheetSpec(
    "专家名册",
    (
        ColumnSpec("sequence", ("序号", "编号")),
        ColumnSpec("name", ("姓名", "专家姓名"), required=True),
        ColumnSpec("sex", ("性别",)),
        ColumnSpec("birth_date", ("出生年月", "出生日期", "出生年月日")),
        ColumnSpec("id_number", ("身份证号码", "身份证号", "公民身份号码", "身份证", "证件号码"), required=True),
        ColumnSpec("employer", ("工作单位", "单位", "单位名称", "工作单位名称", "所在单位"), required=True),
        ColumnSpec("employer_type", ("单位类别", "单位类型", "单位性质")),
        ColumnSpec("title", ("职称", "专业技术职称", "技术职称"), required=True),
        ColumnSpec("years_of_service", ("从事鉴定相关工作年限", "工作年限", "从业年限", "从事鉴定工作年限"), required=True),
        ColumnSpec("licence_number", ("司法鉴定人执业证号", "执业证号", "执业证号码")),
        ColumnSpec("sub_pool", ("子库",)),
        ColumnSpec("group", ("专业组",), required=True),
        ColumnSpec("recommendation", ("推荐方式",)),
        ColumnSpec("term_start", ("聘期起始", "聘期开始", "聘期起")),
        ColumnSpec("term_end", ("聘期截止", "聘期结束", "聘期止", "聘期至")),
        ColumnSpec("phone", ("手机", "手机号码", "联系电话", "电话")),
        ColumnSpec("email", ("电子邮箱", "邮箱", "电子邮件", "email", "e-mail")),
        ColumnSpec("note", ("备注",)),
        ColumnSpec("rejection_reason", ("错误原因",)),
    ),
    sheet_names=("专家库名册", "名册"),
)

# A value above this is more likely a year or a typing slip than years of work.
MAX_YEARS_OF_SERVICE = 60
# Appraisal-related work does not start before this age, so more years of service
# than (age - this) suggest a wrong birth date or a wrong number of years.
EARLIEST_WORKING_AGE = 18

_SEXES = {"男": "male", "男性": "male", "M": "male", "MALE": "male", "女": "female", "女性": "female", "F": "female", "FEMALE": "female"}
_SEX_NAMES = {"male": "男", "female": "女"}

# Art 7(2): organs, a professional committee, or two full-senior appraisers recommend.
_RECOMMENDATION_KEYWORDS = (
    ("专业委员会", "professional_committee"),
    ("专委会", "professional_committee"),
    ("联名", "two_full_senior_appraisers"),
    ("正高", "two_full_senior_appraisers"),
    ("机关", "organ"),
    ("单位", "employer"),
)


@dataclass(frozen=True)
class Expert:
    """One imported roster row, normalised. Codes come from `pool.taxonomy`."""

    source_row: int
    name: str
    sex: str  # "male" or "female"
    # From the ID number, after checking it against the 出生年月 column, so the
    # precision is always DAY for a parsed roster row.
    birth_date: dt.date
    birth_date_precision: DatePrecision
    id_number: str
    # The employer as written, trimmed, brackets kept; employer_key matches it to
    # the registry (normalise_institution_name).
    employer_name: str
    employer_key: str
    employer_type: str | None
    title: str
    title_level: str
    years_of_service: int
    licence_number: str | None
    sub_pool: str
    group: str
    # professional_committee, two_full_senior_appraisers, organ, employer or None.
    # recommendation_text is the cell as written.
    recommendation: str | None
    recommendation_text: str | None
    term_start: dt.date | None
    term_end: dt.date | None
    phone: str | None
    email: str | None
    note: str | None
    status: ExpertStatus
    status_reasons: tuple[StatusReason, ...]


@dataclass(frozen=True)
class ParsedExpertRow:
    """A roster row after parsing: the expert if the row has no error, and its report."""

    report: RowReport
    expert: Expert | None
    # The valid ID number even when another field has an error, so that duplicate
    # IDs and references from other sheets can still be traced to the row.
    id_number: str | None
    name: str | None


def parse_expert_row(
    report: RowReport, row: SourceRow, as_of: dt.date, registry: RegistryParse | None
) -> ParsedExpertRow:
    """Parse one roster row, adding its problems to `report`."""
    parser = _ExpertRowParser(report, row.values, as_of, registry)
    expert = parser.parse(row.number)
    return ParsedExpertRow(report, None if report.has_errors else expert, parser.id_number, parser.name)


def flag_duplicate_ids(rows: list[ParsedExpertRow]) -> None:
    """Reject every row whose ID number appears in another row.

    Art 4: an expert belongs to one group of one sub-pool, so two rows with one ID
    cannot both be right, and the parser cannot know which one is.
    """
    rows_by_id: dict[str, list[ParsedExpertRow]] = defaultdict(list)
    for row in rows:
        if row.id_number:
            rows_by_id[row.id_number].append(row)

    for duplicates in rows_by_id.values():
        if len(duplicates) > 1:
            for row in duplicates:
                others = [other.report.row for other in duplicates if other is not row]
                row.report.error("id_number", "duplicate_id_number", rows=others)


def flag_duplicate_licences(rows: list[ParsedExpertRow]) -> None:
    """Warn about one licence number on rows of different ID numbers."""
    rows_by_licence: dict[str, list[ParsedExpertRow]] = defaultdict(list)
    for row in rows:
        if row.expert and row.expert.licence_number:
            rows_by_licence[row.expert.licence_number].append(row)

    for duplicates in rows_by_licence.values():
        if len({row.id_number for row in duplicates}) > 1:
            for row in duplicates:
                others = [other.report.row for other in duplicates if other is not row]
                row.report.warning("licence_number", "duplicate_licence_number", rows=others)


class _ExpertRowParser:
    """Parse the fields of one row, in the order in which they depend on each other."""

    def __init__(self, report: RowReport, values: dict[str, object], as_of: dt.date, registry: RegistryParse | None):
        self.report = report
        self.values = values
        self.as_of = as_of
        self.registry = registry
        self.id_number: str | None = None
        self.name: str | None = None

    def parse(self, source_row: int) -> Expert | None:
        self.name = self._name()
        id_number = self._id_number()
        self.id_number = id_number.number if id_number else None

        sex = self._sex(id_number)
        birth_date = self._birth_date(id_number)
        employer_name, employer_type, licence_number = self._employer()
        title, title_level = self._title()
        years_of_service = self._years_of_service(birth_date)
        sub_pool, group = self._group()
        recommendation, recommendation_text = self._recommendation()
        term_start, term_end = self._term()
        phone = self._contact("phone", normalise_phone, limits.PHONE)
        email = self._contact("email", normalise_email, limits.EMAIL)
        note = self._text("note", limits.NOTE)

        if self.report.has_errors:
            return None
        status, reasons = assess_eligibility(
            title_level=title_level,
            years_of_service=years_of_service,
            birth_date=birth_date,
            term_start=term_start,
            term_end=term_end,
            as_of=self.as_of,
        )
        return Expert(
            source_row=source_row,
            name=self.name,
            sex=sex,
            birth_date=birth_date,
            birth_date_precision=DatePrecision.DAY,
            id_number=id_number.number,
            employer_name=employer_name,
            employer_key=normalise_institution_name(employer_name),
            employer_type=employer_type,
            title=title,
            title_level=title_level,
            years_of_service=years_of_service,
            licence_number=licence_number,
            sub_pool=sub_pool,
            group=group,
            recommendation=recommendation,
            recommendation_text=recommendation_text,
            term_start=term_start,
            term_end=term_end,
            phone=phone,
            email=email,
            note=note,
            status=status,
            status_reasons=reasons,
        )

    # Identity ----------------------------------------------------------------------

    def _name(self) -> str | None:
        name = clean_name(self.values.get("name"))
        if name is None:
            self.report.error("name", "missing_value")
        self.report.check_length("name", name, limits.EXPERT_NAME)
        return name

    def _id_number(self) -> IdNumber | None:
        value = self.values.get("id_number")
        if clean_text(value) is None:
            self.report.error("id_number", "missing_value")
            return None
        try:
            id_number = parse_id_number(value)
        except InvalidValue as error:
            self.report.invalid("id_number", error)
            return None

        if id_number.reformatted:
            self.report.warning("id_number", "id_reformatted", normalised=id_number.number)
        if id_number.stored_as_number:
            self.report.warning("id_number", "id_stored_as_number")
        return id_number

    def _sex(self, id_number: IdNumber | None) -> str | None:
        text = clean_text(self.values.get("sex"))
        if id_number is None:
            return None
        from_id = id_number.sex

        if text is None:
            self.report.warning("sex", "sex_filled_from_id", sex=_SEX_NAMES[from_id])
            return from_id
        written = _SEXES.get(text.upper())
        if written is None:
            self.report.warning("sex", "invalid_sex", sex=_SEX_NAMES[from_id])
            return from_id
        if written != from_id:
            self.report.error("sex", "sex_mismatch", id_sex=_SEX_NAMES[from_id])
        return from_id

    def _birth_date(self, id_number: IdNumber | None) -> dt.date | None:
        if id_number is None:
            return None
        birth_date = id_number.birth_date
        if not self._birth_date_is_plausible(birth_date):
            return None

        value = self.values.get("birth_date")
        if clean_text(value) is None:
            self.report.warning("birth_date", "birth_date_filled_from_id", birth=birth_date.isoformat())
            return birth_date
        try:
            written = parse_partial_date(value)
        except InvalidValue:
            self.report.warning("birth_date", "birth_date_unreadable", birth=birth_date.isoformat())
            return birth_date

        if not written.contains(birth_date):
            self.report.error("birth_date", "birth_date_mismatch", id_birth=birth_date.isoformat())
        return birth_date

    def _birth_date_is_plausible(self, birth_date: dt.date) -> bool:
        age = age_on(birth_date, self.as_of)
        if not EARLIEST_WORKING_AGE <= age <= 100:
            self.report.error("id_number", "implausible_birth_date", birth=birth_date.isoformat(), age=age)
            return False
        return True

    # Employment --------------------------------------------------------------------

    def _employer(self) -> tuple[str | None, str | None, str | None]:
        name = clean_text(self.values.get("employer"), fold=False)
        if name is None:
            self.report.error("employer", "missing_value")
        elif self.report.check_length("employer", name, limits.EMPLOYER_NAME):
            # NFKC can lengthen a name (㈱ becomes (株)), so the key is checked too.
            self.report.check_length("employer", normalise_institution_name(name), limits.EMPLOYER_NAME)

        employer_type = self._employer_type()
        if name is not None and self.registry is not None:
            self._check_registry(name, employer_type)
        licence_number = self._licence_number(employer_type)
        return name, employer_type, licence_number

    def _employer_type(self) -> str | None:
        text = clean_text(self.values.get("employer_type"))
        if text is None:
            self.report.warning("employer_type", "employer_type_missing")
            return None
        employer_type = resolve_employer_type(text)
        if employer_type is None:
            self.report.warning("employer_type", "unknown_employer_type")
            return None
        return employer_type.code

    def _check_registry(self, name: str, employer_type: str | None) -> None:
        institution = self.registry.find(normalise_institution_name(name))
        if institution is None:
            if employer_type == "appraisal_institution":
                self.report.warning("employer", "employer_not_in_registry")
            return

        if employer_type not in (None, "appraisal_institution"):
            self.report.warning(
                "employer_type", "employer_type_mismatch", expected=EMPLOYER_TYPES_BY_CODE["appraisal_institution"].name
            )
        # Art 6(5) admits appraisers from other provinces only if influential in
        # their field, which a person has to judge.
        if institution.out_of_province:
            self.report.warning("employer", "employer_out_of_province", district=institution.district or "")

    def _licence_number(self, employer_type: str | None) -> str | None:
        licence = clean_identifier(self.values.get("licence_number"))
        if licence is None:
            if employer_type == "appraisal_institution":
                self.report.warning("licence_number", "licence_missing")
            return None
        if not licence.isalnum() or not 6 <= len(licence) <= 20:
            self.report.warning("licence_number", "invalid_licence_number")
            return None
        return licence

    def _title(self) -> tuple[str | None, str | None]:
        title = clean_text(self.values.get("title"))
        if title is None:
            self.report.error("title", "missing_value")
            return None, None
        level = resolve_title_level(title)
        if level is None:
            self.report.error("title", "unknown_title")
        self.report.check_length("title", fold_text(title), limits.TITLE)
        return fold_text(title), level

    def _years_of_service(self, birth_date: dt.date | None) -> int | None:
        value = self.values.get("years_of_service")
        if clean_text(value) is None:
            self.report.error("years_of_service", "missing_value")
            return None
        try:
            years = parse_whole_number(value, units=("年以上", "年"))
        except InvalidValue as error:
            self.report.invalid("years_of_service", error)
            return None

        if years > MAX_YEARS_OF_SERVICE:
            self.report.error("years_of_service", "years_of_service_out_of_range", maximum=MAX_YEARS_OF_SERVICE)
            return None
        if birth_date is not None and years > age_on(birth_date, self.as_of) - EARLIEST_WORKING_AGE:
            self.report.warning("years_of_service", "implausible_years_of_service", age=age_on(birth_date, self.as_of))
        return years

    # Pool placement ----------------------------------------------------------------

    def _group(self) -> tuple[str | None, str | None]:
        group_text = clean_text(self.values.get("group"))
        if group_text is None:
            self.report.error("group", "missing_value")
            return None, None
        group = resolve_group(group_text)
        if group is None:
            self.report.error("group", "unknown_group")
            return None, None
        if fold_text(group_text) != group.name:
            self.report.warning("group", "group_alias_mapped", group=group.name)

        sub_pool_name = SUB_POOLS_BY_CODE[group.sub_pool].name
        sub_pool_text = clean_text(self.values.get("sub_pool"))
        if sub_pool_text is None:
            self.report.warning("sub_pool", "sub_pool_inferred", sub_pool=sub_pool_name, group=group.name)
            return group.sub_pool, group.code

        sub_pool = resolve_sub_pool(sub_pool_text)
        if sub_pool is None:
            self.report.error("sub_pool", "unknown_sub_pool")
        elif sub_pool.code != group.sub_pool:
            self.report.error("sub_pool", "sub_pool_mismatch", group=group.name, expected=sub_pool_name)
        elif fold_text(sub_pool_text) != sub_pool.name:
            self.report.warning("sub_pool", "sub_pool_alias_mapped", sub_pool=sub_pool.name)
        return group.sub_pool, group.code

    def _recommendation(self) -> tuple[str | None, str | None]:
        text = clean_text(self.values.get("recommendation"))
        if text is None:
            self.report.warning("recommendation", "recommendation_missing")
            return None, None
        self.report.check_length("recommendation", text, limits.RECOMMENDATION)

        # NOTE: Art 7(2) lists organs, committees and two full-senior appraisers as
        # recommenders. 单位推荐 by an employer that is not an organ is kept as
        # written and not judged here.
        for keyword, code in _RECOMMENDATION_KEYWORDS:
            if keyword in text:
                return code, text
        self.report.warning("recommendation", "unknown_recommendation")
        return None, text

    def _term(self) -> tuple[dt.date | None, dt.date | None]:
        start, start_readable = self._term_date("term_start", PartialDate.first_day)
        end, end_readable = self._term_date("term_end", PartialDate.last_day)
        if not (start_readable and end_readable):
            return start, end

        if start is None and end is None:
            self.report.warning("term_start", "term_missing")
            return None, None
        if start is None:
            self.report.warning("term_start", "term_start_missing")
            return None, end
        if end is None:
            end = add_years(start, TERM_YEARS) - dt.timedelta(days=1)
            self.report.warning("term_end", "term_end_inferred", term_end=end.isoformat())
            return start, end

        if end < start:
            self.report.error("term_end", "term_end_before_start", start=start.isoformat())
        elif end != add_years(start, TERM_YEARS) - dt.timedelta(days=1):
            self.report.warning("term_end", "term_length_unusual", start=start.isoformat(), years=TERM_YEARS)
        return start, end

    def _term_date(self, field_name: str, expand: Callable[[PartialDate], dt.date]) -> tuple[dt.date | None, bool]:
        """Return the date (None if the cell is empty) and whether the cell was readable."""
        value = self.values.get(field_name)
        if clean_text(value) is None:
            return None, True
        try:
            partial = parse_partial_date(value)
        except InvalidValue as error:
            self.report.invalid(field_name, error)
            return None, False

        day = expand(partial)
        if partial.precision is not DatePrecision.DAY:
            self.report.warning(field_name, "date_expanded", date=day.isoformat())
        return day, True

    def _contact(self, field_name: str, normalise: Callable[[object], str], maximum: int) -> str | None:
        value = self.values.get(field_name)
        if clean_text(value) is None:
            return None
        try:
            contact = normalise(value)
        except InvalidValue as error:
            self.report.invalid(field_name, error, Severity.WARNING)
            return None
        self.report.check_length(field_name, contact, maximum)
        return contact

    def _text(self, field_name: str, maximum: int) -> str | None:
        text = clean_text(self.values.get(field_name))
        self.report.check_length(field_name, text, maximum)
        return text
