"""Translatable texts of draws: exclusion reasons, unmet rules and proposed relaxations."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from flask_babel import gettext, lazy_gettext as _l

from panel_service.errors import PanelError
from panel_service.pool.taxonomy import GROUPS_BY_CODE

EXCLUSION_LABELS = {
    "status_term_expired": _l("term expired"),
    "status_term_not_started": _l("term not started"),
    "status_ineligible": _l("not eligible (title or years of service)"),
    "status_pending_review": _l("over 70, awaiting a recorded decision"),
    "status_removed": _l("removed from the pool"),
    "status_banned": _l("permanently banned"),
    "term_expired": _l("term ends before the panel sits"),
    "term_not_started": _l("term starts after the panel sits"),
    "employee_of_target": _l("works at the target institution"),
    "former_employee_of_target": _l("worked at the target institution recently"),
    "conflict_with_target": _l("declared a conflict with the target institution"),
    "unavailable": _l("unavailable on the panel's dates"),
    "on_overlapping_panel": _l("already on another panel on overlapping dates"),
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
    "allow_shared_employer": _l("Allow two experts of one employer on the panel"),
    "lower_attribute_min": _l("Lower the minimum of %(attribute)s = %(value)s from %(from)s to %(to)s"),
    "raise_attribute_max": _l("Raise the maximum of %(attribute)s = %(value)s from %(from)s to %(to)s"),
    "drop_leader_rule": _l("Do not require a leader with a full senior title"),
    "ignore_conflict_pair": _l("Ignore the declared conflict between %(a)s and %(b)s"),
}


def group_name(code: Any) -> str:
    group = GROUPS_BY_CODE.get(str(code))
    return group.name if group else str(code)


def _render(templates: Mapping[str, Any], code: str, params: Mapping[str, Any]) -> str:
    template = templates.get(code)
    if template is None:
        return f"{code} {dict(params)}"
    values = {key: (group_name(value) if key == "group" else value) for key, value in params.items()}
    try:
        return str(template) % values
    except (KeyError, TypeError):
        return f"{template} {dict(params)}"


def exclusion_label(code: str) -> str:
    label = EXCLUSION_LABELS.get(code)
    return str(label) if label is not None else code


def describe_exclusions(counts: Mapping[str, int]) -> str:
    parts = [
        gettext("%(count)s %(reason)s", count=count, reason=exclusion_label(reason))
        for reason, count in sorted(counts.items())
        if reason != "drawable"
    ]
    return gettext("excluded: %(parts)s", parts="; ".join(parts)) if parts else ""


class InfeasibleDraw(PanelError):
    """No panel meets the rules; the message names the rules and the numbers behind them."""

    status = 422
    code = "draw_infeasible"

    def __init__(self, shortfalls: Sequence, relaxations: Sequence, summary: Mapping[str, Mapping[str, int]]):
        self.shortfalls = list(shortfalls)
        self.relaxations = list(relaxations)
        self.summary = summary
        super().__init__()

    def message(self) -> str:
        lines = []
        for shortfall in self.shortfalls:
            text = _render(SHORTFALL_TEMPLATES, shortfall.code, shortfall.params)
            group = shortfall.params.get("group")
            if group is not None and self.summary.get(group):
                excluded = describe_exclusions(self.summary[group])
                text = f"{text} ({excluded})" if excluded else text
            lines.append(text)
        head = gettext("No panel meets the rules.")
        return head + " " + "; ".join(lines) + "."

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message(),
            "details": {
                "shortfalls": [{"code": s.code, "params": dict(s.params)} for s in self.shortfalls],
                "exclusions_by_group": {group: dict(counts) for group, counts in self.summary.items()},
                "proposed_relaxations": [
                    {"code": r.code, "params": dict(r.params), "description": _render(RELAXATION_TEMPLATES, r.code, r.params)}
                    for r in self.relaxations
                ],
            },
        }
