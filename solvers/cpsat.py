"""CP-SAT models whose solutions are exactly the valid panels of a candidate set.

Shared by the first-feasible method, the fair methods and the diagnosis. The building
block is `PanelModel`: one boolean variable ``x[candidate_id]`` per candidate of a
required group, and one constraint family per panel rule, matching
`solvers.check.check_panel`. `solve` runs CP-SAT with explicit settings and turns every
status into a result or an exception. On top of them:

- `find_panel`: some valid panel, or None when CP-SAT proves there is none;
- `maximize`: the proven optimum of a weighted sum of the ``x`` variables;
- `first_panel_in_order`: the lexicographically first valid panel of an ordered list;
- `smallest_feasible_prefix`: the shortest prefix of an ordered list with a valid panel;
- `is_feasible`: whether any valid panel exists.

CP-SAT's search path depends on the worker count and on thread timing, so callers may
rely only on proven results: "infeasible", "feasible", an optimal objective value, or an
optimal solution that is unique by construction. The panel that `find_panel` or
`maximize` returns is one arbitrary witness, and no result may depend on which one.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Iterable, Iterator, Mapping, Sequence

from ortools.sat.python import cp_model

from solvers.check import RuleCounts, conflict_index, is_leader, required_candidates, required_groups
from solvers.model import Candidate, PanelRules

# Explicit solver parameters, so that a draw never depends on OR-Tools' defaults.
# A draw's models have tens of variables, and one worker avoids the cost of starting
# threads. Results do not depend on the worker count either way.
DEFAULT_MAX_TIME_IN_SECONDS = 10.0
DEFAULT_NUM_WORKERS = 1
DEFAULT_RANDOM_SEED = 1

# Weights 2**(m-1-position) make the lexicographic optimum unique; for more positions
# the largest weight would not fit CP-SAT's int64 coefficients.
MAX_WEIGHTED_POSITIONS = 62


@dataclass(frozen=True)
class SolverSettings:
    """CP-SAT parameters for every solve; the defaults are the module constants."""

    max_time_in_seconds: float = DEFAULT_MAX_TIME_IN_SECONDS
    num_workers: int = DEFAULT_NUM_WORKERS
    random_seed: int = DEFAULT_RANDOM_SEED

    def __post_init__(self) -> None:
        if not self.max_time_in_seconds > 0:
            raise ValueError(f"max_time_in_seconds must be positive, got {self.max_time_in_seconds!r}")
        if not isinstance(self.num_workers, int) or self.num_workers < 1:
            raise ValueError(f"num_workers must be an integer >= 1, got {self.num_workers!r}")


class SolverTimeoutError(TimeoutError):
    """CP-SAT reached its time limit before proving a result, so the draw has none."""


class SolverModelError(RuntimeError):
    """CP-SAT rejected a model as invalid, which is a bug in the model building."""


class PanelModel:
    """A CP-SAT model whose solutions are exactly the valid panels from `candidates`.

    ``x[candidate_id]`` is 1 when the candidate sits on the panel. Candidates of groups
    the rules do not require get no variable, so they are never selected. Callers may
    add constraints or an objective to `model` before calling `solve`.
    """

    def __init__(self, candidates: Iterable[Candidate], rules: PanelRules):
        self.rules = rules
        self.model = cp_model.CpModel()
        self.candidates = required_candidates(candidates, rules)
        self.x = {candidate.id: self.model.new_bool_var(f"x[{candidate.id}]") for candidate in self.candidates}

        self._add_group_counts()
        if rules.one_per_employer:
            self._add_employer_limits()
        self._add_conflicts()
        self._add_attribute_rules()
        if rules.require_leader:
            self._add_leader_rule()

    def _add_group_counts(self) -> None:
        # Exactly group_counts[g] members from each required group.
        for group, count in required_groups(self.rules).items():
            members = [self.x[c.id] for c in self.candidates if c.group == group]
            self.model.add_linear_constraint(cp_model.LinearExpr.sum(members), count, count)

    def _add_employer_limits(self) -> None:
        # At most one member per employer key, or the employer's granted limit.
        by_employer: dict[str, list[cp_model.IntVar]] = {}
        for candidate in self.candidates:
            if candidate.employer is not None:
                by_employer.setdefault(candidate.employer, []).append(self.x[candidate.id])
        for employer, members in by_employer.items():
            limit = self.rules.employer_limit(employer)
            if len(members) > limit:
                self.model.add_linear_constraint(cp_model.LinearExpr.sum(members), 0, limit)

    def _add_conflicts(self) -> None:
        # No two members that form a conflict pair.
        pairs = {(min(a, b), max(a, b)) for a, b in self.rules.conflicts if a != b}
        for a, b in sorted(pairs):
            if a in self.x and b in self.x:
                self.model.add_at_most_one([self.x[a], self.x[b]])

    def _add_attribute_rules(self) -> None:
        # Members with attribute == value number between the rule's minimum and maximum.
        for rule in self.rules.attribute_rules:
            holders = [self.x[c.id] for c in self.candidates if c.has(rule.attribute, rule.value)]
            upper = len(holders) if rule.maximum is None else rule.maximum
            self.model.add_linear_constraint(cp_model.LinearExpr.sum(holders), rule.minimum, upper)

    def _add_leader_rule(self) -> None:
        # At least one member with a full senior title; an empty clause is infeasible.
        self.model.add_bool_or([self.x[c.id] for c in self.candidates if is_leader(c)])

    def include(self, candidate_ids: Iterable[str]) -> None:
        for cid in candidate_ids:
            self.model.add(self._variable(cid) == 1)

    def exclude(self, candidate_ids: Iterable[str]) -> None:
        for cid in candidate_ids:
            self.model.add(self._variable(cid) == 0)

    def _variable(self, candidate_id: str) -> cp_model.IntVar:
        if candidate_id not in self.x:
            raise ValueError(f"candidate {candidate_id!r} has no variable: unknown, or its group is not required")
        return self.x[candidate_id]

    def panel(self, solver: cp_model.CpSolver) -> tuple[str, ...]:
        """Return the ids set to 1 in the solver's solution, in candidate order."""
        return tuple(c.id for c in self.candidates if solver.boolean_value(self.x[c.id]))


