"""Checks on panels and on the input of a draw, shared by every selection method.

`check_panel` is the single definition of a valid panel: the CP-SAT model in
`solvers.cpsat`, the tests and the verifier must all agree with it. `RuleCounts`
evaluates the cheap counting conditions that any candidate set must meet before a
panel can exist. `solvers.cpsat` uses them to skip solver calls, and
`solvers.diagnose` turns them into shortfalls.

Panel shortfall codes (params in braces):

- ``panel_unknown_member`` {id}: the id is not among the candidates.
- ``panel_duplicate_member`` {id}: the id appears more than once.
- ``panel_group_count`` {group, required, selected}: wrong number of members from a
  group. Groups the rules do not require have ``required`` 0.
- ``panel_shared_employer`` {employer, limit, members}: more members from one employer
  than the employer rule allows.
- ``panel_conflict`` {a, b}: both sides of a conflict pair sit on the panel.
- ``panel_attribute_min`` {attribute, value, minimum, selected}
- ``panel_attribute_max`` {attribute, value, maximum, selected}
- ``panel_leader_missing`` {}: no member has a full senior title.
"""

from __future__ import annotations

from collections import Counter
from typing import Iterable, Iterator, Mapping, Sequence

from solvers.model import LEADER_ATTRIBUTE, LEADER_VALUE, AttributeRule, Candidate, PanelRules, Shortfall


def is_leader(candidate: Candidate) -> bool:
    return candidate.has(LEADER_ATTRIBUTE, LEADER_VALUE)


def required_groups(rules: PanelRules) -> dict[str, int]:
    """Return the groups a panel draws members from, with their counts (zero counts dropped)."""
    return {group: count for group, count in rules.group_counts.items() if count > 0}


def required_candidates(candidates: Iterable[Candidate], rules: PanelRules) -> list[Candidate]:
    groups = required_groups(rules)
    return [candidate for candidate in candidates if candidate.group in groups]


def conflict_index(rules: PanelRules) -> dict[str, set[str]]:
    """Return, for each candidate id, the ids it may not sit with. Pairs naming one id twice are ignored."""
    index: dict[str, set[str]] = {}
    for a, b in rules.conflicts:
        if a == b:
            continue
        index.setdefault(a, set()).add(b)
        index.setdefault(b, set()).add(a)
    return index


def validate_draw_input(candidates: Sequence[Candidate], rules: PanelRules) -> None:
    """Raise ValueError when the candidates or rules cannot describe a draw.

    Checks that candidate ids are unique, that counts and limits are non-negative
    integers, that the panel has at least one member and that no attribute rule has a
    minimum above its maximum.
    """
    _validate_candidate_ids(candidates)
    _validate_group_counts(rules)
    _validate_attribute_rules(rules)

    if not isinstance(rules.alternates, int) or rules.alternates < 0:
        raise ValueError(f"alternates must be a non-negative integer, got {rules.alternates!r}")
    for employer, limit in rules.employer_limits.items():
        if not isinstance(limit, int) or limit < 1:
            raise ValueError(f"employer limit for {employer!r} must be an integer >= 1, got {limit!r}")
    for pair in rules.conflicts:
        if len(pair) != 2:
            raise ValueError(f"conflict must be a pair of candidate ids, got {pair!r}")


def _validate_candidate_ids(candidates: Sequence[Candidate]) -> None:
    ids = [candidate.id for candidate in candidates]
    if len(set(ids)) == len(ids):
        return
    repeated = sorted(cid for cid, count in Counter(ids).items() if count > 1)
    raise ValueError(f"candidate ids must be unique, repeated: {repeated[:10]}")


def _validate_group_counts(rules: PanelRules) -> None:
    for group, count in rules.group_counts.items():
        if not isinstance(count, int) or count < 0:
            raise ValueError(f"group count for {group!r} must be a non-negative integer, got {count!r}")
    if rules.panel_size < 1:
        raise ValueError(f"group_counts must require at least one member, got {dict(rules.group_counts)}")


def _validate_attribute_rules(rules: PanelRules) -> None:
    for rule in rules.attribute_rules:
        if rule.minimum < 0 or (rule.maximum is not None and rule.maximum < 0):
            raise ValueError(f"attribute rule bounds must be non-negative, got {rule!r}")
        if rule.maximum is not None and rule.minimum > rule.maximum:
            raise ValueError(f"attribute rule minimum exceeds its maximum: {rule!r}")


