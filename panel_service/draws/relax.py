"""Applying a relaxation that a person chose from the ones an infeasible draw proposed."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Mapping

from flask_babel import lazy_gettext as _l

from panel_service.errors import PanelError
from solvers.model import PanelRules


def _invalid(relaxation: Mapping[str, Any]) -> PanelError:
    return PanelError(
        _l("The relaxation %(value)s is not one the service can apply; choose one of those the failed draw proposed."),
        code="invalid_relaxation",
        value=str(dict(relaxation))[:200],
    )


def apply(rules: PanelRules, relaxation: Mapping[str, Any]) -> PanelRules:
    """Return `rules` with one relaxation applied; unknown or stale ones raise PanelError."""
    code = relaxation.get("code")
    params = relaxation.get("params") or {}
    try:
        if code == "lower_group_count":
            return _lower_group_count(rules, params)
        if code == "allow_shared_employer":
            return replace(rules, one_per_employer=False)
        if code in ("lower_attribute_min", "raise_attribute_max"):
            return _change_attribute_rule(rules, code, params)
        if code == "drop_leader_rule":
            return replace(rules, require_leader=False)
        if code == "ignore_conflict_pair":
            pair = tuple(sorted((params["a"], params["b"])))
            if pair not in {tuple(sorted(p)) for p in rules.conflicts}:
                raise _invalid(relaxation)
            return replace(rules, conflicts=tuple(p for p in rules.conflicts if tuple(sorted(p)) != pair))
    except (KeyError, TypeError, ValueError):
        raise _invalid(relaxation) from None
    raise _invalid(relaxation)


def _lower_group_count(rules: PanelRules, params: Mapping[str, Any]) -> PanelRules:
    group, old, new = params["group"], int(params["from"]), int(params["to"])
    if rules.group_counts.get(group) != old or not 0 <= new < old:
        raise ValueError(group)
    counts = dict(rules.group_counts)
    if new == 0:
        del counts[group]
    else:
        counts[group] = new
    return replace(rules, group_counts=counts)


def _change_attribute_rule(rules: PanelRules, code: str, params: Mapping[str, Any]) -> PanelRules:
    changed = []
    found = False
    for rule in rules.attribute_rules:
        if rule.attribute == params["attribute"] and rule.value == params["value"] and not found:
            found = True
            if code == "lower_attribute_min":
                if rule.minimum != int(params["from"]) or int(params["to"]) >= rule.minimum:
                    raise ValueError(code)
                rule = replace(rule, minimum=int(params["to"]))
            else:
                if rule.maximum != int(params["from"]) or int(params["to"]) <= rule.maximum:
                    raise ValueError(code)
                rule = replace(rule, maximum=int(params["to"]))
        changed.append(rule)
    if not found:
        raise ValueError(code)
    return replace(rules, attribute_rules=tuple(changed))
