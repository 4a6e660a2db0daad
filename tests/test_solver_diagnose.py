"""Tests for infeasibility diagnosis and relaxation proposals."""

from __future__ import annotations

import dataclasses

import pytest

from solvers.cpsat import is_feasible
from solvers.diagnose import apply_relaxation, diagnose, propose_relaxations, rule_families
from solvers.model import AttributeRule, Candidate, PanelRules, Relaxation, Shortfall

FULL_SENIOR = AttributeRule("title_level", "full_senior", minimum=1)


def expert(cid: str, group: str = "法医临床", employer: str | None = None, title: str = "associate_senior") -> Candidate:
    return Candidate(cid, group, employer, {"title_level": title})


def test_diagnose_feasible_is_empty():
    candidates = [expert("a1", employer="U1"), expert("a2", employer="U2")]
    assert diagnose(candidates, PanelRules(group_counts={"法医临床": 2})) == []


def test_diagnose_group_short():
    candidates = [expert("a1", employer="U1"), expert("b1", "法医病理", "U2")]
    rules = PanelRules(group_counts={"法医临床": 2, "法医病理": 1, "文书": 1})
    assert diagnose(candidates, rules) == [
        Shortfall("group_short", {"group": "文书", "required": 1, "available": 0}),
        Shortfall("group_short", {"group": "法医临床", "required": 2, "available": 1}),
    ]


def test_diagnose_group_short_employers():
    candidates = [expert("a1", employer="U1"), expert("a2", employer="U1"), expert("a3", employer=None)]
    rules = PanelRules(group_counts={"法医临床": 3})
    params = {"group": "法医临床", "groups": ["法医临床"], "required": 3, "employers": 2}
    assert diagnose(candidates, rules) == [Shortfall("group_short_employers", params)]


def test_diagnose_employers_shared_between_groups():
    # Each group alone has two employers, but together they need four members from two.
    candidates = [
        expert("a1", "法医临床", "U1"),
        expert("a2", "法医临床", "U2"),
        expert("b1", "法医病理", "U1"),
        expert("b2", "法医病理", "U2"),
    ]
    rules = PanelRules(group_counts={"法医临床": 2, "法医病理": 2})
    params = {"group": "法医临床、法医病理", "groups": ["法医临床", "法医病理"], "required": 4, "employers": 2}
    assert diagnose(candidates, rules) == [Shortfall("group_short_employers", params)]


def test_diagnose_attribute_min_short():
    candidates = [expert("a1", employer="U1", title="full_senior"), expert("a2", employer="U2")]
    rules = PanelRules(group_counts={"法医临床": 2}, attribute_rules=(dataclasses.replace(FULL_SENIOR, minimum=2),))
    params = {"attribute": "title_level", "value": "full_senior", "required": 2, "available": 1}
    assert diagnose(candidates, rules) == [Shortfall("attribute_min_short", params)]


def test_diagnose_attribute_max_exceeded():
    candidates = [expert("a1", employer="U1", title="full_senior"), expert("a2", employer="U2", title="full_senior")]
    at_most_one = AttributeRule("title_level", "full_senior", maximum=1)
    rules = PanelRules(group_counts={"法医临床": 2}, attribute_rules=(at_most_one,))
    params = {"attribute": "title_level", "value": "full_senior", "maximum": 1, "forced": 2}
    assert diagnose(candidates, rules) == [Shortfall("attribute_max_exceeded", params)]


def test_diagnose_leader_missing():
    candidates = [expert("a1", employer="U1"), expert("a2", employer="U2")]
    rules = PanelRules(group_counts={"法医临床": 1}, require_leader=True)
    assert diagnose(candidates, rules) == [Shortfall("leader_missing", {"available": 0})]


def test_diagnose_rules_combination():
    # Any two of a1, a2, a3 either conflict or share U2: the employer rule and the
    # conflicts can each be met alone, but not together.
    candidates = [expert("a1", employer="U1"), expert("a2", employer="U2"), expert("a3", employer="U2")]
    rules = PanelRules(
        group_counts={"法医临床": 2},
        conflicts=(("a1", "a2"), ("a1", "a3")),
        require_leader=False,
        attribute_rules=(AttributeRule("title_level", "associate_senior", minimum=1),),
    )
    assert diagnose(candidates, rules) == [
        Shortfall("rules_combination", {"rules": ["one_per_employer", "conflicts"]})
    ]


def test_diagnose_conflicts_alone():
    candidates = [expert("a1"), expert("a2")]
    rules = PanelRules(group_counts={"法医临床": 2}, conflicts=(("a1", "a2"),))
    assert diagnose(candidates, rules) == [Shortfall("rules_combination", {"rules": ["conflicts"]})]


def test_rule_families_labels():
    rules = PanelRules(
        group_counts={"法医临床": 1},
        attribute_rules=(FULL_SENIOR, AttributeRule("title_level", "full_senior", maximum=3)),
        conflicts=(("a", "b"),),
        require_leader=True,
    )
    expected = ["one_per_employer", "conflicts", "require_leader", "attribute:title_level=full_senior"]
    assert rule_families(rules) == expected


def test_propose_nothing_when_feasible():
    candidates = [expert("a1", employer="U1")]
    assert propose_relaxations(candidates, PanelRules(group_counts={"法医临床": 1})) == []


def test_propose_for_shared_employer():
    candidates = [expert("a1", employer="U1"), expert("a2", employer="U1"), expert("b1", "法医病理", "U2")]
    rules = PanelRules(group_counts={"法医临床": 2, "法医病理": 1})
    assert propose_relaxations(candidates, rules) == [
        Relaxation("lower_group_count", {"group": "法医临床", "from": 2, "to": 1}),
        Relaxation("allow_shared_employer", {"employer": "U1", "from": 1, "count": 2}),
    ]


