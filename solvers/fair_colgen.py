"""Column generation for maximin and leximin lotteries over candidate types.

A panel is a count per type (see `solvers.fair_types`). The master LP, solved with GLOP,
chooses probabilities for the panels found so far. The pricing problem, solved with
CP-SAT, finds the valid panel that maximises the dual-weighted sum of per-member
selection shares. When that panel is worth more than the LP's bound, it joins the
master and the LP is solved again. This is the method of Flanigan, Gölz, Gupta, Hennig
and Procaccia, "Fair algorithms for selecting citizens' assemblies", Nature 596
(2021), applied to types instead of people.

Everything here is deterministic. CP-SAT runs with one worker and a fixed seed, only
proven-optimal CP-SAT and GLOP solutions are used, and columns are added in the order
they are found. A solve that stops on the time limit raises
`SolveTimeout` instead of returning a half-converged lottery.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Mapping, Sequence

from ortools.linear_solver import pywraplp
from ortools.sat.python import cp_model

from solvers.fair_swaps import SwapSearch
from solvers.fair_types import CandidateType, PanelCounts
from solvers.model import PanelRules

log = logging.getLogger(__name__)

CP_SAT_SEED = 20210803
PRESOLVE_ITERATIONS = 0
# Pricing weights are scaled so that the largest becomes this integer. The rounding
# error is then at most 2**-41 of the largest weight per seat, which the optimality gap
# below accounts for.
PRICING_SCALE = 2**40
# Column generation stops once the proven gap between the LP value and the best panel's
# bound is at most this.
GAP_TOLERANCE = 1e-9
# A stage may also stop because the pricing returns a panel the LP already has, which
# happens when the LP's own tolerances hide the last improvement. A gap above this
# limit at that point is treated as a failure.
STALL_GAP_LIMIT = 1e-6
# Leximin fixes a type's level a little below the stage optimum, so that later stages
# stay feasible although GLOP's optimum is only accurate to its tolerances.
FIX_SLACK = 1e-9
# A type whose dual weight exceeds this share of the stage's total weight is fixed.
DUAL_FIX_THRESHOLD = 1e-7
MAX_COLUMNS = 50_000
FAST_GLOP_PARAMETERS = "use_scaling: false use_preprocessing: false"
# Swapped panels added after each priced one (see `solvers.fair_swaps`).
SWAP_COLUMNS = 5


class SolveTimeout(TimeoutError):
    """A fair lottery did not converge within its time limit."""


class Deadline:
    """Wall-clock budget shared by every solver call of one `prepare`."""

    def __init__(self, seconds: float, method: str):
        if seconds <= 0:
            raise ValueError(f"time limit must be positive, got {seconds} s")
        self.seconds = seconds
        self.method = method
        self._end = time.monotonic() + seconds

    def remaining(self, activity: str) -> float:
        left = self._end - time.monotonic()
        if left <= 0:
            self.expire(activity)
        return left

    def expire(self, activity: str) -> None:
        raise SolveTimeout(
            f"{self.method}: time limit of {self.seconds:g} s reached while {activity}; "
            f"raise time_limit_seconds or simplify the rules"
        )


@dataclass
class ColumnGenerationResult:
    """The panels found, their float probabilities and what the solve proved."""

    columns: list[PanelCounts]
    probabilities: list[float]
    covered: frozenset[int]
    maximin_value: float
    # The largest proven gap between a stage's LP value and its upper bound.
    max_gap: float = 0.0
    pricing_calls: int = 0
    swap_columns: int = 0
    lp_solves: int = 0
    stages: int = 0
    # Leximin levels in the order they were fixed, one per stage.
    levels: list[float] = field(default_factory=list)


class PanelModel:
    """CP-SAT model whose solutions are exactly the valid panels, as counts per type."""

    def __init__(self, types: Sequence[CandidateType], rules: PanelRules, conflict_types: Sequence[tuple[int, int]]):
        self.types = types
        self.rules = rules
        self.model = cp_model.CpModel()
        self.count = {t.index: self.model.new_int_var(0, self.upper_bound(t), f"count[{t.index}]") for t in types}

        self._add_group_counts()
        self._add_employers()
        self._add_conflicts(conflict_types)
        self._add_attribute_rules()
        self._add_leader()

    def upper_bound(self, t: CandidateType) -> int:
        bound = min(t.size, self.rules.group_counts.get(t.group, 0))
        if t.employer is not None:
            bound = min(bound, self.rules.employer_limit(t.employer))
        return bound

    def _add_group_counts(self) -> None:
        # Each group gets exactly its count; types of groups not asked for have bound 0.
        for group, required in sorted(self.rules.group_counts.items()):
            self.model.add(sum(self.count[t.index] for t in self.types if t.group == group) == required)

    def _add_employers(self) -> None:
        # Each limited employer's limit, across all types of that employer.
        by_employer: dict[str, list[int]] = {}
        for t in self.types:
            if t.employer is not None:
                by_employer.setdefault(t.employer, []).append(t.index)
        for employer in sorted(by_employer):
            self.model.add(sum(self.count[i] for i in by_employer[employer]) <= self.rules.employer_limit(employer))

    def _add_conflicts(self, conflict_types: Sequence[tuple[int, int]]) -> None:
        # Candidates in a conflict pair are one-member types, so a pair is two types.
        for first, second in conflict_types:
            self.model.add(self.count[first] + self.count[second] <= 1)

    def _add_attribute_rules(self) -> None:
        # Attribute minimum and maximum per rule.
        for rule in self.rules.attribute_rules:
            pair = (rule.attribute, rule.value)
            matching = sum(self.count[t.index] for t in self.types if pair in t.matched)
            self.model.add(matching >= rule.minimum)
            if rule.maximum is not None:
                self.model.add(matching <= rule.maximum)

    def _add_leader(self) -> None:
        # At least one member qualifies to lead.
        if self.rules.require_leader:
            self.model.add(sum(self.count[t.index] for t in self.types if t.qualifies_as_leader) >= 1)

    def best_panel(self, weights: Mapping[int, int], deadline: Deadline) -> PanelCounts:
        """Return a valid panel maximising the integer-weighted sum of its counts."""
        self.model.clear_objective()
        terms = [(i, weight) for i, weight in sorted(weights.items()) if weight]
        self.model.maximize(cp_model.LinearExpr.weighted_sum([self.count[i] for i, _ in terms], [w for _, w in terms]))
        panel = self._solve(deadline, "pricing a new panel")
        if panel is None:
            raise RuntimeError("pricing found no valid panel although an earlier solve found one")
        return panel

    def _solve(self, deadline: Deadline, activity: str) -> PanelCounts | None:
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        solver.parameters.random_seed = CP_SAT_SEED
        # Pricing models are small and solved hundreds of times, so presolve, probing
        # and symmetry detection cost more than they save. Measured with OR-Tools 9.15
        # on a 2-core AMD EPYC: about 2x faster per solve on a 500-candidate pool.
        solver.parameters.max_presolve_iterations = PRESOLVE_ITERATIONS
        solver.parameters.cp_model_probing_level = 0
        solver.parameters.symmetry_level = 0
        solver.parameters.max_time_in_seconds = deadline.remaining(activity)
        status = solver.solve(self.model)

        if status == cp_model.OPTIMAL:
            values = solver.response_proto.solution
            counts = ((t.index, values[self.count[t.index].index]) for t in self.types)
            return tuple((index, count) for index, count in counts if count)
        if status == cp_model.INFEASIBLE:
            return None
        if status in (cp_model.FEASIBLE, cp_model.UNKNOWN):
            deadline.expire(activity)
        raise RuntimeError(f"CP-SAT returned {solver.status_name(status)} while {activity}")


class CoveringModel(PanelModel):
    """The panel model plus a flag per type that the panel takes a member of it."""

    def __init__(self, types: Sequence[CandidateType], rules: PanelRules, conflict_types: Sequence[tuple[int, int]]):
        super().__init__(types, rules, conflict_types)
        # uses[t] may be true only when the panel takes a member of t. The flags stay
        # out of the pricing model, where they would only slow every solve down.
        self.uses = {t.index: self.model.new_bool_var(f"uses[{t.index}]") for t in types}
        for t in types:
            self.model.add(self.count[t.index] >= 1).only_enforce_if(self.uses[t.index])

    def find_covering_panel(self, targets: Sequence[int], deadline: Deadline) -> PanelCounts | None:
        """Return a valid panel using as many of the `targets` types as possible, or None if no panel is valid."""
        self.model.clear_objective()
        if targets:
            self.model.maximize(cp_model.LinearExpr.sum([self.uses[i] for i in targets]))
        return self._solve(deadline, "searching for panels that cover every candidate")


def conflict_type_pairs(types: Sequence[CandidateType], rules: PanelRules) -> list[tuple[int, int]]:
    """Translate the candidate conflict pairs into pairs of one-member type indices."""
    type_of = {member: t.index for t in types for member in t.members}
    pairs = set()
    for first, second in rules.conflicts:
        if first in type_of and second in type_of and first != second:
            pairs.add(tuple(sorted((type_of[first], type_of[second]))))
    return sorted(pairs)


def find_covering_panels(model: CoveringModel, deadline: Deadline) -> tuple[list[PanelCounts], frozenset[int]] | None:
    """Find panels that together use every type any valid panel can use.

    Returns the panels and the covered type indices, or None when no panel is valid.
    Each solve maximises the number of still-uncovered types on the panel, so a solve
    that covers none of them proves the rest can sit on no valid panel.
    """
    uncovered = {t.index for t in model.types if model.upper_bound(t) > 0}
    panels: list[PanelCounts] = []
    while True:
        panel = model.find_covering_panel(sorted(uncovered), deadline)
        if panel is None:
            return None
        newly = {index for index, _count in panel} & uncovered
        if panels and not newly:
            break
        panels.append(panel)
        uncovered -= newly
        if not uncovered:
            break
    covered = frozenset(index for panel in panels for index, _count in panel)
    return panels, covered


@dataclass
class MasterSolution:
    value: float
    # Dual weight per unfixed or fixed type, non-negative.
    duals: dict[int, float]
    # Dual of the row "probabilities sum to 1": no panel in the LP is worth more than
    # this under the duals, so a new panel must beat it.
    bound: float
    # Panel probabilities in column order; read only for a stage's final solution.
    probabilities: list[float] = field(default_factory=list)


class MasterLP:
    """The LP over the panels found: maximise the lowest share of the unfixed types."""

    def __init__(self, types: Sequence[CandidateType], covered: frozenset[int]):
        self.sizes = {t.index: t.size for t in types}
        self.covered = sorted(covered)
        self.fixed: dict[int, float] = {}
        self.columns: list[PanelCounts] = []
        self.rebuilds = 0
        self._build()

    def _build(self, fast: bool = True) -> None:
        self.solver = pywraplp.Solver.CreateSolver("GLOP")
        if self.solver is None:
            raise RuntimeError("OR-Tools was built without the GLOP LP solver")
        if fast:
            # Every coefficient is a share in (0, 1], so the LP needs no scaling. Without
            # scaling and preprocessing, GLOP re-solves from the last basis when a column
            # arrives. Measured on the same pool: about 3x faster over a whole run.
            self.solver.SetSolverSpecificParametersAsString(FAST_GLOP_PARAMETERS)
        # Shares lie in [0, 1], so the lowest one does too, and the bound keeps every
        # intermediate LP bounded.
        self.lowest = self.solver.NumVar(0, 1, "lowest")
        self.total = self.solver.Add(self.solver.Sum([]) == 1, "total")
        self.share = {index: self.solver.Constraint(0, self.solver.infinity(), f"share[{index}]") for index in self.covered}
        for index, row in self.share.items():
            if index in self.fixed:
                row.SetLb(self.fixed[index] - FIX_SLACK)
            else:
                row.SetCoefficient(self.lowest, -1)
        self.panel_vars: list[pywraplp.Variable] = []
        for panel in self.columns:
            self._add_variable(panel)
        self.solver.Maximize(self.lowest)

    def add_column(self, panel: PanelCounts) -> None:
        self.columns.append(panel)
        self._add_variable(panel)

    def _add_variable(self, panel: PanelCounts) -> None:
        var = self.solver.NumVar(0, 1, f"panel[{len(self.panel_vars)}]")
        self.total.SetCoefficient(var, 1)
        for index, count in panel:
            if index in self.share:
                self.share[index].SetCoefficient(var, count / self.sizes[index])
        self.panel_vars.append(var)

    def fix(self, index: int, level: float) -> None:
        """Hold a type's share at `level` (less the slack) and drop it from the objective."""
        self.fixed[index] = level
        self.share[index].SetCoefficient(self.lowest, 0)
        self.share[index].SetLb(level - FIX_SLACK)

    @property
    def unfixed(self) -> list[int]:
        return [index for index in self.covered if index not in self.fixed]

    def solve(self, deadline: Deadline) -> MasterSolution:
        status = self._run_glop(deadline)
        if status == pywraplp.Solver.ABNORMAL:
            # GLOP's warm-started state can fail on a degenerate leximin stage, while
            # the same LP built afresh with scaling and preprocessing solves. The rebuild
            # happens at the same point on every run, so results stay deterministic.
            log.info("GLOP reported ABNORMAL on the master LP; rebuilding it with %d panels", len(self.columns))
            self.rebuilds += 1
            self._build(fast=False)
            status = self._run_glop(deadline)
            # Later solves warm-start from this solution with the fast settings again.
            self.solver.SetSolverSpecificParametersAsString(FAST_GLOP_PARAMETERS)
        if status != pywraplp.Solver.OPTIMAL:
            deadline.remaining("solving the master LP")
            raise RuntimeError(f"GLOP returned status {status} on the master LP; expected OPTIMAL (0)")

        # For a maximisation GLOP reports the duals of >= rows as non-positive numbers.
        duals = {index: max(0.0, -self.share[index].dual_value()) for index in self.covered}
        return MasterSolution(self.lowest.solution_value(), duals, self.total.dual_value())

    def probabilities(self) -> list[float]:
        """Return the last solution's panel probabilities, in column order."""
        return [max(0.0, var.solution_value()) for var in self.panel_vars]

    def _run_glop(self, deadline: Deadline) -> int:
        self.solver.SetTimeLimit(max(1, int(deadline.remaining("solving the master LP") * 1000)))
        return self.solver.Solve()


