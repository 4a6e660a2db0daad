"""Empirical draw frequencies against the exact lottery, with chi-square tests.

Seeds are SHA-256 of a counter, so every run makes the same draws and a test that
passes once passes always. The significance level only states how unlikely a correct
sampler is to fail on the chosen seeds; the skewed samplers below show the checks fail
when the sampling is wrong.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from fractions import Fraction
from math import comb, prod

import pytest
from scipy.stats import binomtest, chisquare

from solvers.fair import Leximin, _alternates, _choose_panel, _fill_types
from solvers.fair_types import build_types
from solvers.model import AttributeRule, Candidate, PanelRules
from solvers.randomness import random_order

DRAWS = 6000
# A correct sampler fails a test at this level on about one set of seeds in 1,000.
SIGNIFICANCE = 1e-3
# The skewed samplers must fail by a wide margin, not by chance.
SKEWED_P_VALUE = 1e-8


def seed(counter: int) -> bytes:
    return hashlib.sha256(counter.to_bytes(8, "big")).digest()


def pool() -> tuple[list[Candidate], PanelRules]:
    """Seven candidates in four types: two females, a female and a male in conflict, two males."""
    candidates = [
        Candidate("f1", "g", attributes={"gender": "f"}),
        Candidate("f2", "g", attributes={"gender": "f"}),
        Candidate("f3", "g", attributes={"gender": "f"}),
        Candidate("m1", "g", attributes={"gender": "m"}),
        Candidate("m2", "g", attributes={"gender": "m"}),
        Candidate("m3", "g", attributes={"gender": "m"}),
        Candidate("m4", "g", employer="institution", attributes={"gender": "m"}),
    ]
    rules = PanelRules(
        group_counts={"g": 3},
        attribute_rules=(AttributeRule("gender", "f", 1, 2),),
        conflicts=(("f3", "m1"),),
        alternates=2,
    )
    return candidates, rules


def individual_panel_probabilities(candidates, rules, distribution) -> dict[tuple[str, ...], Fraction]:
    """Spread each type-level panel evenly over the member subsets the draw can pick."""
    types = build_types(candidates, rules)
    type_of = {member: t for t in types for member in t.members}
    probabilities: dict[tuple[str, ...], Fraction] = {}
    for representative, probability in distribution.panels:
        seats = Counter(type_of[member].index for member in representative)
        choices = prod(comb(types[index].size, count) for index, count in seats.items())
        for panel in _member_choices(types, seats):
            probabilities[panel] = probability / choices
    return probabilities


def _member_choices(types, seats) -> list[tuple[str, ...]]:
    from itertools import combinations, product

    per_type = [list(combinations(types[index].members, count)) for index, count in sorted(seats.items())]
    return [tuple(sorted(member for part in parts for member in part)) for parts in product(*per_type)]


def draw_with_method(candidates, rules, distribution, draw_seed):
    selection = Leximin().draw(candidates, rules, distribution, draw_seed)
    return selection.panel, selection.alternates


def draw_representatives_only(candidates, rules, distribution, draw_seed):
    """Skewed: leaves each type's seats with the representatives instead of random members."""
    index, _value, _denominator = _choose_panel(distribution, draw_seed)
    panel = distribution.panels[index][0]
    by_id = {c.id: c for c in candidates}
    return panel, _alternates(random_order(draw_seed, sorted(by_id)), panel, by_id, rules, distribution.marginals)


def draw_members_from_order(candidates, rules, distribution, draw_seed):
    """Skewed for alternates: takes a type's members first in the order the alternates use."""
    index, _value, _denominator = _choose_panel(distribution, draw_seed)
    by_id = {c.id: c for c in candidates}
    order = random_order(draw_seed, sorted(by_id))
    types = build_types(candidates, rules)
    type_of = {member: t for t in types for member in t.members}
    seats = Counter(type_of[member].index for member in distribution.panels[index][0])

    panel = []
    for type_index, count in seats.items():
        members = set(types[type_index].members)
        panel.extend([cid for cid in order if cid in members][:count])
    panel = tuple(sorted(panel))
    return panel, _alternates(order, panel, by_id, rules, distribution.marginals)


def sample(sampler, count: int = DRAWS):
    candidates, rules = pool()
    distribution = Leximin().prepare(candidates, rules)
    outcomes = [sampler(candidates, rules, distribution, seed(counter)) for counter in range(count)]
    return candidates, rules, distribution, outcomes


def panel_p_value(candidates, rules, distribution, outcomes) -> float:
    expected_probabilities = individual_panel_probabilities(candidates, rules, distribution)
    observed = Counter(panel for panel, _alternates in outcomes)
    assert set(observed) <= set(expected_probabilities)

    panels = sorted(expected_probabilities)
    expected = [float(expected_probabilities[panel]) * len(outcomes) for panel in panels]
    return chisquare([observed[panel] for panel in panels], expected).pvalue


def first_alternate_p_value(distribution, outcomes) -> float:
    """Compare the first alternate with a uniform pick among the candidates left off the panel."""
    candidate_ids = sorted(distribution.marginals)
    spare = len(candidate_ids) - 3
    expected = [float(1 - distribution.marginals[cid]) / spare * len(outcomes) for cid in candidate_ids]
    observed = Counter(alternates[0] for _panel, alternates in outcomes)
    return chisquare([observed[cid] for cid in candidate_ids], expected).pvalue


@pytest.fixture(scope="module")
def method_draws():
    return sample(draw_with_method)


def test_expected_panels_cover_lottery(method_draws):
    candidates, rules, distribution, _outcomes = method_draws

    probabilities = individual_panel_probabilities(candidates, rules, distribution)

    assert sum(probabilities.values()) == 1
    assert len(probabilities) > len(distribution.panels)


def test_panel_frequencies_match_lottery(method_draws):
    assert panel_p_value(*method_draws) > SIGNIFICANCE


def test_selection_frequencies_match_marginals(method_draws):
    _candidates, _rules, distribution, outcomes = method_draws
    selected = Counter(member for panel, _alternates in outcomes for member in panel)

    for candidate_id, marginal in sorted(distribution.marginals.items()):
        # Bonferroni over the seven candidates.
        result = binomtest(selected[candidate_id], len(outcomes), float(marginal))
        assert result.pvalue > SIGNIFICANCE / len(distribution.marginals), candidate_id


def test_first_alternate_is_uniform(method_draws):
    _candidates, _rules, distribution, outcomes = method_draws

    assert first_alternate_p_value(distribution, outcomes) > SIGNIFICANCE


def test_representatives_only_fail_panel_check():
    assert panel_p_value(*sample(draw_representatives_only)) < SKEWED_P_VALUE


def test_members_from_order_fail_alternate_check():
    candidates, rules, distribution, outcomes = sample(draw_members_from_order)

    # The panels themselves are drawn correctly; only the alternates lean.
    assert panel_p_value(candidates, rules, distribution, outcomes) > SIGNIFICANCE
    assert first_alternate_p_value(distribution, outcomes) < SKEWED_P_VALUE
