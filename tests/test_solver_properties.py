"""Property tests: the first-feasible method and the diagnosis against brute force.

Pools are tiny (up to 9 candidates) so that every panel of every prefix can be
enumerated and checked with `check_panel`, the reference definition of a valid panel.
"""

from __future__ import annotations

from dataclasses import replace
from itertools import combinations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solvers.check import check_panel, required_candidates
from solvers.cpsat import SolverSettings, first_panel_in_order
from solvers.diagnose import apply_relaxation, diagnose, propose_relaxations
from solvers.first_feasible import FirstFeasible
from solvers.model import (
    LEADER_ATTRIBUTE,
    LEADER_VALUE,
    AttributeRule,
    Candidate,
    InfeasibleError,
    PanelRules,
    Relaxation,
)
from solvers.randomness import random_order

GROUPS = ("法医临床", "法医病理", "文书")
EMPLOYERS = ("U1", "U2", "U3", None)
TITLES = ("full_senior", "associate_senior", "other")
EMPLOYER_TYPES = ("institution", "hospital")

PROPERTY_SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def pools(draw) -> list[Candidate]:
    size = draw(st.integers(min_value=2, max_value=9))
    return [
        Candidate(
            id=f"c{index}",
            group=draw(st.sampled_from(GROUPS)),
            employer=draw(st.sampled_from(EMPLOYERS)),
            attributes={
                "title_level": draw(st.sampled_from(TITLES)),
                "employer_type": draw(st.sampled_from(EMPLOYER_TYPES)),
            },
        )
        for index in range(size)
    ]


@st.composite
def attribute_rules(draw) -> AttributeRule:
    attribute, value = draw(st.sampled_from([("title_level", "full_senior"), ("employer_type", "hospital")]))
    minimum = draw(st.integers(min_value=0, max_value=2))
    maximum = draw(st.one_of(st.none(), st.integers(min_value=minimum, max_value=3)))
    return AttributeRule(attribute, value, minimum, maximum)


@st.composite
def instances(draw) -> tuple[list[Candidate], PanelRules]:
    candidates = draw(pools())
    ids = [candidate.id for candidate in candidates]
    # Counts at most one above what a group has, so that most instances get past the
    # group sizes and exercise the other rules.
    available = {group: sum(1 for c in candidates if c.group == group) for group in GROUPS}
    counts = {group: draw(st.integers(min_value=0, max_value=min(2, available[group] + 1))) for group in GROUPS}
    if sum(counts.values()) == 0:
        counts[candidates[0].group] = 1
    rules = PanelRules(
        group_counts=counts,
        attribute_rules=tuple(draw(st.lists(attribute_rules(), max_size=2))),
        conflicts=tuple(draw(st.lists(st.tuples(st.sampled_from(ids), st.sampled_from(ids)), max_size=3))),
        one_per_employer=draw(st.booleans()),
        require_leader=draw(st.booleans()),
        alternates=draw(st.integers(min_value=0, max_value=2)),
        employer_limits=draw(st.sampled_from([{}, {"U1": 2}])),
    )
    return candidates, rules


seeds = st.binary(min_size=32, max_size=32)


def valid_panels(candidates: list[Candidate], rules: PanelRules, size: int | None = None) -> list[tuple[int, ...]]:
    """Return every valid panel among the first `size` candidates, as sorted position tuples."""
    pool = candidates if size is None else candidates[:size]
    found = []
    for positions in combinations(range(len(pool)), rules.panel_size):
        if not check_panel(pool, rules, [pool[p].id for p in positions]):
            found.append(positions)
    return found


def brute_force_draw(candidates: list[Candidate], rules: PanelRules, seed: bytes):
    """Return (m*, panel ids by position, alternates, leader) by enumeration, or None if infeasible."""
    by_id = {candidate.id: candidate for candidate in required_candidates(candidates, rules)}
    ordered = [by_id[cid] for cid in random_order(seed, by_id)]
    for size in range(1, len(ordered) + 1):
        panels = valid_panels(ordered, rules, size)
        if panels:
            first = min(panels)
            panel = tuple(ordered[p].id for p in first)
            return size, panel, expected_alternates(ordered, rules, panel), expected_leader(ordered, rules, first)
    return None


def expected_alternates(ordered: list[Candidate], rules: PanelRules, panel: tuple[str, ...]) -> tuple[str, ...]:
    per_group = {group: [] for group, count in rules.group_counts.items() if count > 0}
    for candidate in ordered:
        if candidate.id not in panel and len(per_group[candidate.group]) < rules.alternates:
            per_group[candidate.group].append(candidate.id)
    chosen = {cid for ids in per_group.values() for cid in ids}
    return tuple(candidate.id for candidate in ordered if candidate.id in chosen)


def expected_leader(ordered: list[Candidate], rules: PanelRules, positions: tuple[int, ...]) -> str | None:
    if not rules.require_leader:
        return None
    leaders = [ordered[p].id for p in positions if ordered[p].has(LEADER_ATTRIBUTE, LEADER_VALUE)]
    return leaders[0]