def solve(model: cp_model.CpModel, settings: SolverSettings | None = None) -> cp_model.CpSolver | None:
    """Solve `model`; return the solver holding a solution, or None when proven infeasible.

    A model with an objective must be solved to a proven optimum. Raises
    SolverTimeoutError when the time limit stops the search first (status UNKNOWN, or
    FEASIBLE with an objective), and SolverModelError on MODEL_INVALID.
    """
    settings = settings or SolverSettings()
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = settings.max_time_in_seconds
    solver.parameters.num_workers = settings.num_workers
    solver.parameters.random_seed = settings.random_seed
    status = solver.solve(model)

    if status == cp_model.OPTIMAL:
        return solver
    if status == cp_model.INFEASIBLE:
        return None
    if status == cp_model.FEASIBLE and not model.has_objective():
        return solver
    if status in (cp_model.FEASIBLE, cp_model.UNKNOWN):
        raise SolverTimeoutError(
            f"CP-SAT timed out after {settings.max_time_in_seconds} s with status "
            f"{solver.status_name(status)} before proving a result; raise max_time_in_seconds"
        )
    if status == cp_model.MODEL_INVALID:
        raise SolverModelError(f"CP-SAT rejected the model: {model.validate()}")
    raise SolverModelError(f"unexpected CP-SAT status {solver.status_name(status)}")


def find_panel(
    candidates: Iterable[Candidate],
    rules: PanelRules,
    settings: SolverSettings | None = None,
    *,
    include: Iterable[str] = (),
    exclude: Iterable[str] = (),
) -> tuple[str, ...] | None:
    """Return some valid panel containing `include` and none of `exclude`, or None.

    None means CP-SAT proved that no such panel exists. Which panel is returned depends
    on the solver run, so use it only as evidence that one exists.
    """
    panel_model = PanelModel(candidates, rules)
    panel_model.include(include)
    panel_model.exclude(exclude)
    solver = solve(panel_model.model, settings)
    return None if solver is None else panel_model.panel(solver)


def maximize(
    candidates: Iterable[Candidate],
    rules: PanelRules,
    weights: Mapping[str, int],
    settings: SolverSettings | None = None,
) -> tuple[int, tuple[str, ...]] | None:
    """Return the proven maximum of sum(weights[id] * x[id]) and one panel reaching it.

    Returns None when no valid panel exists. The value is determined, but the panel is
    one arbitrary optimum unless the weights make the optimum unique.
    """
    panel_model = PanelModel(candidates, rules)
    terms = [weight * panel_model.x[cid] for cid, weight in weights.items() if cid in panel_model.x]
    panel_model.model.maximize(cp_model.LinearExpr.sum(terms))
    solver = solve(panel_model.model, settings)
    if solver is None:
        return None

    # Summed from the panel because objective_value is a float and large weights lose digits.
    panel = panel_model.panel(solver)
    return sum(weights.get(cid, 0) for cid in panel), panel


def first_panel_in_order(
    ordered: Sequence[Candidate],
    rules: PanelRules,
    settings: SolverSettings | None = None,
    *,
    include: Sequence[str] = (),
    max_weighted_positions: int = MAX_WEIGHTED_POSITIONS,
) -> tuple[str, ...] | None:
    """Return the lexicographically first valid panel of `ordered`, in list order, or None.

    Panels compare by the sorted list of their members' positions in `ordered`, so the
    result is unique. Up to `max_weighted_positions` candidates, one solve maximizes
    sum(2**(m-1-position) * x), whose optimum is unique. Longer lists are fixed greedily
    position by position, with at most one feasibility solve per position.
    With `include`, only panels containing those ids count.
    """
    if len(ordered) <= max_weighted_positions:
        return _first_panel_weighted(ordered, rules, settings, include)
    return _first_panel_greedy(ordered, rules, settings, include)


