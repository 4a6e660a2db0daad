"""Tests for the first-feasible method and the CP-SAT helpers it is built on."""

from __future__ import annotations

import hashlib
from itertools import combinations

import pytest
from ortools.sat.python import cp_model

from bench import bench_solver
from bench.synthetic import benchmark_rules, make_pool
from solvers import get_method
from solvers.check import check_panel
from solvers.cpsat import (
    PanelModel,
    SolverModelError,
    SolverSettings,
    SolverTimeoutError,
    find_panel,
    first_panel_in_order,
    is_feasible,
    maximize,
    smallest_feasible_prefix,
    solve,
)
from solvers.first_feasible import FirstFeasible
from solvers.model import AttributeRule, Candidate, InfeasibleError, PanelRules
from solvers.randomness import random_order

SEED = hashlib.sha256(b"first-feasible tests").digest()


def seed_for(label: str) -> bytes:
    return hashlib.sha256(label.encode()).digest()


def ordered_ids(count: int, prefix: str = "c") -> list[str]:
    """Return ids prefix0..prefix{count-1} in the random order that SEED gives them."""
    return random_order(SEED, [f"{prefix}{index}" for index in range(count)])


def associate(cid: str, group: str, employer: str | None) -> Candidate:
    return Candidate(cid, group, employer, {"title_level": "associate_senior"})


def senior(cid: str, group: str, employer: str | None) -> Candidate:
    return Candidate(cid, group, employer, {"title_level": "full_senior"})


def test_draw_skips_shared_employer():
    order = ordered_ids(6)
    employers = ["U1", "U1", "U2", "U3", "U4", "U5"]
    candidates = [associate(cid, "法医临床", employer) for cid, employer in zip(order, employers)]
    rules = PanelRules(group_counts={"法医临床": 2})

    selection = FirstFeasible().draw(candidates, rules, None, SEED)

    assert selection.panel == (order[0], order[2])
    assert selection.details["order_prefix"] == 3
    assert selection.details["panel_positions"] == [0, 2]
    assert selection.details["candidate_count"] == 6


def test_draw_extends_prefix_for_leader():
    order = ordered_ids(6)
    candidates = [associate(cid, "法医临床", f"U{index}") for index, cid in enumerate(order)]
    candidates[3] = senior(order[3], "法医临床", "U3")
    candidates[5] = senior(order[5], "法医临床", "U5")
    rules = PanelRules(group_counts={"法医临床": 2}, require_leader=True)

    selection = FirstFeasible().draw(candidates, rules, None, SEED)

    assert selection.panel == (order[0], order[3])
    assert selection.leader == order[3]
    assert selection.details["order_prefix"] == 4


def test_draw_leader_is_first_senior_member():
    order = ordered_ids(4)
    candidates = [senior(cid, "法医临床", f"U{index}") for index, cid in enumerate(order)]
    rules = PanelRules(group_counts={"法医临床": 3}, require_leader=True)

    selection = FirstFeasible().draw(candidates, rules, None, SEED)

    assert selection.panel == tuple(order[:3])
    assert selection.leader == order[0]


def test_draw_without_leader_rule_has_no_leader():
    candidates = [senior(cid, "法医临床", None) for cid in ordered_ids(3)]
    selection = FirstFeasible().draw(candidates, PanelRules(group_counts={"法医临床": 2}), None, SEED)
    assert selection.leader is None


def test_draw_alternates_per_group_in_order():
    order = ordered_ids(10)
    candidates = [associate(cid, "法医临床" if index % 2 else "法医病理", None) for index, cid in enumerate(order)]
    candidates.append(associate("other", "文书", None))
    rules = PanelRules(group_counts={"法医临床": 1, "法医病理": 1}, alternates=2)

    selection = FirstFeasible().draw(candidates, rules, None, SEED)

    # Positions 0, 2, 4, ... are 法医病理 and 1, 3, 5, ... are 法医临床.
    assert selection.panel == (order[0], order[1])
    assert selection.alternates == (order[2], order[3], order[4], order[5])


def test_draw_alternates_stop_when_group_runs_out():
    order = ordered_ids(4)
    candidates = [associate(cid, "法医临床", None) for cid in order[:3]] + [associate(order[3], "法医病理", None)]
    rules = PanelRules(group_counts={"法医临床": 1, "法医病理": 1}, alternates=3)

    selection = FirstFeasible().draw(candidates, rules, None, SEED)

    clinical = [cid for cid in order[:3] if cid not in selection.panel]
    assert selection.alternates == tuple(clinical)


def test_draw_ignores_groups_not_required():
    order = ordered_ids(6)
    candidates = [associate(cid, "文书" if index < 3 else "法医临床", None) for index, cid in enumerate(order)]
    rules = PanelRules(group_counts={"法医临床": 1, "文书": 0}, alternates=5)

    selection = FirstFeasible().draw(candidates, rules, None, SEED)

    assert set(selection.panel) | set(selection.alternates) == set(order[3:])
    assert selection.details["candidate_count"] == 3