def is_feasible_by_enumeration(candidates: list[Candidate], rules: PanelRules) -> bool:
    return bool(valid_panels(required_candidates(candidates, rules), rules))


@PROPERTY_SETTINGS
@given(instances(), seeds)
def test_draw_matches_brute_force(instance, seed):
    candidates, rules = instance
    expected = brute_force_draw(candidates, rules, seed)
    method = FirstFeasible()

    if expected is None:
        try:
            method.draw(candidates, rules, None, seed)
        except InfeasibleError as error:
            assert error.shortfalls
        else:
            raise AssertionError("draw returned a panel where enumeration found none")
        return

    selection = method.draw(candidates, rules, None, seed)
    prefix, panel, alternates, leader = expected
    assert check_panel(candidates, rules, selection.panel) == []
    assert selection.details["order_prefix"] == prefix
    assert selection.panel == panel
    assert selection.alternates == alternates
    assert selection.leader == leader


@PROPERTY_SETTINGS
@given(instances())
def test_prepare_matches_brute_force(instance):
    candidates, rules = instance
    feasible = is_feasible_by_enumeration(candidates, rules)
    try:
        FirstFeasible().prepare(candidates, rules)
    except InfeasibleError as error:
        assert not feasible
        assert error.shortfalls
    else:
        assert feasible


@PROPERTY_SETTINGS
@given(instances(), seeds)
def test_draw_repeatable_across_workers(instance, seed):
    candidates, rules = instance
    if not is_feasible_by_enumeration(candidates, rules):
        return
    first = FirstFeasible().draw(candidates, rules, None, seed)
    again = FirstFeasible().draw(candidates, rules, None, seed)
    parallel = FirstFeasible(SolverSettings(num_workers=4, random_seed=7)).draw(candidates, rules, None, seed)
    assert again == first
    assert parallel == first


@PROPERTY_SETTINGS
@given(instances(), seeds)
def test_greedy_and_weighted_panels_agree(instance, seed):
    candidates, rules = instance
    by_id = {candidate.id: candidate for candidate in required_candidates(candidates, rules)}
    ordered = [by_id[cid] for cid in random_order(seed, by_id)]
    weighted = first_panel_in_order(ordered, rules)
    greedy = first_panel_in_order(ordered, rules, max_weighted_positions=0)
    assert weighted == greedy


@PROPERTY_SETTINGS
@given(instances())
def test_diagnosis_matches_feasibility(instance):
    candidates, rules = instance
    shortfalls = diagnose(candidates, rules)
    if is_feasible_by_enumeration(candidates, rules):
        assert shortfalls == []
    else:
        assert shortfalls


@PROPERTY_SETTINGS
@given(instances())
def test_rules_combination_is_irreducible(instance):
    candidates, rules = instance
    shortfalls = diagnose(candidates, rules)
    if [s.code for s in shortfalls] != ["rules_combination"]:
        return

    families = shortfalls[0].params["rules"]
    assert families
    assert not is_feasible_by_enumeration(candidates, keep_families(rules, families))
    for family in families:
        others = [label for label in families if label != family]
        assert is_feasible_by_enumeration(candidates, keep_families(rules, others))


def keep_families(rules: PanelRules, families: list[str]) -> PanelRules:
    """Return `rules` with only the group sizes and the named rule families."""
    return replace(
        rules,
        one_per_employer=rules.one_per_employer and "one_per_employer" in families,
        conflicts=rules.conflicts if "conflicts" in families else (),
        require_leader=rules.require_leader and "require_leader" in families,
        attribute_rules=tuple(r for r in rules.attribute_rules if f"attribute:{r.attribute}={r.value}" in families),
    )


@PROPERTY_SETTINGS
@given(instances())
def test_relaxations_make_draw_feasible(instance):
    candidates, rules = instance
    relaxations = propose_relaxations(candidates, rules)
    if is_feasible_by_enumeration(candidates, rules):
        assert relaxations == []
        return

    for relaxation in relaxations:
        assert is_feasible_by_enumeration(candidates, apply_relaxation(rules, relaxation))
        smaller = one_step_smaller(relaxation)
        if smaller is not None:
            assert not is_feasible_by_enumeration(candidates, apply_relaxation(rules, smaller))


def one_step_smaller(relaxation: Relaxation) -> Relaxation | None:
    """Return the same kind of change, one unit smaller, or None when it would change nothing."""
    params = dict(relaxation.params)
    if relaxation.code in ("lower_group_count", "lower_attribute_min") and params["to"] + 1 < params["from"]:
        return replace(relaxation, params={**params, "to": params["to"] + 1})
    if relaxation.code == "raise_attribute_max" and params["to"] - 1 > params["from"]:
        return replace(relaxation, params={**params, "to": params["to"] - 1})
    if relaxation.code == "allow_shared_employer" and params["count"] - 1 > params["from"]:
        return replace(relaxation, params={**params, "count": params["count"] - 1})
    return None
