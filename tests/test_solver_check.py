"""Tests for panel checks, leader choice, replacements and counting conditions."""

from __future__ import annotations

import pytest

from solvers.check import RuleCounts, check_panel, choose_leader, pick_replacement, validate_draw_input
from solvers.model import AttributeRule, Candidate, PanelRules, Shortfall

def candidate(cid: str, group: str = "法医临床", employer: str | None = None, **attributes: str) -> Candidate:
    return Candidate(id=cid, group=group, employer=employer, attributes=attributes)


@pytest.fixture
def pool() -> list[Candidate]:
    return [
        candidate("a1", "法医临床", "U1", title_level="full_senior"),
        candidate("a2", "法医临床", "U2", title_level="associate_senior"),
        candidate("a3", "法医临床", "U1", title_level="associate_senior"),
        candidate("b1", "法医病理", "U3", title_level="associate_senior"),
        candidate("b2", "法医病理", None, title_level="full_senior"),
        candidate("c1", "文书", "U4", title_level="full_senior"),
    ]


@pytest.fixture
def rules() -> PanelRules:
    return PanelRules(group_counts={"法医临床": 2, "法医病理": 1}, require_leader=True)


def codes(shortfalls: list[Shortfall]) -> list[str]:
    return [shortfall.code for shortfall in shortfalls]


def test_check_panel_valid(pool, rules):
    assert check_panel(pool, rules, ["a1", "a2", "b1"]) == []


def test_check_panel_unknown_and_duplicate(pool, rules):
    shortfalls = check_panel(pool, rules, ["a1", "a2", "a2", "zz"])
    assert Shortfall("panel_unknown_member", {"id": "zz"}) in shortfalls
    assert Shortfall("panel_duplicate_member", {"id": "a2"}) in shortfalls


def test_check_panel_group_counts(pool, rules):
    shortfalls = check_panel(pool, rules, ["a1", "b1", "c1"])
    assert Shortfall("panel_group_count", {"group": "法医临床", "required": 2, "selected": 1}) in shortfalls
    assert Shortfall("panel_group_count", {"group": "文书", "required": 0, "selected": 1}) in shortfalls
    assert len(shortfalls) == 2


def test_check_panel_shared_employer(pool, rules):
    shortfalls = check_panel(pool, rules, ["a1", "a3", "b1"])
    assert shortfalls == [Shortfall("panel_shared_employer", {"employer": "U1", "limit": 1, "members": ["a1", "a3"]})]


def test_check_panel_employer_limit_allows_two(pool, rules):
    relaxed = PanelRules(group_counts=rules.group_counts, require_leader=True, employer_limits={"U1": 2})
    assert check_panel(pool, relaxed, ["a1", "a3", "b1"]) == []


def test_check_panel_without_employer_rule(pool):
    rules = PanelRules(group_counts={"法医临床": 2, "法医病理": 1}, one_per_employer=False)
    assert check_panel(pool, rules, ["a1", "a3", "b1"]) == []


def test_check_panel_missing_employer_never_shared():
    pool = [candidate("x1", employer=None), candidate("x2", employer=None)]
    rules = PanelRules(group_counts={"法医临床": 2})
    assert check_panel(pool, rules, ["x1", "x2"]) == []


def test_check_panel_conflict(pool, rules):
    conflicted = PanelRules(group_counts=rules.group_counts, conflicts=(("b1", "a2"), ("a2", "b1"), ("a1", "c1")))
    shortfalls = check_panel(pool, conflicted, ["a1", "a2", "b1"])
    assert shortfalls == [Shortfall("panel_conflict", {"a": "a2", "b": "b1"})]


def test_check_panel_attribute_bounds(pool):
    rules = PanelRules(
        group_counts={"法医临床": 2, "法医病理": 1},
        attribute_rules=(
            AttributeRule("title_level", "full_senior", minimum=2),
            AttributeRule("title_level", "associate_senior", maximum=1),
        ),
    )
    shortfalls = check_panel(pool, rules, ["a1", "a2", "b1"])
    below = {"attribute": "title_level", "value": "full_senior", "minimum": 2, "selected": 1}
    above = {"attribute": "title_level", "value": "associate_senior", "maximum": 1, "selected": 2}
    assert Shortfall("panel_attribute_min", below) in shortfalls
    assert Shortfall("panel_attribute_max", above) in shortfalls
    assert len(shortfalls) == 2


def test_check_panel_leader_missing(pool, rules):
    assert codes(check_panel(pool, rules, ["a2", "a3", "b1"])) == ["panel_leader_missing"]


def test_choose_leader_first_in_order(pool):
    assert choose_leader(pool, ["a1", "b2", "a2"], ["a2", "b2", "a1"]) == "b2"


def test_choose_leader_none_qualifies(pool):
    assert choose_leader(pool, ["a2", "b1"], ["a2", "b1"]) is None


def test_choose_leader_ignores_members_not_in_order(pool):
    assert choose_leader(pool, ["a1", "a2"], ["a2"]) is None


def test_pick_replacement_first_fitting(pool, rules):
    more = [*pool, candidate("a4", "法医临床", "U5", title_level="associate_senior")]
    more.append(candidate("a5", "法医临床", "U6", title_level="associate_senior"))
    # b2 is of another group and a3 shares employer U1 with a1, so a4 is the first that fits.
    assert pick_replacement(more, rules, ["a1", "a2", "b1"], "a2", ["b2", "a3", "a4", "a5"]) == "a4"