def test_draw_result_fields():
    candidates = [associate(cid, "法医临床", None) for cid in ordered_ids(3)]
    selection = FirstFeasible().draw(candidates, PanelRules(group_counts={"法医临床": 1}), None, SEED)
    assert selection.method == "first_feasible"
    assert selection.method_version == "1"
    assert selection.probabilities is None


def test_draw_rejects_bad_seed_and_prepared():
    candidates = [associate("c0", "法医临床", None)]
    rules = PanelRules(group_counts={"法医临床": 1})
    with pytest.raises(ValueError, match="seed must be 32 bytes"):
        FirstFeasible().draw(candidates, rules, None, b"short")
    with pytest.raises(ValueError, match="prepared must be None"):
        FirstFeasible().draw(candidates, rules, object(), SEED)


def test_prepare_and_draw_raise_when_infeasible():
    candidates = [associate("c0", "法医临床", "U1"), associate("c1", "法医临床", "U2")]
    rules = PanelRules(group_counts={"法医临床": 3})
    method = FirstFeasible()

    with pytest.raises(InfeasibleError) as prepared:
        method.prepare(candidates, rules)
    with pytest.raises(InfeasibleError) as drawn:
        method.draw(candidates, rules, None, SEED)

    for error in (prepared.value, drawn.value):
        assert [s.code for s in error.shortfalls] == ["group_short"]
        assert [r.code for r in error.relaxations] == ["lower_group_count"]


def test_prepare_returns_none_when_feasible():
    candidates = [associate("c0", "法医临床", "U1")]
    assert FirstFeasible().prepare(candidates, PanelRules(group_counts={"法医临床": 1})) is None


def test_registry_returns_first_feasible():
    assert isinstance(get_method("first_feasible"), FirstFeasible)


def brute_force_first_panel(ordered: list[Candidate], rules: PanelRules) -> tuple[int, tuple[str, ...]] | None:
    """Return (m*, panel) by enumerating every panel of every prefix."""
    for size in range(1, len(ordered) + 1):
        prefix = ordered[:size]
        for positions in combinations(range(size), rules.panel_size):
            panel = [prefix[p].id for p in positions]
            if not check_panel(prefix, rules, panel):
                return size, tuple(panel)
    return None


def test_draw_with_long_prefix_matches_brute_force():
    # Only the two 法医精神病 candidates are full seniors, so the smallest feasible
    # prefix runs past 62 positions and the greedy search fixes the panel.
    ids = [f"c{index}" for index in range(150)]
    order = random_order(SEED, ids)
    candidates = [associate(cid, "法医临床", f"U{index % 40}") for index, cid in enumerate(order)]
    for position in (100, 140):
        candidates[position] = senior(order[position], "法医精神病", None)
    conflicts = ((order[0], order[100]),)
    rules = PanelRules(group_counts={"法医临床": 1, "法医精神病": 1}, conflicts=conflicts, require_leader=True)

    selection = FirstFeasible().draw(candidates, rules, None, SEED)

    expected = brute_force_first_panel(candidates, rules)
    assert expected is not None
    assert selection.details["order_prefix"] == expected[0] == 101
    assert selection.panel == expected[1]
    assert selection.panel == (order[1], order[100])


@pytest.mark.parametrize("label", ["a", "b", "c", "d", "e"])
def test_greedy_and_weighted_agree(label):
    pool = make_pool(400, seed=7)
    rules = benchmark_rules(pool)
    candidates = pool.candidates(rules)
    by_id = {candidate.id: candidate for candidate in candidates}
    window = [by_id[cid] for cid in random_order(seed_for(label), by_id)][:40]

    weighted = first_panel_in_order(window, rules)
    greedy = first_panel_in_order(window, rules, max_weighted_positions=0)

    assert weighted is not None
    assert weighted == greedy


def test_smallest_feasible_prefix_none_when_infeasible():
    candidates = [associate("c0", "法医临床", "U1"), associate("c1", "法医临床", "U1")]
    assert smallest_feasible_prefix(candidates, PanelRules(group_counts={"法医临床": 2})) is None


def test_smallest_feasible_prefix_past_counting_bound():
    # Counts are met at 2 candidates, but c0 and c1 conflict, so the prefix needs 3.
    candidates = [associate(f"c{index}", "法医临床", None) for index in range(5)]
    rules = PanelRules(group_counts={"法医临床": 2}, conflicts=(("c0", "c1"), ("c0", "c2")))
    found = smallest_feasible_prefix(candidates, rules)
    assert found is not None
    assert found[0] == 3


def test_is_feasible_sees_beyond_interchangeable():
    # Many interchangeable U1 experts come first; the second employer is last.
    candidates = [associate(f"c{index}", "法医临床", "U1") for index in range(50)]
    assert not is_feasible(candidates, PanelRules(group_counts={"法医临床": 2}))
    candidates.append(associate("last", "法医临床", "U2"))
    assert is_feasible(candidates, PanelRules(group_counts={"法医临床": 2}))


def test_find_panel_include_and_exclude():
    candidates = [associate(f"c{index}", "法医临床", None) for index in range(3)]
    rules = PanelRules(group_counts={"法医临床": 2})
    assert find_panel(candidates, rules, include=["c0"], exclude=["c1"]) == ("c0", "c2")
    assert find_panel(candidates, rules, exclude=["c0", "c1"]) is None
    with pytest.raises(ValueError, match="no variable"):
        find_panel(candidates, rules, include=["zz"])


