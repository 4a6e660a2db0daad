"""Translatable texts of draws: exclusion reasons, unmet rules and proposed relaxations."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from flask_babel import gettext, lazy_gettext as _l

from panel_service.errors import PanelError
from panel_service.pool.taxonomy import EMPLOYER_TYPES_BY_CODE, SUB_POOLS_BY_CODE

EXCLUSION_LABELS = {
    "status_term_expired": _l("term expired"),
    "status_term_not_started": _l("term not started"),
    "status_ineligible": _l("not eligible (title or years of service)"),
    "status_pending_review": _l("over 70, awaiting a recorded decision"),
    "status_removed": _l("removed from the pool"),
    "status_banned": _l("permanently banned"),
    "term_expired": _l("term ends before the panel's last day"),
    "term_not_started": _l("term starts after the panel's first day"),
    "employee_of_target": _l("works at the target institution"),
    "former_employee_of_target": _l("worked at the target institution recently"),
    "conflict_with_target": _l("declared a conflict with the target institution"),
    "unavailable": _l("unavailable on the panel's dates"),
    "on_overlapping_panel": _l("already on another panel on overlapping dates"),
    "drawable": _l("drawable"),
}

GROUP_LABELS = {
    "forensic_pathology": _l("forensic pathology"),
    "forensic_clinical": _l("forensic clinical medicine"),
    "forensic_psychiatry": _l("forensic psychiatry"),
    "forensic_genetics": _l("forensic genetics"),
    "forensic_toxicology": _l("forensic toxicology"),
    "documents": _l("questioned documents"),
    "traces": _l("trace marks"),
    "traffic_traces": _l("traffic accident traces"),
    "trace_evidence": _l("trace evidence"),
    "audio": _l("audio recordings"),
    "image": _l("images"),
    "electronic_data": _l("electronic data"),
    "pollutant_properties": _l("pollutant properties"),
    "surface_water_sediment": _l("surface water and sediment"),
    "air_pollution": _l("air pollution"),
    "soil_groundwater": _l("soil and groundwater"),
    "coastal_marine": _l("coastal and marine areas"),
    "ecosystem": _l("ecosystems"),
    "other_environmental": _l("other environmental damage"),
}

STATUS_LABELS = {
    "active": _l("active"),
    "term_expired": _l("term expired"),
    "term_not_started": _l("term not started"),
    "ineligible": _l("not eligible"),
    "pending_review": _l("awaiting a decision"),
    "removed": _l("removed from the pool"),
    "banned": _l("permanently banned"),
    "committed": _l("committed"),
    "revealed": _l("revealed"),
    "voided": _l("void"),
}

ATTRIBUTE_LABELS = {
    "title_level": _l("title level"),
    "employer_type": _l("employer type"),
    "employer_category": _l("employer category"),
    "sub_pool": _l("sub-pool"),
}

VALUE_LABELS = {
    "full_senior": _l("full senior title"),
    "associate_senior": _l("associate senior title"),
    "other": _l("other"),
    "public_organ": _l("public security, procuratorate, court or state security organ"),
    "academic": _l("university or research institute"),
    "appraisal_institution": _l("appraisal institution"),
    "hospital": _l("hospital"),
    "university": _l("university"),
    "research_institute": _l("research institute"),
    "public_security": _l("public security organ"),
    "procuratorate": _l("procuratorate"),
    "court": _l("court"),
    "state_security": _l("state security organ"),
    "forensic_medicine": _l("forensic medicine"),
    "physical_evidence": _l("physical evidence"),
    "audio_visual": _l("audio-visual and electronic data"),
    "environmental_damage": _l("environmental damage"),
}

SHORTFALL_TEMPLATES = {
    "group_short": _l("Group %(group)s needs %(required)s, %(available)s eligible"),
    "group_short_employers": _l(
        "Group %(group)s needs %(required)s from different employers, but the eligible experts work at only %(employers)s employers"
    ),
    "attribute_min_short": _l("The rule %(attribute)s = %(value)s needs at least %(required)s, %(available)s eligible"),
    "attribute_max_exceeded": _l("The rule %(attribute)s = %(value)s allows at most %(maximum)s, which the other rules cannot meet"),
    "leader_missing": _l("A leader with a full senior title is required, but no eligible expert has one"),
    "rules_combination": _l("Each rule can be met alone, but not all of them together"),
}

RELAXATION_TEMPLATES = {
    "lower_group_count": _l("Lower the count of group %(group)s from %(from)s to %(to)s"),
    "allow_shared_employer": _l("Allow %(count)s experts of %(employer)s on the panel"),
    "lower_attribute_min": _l("Lower the minimum of %(attribute)s = %(value)s from %(from)s to %(to)s"),
    "raise_attribute_max": _l("Raise the maximum of %(attribute)s = %(value)s from %(from)s to %(to)s"),
    "drop_leader_rule": _l("Do not require a leader with a full senior title"),
    "ignore_conflict_pair": _l("Ignore the declared conflict between %(a)s and %(b)s"),
}

LIST_SEPARATOR = _l("; ")
WITH_EXCLUSIONS = _l("%(rule)s (%(excluded)s)")
NO_PANEL = _l("No panel meets the rules: %(reasons)s.")
EXCLUDED = _l("excluded: %(parts)s")
COUNTED = _l("%(count)s %(reason)s")


def group_name(code: Any) -> str:
    """Return the professional group's name in the reader's locale (Chinese by default)."""
    label = GROUP_LABELS.get(str(code))
    return str(label) if label is not None else str(code)


def value_label(code: Any) -> str:
    """Return the display name of an attribute value code (title level, employer type …)."""
    code = str(code)
    if code in VALUE_LABELS:
        return str(VALUE_LABELS[code])
    if code in EMPLOYER_TYPES_BY_CODE:
        return EMPLOYER_TYPES_BY_CODE[code].name
    if code in SUB_POOLS_BY_CODE:
        return SUB_POOLS_BY_CODE[code].name
    return group_name(code)


def status_label(code: Any) -> str:
    label = STATUS_LABELS.get(str(code))
    return str(label) if label is not None else str(code)


def _display(key: str, value: Any, names: Mapping[str, str]) -> Any:
    if key == "group":
        return group_name(value)
    if key == "attribute":
        label = ATTRIBUTE_LABELS.get(str(value))
        return str(label) if label is not None else value
    if key == "value":
        return value_label(value)
    if key in ("employer", "a", "b"):
        return names.get(str(value), value)
    return value


def render(templates: Mapping[str, Any], code: str, params: Mapping[str, Any], names: Mapping[str, str] | None = None) -> str:
    """Format the template of `code` with display names; pseudonyms become `names[...]`."""
    template = templates.get(code)
    values = {key: _display(key, value, names or {}) for key, value in params.items()}
    if template is None:
        return f"{code} {values}"
    try:
        return str(template) % values
    except (KeyError, TypeError):
        return f"{template} {values}"


def exclusion_label(code: str) -> str:
    label = EXCLUSION_LABELS.get(code)
    return str(label) if label is not None else code


def describe_counts(counts: Mapping[str, int]) -> str:
    """Join counts per exclusion reason, e.g. "3 works at the target institution; 1 unavailable"."""
    parts = [str(COUNTED) % {"count": count, "reason": exclusion_label(reason)} for reason, count in sorted(counts.items())]
    return str(LIST_SEPARATOR).join(parts)


def describe_exclusions(counts: Mapping[str, int]) -> str:
    excluded = {reason: count for reason, count in counts.items() if reason != "drawable"}
    return str(EXCLUDED) % {"parts": describe_counts(excluded)} if excluded else ""


class InfeasibleDraw(PanelError):
    """No panel meets the rules; the message names the rules and the numbers behind them."""

    status = 422
    code = "draw_infeasible"

    def __init__(
        self,
        shortfalls: Sequence,
        relaxations: Sequence,
        summary: Mapping[str, Mapping[str, int]],
        names: Mapping[str, str] | None = None,
    ):
        self.shortfalls = list(shortfalls)
        self.relaxations = list(relaxations)
        self.summary = summary
        # Pseudonymous expert and employer ids of the relaxations -> names staff know.
        self.names = dict(names or {})
        super().__init__()

    def _shortfall_text(self, shortfall) -> str:
        text = render(SHORTFALL_TEMPLATES, shortfall.code, shortfall.params, self.names)
        group = shortfall.params.get("group")
        excluded = describe_exclusions(self.summary.get(group, {})) if group is not None else ""
        return str(WITH_EXCLUSIONS) % {"rule": text, "excluded": excluded} if excluded else text

    def message(self) -> str:
        reasons = str(LIST_SEPARATOR).join(self._shortfall_text(shortfall) for shortfall in self.shortfalls)
        return str(NO_PANEL) % {"reasons": reasons}

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message(),
            "details": {
                "shortfalls": [{"code": s.code, "params": dict(s.params)} for s in self.shortfalls],
                "exclusions_by_group": {group: dict(counts) for group, counts in self.summary.items()},
                "proposed_relaxations": [
                    {"code": r.code, "params": dict(r.params), "description": render(RELAXATION_TEMPLATES, r.code, r.params, self.names)}
                    for r in self.relaxations
                ],
            },
        }
