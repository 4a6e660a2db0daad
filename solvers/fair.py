"""Fair panel lotteries: maximin and leximin, with exact probabilities and seeded draws.

`prepare` computes a lottery over valid panels. Maximin maximises the lowest selection
probability among the candidates who can sit on any valid panel at all. Leximin then
goes on to maximise the second lowest, the third lowest and so on, following Flanigan
et al., "Fair algorithms for selecting citizens' assemblies", Nature 596 (2021).
Candidates who sit on no valid panel get probability 0 and are listed in
``details["unreachable"]``. No valid panel at all raises `InfeasibleError`.

Types. Interchangeable candidates (same group, same matches for every rule, same
shared employer, no conflict) form a type (see `solvers.fair_types`), and the lottery
is computed over counts per type. Each member of a type has the same probability.
``details["types"]`` lists the types, each as its sorted member ids.

Exact arithmetic. The LP's float panel probabilities are rounded to multiples of
2**-32; the largest one (the first in panel order on ties) absorbs the rounding so
that they sum to exactly 1, and panels rounded to 0 are dropped. Marginals are then
computed from these Fractions exactly, so they sum to the panel size exactly. Details
report the LP objective, the exact minimum and their difference. Each panel in the
lottery is checked against the rules before it is returned.

Panels. `Distribution.panels` lists one representative panel per type-level panel: for
each type it names the type's first members in id order, as many as the panel takes
from that type. The draw replaces them with a uniformly random subset of the type, as
below, so the marginals are the per-type share spread evenly over the type, not the
frequencies of the representative ids. When every type has one member, the
representatives are the panels themselves.

Draw, given the 32-byte seed (functions from `solvers.randomness`):

1. D is the common denominator of the panel probabilities and n_i = p_i * D.
   r = random_below(seed, "panel", D). Walking the panels in the listed order and
   summing n_i, the panel drawn is the first whose running sum exceeds r.
2. For each type (in order of smallest member id) that the panel takes c members
   from, with members m_0 < ... < m_{s-1} by id: for j = 0 .. c-1, swap m_j with
   m_{j + random_below(seed, "type:<m_0>:<j>", s - j)}; members m_0 .. m_{c-1} sit on
   the panel. This is a partial Fisher-Yates shuffle, so every c-subset is equally
   likely.
3. O = random_order(seed, all candidate ids). When the rules require a leader, the
   leader is the first panel member in O with title_level == full_senior.
4. For each group with a positive count, the first `rules.alternates` candidates of
   that group in O who are not on the panel and whose marginal probability is above 0
   become alternates. `Selection.alternates`
   lists all of them in O order.

Alternates. Steps 1-2 read only the labelled `random_below` streams, and O reads only
the sort keys, which a different prefix byte separates. Treating SHA-256 as a random
function, O restricted to the candidates left off the panel is then a uniformly random
order whatever the panel. So each group's alternates are a uniformly random ordered
sample of that group's remaining candidates, fixed before anyone declines. Step 2 avoids O on purpose. Had a
type's seats gone to its first members in O, its remaining members would trail the
members of other types in O, and the alternates would lean away from that type.

When a member declines and `pick_replacement` takes the first alternate who keeps the
panel valid, the panel still meets every rule. The selection probabilities then no
longer equal the published marginals exactly, because who is skipped depends on who
declined and on the rules.

Determinism. The same candidates and rules give the same Distribution in any input
order and under any PYTHONHASHSEED: candidates and types are sorted by id, CP-SAT runs
on one worker with a fixed seed and only proven-optimal answers are used, and panels
are listed in id order. A solve that hits `time_limit_seconds` raises `SolveTimeout`.
NOTE: another OR-Tools version may pick other optimal panels, so the lottery is only
reproducible with the version that ``details["solver"]`` names.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from math import lcm
from typing import Mapping, Sequence

import ortools

from solvers.check import check_panel, choose_leader, validate_draw_input
from solvers.diagnose import diagnose, propose_relaxations
from solvers.fair_colgen import ColumnGeneration, ColumnGenerationResult, Deadline, SolveTimeout
from solvers.fair_types import CandidateType, PanelCounts, build_types, input_digest
from solvers.model import (
    Candidate,
    Distribution,
    InfeasibleError,
    PanelRules,
    Selection,
)
from solvers.randomness import check_seed, random_below, random_order

__all__ = ["Leximin", "Maximin", "SolveTimeout", "marginals_from_panels"]

PROBABILITY_BITS = 32
# The limit stops an instance that would otherwise hold a request for minutes.
# NOTE: measured with bench/bench_fair.py on a 2-core AMD EPYC, leximin took about 1 s
# on 500 candidates but about 50 s on 1,944 candidates in 641 types (9 seats), so pools
# that large need a higher limit.
DEFAULT_TIME_LIMIT_SECONDS = 60.0


class _FairMethod:
    name = ""
    version = ""

    def __init__(self, time_limit_seconds: float = DEFAULT_TIME_LIMIT_SECONDS):
        if time_limit_seconds <= 0:
            raise ValueError(f"time_limit_seconds must be positive, got {time_limit_seconds}")
        self.time_limit_seconds = time_limit_seconds

    def _optimise(self, generation: ColumnGeneration) -> ColumnGenerationResult:
        raise NotImplementedError

    def prepare(self, candidates: Sequence[Candidate], rules: PanelRules) -> Distribution:
        """Compute the lottery; raise `InfeasibleError` when no panel is valid."""
        validate_draw_input(candidates, rules)
        types = build_types(candidates, rules)

        generation = ColumnGeneration(types, rules, Deadline(self.time_limit_seconds, self.name))
        if not generation.start():
            raise _infeasible(candidates, rules)
        result = self._optimise(generation)

        lottery = _Lottery.from_result(result, types, candidates, rules)
        return lottery.to_distribution(self, result, input_digest(candidates, rules))

    def draw(
        self,
        candidates: Sequence[Candidate],
        rules: PanelRules,
        prepared: Distribution | None,
        seed: bytes,
    ) -> Selection:
        """Draw a panel, its leader and its alternates from the lottery with the seed."""
        check_seed(seed)
        validate_draw_input(candidates, rules)
        distribution = prepared if prepared is not None else self.prepare(candidates, rules)
        by_id = {candidate.id: candidate for candidate in candidates}
        types = build_types(candidates, rules)
        _check_distribution_matches(distribution, candidates, rules, types)

        index, value, denominator = _choose_panel(distribution, seed)
        panel = _fill_types(distribution.panels[index][0], types, seed)
        shortfalls = check_panel(candidates, rules, panel)
        if shortfalls:
            raise RuntimeError(f"drawn panel {panel} breaks the rules: {shortfalls}")

        order = random_order(seed, sorted(by_id))
        return Selection(
            panel=panel,
            alternates=_alternates(order, panel, by_id, rules, distribution.marginals),
            leader=_leader(candidates, rules, panel, order),
            method=self.name,
            method_version=self.version,
            probabilities=dict(distribution.marginals),
            details={"panel_index": index, "draw_value": value, "denominator": denominator},
        )


class Maximin(_FairMethod):
    """Maximise the lowest selection probability among reachable candidates."""

    name = "maximin"
    version = "1.1"

    def _optimise(self, generation: ColumnGeneration) -> ColumnGenerationResult:
        return generation.run_maximin()


class Leximin(_FairMethod):
    """Maximise the lowest selection probability, then the next lowest, and so on."""

    name = "leximin"
    version = "1.1"

    def _optimise(self, generation: ColumnGeneration) -> ColumnGenerationResult:
        return generation.run_leximin()


def _infeasible(candidates: Sequence[Candidate], rules: PanelRules) -> InfeasibleError:
    shortfalls = diagnose(candidates, rules)
    if not shortfalls:
        raise RuntimeError("the fair model found no valid panel, but solvers.diagnose found one")
    return InfeasibleError(shortfalls, propose_relaxations(candidates, rules))


@dataclass
class _Lottery:
    """Panels (as type counts) with exact probabilities, in canonical order."""

    panels: list[tuple[tuple[str, ...], PanelCounts, Fraction]]
    types: Sequence[CandidateType]
    covered: frozenset[int]

    @classmethod
    def from_result(
        cls,
        result: ColumnGenerationResult,
        types: Sequence[CandidateType],
        candidates: Sequence[Candidate],
        rules: PanelRules,
    ) -> _Lottery:
        represented = sorted(
            (_representative(counts, types), counts, probability)
            for counts, probability in zip(result.columns, result.probabilities)
        )
        exact = round_to_dyadic([probability for _ids, _counts, probability in represented])
        panels = [(ids, counts, p) for (ids, counts, _float), p in zip(represented, exact) if p > 0]

        for ids, _counts, _p in panels:
            shortfalls = check_panel(candidates, rules, ids)
            if shortfalls:
                raise RuntimeError(f"lottery panel {ids} breaks the rules: {shortfalls}")
        return cls(panels, types, result.covered)

    def type_shares(self) -> dict[int, Fraction]:
        """Return each type's per-member selection probability."""
        shares = {t.index: Fraction(0) for t in self.types}
        for _ids, counts, probability in self.panels:
            for index, count in counts:
                shares[index] += probability * count / self.types[index].size
        return shares

    def to_distribution(self, method: _FairMethod, result: ColumnGenerationResult, digest: str) -> Distribution:
        shares = self.type_shares()
        marginals = {member: shares[t.index] for t in self.types for member in t.members}
        reachable = [shares[i] for i in sorted(self.covered)]
        minimum = min(reachable, default=Fraction(0))
        unreachable = sorted(m for t in self.types if t.index not in self.covered for m in t.members)

        details = {
            "method": method.name,
            "method_version": method.version,
            "input_digest": digest,
            "solver": f"OR-Tools {ortools.__version__} CP-SAT and GLOP",
            "lp_objective": _stable_float(result.maximin_value),
            "exact_minimum": str(minimum),
            "exact_minimum_float": float(minimum),
            "rounding_difference": _stable_float(float(minimum - Fraction(result.maximin_value))),
            "optimality_gap": _stable_float(result.max_gap),
            "probability_denominator": 2**PROBABILITY_BITS,
            "panel_representation": "one representative per type-level panel",
            "types": [list(t.members) for t in self.types],
            "unreachable": unreachable,
            "lp_solves": result.lp_solves,
            "pricing_calls": result.pricing_calls,
            "swap_columns": result.swap_columns,
            "stages": result.stages,
        }
        if method.name == "leximin":
            details["levels"] = [_stable_float(level) for level in result.levels]

        panels = tuple((ids, probability) for ids, _counts, probability in self.panels)
        return Distribution(panels=panels, marginals=marginals, details=details)