def _first_panel_weighted(
    ordered: Sequence[Candidate], rules: PanelRules, settings: SolverSettings | None, include: Sequence[str]
) -> tuple[str, ...] | None:
    panel_model = PanelModel(ordered, rules)
    panel_model.include(include)

    last = len(ordered) - 1
    weights = {candidate.id: 1 << (last - position) for position, candidate in enumerate(ordered)}
    terms = [weight * panel_model.x[cid] for cid, weight in weights.items() if cid in panel_model.x]
    panel_model.model.maximize(cp_model.LinearExpr.sum(terms))

    solver = solve(panel_model.model, settings)
    return None if solver is None else panel_model.panel(solver)


def _first_panel_greedy(
    ordered: Sequence[Candidate], rules: PanelRules, settings: SolverSettings | None, include: Sequence[str]
) -> tuple[str, ...] | None:
    witness = find_panel(ordered, rules, settings, include=include)
    if witness is None:
        return None

    partial = _PartialPanel(rules)
    excluded: set[str] = set()
    for candidate in ordered:
        if partial.size == rules.panel_size:
            break
        if not partial.can_take(candidate):
            excluded.add(candidate.id)
            continue

        # The witness agrees with every decision so far, so a candidate on it can join
        # without a solve. Otherwise a solve decides whether a panel with it exists.
        # Candidates passed over are left out of that model rather than fixed to 0.
        if candidate.id not in witness:
            remaining = [other for other in ordered if other.id not in excluded]
            fixed = [*include, *partial.ids, candidate.id]
            trial = find_panel(remaining, rules, settings, include=fixed)
            if trial is None:
                excluded.add(candidate.id)
                continue
            witness = trial
        partial.take(candidate)
    return tuple(partial.ids)


class _PartialPanel:
    """Members fixed so far by the greedy search, with the counts that rule out others cheaply."""

    def __init__(self, rules: PanelRules):
        self.rules = rules
        self.ids: list[str] = []
        self._groups = required_groups(rules)
        self._group_members: Counter[str] = Counter()
        self._employer_members: Counter[str] = Counter()
        self._holders = [0] * len(rules.attribute_rules)
        self._blocked: set[str] = set()
        self._conflicts = conflict_index(rules)

    @property
    def size(self) -> int:
        return len(self.ids)

    def can_take(self, candidate: Candidate) -> bool:
        """Return False when adding the candidate breaks a rule whatever the other members are."""
        if self._group_members[candidate.group] >= self._groups.get(candidate.group, 0):
            return False
        if candidate.id in self._blocked:
            return False
        employer = candidate.employer
        if self.rules.one_per_employer and employer is not None:
            if self._employer_members[employer] >= self.rules.employer_limit(employer):
                return False
        for index, rule in enumerate(self.rules.attribute_rules):
            if rule.maximum is not None and candidate.has(rule.attribute, rule.value):
                if self._holders[index] >= rule.maximum:
                    return False
        return True

    def take(self, candidate: Candidate) -> None:
        self.ids.append(candidate.id)
        self._group_members[candidate.group] += 1
        if candidate.employer is not None:
            self._employer_members[candidate.employer] += 1
        for index, rule in enumerate(self.rules.attribute_rules):
            if candidate.has(rule.attribute, rule.value):
                self._holders[index] += 1
        self._blocked |= self._conflicts.get(candidate.id, set())


def counting_lower_bound(ordered: Iterable[Candidate], rules: PanelRules) -> int | None:
    """Return the smallest m whose prefix ordered[:m] meets every `RuleCounts` condition.

    No shorter prefix can hold a valid panel. Returns None when even the whole list fails.
    """
    return _Prefix(iter(ordered)).counting_lower_bound(rules)


def smallest_feasible_prefix(
    ordered: Iterable[Candidate], rules: PanelRules, settings: SolverSettings | None = None
) -> tuple[int, tuple[str, ...]] | None:
    """Return the smallest m such that ordered[:m] contains a valid panel, with one such panel.

    Returns None when the whole list contains none. Feasibility only grows with m, so the
    search starts at the counting lower bound, probes lower, lower+1, lower+3,
    lower+7, ... until a prefix is feasible, then bisects the last gap. The witness
    panel is arbitrary, but m is not. `ordered` is read only as far as the search needs.
    """
    prefix = _Prefix(iter(ordered))
    bracket = _gallop(prefix, rules, settings)
    if bracket is None:
        return None

    infeasible, feasible, witness = bracket
    while feasible - infeasible > 1:
        middle = (infeasible + feasible) // 2
        trial = find_panel(prefix.first(middle), rules, settings)
        if trial is None:
            infeasible = middle
        else:
            feasible, witness = middle, trial
    return feasible, witness