class ColumnGeneration:
    """Maximin and leximin by column generation over one pool's types."""

    def __init__(self, types: Sequence[CandidateType], rules: PanelRules, deadline: Deadline):
        self.types = types
        self.rules = rules
        self.deadline = deadline
        self.conflict_types = conflict_type_pairs(types, rules)
        self.model = PanelModel(types, rules, self.conflict_types)
        upper_bounds = {t.index: self.model.upper_bound(t) for t in types}
        self.swaps = SwapSearch(types, rules, upper_bounds, self.conflict_types)
        self.columns: list[PanelCounts] = []
        self.known: set[PanelCounts] = set()
        self.master: MasterLP | None = None
        self.result: ColumnGenerationResult | None = None

    def start(self) -> bool:
        """Find the covering panels; return False when no panel is valid at all."""
        covering_model = CoveringModel(self.types, self.rules, self.conflict_types)
        found = find_covering_panels(covering_model, self.deadline)
        if found is None:
            return False
        panels, covered = found
        if not covered:
            raise ValueError("the rules ask for an empty panel; at least one member is needed")
        self.result = ColumnGenerationResult([], [], covered, maximin_value=0.0)
        self.master = MasterLP(self.types, covered)
        for panel in panels:
            self._add(panel)
        return True

    def _add(self, panel: PanelCounts) -> None:
        if panel in self.known:
            return
        if len(self.columns) >= MAX_COLUMNS:
            raise RuntimeError(f"column generation found more than {MAX_COLUMNS} panels without converging")
        self.columns.append(panel)
        self.known.add(panel)
        self.master.add_column(panel)

    def run_maximin(self) -> ColumnGenerationResult:
        solution = self._optimise_stage()
        return self._finish(solution)

    def run_leximin(self) -> ColumnGenerationResult:
        solution = self._optimise_stage()
        while self.master.unfixed:
            self._fix_tight_types(solution)
            if not self.master.unfixed:
                break
            solution = self._optimise_stage()
        return self._finish(solution)

    def _fix_tight_types(self, solution: MasterSolution) -> None:
        # A type with positive dual weight sits at the stage optimum in every optimal
        # lottery (complementary slackness), so its level can be fixed.
        unfixed = self.master.unfixed
        total = sum(solution.duals[i] for i in unfixed) or 1.0
        tight = [i for i in unfixed if solution.duals[i] > DUAL_FIX_THRESHOLD * total]
        if not tight:
            tight = [max(unfixed, key=lambda i: (solution.duals[i], -i))]
        for index in tight:
            self.master.fix(index, solution.value)
        self.result.levels.append(solution.value)

    def _optimise_stage(self) -> MasterSolution:
        result = self.result
        result.stages += 1
        while True:
            solution = self.master.solve(self.deadline)
            result.lp_solves += 1
            if result.stages == 1:
                result.maximin_value = solution.value

            weights, scale = pricing_weights(solution.duals, self.master.sizes)
            panel = self.model.best_panel(weights, self.deadline)
            result.pricing_calls += 1

            gap = self._stage_gap(solution, panel, weights, scale)
            if gap <= GAP_TOLERANCE or panel in self.known:
                if gap > STALL_GAP_LIMIT:
                    raise RuntimeError(f"column generation stalled with optimality gap {gap:.3g} > {STALL_GAP_LIMIT}")
                result.max_gap = max(result.max_gap, gap)
                solution.probabilities = self.master.probabilities()
                return solution
            self._add(panel)
            self._add_swaps(panel, solution)

    def _add_swaps(self, panel: PanelCounts, solution: MasterSolution) -> None:
        per_member = {index: y / self.master.sizes[index] for index, y in solution.duals.items() if y > 0}
        threshold = solution.bound + GAP_TOLERANCE
        for swapped in self.swaps.neighbours(panel, per_member, threshold, SWAP_COLUMNS, self.known):
            self._add(swapped)
            self.result.swap_columns += 1

    def _stage_gap(self, solution: MasterSolution, panel: PanelCounts, weights: Mapping[int, int], scale: float) -> float:
        """Return an upper bound on the stage optimum minus the LP value.

        By weak duality, for dual weights y normalised to sum 1 over the unfixed types,
        stage optimum <= max over valid panels of sum_t y_t * share_t - sum over fixed
        types of y_t * (level_t - slack). The panel's integer pricing objective bounds
        that maximum up to half a unit of rounding per seat.
        """
        unfixed_total = sum(solution.duals[i] for i in self.master.unfixed)
        if unfixed_total <= 0:
            return 0.0
        seats = self.rules.panel_size
        best_value = (sum(weights.get(i, 0) * count for i, count in panel) + 0.5 * seats) / scale
        fixed_value = sum(solution.duals[i] * (level - FIX_SLACK) for i, level in self.master.fixed.items())
        upper = (best_value - fixed_value) / unfixed_total
        return max(0.0, upper - solution.value)

    def _finish(self, solution: MasterSolution) -> ColumnGenerationResult:
        result = self.result
        result.columns = list(self.columns)
        result.probabilities = list(solution.probabilities)
        log.debug(
            "column generation: %d panels, %d stages, %d pricing calls, gap %.3g",
            len(result.columns),
            result.stages,
            result.pricing_calls,
            result.max_gap,
        )
        return result


def pricing_weights(duals: Mapping[int, float], sizes: Mapping[int, int]) -> tuple[dict[int, int], float]:
    """Scale the per-member dual weights y_t / size_t to integers for CP-SAT.

    Returns the integer weights and the scale factor, so that weight / scale is within
    0.5 / scale of y_t / size_t.
    """
    per_member = {i: y / sizes[i] for i, y in duals.items() if y > 0}
    largest = max(per_member.values(), default=0.0)
    if largest <= 0:
        return {}, float(PRICING_SCALE)
    scale = PRICING_SCALE / largest
    return {i: round(value * scale) for i, value in sorted(per_member.items())}, scale