def marginals_from_panels(distribution: Distribution) -> dict[str, Fraction]:
    """Recompute a fair lottery's marginals from its panels and ``details["types"]``.

    A type's representative stands for a seat that the draw gives to a uniformly random
    member of the type, so each panel adds its probability times the type's seats over
    the type's size to every member. Verifiers use this in place of summing the panels
    that contain a candidate, which agrees only when every type has one member.
    """
    types = distribution.details["types"]
    type_of = {member: index for index, members in enumerate(types) for member in members}
    marginals = {member: Fraction(0) for members in types for member in members}
    for panel, probability in distribution.panels:
        seats: dict[int, int] = {}
        for member in panel:
            seats[type_of[member]] = seats.get(type_of[member], 0) + 1
        for index, count in seats.items():
            for member in types[index]:
                marginals[member] += probability * count / len(types[index])
    return marginals


def _stable_float(value: float) -> float:
    # NOTE: LP floats can differ in their last bits between CPUs or OR-Tools builds;
    # 12 significant digits keep the details identical wherever those bits differ.
    return float(f"{value:.12g}")


def _representative(counts: PanelCounts, types: Sequence[CandidateType]) -> tuple[str, ...]:
    ids: list[str] = []
    for index, count in counts:
        ids.extend(types[index].members[:count])
    return tuple(sorted(ids))


