"""The first-feasible selection method: the first valid panel in a seeded random order.

Definition (version "1"). A verifier in any language reproduces a draw from the
candidates, the rules and the 32-byte seed as follows.

1. The required groups are those with ``group_counts[g] > 0``; only their candidates
   take part. ``order`` lists those candidates' ids sorted by
   SHA-256(seed || 0x00 || UTF-8 id), ties broken by the id
   (`solvers.randomness.random_order`). A candidate's position is its 0-based index in
   ``order``.
2. A panel is valid when it passes `solvers.check.check_panel`:

   - exactly ``group_counts[g]`` members from each required group, none from others;
   - under ``one_per_employer``, at most one member per non-null employer, or the
     employer's limit in ``employer_limits``;
   - no two members forming a pair in ``conflicts``;
   - for each attribute rule, between minimum and maximum members with
     ``attributes[attribute] == value``;
   - under ``require_leader``, at least one member with
     ``title_level == "full_senior"``.
3. ``m*`` is the smallest m such that the first m candidates of ``order`` contain a
   valid panel. When no m works, the draw fails (`InfeasibleError`).
4. The panel is the valid panel within the first ``m*`` candidates whose sorted list
   of positions is lexicographically smallest. Equivalently: walk positions 0, 1, ...
   and take a candidate whenever some valid panel within the first ``m*`` candidates
   contains it, every candidate taken so far and no candidate passed over.
5. Alternates: for each required group, the first ``alternates`` candidates of that
   group in ``order`` that are not on the panel. ``Selection.alternates`` lists all of
   them by position.
6. Leader: under ``require_leader``, the panel member with the smallest position whose
   ``title_level`` is ``"full_senior"``; otherwise none.

``Selection.panel`` lists the members by position. ``Selection.details`` contains
``order_prefix`` (m*), ``panel_positions`` and ``candidate_count`` (the length of
``order``). The method computes no probabilities.

How m* and the panel are found does not change the result: see
`solvers.cpsat.smallest_feasible_prefix` and `solvers.cpsat.first_panel_in_order`.
"""

from __future__ import annotations

from typing import Sequence

from solvers.check import choose_leader, required_candidates, required_groups, validate_draw_input
from solvers.cpsat import (
    SolverSettings,
    first_panel_in_order,
    is_feasible,
    smallest_feasible_prefix,
)
from solvers.diagnose import diagnose, propose_relaxations
from solvers.model import Candidate, Distribution, InfeasibleError, PanelRules, Selection
from solvers.randomness import check_seed, random_order


class FirstFeasible:
    """Select the lexicographically first valid panel in the smallest feasible prefix of a random order."""

    name = "first_feasible"
    version = "1"

    def __init__(self, settings: SolverSettings | None = None):
        self.settings = settings or SolverSettings()

    def prepare(self, candidates: Sequence[Candidate], rules: PanelRules) -> None:
        """Raise InfeasibleError, with shortfalls and relaxations, when no valid panel exists.

        The method needs nothing prepared, so this only checks feasibility before the
        seed is known.
        """
        validate_draw_input(candidates, rules)
        if not is_feasible(candidates, rules, self.settings):
            raise self._infeasible(candidates, rules)

    def draw(
        self,
        candidates: Sequence[Candidate],
        rules: PanelRules,
        prepared: Distribution | None,
        seed: bytes,
    ) -> Selection:
        """Return the selection defined in the module docstring for this seed.

        Raises InfeasibleError when no valid panel exists, even if `prepare` was skipped.
        """
        if prepared is not None:
            raise ValueError(
                f"first_feasible prepares nothing, so prepared must be None, got {type(prepared).__name__}"
            )
        check_seed(seed)
        validate_draw_input(candidates, rules)

        by_id = {candidate.id: candidate for candidate in required_candidates(candidates, rules)}
        order = random_order(seed, by_id)
        ordered = [by_id[cid] for cid in order]

        found = smallest_feasible_prefix(ordered, rules, self.settings)
        if found is None:
            raise self._infeasible(candidates, rules)
        prefix_length, _ = found

        # Every valid panel in the smallest feasible prefix contains its last candidate,
        # otherwise a shorter prefix would be feasible.
        prefix = ordered[:prefix_length]
        panel = first_panel_in_order(prefix, rules, self.settings, include=[prefix[-1].id])
        if panel is None:
            raise RuntimeError(
                f"CP-SAT found a panel among the first {prefix_length} candidates but none containing the last; "
                "solver results are inconsistent"
            )

        return self._selection(rules, ordered, panel, prefix_length)

    def _selection(
        self, rules: PanelRules, ordered: list[Candidate], panel: tuple[str, ...], prefix_length: int
    ) -> Selection:
        # The panel lies within the prefix, so positions beyond it are never needed.
        position = {candidate.id: index for index, candidate in enumerate(ordered[:prefix_length])}
        members = tuple(sorted(panel, key=position.__getitem__))
        member_candidates = [ordered[position[cid]] for cid in members]
        # Members are listed by position, so they serve as the order for the leader.
        leader = choose_leader(member_candidates, members, members) if rules.require_leader else None
        return Selection(
            panel=members,
            alternates=pick_alternates(ordered, rules, members),
            leader=leader,
            method=self.name,
            method_version=self.version,
            probabilities=None,
            details={
                "order_prefix": prefix_length,
                "panel_positions": [position[cid] for cid in members],
                "candidate_count": len(ordered),
            },
        )

    def _infeasible(self, candidates: Sequence[Candidate], rules: PanelRules) -> InfeasibleError:
        shortfalls = diagnose(candidates, rules, self.settings)
        return InfeasibleError(shortfalls, propose_relaxations(candidates, rules, self.settings))


def pick_alternates(ordered: Sequence[Candidate], rules: PanelRules, panel: Sequence[str]) -> tuple[str, ...]:
    """Return, in list order, the first `rules.alternates` candidates of each required group not on the panel."""
    needed = {group: rules.alternates for group in required_groups(rules)}
    remaining = sum(needed.values())
    on_panel = set(panel)

    alternates = []
    for candidate in ordered:
        if remaining == 0:
            break
        if candidate.id in on_panel or not needed.get(candidate.group):
            continue
        needed[candidate.group] -= 1
        remaining -= 1
        alternates.append(candidate.id)
    return tuple(alternates)
