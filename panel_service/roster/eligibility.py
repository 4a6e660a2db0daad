"""Decide an expert's status on a given day from the eligibility rules of the Measures.

Art 6 requires a senior professional title, at least ten years of appraisal-related
work and an age generally not over 70. Art 5 sets a five-year term. The day is always
a parameter: a status computed at import goes stale, so a draw must assess again on
its own date.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from panel_service.pool.taxonomy import ASSOCIATE_SENIOR, FULL_SENIOR

# 从事司法鉴定相关工作十年以上: 以上 in Chinese legal texts includes the number itself,
# so exactly ten years qualifies.
MIN_YEARS_OF_SERVICE = 10
# 年龄一般不超过70岁, read in completed years (周岁): an expert is over 70 from the
# 71st birthday on.
MAX_AGE = 70
TERM_YEARS = 5


class ExpertStatus(StrEnum):
    ACTIVE = "active"
    # Over 70: may serve only after a recorded decision, because Art 6 limits the
    # age to 70 only "generally" (一般).
    PENDING_REVIEW = "pending_review"
    TERM_NOT_STARTED = "term_not_started"
    TERM_EXPIRED = "term_expired"
    INELIGIBLE = "ineligible"


class StatusReason(StrEnum):
    TITLE_BELOW_SENIOR = "title_below_senior"
    SERVICE_UNDER_10_YEARS = "service_under_10_years"
    OVER_70 = "over_70"
    TERM_EXPIRED = "term_expired"
    TERM_NOT_STARTED = "term_not_started"


# When several reasons apply, the status shows the one that blocks longest.
_STATUS_BY_REASON = {
    StatusReason.TITLE_BELOW_SENIOR: ExpertStatus.INELIGIBLE,
    StatusReason.SERVICE_UNDER_10_YEARS: ExpertStatus.INELIGIBLE,
    StatusReason.TERM_EXPIRED: ExpertStatus.TERM_EXPIRED,
    StatusReason.TERM_NOT_STARTED: ExpertStatus.TERM_NOT_STARTED,
    StatusReason.OVER_70: ExpertStatus.PENDING_REVIEW,
}
_STATUS_ORDER = (
    ExpertStatus.INELIGIBLE,
    ExpertStatus.TERM_EXPIRED,
    ExpertStatus.TERM_NOT_STARTED,
    ExpertStatus.PENDING_REVIEW,
)


def age_on(birth_date: dt.date, day: dt.date) -> int:
    """Return the age in completed years (周岁) on `day`."""
    had_birthday = (day.month, day.day) >= (birth_date.month, birth_date.day)
    return day.year - birth_date.year - (0 if had_birthday else 1)


def assess_eligibility(
    *,
    title_level: str,
    years_of_service: int,
    birth_date: dt.date,
    term_start: dt.date | None,
    term_end: dt.date | None,
    as_of: dt.date,
) -> tuple[ExpertStatus, tuple[StatusReason, ...]]:
    """Return the status on `as_of` and every reason that keeps it from `active`.

    A missing term date is no reason: the term rules apply only to the dates given.
    """
    reasons: list[StatusReason] = []
    if title_level not in (FULL_SENIOR, ASSOCIATE_SENIOR):
        reasons.append(StatusReason.TITLE_BELOW_SENIOR)
    if years_of_service < MIN_YEARS_OF_SERVICE:
        reasons.append(StatusReason.SERVICE_UNDER_10_YEARS)
    if age_on(birth_date, as_of) > MAX_AGE:
        reasons.append(StatusReason.OVER_70)
    if term_end is not None and term_end < as_of:
        reasons.append(StatusReason.TERM_EXPIRED)
    if term_start is not None and term_start > as_of:
        reasons.append(StatusReason.TERM_NOT_STARTED)

    statuses = {_STATUS_BY_REASON[reason] for reason in reasons}
    status = next((status for status in _STATUS_ORDER if status in statuses), ExpertStatus.ACTIVE)
    return status, tuple(reasons)
