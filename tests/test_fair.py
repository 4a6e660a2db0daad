"""Properties of the maximin and leximin lotteries, checked against brute force on tiny pools."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from collections import Counter
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ortools.linear_solver import pywraplp

from solvers import InfeasibleError, get_method
from solvers.check import check_panel
from solvers.fair import Leximin, Maximin, SolveTimeout, marginals_from_panels, round_to_dyadic, sample_members
from solvers.fair_colgen import PanelModel, conflict_type_pairs
from solvers.fair_swaps import SwapSearch
from solvers.fair_types import build_types
from solvers.model import LEADER_ATTRIBUTE, LEADER_VALUE, AttributeRule, Candidate, PanelRules
from solvers.randomness import random_order

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TOLERANCE = 1e-6
SEEDS = [bytes([k]) * 32 for k in range(4)]

PROPERTY_SETTINGS = settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


# ---------------------------------------------------------------------------
# Small pools and brute force


@st.composite
def tiny_pools(draw) -> tuple[list[Candidate], PanelRules]:
    size = draw(st.integers(2, 9))
    candidates = [
        Candidate(
            id=f"p{index}",
            group=draw(st.sampled_from(["a", "b", "c"])),
            employer=draw(st.sampled_from([None, None, "x", "y"])),
            attributes={
                LEADER_ATTRIBUTE: draw(st.sampled_from([LEADER_VALUE, "associate_senior"])),
                "gender": draw(st.sampled_from(["f", "m"])),
            },
        )
        for index in range(size)
    ]
    present = sorted({c.group for c in candidates})
    sizes = {group: sum(1 for c in candidates if c.group == group) for group in present}
    group_counts = {group: draw(st.integers(0, min(3, sizes[group]))) for group in present}
    if sum(group_counts.values()) == 0:
        group_counts[present[0]] = 1

    attribute_rules = ()
    if draw(st.booleans()):
        minimum = draw(st.integers(0, 2))
        maximum = draw(st.one_of(st.none(), st.integers(minimum, 3)))
        attribute_rules = (AttributeRule("gender", "f", minimum, maximum),)
    ids = [c.id for c in candidates]
    pairs = draw(st.lists(st.tuples(st.sampled_from(ids), st.sampled_from(ids)), max_size=3))
    conflicts = tuple(pair for pair in pairs if pair[0] != pair[1])
    rules = PanelRules(
        group_counts=group_counts,
        attribute_rules=attribute_rules,
        conflicts=conflicts,
        one_per_employer=draw(st.booleans()),
        require_leader=draw(st.booleans()),
        alternates=draw(st.integers(0, 2)),
        employer_limits=draw(st.sampled_from([{}, {"x": 2}])),
    )
    return candidates, rules


def valid_panels(candidates: list[Candidate], rules: PanelRules) -> list[tuple[str, ...]]:
    ids = sorted(c.id for c in candidates)
    return [
        panel
        for panel in itertools.combinations(ids, rules.panel_size)
        if not check_panel(candidates, rules, list(panel))
    ]


def glop() -> pywraplp.Solver:
    solver = pywraplp.Solver.CreateSolver("GLOP")
    assert solver is not None
    return solver


def brute_force_leximin(panels: list[tuple[str, ...]], reachable: list[str]) -> list[float]:
    """Return the leximin marginals, sorted, from an LP over every valid panel.

    A candidate's level is fixed once an LP that maximises only its own marginal,
    with every other level held, cannot raise it above the stage optimum.
    """
    fixed: dict[str, float] = {}
    while len(fixed) < len(reachable):
        level = _stage_optimum(panels, reachable, fixed)
        for candidate in reachable:
            if candidate not in fixed and _highest_share(panels, reachable, fixed, level, candidate) <= level + 1e-7:
                fixed[candidate] = level
    return sorted(fixed.values())


def _stage_lp(panels, reachable, fixed, level):
    solver = glop()
    weights = [solver.NumVar(0, 1, f"p{index}") for index in range(len(panels))]
    lowest = solver.NumVar(0, 1, "lowest")
    solver.Add(sum(weights) == 1)
    shares = {}
    for candidate in reachable:
        shares[candidate] = sum(w for w, panel in zip(weights, panels) if candidate in panel)
        if candidate in fixed:
            solver.Add(shares[candidate] >= fixed[candidate] - 1e-9)
        elif level is None:
            solver.Add(shares[candidate] >= lowest)
        else:
            solver.Add(shares[candidate] >= level - 1e-9)
    return solver, lowest, shares


def _stage_optimum(panels, reachable, fixed) -> float:
    solver, lowest, _shares = _stage_lp(panels, reachable, fixed, None)
    solver.Maximize(lowest)
    assert solver.Solve() == pywraplp.Solver.OPTIMAL
    return lowest.solution_value()


def _highest_share(panels, reachable, fixed, level, candidate) -> float:
    solver, _lowest, shares = _stage_lp(panels, reachable, fixed, level)
    solver.Maximize(shares[candidate])
    assert solver.Solve() == pywraplp.Solver.OPTIMAL
    return solver.Objective().Value()


def reachable_ids(panels: list[tuple[str, ...]]) -> list[str]:
    return sorted({member for panel in panels for member in panel})


def sorted_reachable_marginals(distribution, reachable: list[str]) -> list[float]:
    return sorted(float(distribution.marginals[candidate]) for candidate in reachable)


def lexicographically_at_least(first: list[float], second: list[float], tolerance: float) -> bool:
    for a, b in zip(first, second):
        if a > b + tolerance:
            return True
        if a < b - tolerance:
            return False
    return True


def serialise(distribution) -> str:
    return json.dumps(
        {
            "panels": [[list(panel), str(probability)] for panel, probability in distribution.panels],
            "marginals": sorted((cid, str(value)) for cid, value in distribution.marginals.items()),
            "details": distribution.details,
        },
        sort_keys=True,
        ensure_ascii=False,
    )


# ---------------------------------------------------------------------------
# Property tests


@PROPERTY_SETTINGS
@given(tiny_pools())
def test_prepare_raises_exactly_when_no_panel_is_valid(pool):
    candidates, rules = pool
    if valid_panels(candidates, rules):
        assert Maximin().prepare(candidates, rules).panels
    else:
        with pytest.raises(InfeasibleError):
            Maximin().prepare(candidates, rules)


@PROPERTY_SETTINGS
@given(tiny_pools())
def test_lotteries_match_brute_force(pool):
    candidates, rules = pool
    panels = valid_panels(candidates, rules)
    if not panels:
        return
    reachable = reachable_ids(panels)
    expected = brute_force_leximin(panels, reachable)

    maximin = Maximin().prepare(candidates, rules)
    leximin = Leximin().prepare(candidates, rules)

    for distribution in (maximin, leximin):
        for panel, probability in distribution.panels:
            assert check_panel(candidates, rules, list(panel)) == []
            assert probability > 0
        assert sum(p for _panel, p in distribution.panels) == 1
        assert sum(distribution.marginals.values()) == rules.panel_size
        assert marginals_from_panels(distribution) == dict(distribution.marginals)
        assert distribution.details["unreachable"] == sorted(set(c.id for c in candidates) - set(reachable))
        for candidate_id in distribution.details["unreachable"]:
            assert distribution.marginals[candidate_id] == 0
        assert min(float(distribution.marginals[c]) for c in reachable) >= expected[0] - TOLERANCE
        assert abs(distribution.details["lp_objective"] - expected[0]) < TOLERANCE

    leximin_levels = sorted_reachable_marginals(leximin, reachable)
    assert leximin_levels == pytest.approx(expected, abs=TOLERANCE)
    assert lexicographically_at_least(leximin_levels, sorted_reachable_marginals(maximin, reachable), TOLERANCE)


@PROPERTY_SETTINGS
@given(tiny_pools())
def test_draws_are_valid(pool):
    candidates, rules = pool
    if not valid_panels(candidates, rules):
        return
    method = Leximin()
    distribution = method.prepare(candidates, rules)
    by_id = {c.id: c for c in candidates}

    for seed in SEEDS:
        selection = method.draw(candidates, rules, distribution, seed)
        order = random_order(seed, sorted(by_id))

        assert check_panel(candidates, rules, list(selection.panel)) == []
        assert selection.probabilities == distribution.marginals
        if rules.require_leader:
            assert selection.leader in selection.panel
            assert by_id[selection.leader].has(LEADER_ATTRIBUTE, LEADER_VALUE)
        else:
            assert selection.leader is None

        assert not set(selection.alternates) & set(selection.panel)
        assert list(selection.alternates) == [cid for cid in order if cid in selection.alternates]
        for group, count in rules.group_counts.items():
            spare = [
                cid
                for cid in order
                if by_id[cid].group == group and cid not in selection.panel and distribution.marginals[cid] > 0
            ]
            expected = spare[: rules.alternates] if count > 0 else []
            assert [cid for cid in selection.alternates if by_id[cid].group == group] == expected


@PROPERTY_SETTINGS
@given(tiny_pools(), st.randoms(use_true_random=False))
def test_swap_search_finds_exactly_valid_swaps(pool, random):
    candidates, rules = pool
    panels = valid_panels(candidates, rules)
    if not panels:
        return
    types = build_types(candidates, rules)
    conflict_types = conflict_type_pairs(types, rules)
    model = PanelModel(types, rules, conflict_types)
    search = SwapSearch(types, rules, {t.index: model.upper_bound(t) for t in types}, conflict_types)
    type_of = {member: t.index for t in types for member in t.members}
    valid_counts = {tuple(sorted(Counter(type_of[m] for m in panel).items())) for panel in panels}
    weights = {t.index: random.random() for t in types}

    for counts in sorted(valid_counts):
        found = search.neighbours(counts, weights, threshold=-1.0, limit=10**6, known=())
        values = [sum(weights[i] * c for i, c in panel) for panel in found]

        assert set(found) == {other for other in valid_counts if one_seat_apart(counts, other)}
        assert len(found) == len(set(found))
        # Gains are compared as differences, so equal values may differ in the last bit.
        assert all(earlier >= later - 1e-12 for earlier, later in zip(values, values[1:]))


def one_seat_apart(first, second) -> bool:
    difference = Counter(dict(first))
    difference.subtract(dict(second))
    return sum(abs(value) for value in difference.values()) == 2


# ---------------------------------------------------------------------------
# Examples


def expert_pool() -> tuple[list[Candidate], PanelRules]:
    titles = [LEADER_VALUE, "associate_senior", "associate_senior"]
    candidates = [
        Candidate(
            id=f"e{index:02d}",
            group="法医临床" if index < 14 else "法医病理",
            employer=f"institution-{index % 6}" if index % 2 == 0 else None,
            attributes={LEADER_ATTRIBUTE: titles[index % 3], "gender": "f" if index % 5 < 2 else "m"},
        )
        for index in range(24)
    ]
    rules = PanelRules(
        group_counts={"法医临床": 3, "法医病理": 2},
        attribute_rules=(AttributeRule("gender", "f", 1, None),),
        conflicts=(("e01", "e03"), ("e15", "e16")),
        require_leader=True,
        alternates=2,
    )
    return candidates, rules


def test_registry_exposes_both_methods():
    # The registry imports the first-feasible method before the fair ones.
    pytest.importorskip("solvers.first_feasible")
    assert isinstance(get_method("maximin"), Maximin)
    assert isinstance(get_method("leximin"), Leximin)


def test_input_order_does_not_change_distribution():
    candidates, rules = expert_pool()
    shuffled = list(reversed(candidates))
    flipped = PanelRules(
        group_counts=dict(reversed(list(rules.group_counts.items()))),
        attribute_rules=rules.attribute_rules,
        conflicts=tuple((b, a) for a, b in reversed(rules.conflicts)),
        require_leader=True,
        alternates=2,
    )

    first = Leximin().prepare(candidates, rules)
    second = Leximin().prepare(shuffled, flipped)

    assert serialise(first) == serialise(second)


def test_hash_seed_does_not_change_distribution():
    candidates, rules = expert_pool()
    expected = serialise(Leximin().prepare(candidates, rules))
    script = (
        "from tests.test_fair import expert_pool, serialise\n"
        "from solvers.fair import Leximin\n"
        "print(serialise(Leximin().prepare(*expert_pool())))\n"
    )

    for hash_seed in ("0", "4242"):
        environment = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(PROJECT_ROOT)}
        completed = subprocess.run(
            [sys.executable, "-c", script],
            cwd=PROJECT_ROOT,
            env=environment,
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        assert completed.stdout.strip() == expected


def test_same_seed_gives_same_selection():
    candidates, rules = expert_pool()
    method = Maximin()
    distribution = method.prepare(candidates, rules)

    first = method.draw(candidates, rules, distribution, SEEDS[1])
    second = method.draw(list(reversed(candidates)), rules, distribution, SEEDS[1])

    assert first == second


def test_draw_without_prepared_lottery_prepares_one():
    candidates, rules = expert_pool()
    method = Leximin()
    distribution = method.prepare(candidates, rules)

    assert method.draw(candidates, rules, None, SEEDS[2]) == method.draw(candidates, rules, distribution, SEEDS[2])


def test_draw_rejects_lottery_for_other_rules():
    candidates, rules = expert_pool()
    distribution = Maximin().prepare(candidates, rules)
    other = PanelRules(group_counts={"法医临床": 2, "法医病理": 2}, require_leader=True)

    with pytest.raises(ValueError, match="input digest"):
        Maximin().draw(candidates, other, distribution, SEEDS[0])


def test_leximin_raises_second_lowest_level():
    # Group y caps the lowest level at 1/4; x1 and x2 are different types, so a maximin
    # lottery may split group x anywhere from 1/4 : 3/4 to 1/2 : 1/2, but leximin may not.
    candidates = [Candidate("x1", "x", attributes={"gender": "f"}), Candidate("x2", "x", attributes={"gender": "m"})]
    candidates += [Candidate(f"y{index}", "y", attributes={"gender": "m"}) for index in range(4)]
    rules = PanelRules(group_counts={"x": 1, "y": 1}, attribute_rules=(AttributeRule("gender", "f", 0, None),))

    maximin = Maximin().prepare(candidates, rules)
    leximin = Leximin().prepare(candidates, rules)

    assert min(maximin.marginals.values()) == Fraction(1, 4)
    assert leximin.marginals["x1"] == Fraction(1, 2)
    assert leximin.marginals["x2"] == Fraction(1, 2)
    assert leximin.details["levels"] == [0.25, 0.5]


def test_unreachable_candidate_gets_zero():
    candidates = [
        Candidate("a", "g", attributes={"gender": "f"}),
        Candidate("b", "g", attributes={"gender": "m"}),
        Candidate("c", "g", attributes={"gender": "m"}),
    ]
    rules = PanelRules(group_counts={"g": 1}, attribute_rules=(AttributeRule("gender", "f", 0, 0),))

    distribution = Maximin().prepare(candidates, rules)

    assert distribution.marginals["a"] == 0
    assert distribution.details["unreachable"] == ["a"]
    assert distribution.marginals["b"] == Fraction(1, 2)
    assert distribution.marginals["c"] == Fraction(1, 2)


def test_large_type_is_aggregated():
    candidates = [Candidate(f"m{index:04d}", "g", attributes={"gender": "m"}) for index in range(1500)]
    candidates += [Candidate(f"f{index:04d}", "g", attributes={"gender": "f"}) for index in range(500)]
    rules = PanelRules(group_counts={"g": 20}, attribute_rules=(AttributeRule("gender", "f", 10, 10),))

    distribution = Leximin().prepare(candidates, rules)

    assert len(distribution.details["types"]) == 2
    assert len(distribution.panels) == 1
    assert distribution.marginals["f0000"] == Fraction(10, 500)
    assert distribution.marginals["m1499"] == Fraction(10, 1500)


def test_infeasible_rules_raise():
    candidates = [Candidate("a", "g", employer="x"), Candidate("b", "g", employer="x")]
    rules = PanelRules(group_counts={"g": 2})

    with pytest.raises(InfeasibleError) as raised:
        Leximin().prepare(candidates, rules)

    assert raised.value.shortfalls


def test_employer_limit_caps_members():
    candidates = [Candidate(cid, "g", employer="x") for cid in ("a", "b", "d")] + [Candidate("c", "g")]
    rules = PanelRules(group_counts={"g": 2}, employer_limits={"x": 2})

    distribution = Leximin().prepare(candidates, rules)

    assert distribution.panels == ((("a", "b"), Fraction(1, 2)), (("a", "c"), Fraction(1, 2)))
    for candidate_id in ("a", "b", "c", "d"):
        assert distribution.marginals[candidate_id] == Fraction(1, 2)


def test_time_limit_raises_and_names_limit():
    candidates, rules = expert_pool()

    with pytest.raises(SolveTimeout, match="time limit of 1e-06 s"):
        Leximin(time_limit_seconds=1e-6).prepare(candidates, rules)


def test_types_group_only_interchangeable_candidates():
    candidates, rules = expert_pool()
    by_id = {c.id: c for c in candidates}

    for candidate_type in build_types(candidates, rules):
        first = by_id[candidate_type.members[0]]
        for member in candidate_type.members[1:]:
            assert by_id[member].group == first.group
            assert by_id[member].has("gender", "f") == first.has("gender", "f")
            assert by_id[member].has(LEADER_ATTRIBUTE, LEADER_VALUE) == first.has(LEADER_ATTRIBUTE, LEADER_VALUE)
            assert member not in {"e01", "e03", "e15", "e16"}


@pytest.mark.parametrize(
    ("probabilities", "expected"),
    [
        ([0.5, 0.5], [Fraction(1, 2), Fraction(1, 2)]),
        ([1 / 3, 1 / 3, 1 / 3], [Fraction(1431655766, 2**32), Fraction(1431655765, 2**32), Fraction(1431655765, 2**32)]),
        ([1e-12, 1.0], [Fraction(0), Fraction(1)]),
        ([-1e-15, 0.25, 0.75], [Fraction(0), Fraction(1, 4), Fraction(3, 4)]),
    ],
)
def test_round_to_dyadic(probabilities, expected):
    rounded = round_to_dyadic(probabilities)

    assert rounded == expected
    assert sum(rounded) == 1


def test_sample_members_takes_distinct_members():
    members = [f"m{index}" for index in range(10)]

    picked = sample_members(SEEDS[3], members, 4)

    assert len(set(picked)) == 4
    assert set(picked) <= set(members)
    assert sorted(sample_members(SEEDS[3], members, 10)) == members


def test_alternates_skip_unreachable_candidates():
    from solvers.fair import Maximin
    from solvers.model import AttributeRule, Candidate, PanelRules

    candidates = [
        Candidate(id=f"E-{index:012x}", group="g", attributes={"employer_category": "public_organ" if index < 3 else "other"})
        for index in range(6)
    ]
    rules = PanelRules(
        group_counts={"g": 1},
        attribute_rules=(AttributeRule("employer_category", "public_organ", 0, 0),),
        alternates=5,
    )
    method = Maximin()
    distribution = method.prepare(candidates, rules)
    for counter in range(20):
        seed = counter.to_bytes(32, "big")
        selection = method.draw(candidates, rules, distribution, seed)
        for alternate in selection.alternates:
            assert distribution.marginals[alternate] > 0
        assert len(selection.alternates) == 2