class _Prefix:
    """The candidates read so far from an ordered stream, extended on demand."""

    def __init__(self, stream: Iterator[Candidate]):
        self._stream = stream
        self.taken: list[Candidate] = []

    def _extend_to(self, size: int) -> None:
        while len(self.taken) < size:
            candidate = next(self._stream, None)
            if candidate is None:
                return
            self.taken.append(candidate)

    def first(self, size: int) -> list[Candidate]:
        """Return the first `size` candidates, or all of them when the stream is shorter."""
        self._extend_to(size)
        return self.taken[:size]

    def has_more_than(self, size: int) -> bool:
        self._extend_to(size + 1)
        return len(self.taken) > size

    def counting_lower_bound(self, rules: PanelRules) -> int | None:
        counts = RuleCounts(rules)
        position = 0
        while self.has_more_than(position):
            counts.add(self.taken[position])
            position += 1
            if position >= rules.panel_size and counts.all_met():
                return position
        return None


def _gallop(
    prefix: _Prefix, rules: PanelRules, settings: SolverSettings | None
) -> tuple[int, int, tuple[str, ...]] | None:
    """Return (an infeasible prefix length, a feasible one, its witness), or None if none is feasible."""
    lower = prefix.counting_lower_bound(rules)
    if lower is None:
        return None

    infeasible = lower - 1
    offset = 0
    while True:
        candidates = prefix.first(lower + offset)
        witness = find_panel(candidates, rules, settings)
        if witness is not None:
            return infeasible, len(candidates), witness
        infeasible = len(candidates)
        if not prefix.has_more_than(infeasible):
            return None
        offset = 2 * offset + 1


def is_feasible(candidates: Sequence[Candidate], rules: PanelRules, settings: SolverSettings | None = None) -> bool:
    """Return whether any valid panel exists among `candidates`.

    The candidates are searched in growing, group-balanced prefixes, skipping
    interchangeable candidates beyond what one panel could use, so that a large
    feasible pool usually needs one small solve and a short scan. Only an infeasible
    pool pays for a model over every remaining candidate.
    """
    # Group sizes are counted at C speed first, because they settle many of the
    # feasibility checks that the relaxation search runs.
    sizes = Counter(candidate.group for candidate in candidates)
    if any(sizes[group] < count for group, count in required_groups(rules).items()):
        return False

    stream = _skip_interchangeable(_balanced_stream(candidates, rules), rules)
    return _gallop(_Prefix(stream), rules, settings) is not None


def _balanced_stream(candidates: Iterable[Candidate], rules: PanelRules) -> Iterator[Candidate]:
    """Yield required candidates round-robin by group, group_counts[g] at a time from group g.

    Every prefix then draws on each group in proportion to its count. Within a group
    the caller's order is kept. Results never depend on this order, only speed does.
    """
    groups = required_groups(rules)
    by_group: dict[str, list[Candidate]] = {group: [] for group in sorted(groups)}
    for candidate in candidates:
        if candidate.group in by_group:
            by_group[candidate.group].append(candidate)

    start = 0
    while any(start * groups[group] < len(members) for group, members in by_group.items()):
        for group, members in by_group.items():
            count = groups[group]
            yield from members[start * count : (start + 1) * count]
        start += 1


def _skip_interchangeable(stream: Iterable[Candidate], rules: PanelRules) -> Iterator[Candidate]:
    """Yield candidates, skipping each one interchangeable with as many earlier ones as a panel can use.

    Two candidates are interchangeable when they share the group, the employer (if the
    employer rule applies), every attribute-rule match and the leader title, and
    neither is in a conflict pair. Swapping one for the other turns a valid panel into
    a valid panel, so the skipped surplus changes no feasibility result. Under the
    employer rule this also skips an employer's extra candidates when the caller's
    list is sorted by employer.
    """
    in_conflict = set(conflict_index(rules))
    groups = required_groups(rules)
    kept_per_class: Counter[tuple] = Counter()
    for candidate in stream:
        if candidate.id in in_conflict:
            yield candidate
            continue

        employer = candidate.employer if rules.one_per_employer else None
        matches = tuple(candidate.has(rule.attribute, rule.value) for rule in rules.attribute_rules)
        key = (candidate.group, employer, matches, is_leader(candidate))
        capacity = groups[candidate.group]
        if employer is not None:
            capacity = min(capacity, rules.employer_limit(employer))
        if kept_per_class[key] < capacity:
            kept_per_class[key] += 1
            yield candidate
