"""Explain why no panel exists, and propose the smallest rule changes that would allow one.

Shortfall codes are stable strings that the service translates (params in braces):

- ``group_short`` {group, required, available}: the group has too few candidates.
- ``group_short_employers`` {group, groups, required, employers}: under the employer
  rule the groups' employers can supply only ``employers`` of the ``required`` members.
  ``groups`` lists the groups involved, and ``group`` joins their names with "、".
  Several groups appear when they share employers and fall short only together.
- ``attribute_min_short`` {attribute, value, required, available}: ``available`` is
  the most members with the value that a panel of the required group sizes can hold.
- ``attribute_max_exceeded`` {attribute, value, maximum, forced}: ``forced`` is the
  fewest members with the value that the group sizes (and the leader rule, when it
  requires the same value) force onto any panel.
- ``leader_missing`` {available: 0}: no candidate has a full senior title.
- ``rules_combination`` {rules}: each rule can be met on its own, but not all
  together. ``rules`` lists a smallest set of rule families found that, with the group
  sizes, admits no panel; labels are ``one_per_employer``, ``conflicts``,
  ``require_leader`` and ``attribute:<attribute>=<value>``.

Relaxation codes; `apply_relaxation` defines exactly what each one changes:

- ``lower_group_count`` {group, from, to}
- ``allow_shared_employer`` {employer, from, count}: the employer may supply
  ``count`` members instead of ``from``.
- ``lower_attribute_min`` {index, attribute, value, from, to}
- ``raise_attribute_max`` {index, attribute, value, from, to}; ``index`` is the
  rule's position in ``rules.attribute_rules``.
- ``drop_leader_rule`` {}
- ``ignore_conflict_pair`` {a, b}
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from itertools import combinations
from typing import Callable, Iterator, Mapping, Sequence

from solvers.check import RuleCounts, required_candidates, required_groups, validate_draw_input
from solvers.cpsat import SolverSettings, is_feasible
from solvers.model import AttributeRule, Candidate, PanelRules, Relaxation, Shortfall

# The search for groups that fall short of employers only together tries 2**groups
# subsets, so it is skipped beyond this many required groups. Panels draw from a handful.
MAX_GROUPS_FOR_SHARED_EMPLOYERS = 12

# Each trial below is a feasibility solve over the whole pool, so only the most
# promising employers and only short conflict lists are tried.
MAX_EMPLOYER_TRIALS = 20
MAX_CONFLICT_TRIALS = 10

RELAXATION_CODES = (
    "lower_group_count",
    "allow_shared_employer",
    "lower_attribute_min",
    "raise_attribute_max",
    "drop_leader_rule",
    "ignore_conflict_pair",
)


def diagnose(
    candidates: Sequence[Candidate], rules: PanelRules, settings: SolverSettings | None = None
) -> list[Shortfall]:
    """Return the shortfalls that explain why no panel exists; an empty list means one exists.

    Counting checks come first because their numbers explain most cases. Only when
    every rule passes them and a solve still proves infeasibility does the result
    name a combination of rules.
    """
    validate_draw_input(candidates, rules)
    required = required_candidates(candidates, rules)

    counts = RuleCounts(rules)
    for candidate in required:
        counts.add(candidate)
    shortfalls = list(counts.unmet())
    group_level = {"group_short", "group_short_employers"}
    if rules.one_per_employer and not any(s.code in group_level for s in shortfalls):
        shortfalls[:0] = _shared_employer_shortfalls(required, rules)
    if shortfalls:
        return shortfalls

    if is_feasible(candidates, rules, settings):
        return []
    families = _conflicting_families(candidates, rules, settings)
    return [Shortfall("rules_combination", {"rules": families})]


def _shared_employer_shortfalls(required: list[Candidate], rules: PanelRules) -> list[Shortfall]:
    """Find the smallest set of groups whose shared employers cannot supply their members.

    By the max-flow min-cut theorem, members can be assigned to employers within
    their limits exactly when every set S of groups satisfies
    sum(count[g] for g in S) <= sum over employers E of min(limit[E], E's candidates in S),
    where each candidate without an employer is an employer of its own.
    """
    groups = sorted(required_groups(rules))
    if len(groups) > MAX_GROUPS_FOR_SHARED_EMPLOYERS:
        return []

    per_group = {group: Counter() for group in groups}
    for candidate in required:
        per_group[candidate.group][_employer_key(candidate)] += 1

    for size in range(2, len(groups) + 1):
        for subset in combinations(groups, size):
            shortfall = _employer_cut(subset, per_group, rules)
            if shortfall is not None:
                return [shortfall]
    return []


def _employer_key(candidate: Candidate) -> str | tuple[str, str]:
    """Return the employer, or a key of the candidate's own when it has none."""
    return candidate.employer if candidate.employer is not None else ("", candidate.id)


def _employer_cut(
    subset: tuple[str, ...], per_group: Mapping[str, Counter], rules: PanelRules
) -> Shortfall | None:
    supply: Counter = Counter()
    for group in subset:
        supply.update(per_group[group])
    slots = sum(
        min(rules.employer_limit(key), count) if isinstance(key, str) else count for key, count in supply.items()
    )
    demand = sum(rules.group_counts[group] for group in subset)
    if slots >= demand:
        return None
    return Shortfall(
        "group_short_employers",
        {"group": "、".join(subset), "groups": list(subset), "required": demand, "employers": slots},
    )


def rule_families(rules: PanelRules) -> list[str]:
    """Return the labels of the rule families, other than group sizes, that `rules` uses."""
    families = []
    if rules.one_per_employer:
        families.append("one_per_employer")
    if rules.conflicts:
        families.append("conflicts")
    if rules.require_leader:
        families.append("require_leader")
    for rule in rules.attribute_rules:
        label = _attribute_label(rule)
        if label not in families:
            families.append(label)
    return families


def _attribute_label(rule: AttributeRule) -> str:
    return f"attribute:{rule.attribute}={rule.value}"


def _keep_families(rules: PanelRules, families: Sequence[str]) -> PanelRules:
    return dataclasses.replace(
        rules,
        one_per_employer=rules.one_per_employer and "one_per_employer" in families,
        conflicts=rules.conflicts if "conflicts" in families else (),
        require_leader=rules.require_leader and "require_leader" in families,
        attribute_rules=tuple(rule for rule in rules.attribute_rules if _attribute_label(rule) in families),
    )


def _conflicting_families(
    candidates: Sequence[Candidate], rules: PanelRules, settings: SolverSettings | None
) -> list[str]:
    # Deletion filter: drop each family in turn and keep it dropped while the rest stays
    # infeasible. What remains conflicts as a whole, and dropping any one of its
    # families makes a panel possible.
    conflicting = rule_families(rules)
    for family in rule_families(rules):
        trial = [label for label in conflicting if label != family]
        if not is_feasible(candidates, _keep_families(rules, trial), settings):
            conflicting = trial
    return conflicting


def propose_relaxations(
    candidates: Sequence[Candidate], rules: PanelRules, settings: SolverSettings | None = None
) -> list[Relaxation]:
    """Return each single smallest rule change that makes a panel possible, smallest first.

    Every proposal is checked by a feasibility solve with the change applied. Nothing
    is applied here: a person chooses, and the service records the choice. Returns an
    empty list when a panel already exists.
    """
    validate_draw_input(candidates, rules)
    if is_feasible(candidates, rules, settings):
        return []

    def feasible(changed: PanelRules) -> bool:
        return is_feasible(candidates, changed, settings)

    required = required_candidates(candidates, rules)
    proposals = [
        *_lower_group_counts(rules, feasible),
        *_allow_shared_employers(required, rules, feasible),
        *_lower_attribute_minimums(rules, feasible),
        *_raise_attribute_maximums(rules, feasible),
        *_drop_leader_rule(rules, feasible),
        *_ignore_conflict_pairs(required, rules, feasible),
    ]
    return sorted(proposals, key=_proposal_sort_key)


Feasible = Callable[[PanelRules], bool]


def _first_fitting(rules: PanelRules, steps: Sequence[Relaxation], feasible: Feasible) -> Iterator[Relaxation]:
    """Yield the first relaxation in `steps` (ordered smallest first) that makes a panel possible."""
    for relaxation in steps:
        if feasible(apply_relaxation(rules, relaxation)):
            yield relaxation
            return


def _lower_group_counts(rules: PanelRules, feasible: Feasible) -> Iterator[Relaxation]:
    for group, count in sorted(required_groups(rules).items()):
        # A panel keeps at least one member, so the group may shrink by at most panel_size - 1.
        lowest = max(0, count - (rules.panel_size - 1))
        steps = [
            Relaxation("lower_group_count", {"group": group, "from": count, "to": to})
            for to in range(count - 1, lowest - 1, -1)
        ]
        yield from _first_fitting(rules, steps, feasible)


def _allow_shared_employers(required: list[Candidate], rules: PanelRules, feasible: Feasible) -> Iterator[Relaxation]:
    if not rules.one_per_employer or not feasible(dataclasses.replace(rules, one_per_employer=False)):
        return

    for employer, available in _employers_to_try(required, rules):
        current = rules.employer_limit(employer)
        highest = min(rules.panel_size, available)
        steps = [
            Relaxation("allow_shared_employer", {"employer": employer, "from": current, "count": count})
            for count in range(current + 1, highest + 1)
        ]
        yield from _first_fitting(rules, steps, feasible)


def _employers_to_try(required: list[Candidate], rules: PanelRules) -> list[tuple[str, int]]:
    """Return employers that could supply more members, with their candidate counts.

    Employers in groups with the least spare distinct employers come first, then
    larger employers; the order is deterministic.
    """
    groups = required_groups(rules)
    per_employer: Counter[str] = Counter()
    employer_groups: dict[str, set[str]] = {}
    group_employers: dict[str, set] = {group: set() for group in groups}
    for candidate in required:
        group_employers[candidate.group].add(_employer_key(candidate))
        if candidate.employer is not None:
            per_employer[candidate.employer] += 1
            employer_groups.setdefault(candidate.employer, set()).add(candidate.group)

    spare = {group: len(group_employers[group]) - count for group, count in groups.items()}
    ranked = sorted(
        (min(spare[g] for g in employer_groups[e]), -count, e)
        for e, count in per_employer.items()
        if count > rules.employer_limit(e)
    )
    # NOTE: only the first MAX_EMPLOYER_TRIALS employers are tried, so a fitting
    # exception for a later employer can go unproposed in a pool with many employers.
    return [(employer, -negative) for _, negative, employer in ranked[:MAX_EMPLOYER_TRIALS]]


def _lower_attribute_minimums(rules: PanelRules, feasible: Feasible) -> Iterator[Relaxation]:
    for index, rule in enumerate(rules.attribute_rules):
        params = {"index": index, "attribute": rule.attribute, "value": rule.value, "from": rule.minimum}
        steps = [Relaxation("lower_attribute_min", {**params, "to": to}) for to in range(rule.minimum - 1, -1, -1)]
        yield from _first_fitting(rules, steps, feasible)


def _raise_attribute_maximums(rules: PanelRules, feasible: Feasible) -> Iterator[Relaxation]:
    for index, rule in enumerate(rules.attribute_rules):
        if rule.maximum is None:
            continue
        params = {"index": index, "attribute": rule.attribute, "value": rule.value, "from": rule.maximum}
        steps = [
            Relaxation("raise_attribute_max", {**params, "to": to})
            for to in range(rule.maximum + 1, rules.panel_size + 1)
        ]
        yield from _first_fitting(rules, steps, feasible)


def _drop_leader_rule(rules: PanelRules, feasible: Feasible) -> Iterator[Relaxation]:
    if rules.require_leader:
        yield from _first_fitting(rules, [Relaxation("drop_leader_rule", {})], feasible)


def _ignore_conflict_pairs(required: list[Candidate], rules: PanelRules, feasible: Feasible) -> Iterator[Relaxation]:
    ids = {candidate.id for candidate in required}
    pairs = sorted({(min(a, b), max(a, b)) for a, b in rules.conflicts if a != b and a in ids and b in ids})
    # With many pairs, dropping a single one rarely helps and each trial costs a solve.
    if not pairs or len(pairs) > MAX_CONFLICT_TRIALS:
        return
    if not feasible(dataclasses.replace(rules, conflicts=())):
        return
    for a, b in pairs:
        yield from _first_fitting(rules, [Relaxation("ignore_conflict_pair", {"a": a, "b": b})], feasible)


def _change_size(relaxation: Relaxation) -> int:
    params = relaxation.params
    if relaxation.code in ("lower_group_count", "lower_attribute_min"):
        return params["from"] - params["to"]
    if relaxation.code == "raise_attribute_max":
        return params["to"] - params["from"]
    if relaxation.code == "allow_shared_employer":
        return params["count"] - params["from"]
    return 1


def _proposal_sort_key(relaxation: Relaxation) -> tuple:
    params = sorted((key, str(value)) for key, value in relaxation.params.items())
    return _change_size(relaxation), RELAXATION_CODES.index(relaxation.code), params


def apply_relaxation(rules: PanelRules, relaxation: Relaxation) -> PanelRules:
    """Return a copy of `rules` with the relaxation applied.

    Raises ValueError when the relaxation does not fit these rules, for example when
    its ``from`` differs from the current value because it was proposed for other rules.
    """
    appliers = {
        "lower_group_count": _apply_group_count,
        "allow_shared_employer": _apply_shared_employer,
        "lower_attribute_min": _apply_attribute_min,
        "raise_attribute_max": _apply_attribute_max,
        "drop_leader_rule": lambda rules, params: dataclasses.replace(rules, require_leader=False),
        "ignore_conflict_pair": _apply_ignore_conflict,
    }
    if relaxation.code not in appliers:
        raise ValueError(f"unknown relaxation code {relaxation.code!r}; expected one of {list(RELAXATION_CODES)}")
    return appliers[relaxation.code](rules, relaxation.params)


def _expect(actual: object, params: Mapping[str, object], subject: str, *, lower: bool, target: str = "to") -> None:
    """Raise ValueError unless the rules hold params["from"] and the change goes the stated way."""
    if actual != params["from"]:
        raise ValueError(f"relaxation expects {subject} to be {params['from']!r}, but the rules have {actual!r}")
    new = params[target]
    fits = isinstance(new, int) and isinstance(actual, int) and (0 <= new < actual if lower else new > actual)
    if not fits:
        direction = "lower than" if lower else "higher than"
        raise ValueError(f"relaxation must set {subject} {direction} {actual!r}, got {new!r}")


def _apply_group_count(rules: PanelRules, params: Mapping[str, object]) -> PanelRules:
    group = params["group"]
    _expect(rules.group_counts.get(group), params, f"the count of group {group!r}", lower=True)
    return dataclasses.replace(rules, group_counts={**rules.group_counts, group: params["to"]})


def _apply_shared_employer(rules: PanelRules, params: Mapping[str, object]) -> PanelRules:
    employer = params["employer"]
    _expect(rules.employer_limit(employer), params, f"the limit of employer {employer!r}", lower=False, target="count")
    return dataclasses.replace(rules, employer_limits={**rules.employer_limits, employer: params["count"]})


def _apply_attribute_min(rules: PanelRules, params: Mapping[str, object]) -> PanelRules:
    index, rule = _attribute_rule_at(rules, params)
    _expect(rule.minimum, params, f"the minimum of attribute rule {index}", lower=True)
    return _replace_attribute_rule(rules, index, dataclasses.replace(rule, minimum=params["to"]))


def _apply_attribute_max(rules: PanelRules, params: Mapping[str, object]) -> PanelRules:
    index, rule = _attribute_rule_at(rules, params)
    _expect(rule.maximum, params, f"the maximum of attribute rule {index}", lower=False)
    return _replace_attribute_rule(rules, index, dataclasses.replace(rule, maximum=params["to"]))


def _attribute_rule_at(rules: PanelRules, params: Mapping[str, object]) -> tuple[int, AttributeRule]:
    index = params["index"]
    if not 0 <= index < len(rules.attribute_rules):
        raise ValueError(f"attribute rule index {index} is out of range for {len(rules.attribute_rules)} rules")
    rule = rules.attribute_rules[index]
    if (rule.attribute, rule.value) != (params["attribute"], params["value"]):
        raise ValueError(f"attribute rule {index} is {rule!r}, not {params['attribute']}={params['value']}")
    return index, rule


def _replace_attribute_rule(rules: PanelRules, index: int, changed: AttributeRule) -> PanelRules:
    attribute_rules = list(rules.attribute_rules)
    attribute_rules[index] = changed
    return dataclasses.replace(rules, attribute_rules=tuple(attribute_rules))


def _apply_ignore_conflict(rules: PanelRules, params: Mapping[str, object]) -> PanelRules:
    pair = {params["a"], params["b"]}
    remaining = tuple(conflict for conflict in rules.conflicts if set(conflict) != pair)
    if len(remaining) == len(rules.conflicts):
        raise ValueError(f"conflict pair {params['a']!r}, {params['b']!r} is not in the rules")
    return dataclasses.replace(rules, conflicts=remaining)