def round_to_dyadic(probabilities: Sequence[float], bits: int = PROBABILITY_BITS) -> list[Fraction]:
    """Round probabilities to multiples of 2**-bits that sum to exactly 1.

    The largest one (the first on ties) absorbs the rounding error. Entries may come
    back as 0; callers drop them.
    """
    if not probabilities:
        raise ValueError("cannot round an empty list of probabilities")
    unit = 1 << bits
    numerators = [round(max(0.0, p) * unit) for p in probabilities]
    largest = max(range(len(numerators)), key=lambda i: (numerators[i], -i))
    numerators[largest] += unit - sum(numerators)
    if numerators[largest] <= 0:
        raise ValueError(f"probabilities {list(probabilities)[:5]}... do not sum to about 1; expected an LP solution")
    return [Fraction(n, unit) for n in numerators]


def _check_distribution_matches(
    distribution: Distribution,
    candidates: Sequence[Candidate],
    rules: PanelRules,
    types: Sequence[CandidateType],
) -> None:
    digest = distribution.details.get("input_digest")
    if digest != input_digest(candidates, rules):
        raise ValueError(
            f"distribution input digest {digest!r} does not match these candidates and rules; "
            f"prepare the distribution again"
        )
    if [list(t.members) for t in types] != distribution.details.get("types"):
        raise ValueError("distribution types do not match the types built from these candidates")
    total = sum(probability for _panel, probability in distribution.panels)
    if total != 1:
        raise ValueError(f"distribution probabilities sum to {total}; expected exactly 1")