def test_maximize_returns_proven_optimum():
    candidates = [associate(f"c{index}", "法医临床", f"U{index % 2}") for index in range(4)]
    rules = PanelRules(group_counts={"法医临床": 2})
    value, panel = maximize(candidates, rules, {"c0": 5, "c1": 1, "c2": 7, "c3": 2})
    # c0 and c2 share employer U0, so the best panel is c2 with c1 or c3.
    assert value == 9
    assert panel == ("c2", "c3")


def test_panel_model_leaves_other_groups_out():
    candidates = [associate("c0", "法医临床", None), associate("c1", "文书", None)]
    model = PanelModel(candidates, PanelRules(group_counts={"法医临床": 1}))
    assert list(model.x) == ["c0"]


@pytest.mark.parametrize(
    ("status", "has_objective", "error"),
    [
        (cp_model.UNKNOWN, False, SolverTimeoutError),
        (cp_model.FEASIBLE, True, SolverTimeoutError),
        (cp_model.MODEL_INVALID, False, SolverModelError),
    ],
)
def test_solve_raises_on_unproven_status(monkeypatch, status, has_objective, error):
    model = cp_model.CpModel()
    x = model.new_bool_var("x")
    if has_objective:
        model.maximize(x)
    monkeypatch.setattr(cp_model.CpSolver, "solve", lambda self, model, callback=None: status)
    with pytest.raises(error):
        solve(model)


def test_solve_timeout_is_a_timeout_error():
    assert issubclass(SolverTimeoutError, TimeoutError)


def test_solve_feasible_without_objective_is_a_solution(monkeypatch):
    model = cp_model.CpModel()
    model.new_bool_var("x")
    monkeypatch.setattr(cp_model.CpSolver, "solve", lambda self, model, callback=None: cp_model.FEASIBLE)
    assert solve(model) is not None


def test_solve_infeasible_returns_none():
    model = cp_model.CpModel()
    x = model.new_bool_var("x")
    model.add(x == 1)
    model.add(x == 0)
    assert solve(model) is None


def test_solve_rejects_invalid_model():
    model = cp_model.CpModel()
    # CP-SAT requires domains within [-2**62 + 1, 2**62 - 1] to rule out overflow.
    model.new_int_var(0, 2**62, "y")
    with pytest.raises(SolverModelError, match="rejected the model"):
        solve(model)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [({"max_time_in_seconds": 0}, "max_time_in_seconds"), ({"num_workers": 0}, "num_workers")],
)
def test_solver_settings_rejects(arguments, message):
    with pytest.raises(ValueError, match=message):
        SolverSettings(**arguments)


@pytest.fixture(scope="module")
def synthetic_draw_input():
    pool = make_pool(3000, seed=3)
    rules = benchmark_rules(pool)
    return pool.candidates(rules), rules


@pytest.mark.parametrize("label", ["one", "two", "three"])
def test_draw_on_synthetic_pool_is_valid(synthetic_draw_input, label):
    candidates, rules = synthetic_draw_input
    method = FirstFeasible()
    method.prepare(candidates, rules)
    selection = method.draw(candidates, rules, None, seed_for(label))
    assert check_panel(candidates, rules, selection.panel) == []
    assert len(selection.alternates) == 2 * len(rules.group_counts)
    assert selection.leader in selection.panel


@pytest.mark.parametrize("label", ["one", "two", "three"])
def test_draw_same_for_any_worker_count(synthetic_draw_input, label):
    candidates, rules = synthetic_draw_input
    seed = seed_for(label)
    single = FirstFeasible(SolverSettings(num_workers=1)).draw(candidates, rules, None, seed)
    parallel = FirstFeasible(SolverSettings(num_workers=4, random_seed=99)).draw(candidates, rules, None, seed)
    assert single == parallel


def test_bench_solver_prints_table(capsys):
    bench_solver.main(["--sizes", "300", "--repeat", "2"])
    output = capsys.readouterr().out
    assert "command: python bench/bench_solver.py --sizes 300 --repeat 2" in output
    assert "| 300 |" in output


def test_synthetic_pool_is_repeatable():
    first = make_pool(500, seed=11)
    second = make_pool(500, seed=11)
    assert first == second
    assert first != make_pool(500, seed=12)


def test_synthetic_pool_shape():
    pool = make_pool(5000, seed=0)
    rules = benchmark_rules(pool)
    unavailable = sum(not expert.available for expert in pool.experts)
    candidates = pool.candidates(rules)

    assert len({expert.group for expert in pool.experts}) == 19
    assert 0.01 < unavailable / len(pool.experts) < 0.06
    assert 0.10 < len(candidates) / len(pool.experts) < 0.22
    assert {candidate.group for candidate in candidates} == set(rules.group_counts)
    assert len(pool.conflicts) > 0
    assert rules.panel_size == 5
    assert rules.alternates == 2
    assert rules.attribute_rules == (AttributeRule("title_level", "full_senior", minimum=1),)