def test_propose_smallest_change_first():
    candidates = [
        expert("a1", employer="U1", title="full_senior"),
        expert("a2", employer="U2"),
        expert("a3", employer="U3"),
    ]
    rules = PanelRules(
        group_counts={"法医临床": 3},
        attribute_rules=(AttributeRule("title_level", "full_senior", minimum=3),),
        require_leader=True,
    )
    assert propose_relaxations(candidates, rules) == [
        Relaxation(
            "lower_attribute_min",
            {"index": 0, "attribute": "title_level", "value": "full_senior", "from": 3, "to": 1},
        ),
    ]


def test_propose_raise_max_and_drop_leader():
    candidates = [expert("a1", employer="U1", title="full_senior"), expert("a2", employer="U2")]
    rules = PanelRules(
        group_counts={"法医临床": 1},
        attribute_rules=(AttributeRule("title_level", "full_senior", maximum=0),),
        require_leader=True,
    )
    assert propose_relaxations(candidates, rules) == [
        Relaxation(
            "raise_attribute_max",
            {"index": 0, "attribute": "title_level", "value": "full_senior", "from": 0, "to": 1},
        ),
        Relaxation("drop_leader_rule", {}),
    ]


def test_propose_ignore_conflict_pair():
    candidates = [expert("a1", employer="U1"), expert("a2", employer="U2"), expert("a3", employer="U3")]
    rules = PanelRules(group_counts={"法医临床": 3}, conflicts=(("a2", "a1"), ("a9", "a1")))
    assert propose_relaxations(candidates, rules) == [
        Relaxation("lower_group_count", {"group": "法医临床", "from": 3, "to": 2}),
        Relaxation("ignore_conflict_pair", {"a": "a1", "b": "a2"}),
    ]


def test_propose_nothing_when_two_changes_needed():
    # 法医临床 lacks a second employer and no candidate is a full senior, so no single change helps.
    candidates = [expert("a1", employer="U1"), expert("a2", employer="U1"), expert("b1", "法医病理", "U2")]
    rules = PanelRules(group_counts={"法医临床": 2, "法医病理": 1}, require_leader=True)
    assert propose_relaxations(candidates, rules) == []


def test_proposals_make_draw_feasible():
    candidates = [
        expert("a1", employer="U1"),
        expert("a2", employer="U1"),
        expert("b1", "法医病理", "U2"),
        expert("b2", "法医病理", "U3", title="full_senior"),
    ]
    rules = PanelRules(group_counts={"法医临床": 2, "法医病理": 1}, require_leader=True)
    proposals = propose_relaxations(candidates, rules)
    assert [relaxation.code for relaxation in proposals] == ["lower_group_count", "allow_shared_employer"]
    for relaxation in proposals:
        assert is_feasible(candidates, apply_relaxation(rules, relaxation))


def test_apply_relaxation_changes_rules():
    rules = PanelRules(
        group_counts={"法医临床": 2},
        attribute_rules=(AttributeRule("title_level", "full_senior", minimum=2, maximum=2),),
        conflicts=(("a1", "a2"), ("a2", "a3")),
        require_leader=True,
    )
    attribute = {"index": 0, "attribute": "title_level", "value": "full_senior"}

    lowered = apply_relaxation(rules, Relaxation("lower_group_count", {"group": "法医临床", "from": 2, "to": 1}))
    shared = apply_relaxation(rules, Relaxation("allow_shared_employer", {"employer": "U1", "from": 1, "count": 3}))
    minimum = apply_relaxation(rules, Relaxation("lower_attribute_min", {**attribute, "from": 2, "to": 0}))
    maximum = apply_relaxation(rules, Relaxation("raise_attribute_max", {**attribute, "from": 2, "to": 4}))
    leaderless = apply_relaxation(rules, Relaxation("drop_leader_rule", {}))
    unpaired = apply_relaxation(rules, Relaxation("ignore_conflict_pair", {"a": "a2", "b": "a1"}))

    assert lowered.group_counts == {"法医临床": 1}
    assert shared.employer_limits == {"U1": 3}
    assert minimum.attribute_rules == (AttributeRule("title_level", "full_senior", minimum=0, maximum=2),)
    assert maximum.attribute_rules == (AttributeRule("title_level", "full_senior", minimum=2, maximum=4),)
    assert leaderless.require_leader is False
    assert unpaired.conflicts == (("a2", "a3"),)
    assert rules.group_counts == {"法医临床": 2}


@pytest.mark.parametrize(
    ("relaxation", "message"),
    [
        (Relaxation("lower_group_count", {"group": "法医临床", "from": 3, "to": 1}), "expects the count"),
        (Relaxation("lower_group_count", {"group": "法医临床", "from": 2, "to": 2}), "lower than"),
        (Relaxation("allow_shared_employer", {"employer": "U1", "from": 1, "count": 1}), "higher than"),
        (
            Relaxation("lower_attribute_min", {"index": 1, "attribute": "title_level", "value": "x", "from": 1, "to": 0}),
            "out of range",
        ),
        (
            Relaxation("raise_attribute_max", {"index": 0, "attribute": "title_level", "value": "x", "from": 1, "to": 2}),
            "not title_level=x",
        ),
        (Relaxation("ignore_conflict_pair", {"a": "a1", "b": "a3"}), "not in the rules"),
        (Relaxation("drop_everything", {}), "unknown relaxation code"),
    ],
)
def test_apply_relaxation_rejects_stale(relaxation, message):
    rules = PanelRules(
        group_counts={"法医临床": 2},
        attribute_rules=(AttributeRule("title_level", "full_senior", minimum=1),),
        conflicts=(("a1", "a2"),),
    )
    with pytest.raises(ValueError, match=message):
        apply_relaxation(rules, relaxation)