def test_pick_replacement_skips_misfits(pool, rules):
    panel = ["a1", "a2", "b2"]
    # zz is no longer a candidate and a2 is the leaving member itself.
    assert pick_replacement(pool, rules, panel, "a2", ["b1", "a3", "zz", "a2"]) is None
    assert pick_replacement(pool, rules, panel, "a2", []) is None


def test_pick_replacement_keeps_leader(pool, rules):
    more = [*pool, candidate("a4", "法医临床", "U5", title_level="associate_senior")]
    # Replacing the only full senior a1 by a4 would leave the panel without a leader.
    assert pick_replacement(more, rules, ["a1", "a2", "b1"], "a1", ["a4"]) is None
    assert pick_replacement(more, rules, ["a1", "a2", "b2"], "a1", ["a4"]) == "a4"


def test_pick_replacement_rejects_bad_leaving(pool, rules):
    with pytest.raises(ValueError, match="not on the panel"):
        pick_replacement(pool, rules, ["a1", "a2", "b1"], "b2", ["b1"])
    with pytest.raises(ValueError, match="not among the candidates"):
        pick_replacement(pool, rules, ["a1", "zz", "b1"], "zz", ["a2"])


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        (PanelRules(group_counts={"法医临床": -1, "文书": 2}), "non-negative integer"),
        (PanelRules(group_counts={"法医临床": 0}), "at least one member"),
        (PanelRules(group_counts={"法医临床": 1}, alternates=-1), "alternates"),
        (PanelRules(group_counts={"法医临床": 1}, employer_limits={"U1": 0}), "employer limit"),
        (PanelRules(group_counts={"法医临床": 1}, conflicts=(("a1",),)), "pair"),
        (
            PanelRules(group_counts={"法医临床": 1}, attribute_rules=(AttributeRule("title_level", "x", 2, 1),)),
            "minimum exceeds",
        ),
        (
            PanelRules(group_counts={"法医临床": 1}, attribute_rules=(AttributeRule("title_level", "x", -1),)),
            "non-negative",
        ),
    ],
)
def test_validate_draw_input_rejects(pool, rules, message):
    with pytest.raises(ValueError, match=message):
        validate_draw_input(pool, rules)


def test_validate_draw_input_duplicate_ids(pool, rules):
    with pytest.raises(ValueError, match="repeated: \\['a1'\\]"):
        validate_draw_input([*pool, candidate("a1")], rules)


def test_rule_counts_group_and_employers(pool):
    counts = RuleCounts(PanelRules(group_counts={"法医临床": 3, "法医病理": 3}))
    for member in pool:
        counts.add(member)
    unmet = list(counts.unmet())
    assert unmet == [
        Shortfall("group_short_employers", {"group": "法医临床", "groups": ["法医临床"], "required": 3, "employers": 2}),
        Shortfall("group_short", {"group": "法医病理", "required": 3, "available": 2}),
    ]


def test_rule_counts_attribute_bounds(pool):
    rules = PanelRules(
        group_counts={"法医临床": 2, "法医病理": 1},
        attribute_rules=(
            AttributeRule("title_level", "full_senior", minimum=3),
            AttributeRule("title_level", "associate_senior", maximum=0),
        ),
        one_per_employer=False,
    )
    counts = RuleCounts(rules)
    for member in pool:
        counts.add(member)
    unmet = list(counts.unmet())
    # Only a1 and b2 are full seniors; 法医临床 has one full senior, so one associate is forced.
    min_short = {"attribute": "title_level", "value": "full_senior", "required": 3, "available": 2}
    max_exceeded = {"attribute": "title_level", "value": "associate_senior", "maximum": 0, "forced": 1}
    assert unmet == [Shortfall("attribute_min_short", min_short), Shortfall("attribute_max_exceeded", max_exceeded)]


def test_rule_counts_leader_forces_full_senior():
    rules = PanelRules(
        group_counts={"法医临床": 1},
        attribute_rules=(AttributeRule("title_level", "full_senior", maximum=0),),
        require_leader=True,
    )
    counts = RuleCounts(rules)
    counts.add(candidate("a1", title_level="full_senior"))
    counts.add(candidate("a2", title_level="associate_senior"))
    forced = {"attribute": "title_level", "value": "full_senior", "maximum": 0, "forced": 1}
    assert list(counts.unmet()) == [Shortfall("attribute_max_exceeded", forced)]


def test_rule_counts_become_met_and_stay_met():
    rules = PanelRules(group_counts={"法医临床": 2}, require_leader=True)
    counts = RuleCounts(rules)
    met = []
    for member in [
        candidate("a1", employer="U1", title_level="associate_senior"),
        candidate("a2", employer="U1", title_level="full_senior"),
        candidate("a3", employer="U2", title_level="associate_senior"),
        candidate("a4", employer="U2", title_level="associate_senior"),
    ]:
        counts.add(member)
        met.append(counts.all_met())
    assert met == [False, False, True, True]


def test_rule_counts_ignore_other_groups():
    counts = RuleCounts(PanelRules(group_counts={"法医临床": 1}))
    counts.add(candidate("c1", group="文书"))
    assert [s.code for s in counts.unmet()] == ["group_short"]
