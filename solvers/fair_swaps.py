"""Extra columns for column generation: valid panels one seat swap away from a priced panel.

Each pricing round costs a CP-SAT call and a master LP solve, and a leximin lottery
over a few hundred types needs a few hundred panels. Some panels differ from the
freshly priced one by a single seat and are also priced above the LP bound by the
current duals. Those are often needed later too, so adding the best few at once saves
whole rounds. Measured on a 500-candidate synthetic pool (2-core AMD EPYC): about half
the pricing rounds and a quarter to a third less time.

A swap is checked against the rules here, at the level of type counts. The CP-SAT model
in `solvers.fair_colgen` and `solvers.check.check_panel` remain the definition of a
valid panel, and every panel in a lottery is checked with `check_panel`.
"""

from __future__ import annotations

from collections import Counter
from typing import Collection, Mapping, Sequence

from solvers.fair_types import CandidateType, PanelCounts
from solvers.model import PanelRules


class SwapSearch:
    """Find valid panels that move one seat of a panel to another type of the same group."""

    def __init__(
        self,
        types: Sequence[CandidateType],
        rules: PanelRules,
        upper_bounds: Mapping[int, int],
        conflict_types: Sequence[tuple[int, int]],
    ):
        self.types = types
        self.rules = rules
        self.upper_bounds = upper_bounds
        self.group_types: dict[str, list[int]] = {}
        for t in types:
            if upper_bounds[t.index] > 0:
                self.group_types.setdefault(t.group, []).append(t.index)
        self.conflicts_of: dict[int, set[int]] = {}
        for first, second in conflict_types:
            self.conflicts_of.setdefault(first, set()).add(second)
            self.conflicts_of.setdefault(second, set()).add(first)
        # matches[t] lists the attribute rules (by position) that members of type t count towards.
        self.matches = [
            frozenset(r for r, rule in enumerate(rules.attribute_rules) if (rule.attribute, rule.value) in t.matched)
            for t in types
        ]

    def neighbours(
        self,
        panel: PanelCounts,
        per_member: Mapping[int, float],
        threshold: float,
        limit: int,
        known: Collection[PanelCounts],
    ) -> list[PanelCounts]:
        """Return up to `limit` new valid swaps of `panel` whose weighted value exceeds `threshold`.

        The value of a panel is the sum over its seats of `per_member` of the seat's
        type. Swaps are tried from the largest gain down, ties broken by type index,
        so the result is deterministic.
        """
        counts = dict(panel)
        value = sum(per_member.get(index, 0.0) * count for index, count in panel)
        state = _PanelState(self, counts)

        found: list[PanelCounts] = []
        for gain, leaving, joining in self._moves(counts, per_member):
            if value + gain <= threshold or len(found) >= limit:
                break
            if not state.allows_swap(leaving, joining):
                continue
            swapped = _swap(counts, leaving, joining)
            if swapped not in known:
                found.append(swapped)
        return found

    def _moves(self, counts: Mapping[int, int], per_member: Mapping[int, float]) -> list[tuple[float, int, int]]:
        moves = []
        for leaving in counts:
            for joining in self.group_types[self.types[leaving].group]:
                if joining != leaving:
                    moves.append((per_member.get(joining, 0.0) - per_member.get(leaving, 0.0), leaving, joining))
        moves.sort(key=lambda move: (-move[0], move[1], move[2]))
        return moves


class _PanelState:
    """Rule counts of one panel, to check single swaps without recounting."""

    def __init__(self, search: SwapSearch, counts: Mapping[int, int]):
        self.search = search
        self.counts = counts
        self.employers = Counter()
        self.rule_counts = [0] * len(search.rules.attribute_rules)
        self.leaders = 0
        for index, count in counts.items():
            candidate_type = search.types[index]
            if candidate_type.employer is not None:
                self.employers[candidate_type.employer] += count
            for rule in search.matches[index]:
                self.rule_counts[rule] += count
            if candidate_type.qualifies_as_leader:
                self.leaders += count

    def allows_swap(self, leaving: int, joining: int) -> bool:
        search = self.search
        if self.counts.get(joining, 0) + 1 > search.upper_bounds[joining]:
            return False
        return (
            self._employer_allows(leaving, joining)
            and self._conflicts_allow(leaving, joining)
            and self._rules_allow(leaving, joining)
            and self._leader_allows(leaving, joining)
        )

    def _employer_allows(self, leaving: int, joining: int) -> bool:
        employer = self.search.types[joining].employer
        if employer is None or employer == self.search.types[leaving].employer:
            return True
        return self.employers[employer] + 1 <= self.search.rules.employer_limit(employer)

    def _conflicts_allow(self, leaving: int, joining: int) -> bool:
        for other in self.search.conflicts_of.get(joining, ()):
            remaining = self.counts.get(other, 0) - (1 if other == leaving else 0)
            if remaining > 0:
                return False
        return True

    def _rules_allow(self, leaving: int, joining: int) -> bool:
        search = self.search
        for rule_index in search.matches[leaving] ^ search.matches[joining]:
            rule = search.rules.attribute_rules[rule_index]
            count = self.rule_counts[rule_index] + (1 if rule_index in search.matches[joining] else -1)
            if count < rule.minimum or (rule.maximum is not None and count > rule.maximum):
                return False
        return True

    def _leader_allows(self, leaving: int, joining: int) -> bool:
        types = self.search.types
        if not self.search.rules.require_leader or types[joining].qualifies_as_leader:
            return True
        return self.leaders - (1 if types[leaving].qualifies_as_leader else 0) >= 1


def _swap(counts: Mapping[int, int], leaving: int, joining: int) -> PanelCounts:
    swapped = dict(counts)
    swapped[leaving] -= 1
    if swapped[leaving] == 0:
        del swapped[leaving]
    swapped[joining] = swapped.get(joining, 0) + 1
    return tuple(sorted(swapped.items()))
