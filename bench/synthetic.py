"""Deterministic synthetic expert pools for benchmarks and tests.

`make_pool(experts, seed)` returns a `SyntheticPool` of plain data:

- experts spread over the 19 professional groups;
- employers of very uneven size: a few large institutes, many small units;
- about 3 % of experts unavailable;
- about one conflict pair per 100 experts, between experts of the same group;
- a title level and an employer type per expert.

`benchmark_rules(pool)` returns the benchmark panel: 5 members from 3 groups, one per
employer, no two members in conflict, at least one full senior, a leader and 2
alternates per group. `pool.candidates(rules)` applies the eligibility a draw would
(available, in a required group) and returns `solvers.model.Candidate` objects.

The service benchmark can load `pool.experts` and `pool.conflicts` into its database
as they are. Only `random.Random.random()` is used, because Python guarantees that
its sequence for a given seed stays the same across versions. The same arguments
therefore give the same pool everywhere.
"""

from __future__ import annotations

import bisect
import itertools
import random
from dataclasses import dataclass

from solvers.model import AttributeRule, Candidate, PanelRules

# (sub-pool, group, relative size). The sizes are invented; the three benchmark
# groups together hold about 16 % of the pool.
GROUPS = (
    ("forensic_medicine", "法医病理", 4),
    ("forensic_medicine", "法医临床", 7),
    ("forensic_medicine", "法医精神病", 3),
    ("forensic_medicine", "法医物证", 6),
    ("forensic_medicine", "法医毒物", 3),
    ("physical_evidence", "文书", 8),
    ("physical_evidence", "痕迹", 6),
    ("physical_evidence", "交通事故痕迹物证", 7),
    ("physical_evidence", "微量物证", 3),
    ("audio_visual", "录音", 3),
    ("audio_visual", "图像", 4),
    ("audio_visual", "电子数据", 8),
    ("environmental_damage", "污染物性质", 4),
    ("environmental_damage", "地表水与沉积物", 4),
    ("environmental_damage", "空气污染", 4),
    ("environmental_damage", "土壤与地下水", 4),
    ("environmental_damage", "近岸海洋与海岸带", 2),
    ("environmental_damage", "生态系统", 3),
    ("environmental_damage", "其他环境损害", 3),
)

BENCHMARK_GROUP_COUNTS = {"法医临床": 2, "法医病理": 2, "法医精神病": 1}

TITLE_LEVELS = (("full_senior", 35), ("associate_senior", 62), ("other", 3))
EMPLOYER_TYPES = (
    ("institution", 40),
    ("hospital", 20),
    ("university", 12),
    ("research_institute", 10),
    ("public_security", 10),
    ("procuratorate", 4),
    ("court", 4),
)

UNAVAILABLE_SHARE = 0.03
CONFLICTS_PER_EXPERT = 0.01
# One employer per this many experts on average. Employer k gets a share of experts
# proportional to 1 / (k + 1), so the largest employers have hundreds in a big pool.
EXPERTS_PER_EMPLOYER = 25


@dataclass(frozen=True)
class SyntheticExpert:
    """One expert of a synthetic pool, with the fields the service stores."""

    id: str
    sub_pool: str
    group: str
    employer: str
    employer_type: str
    title_level: str
    available: bool

    def candidate(self) -> Candidate:
        attributes = {"title_level": self.title_level, "employer_type": self.employer_type}
        return Candidate(id=self.id, group=self.group, employer=self.employer, attributes=attributes)


@dataclass(frozen=True)
class SyntheticPool:
    """A synthetic pool: its experts and the conflict pairs between them (by expert id)."""

    experts: tuple[SyntheticExpert, ...]
    conflicts: tuple[tuple[str, str], ...]

    def candidates(self, rules: PanelRules) -> list[Candidate]:
        """Return the available experts of the groups `rules` requires, as candidates."""
        groups = {group for group, count in rules.group_counts.items() if count > 0}
        return [expert.candidate() for expert in self.experts if expert.available and expert.group in groups]


def benchmark_rules(pool: SyntheticPool) -> PanelRules:
    """Return the benchmark panel rules, with the pool's conflict pairs."""
    return PanelRules(
        group_counts=dict(BENCHMARK_GROUP_COUNTS),
        attribute_rules=(AttributeRule("title_level", "full_senior", minimum=1),),
        conflicts=pool.conflicts,
        one_per_employer=True,
        require_leader=True,
        alternates=2,
    )


class _Sampler:
    """Weighted choices driven only by `random.Random.random()`, for repeatable pools."""

    def __init__(self, seed: int):
        self._random = random.Random(seed)

    def uniform(self) -> float:
        return self._random.random()

    def below(self, bound: int) -> int:
        return min(bound - 1, int(self._random.random() * bound))

    def weighted(self, cumulative: list[float]) -> int:
        """Return an index drawn with the weights whose running totals are `cumulative`."""
        point = self._random.random() * cumulative[-1]
        return min(len(cumulative) - 1, bisect.bisect_right(cumulative, point))


def _cumulative(weights) -> list[float]:
    return list(itertools.accumulate(float(weight) for weight in weights))


def make_pool(experts: int, seed: int = 0) -> SyntheticPool:
    """Return a pool of `experts` synthetic experts; equal arguments give an equal pool."""
    if experts < 1:
        raise ValueError(f"experts must be at least 1, got {experts}")
    sampler = _Sampler(seed)
    employers = _make_employers(sampler, max(3, experts // EXPERTS_PER_EMPLOYER))
    employer_weights = _cumulative(1.0 / (rank + 1) for rank in range(len(employers)))
    group_weights = _cumulative(size for _, _, size in GROUPS)
    title_weights = _cumulative(weight for _, weight in TITLE_LEVELS)
    width = max(6, len(str(experts)))

    pool = []
    for index in range(experts):
        sub_pool, group, _ = GROUPS[sampler.weighted(group_weights)]
        employer, employer_type = employers[sampler.weighted(employer_weights)]
        pool.append(
            SyntheticExpert(
                id=f"X{index:0{width}d}",
                sub_pool=sub_pool,
                group=group,
                employer=employer,
                employer_type=employer_type,
                title_level=TITLE_LEVELS[sampler.weighted(title_weights)][0],
                available=sampler.uniform() >= UNAVAILABLE_SHARE,
            )
        )
    return SyntheticPool(experts=tuple(pool), conflicts=_make_conflicts(sampler, pool))


def _make_employers(sampler: _Sampler, count: int) -> list[tuple[str, str]]:
    type_weights = _cumulative(weight for _, weight in EMPLOYER_TYPES)
    width = max(4, len(str(count)))
    return [(f"U{index:0{width}d}", EMPLOYER_TYPES[sampler.weighted(type_weights)][0]) for index in range(count)]


def _make_conflicts(sampler: _Sampler, pool: list[SyntheticExpert]) -> tuple[tuple[str, str], ...]:
    """Pair random experts of the same group, as relatives or one research team would be."""
    by_group: dict[str, list[str]] = {}
    for expert in pool:
        by_group.setdefault(expert.group, []).append(expert.id)

    pairs: set[tuple[str, str]] = set()
    for _ in range(round(len(pool) * CONFLICTS_PER_EXPERT)):
        first = pool[sampler.below(len(pool))]
        members = by_group[first.group]
        second = members[sampler.below(len(members))]
        if second != first.id:
            pairs.add((min(first.id, second), max(first.id, second)))
    return tuple(sorted(pairs))