def check_panel(candidates: Sequence[Candidate], rules: PanelRules, panel_ids: Sequence[str]) -> list[Shortfall]:
    """Return every rule the panel breaks, with the numbers; an empty list means valid.

    Shortfalls come in a fixed order: membership, groups, employers, conflicts,
    attribute rules, leader.
    """
    by_id = {candidate.id: candidate for candidate in candidates}
    shortfalls = list(_membership_shortfalls(by_id, panel_ids))

    members = [by_id[cid] for cid in dict.fromkeys(panel_ids) if cid in by_id]
    shortfalls += _group_shortfalls(rules, members)
    if rules.one_per_employer:
        shortfalls += _employer_shortfalls(rules, members)
    shortfalls += _conflict_shortfalls(rules, members)
    shortfalls += _attribute_shortfalls(rules, members)
    if rules.require_leader and not any(is_leader(member) for member in members):
        shortfalls.append(Shortfall("panel_leader_missing", {}))
    return shortfalls


def _membership_shortfalls(by_id: Mapping[str, Candidate], panel_ids: Sequence[str]) -> Iterator[Shortfall]:
    for cid in dict.fromkeys(panel_ids):
        if cid not in by_id:
            yield Shortfall("panel_unknown_member", {"id": cid})
    for cid, count in Counter(panel_ids).items():
        if count > 1:
            yield Shortfall("panel_duplicate_member", {"id": cid})


def _group_shortfalls(rules: PanelRules, members: list[Candidate]) -> Iterator[Shortfall]:
    selected = Counter(member.group for member in members)
    required = required_groups(rules)
    for group in sorted(set(required) | set(selected)):
        if selected[group] != required.get(group, 0):
            yield Shortfall(
                "panel_group_count",
                {"group": group, "required": required.get(group, 0), "selected": selected[group]},
            )


def _employer_shortfalls(rules: PanelRules, members: list[Candidate]) -> Iterator[Shortfall]:
    by_employer: dict[str, list[str]] = {}
    for member in members:
        if member.employer is not None:
            by_employer.setdefault(member.employer, []).append(member.id)
    for employer in sorted(by_employer):
        ids = by_employer[employer]
        limit = rules.employer_limit(employer)
        if len(ids) > limit:
            yield Shortfall("panel_shared_employer", {"employer": employer, "limit": limit, "members": sorted(ids)})


def _conflict_shortfalls(rules: PanelRules, members: list[Candidate]) -> Iterator[Shortfall]:
    on_panel = {member.id for member in members}
    reported: set[tuple[str, str]] = set()
    for a, b in rules.conflicts:
        pair = (min(a, b), max(a, b))
        if a != b and a in on_panel and b in on_panel and pair not in reported:
            reported.add(pair)
            yield Shortfall("panel_conflict", {"a": pair[0], "b": pair[1]})


def _attribute_shortfalls(rules: PanelRules, members: list[Candidate]) -> Iterator[Shortfall]:
    for rule in rules.attribute_rules:
        selected = sum(1 for member in members if member.has(rule.attribute, rule.value))
        params = {"attribute": rule.attribute, "value": rule.value}
        if selected < rule.minimum:
            yield Shortfall("panel_attribute_min", {**params, "minimum": rule.minimum, "selected": selected})
        if rule.maximum is not None and selected > rule.maximum:
            yield Shortfall("panel_attribute_max", {**params, "maximum": rule.maximum, "selected": selected})


def choose_leader(candidates: Sequence[Candidate], panel_ids: Sequence[str], order: Sequence[str]) -> str | None:
    """Return the first panel member in `order` with a full senior title, or None.

    Members missing from `order` are never chosen.
    """
    by_id = {candidate.id: candidate for candidate in candidates}
    on_panel = set(panel_ids)
    for cid in order:
        if cid in on_panel and cid in by_id and is_leader(by_id[cid]):
            return cid
    return None


def pick_replacement(
    candidates: Sequence[Candidate],
    rules: PanelRules,
    panel_ids: Sequence[str],
    leaving_id: str,
    alternate_ids: Sequence[str],
) -> str | None:
    """Return the first alternate that can take the leaving member's seat, or None.

    An alternate fits when it belongs to the leaving member's group, is not on the
    panel already, and the panel with the swap passes `check_panel`. `candidates` must
    contain the leaving member and the members who stay. Alternates missing from
    `candidates` (no longer eligible, for example) are skipped.
    """
    if leaving_id not in panel_ids:
        raise ValueError(f"leaving member {leaving_id!r} is not on the panel {list(panel_ids)}")
    by_id = {candidate.id: candidate for candidate in candidates}
    if leaving_id not in by_id:
        raise ValueError(f"leaving member {leaving_id!r} is not among the candidates; pass the draw's candidates")

    group = by_id[leaving_id].group
    staying = [cid for cid in panel_ids if cid != leaving_id]
    for alternate_id in alternate_ids:
        alternate = by_id.get(alternate_id)
        if alternate is None or alternate.group != group or alternate_id in panel_ids:
            continue
        if not check_panel(candidates, rules, [*staying, alternate_id]):
            return alternate_id
    return None