def _choose_panel(distribution: Distribution, seed: bytes) -> tuple[int, int, int]:
    """Return the drawn panel's index, the random value r and the denominator D."""
    denominator = lcm(*(probability.denominator for _panel, probability in distribution.panels))
    value = random_below(seed, "panel", denominator)
    running = 0
    for index, (_panel, probability) in enumerate(distribution.panels):
        running += probability.numerator * (denominator // probability.denominator)
        if running > value:
            return index, value, denominator
    raise RuntimeError(f"panel walk ended at {running} without passing r = {value}; the probabilities do not sum to 1")


def _fill_types(representative: Sequence[str], types: Sequence[CandidateType], seed: bytes) -> tuple[str, ...]:
    """Replace each type's representatives by a uniformly random subset of that type."""
    type_of = {member: t.index for t in types for member in t.members}
    counts: dict[int, int] = {}
    for member in representative:
        counts[type_of[member]] = counts.get(type_of[member], 0) + 1

    panel: list[str] = []
    for index in sorted(counts):
        panel.extend(sample_members(seed, types[index].members, counts[index]))
    return tuple(sorted(panel))


def sample_members(seed: bytes, members: Sequence[str], count: int) -> list[str]:
    """Take `count` of the sorted `members` by a partial Fisher-Yates shuffle driven by the seed."""
    if not 0 <= count <= len(members):
        raise ValueError(f"cannot take {count} of {len(members)} members")
    pool = list(members)
    for j in range(count):
        k = j + random_below(seed, f"type:{members[0]}:{j}", len(pool) - j)
        pool[j], pool[k] = pool[k], pool[j]
    return pool[:count]


def _leader(candidates: Sequence[Candidate], rules: PanelRules, panel: Sequence[str], order: Sequence[str]) -> str | None:
    if not rules.require_leader:
        return None
    leader = choose_leader(candidates, panel, order)
    if leader is None:
        raise RuntimeError(f"panel {tuple(panel)} has no member who qualifies to lead")
    return leader


def _alternates(
    order: Sequence[str],
    panel: Sequence[str],
    by_id: Mapping[str, Candidate],
    rules: PanelRules,
    marginals: Mapping[str, Fraction],
) -> tuple[str, ...]:
    # A candidate on no valid panel (probability 0) could never take a seat.
    seated = set(panel) | {cid for cid in by_id if marginals.get(cid, Fraction(0)) == 0}
    remaining = {group: rules.alternates for group, count in rules.group_counts.items() if count > 0}
    chosen: list[str] = []
    for candidate_id in order:
        group = by_id[candidate_id].group
        if candidate_id in seated or remaining.get(group, 0) == 0:
            continue
        chosen.append(candidate_id)
        remaining[group] -= 1
    return tuple(chosen)