class RuleCounts:
    """Counts over a growing candidate set that bound what a panel from that set can meet.

    Every condition here is necessary for a panel to exist, and none is sufficient
    (conflicts, and employers shared between groups, are ignored). Each count only
    grows as candidates are added, so once `all_met` is true it stays true. That lets
    `solvers.cpsat` skip solver calls on candidate prefixes that are too short.

    Under the employer rule a group's "slots" are the members its employers can supply
    to one panel: each employer key counts up to its limit, each candidate without an
    employer counts once.
    """

    def __init__(self, rules: PanelRules):
        self.rules = rules
        self.required = required_groups(rules)
        self.members: Counter[str] = Counter()
        self.slots: Counter[str] = Counter()
        self.leaders = 0
        self._employer_members: Counter[tuple[str, str]] = Counter()
        # Per attribute rule: slots of candidates that have the value, and of those that do not.
        self.holder_slots: list[Counter[str]] = [Counter() for _ in rules.attribute_rules]
        self.other_slots: list[Counter[str]] = [Counter() for _ in rules.attribute_rules]
        self._holder_employers: list[Counter[tuple[str, str]]] = [Counter() for _ in rules.attribute_rules]
        self._other_employers: list[Counter[tuple[str, str]]] = [Counter() for _ in rules.attribute_rules]

    def add(self, candidate: Candidate) -> None:
        group = candidate.group
        if group not in self.required:
            return

        self.members[group] += 1
        self.slots[group] += self._slot_gain(self._employer_members, candidate)
        if is_leader(candidate):
            self.leaders += 1

        for index, rule in enumerate(self.rules.attribute_rules):
            if candidate.has(rule.attribute, rule.value):
                self.holder_slots[index][group] += self._slot_gain(self._holder_employers[index], candidate)
            else:
                self.other_slots[index][group] += self._slot_gain(self._other_employers[index], candidate)

    def _slot_gain(self, per_employer: Counter[tuple[str, str]], candidate: Candidate) -> int:
        if not self.rules.one_per_employer or candidate.employer is None:
            return 1
        key = (candidate.group, candidate.employer)
        per_employer[key] += 1
        return 1 if per_employer[key] <= self.rules.employer_limit(candidate.employer) else 0

    def all_met(self) -> bool:
        return next(self.unmet(), None) is None

    def unmet(self) -> Iterator[Shortfall]:
        """Yield a shortfall for each counting condition the candidates added so far fail.

        Codes and params are those documented in `solvers.diagnose`. For attribute
        rules, ``available`` is the most members with the value that a panel of the
        required group sizes could hold, and ``forced`` the fewest it must hold.
        """
        for group in sorted(self.required):
            required = self.required[group]
            if self.members[group] < required:
                yield Shortfall("group_short", {"group": group, "required": required, "available": self.members[group]})
            elif self.rules.one_per_employer and self.slots[group] < required:
                yield Shortfall(
                    "group_short_employers",
                    {"group": group, "groups": [group], "required": required, "employers": self.slots[group]},
                )

        for index, rule in enumerate(self.rules.attribute_rules):
            yield from self._attribute_unmet(index, rule)

        if self.rules.require_leader and self.leaders == 0:
            yield Shortfall("leader_missing", {"available": 0})

    def _attribute_unmet(self, index: int, rule: AttributeRule) -> Iterator[Shortfall]:
        params = {"attribute": rule.attribute, "value": rule.value}
        available = sum(min(count, self.holder_slots[index][group]) for group, count in self.required.items())
        if available < rule.minimum:
            yield Shortfall("attribute_min_short", {**params, "required": rule.minimum, "available": available})

        if rule.maximum is None:
            return
        forced = sum(max(0, count - self.other_slots[index][group]) for group, count in self.required.items())
        if self.rules.require_leader and (rule.attribute, rule.value) == (LEADER_ATTRIBUTE, LEADER_VALUE):
            # The leader rule itself forces one member with this value onto the panel.
            forced = max(forced, 1)
        if forced > rule.maximum:
            yield Shortfall("attribute_max_exceeded", {**params, "maximum": rule.maximum, "forced": forced})
