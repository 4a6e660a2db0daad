"""Plain data exchanged between the service and the selection methods.

Nothing here imports Flask or the database: the service turns its rows into these
objects, a method turns them into a `Selection`, and the verifier rebuilds them from an
exported draw record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Mapping

# The attribute and value that qualify a member to lead a panel when the rules
# require a leader with a full senior title.
LEADER_ATTRIBUTE = "title_level"
LEADER_VALUE = "full_senior"


@dataclass(frozen=True)
class Candidate:
    """An expert who passed every eligibility check for one draw."""

    id: str
    group: str
    # Candidates with the same employer key may not sit on one panel together when
    # the rules ask for one expert per employer. None means the rule does not apply.
    employer: str | None = None
    attributes: Mapping[str, str] = field(default_factory=dict)

    def has(self, attribute: str, value: str) -> bool:
        return self.attributes.get(attribute) == value


@dataclass(frozen=True)
class AttributeRule:
    """At least `minimum` and at most `maximum` members with `attribute == value`."""

    attribute: str
    value: str
    minimum: int = 0
    maximum: int | None = None


@dataclass(frozen=True)
class PanelRules:
    """Everything a panel must satisfy, independent of how it is chosen."""

    group_counts: Mapping[str, int]
    attribute_rules: tuple[AttributeRule, ...] = ()
    # Pairs of candidate ids that may not sit on one panel together.
    conflicts: tuple[tuple[str, str], ...] = ()
    one_per_employer: bool = True
    require_leader: bool = False
    alternates: int = 0
    # Exceptions to `one_per_employer` that a person granted: employer key -> the
    # maximum number of members from that employer (see `solvers.diagnose`).
    employer_limits: Mapping[str, int] = field(default_factory=dict)

    def employer_limit(self, employer: str) -> int:
        return self.employer_limits.get(employer, 1)

    @property
    def panel_size(self) -> int:
        return sum(self.group_counts.values())


@dataclass(frozen=True)
class Selection:
    """The outcome of one draw: the panel, its alternates and how they were chosen."""

    panel: tuple[str, ...]
    alternates: tuple[str, ...]
    leader: str | None
    method: str
    method_version: str
    # Each candidate's probability of being on the panel, where the method computes one.
    probabilities: Mapping[str, Fraction] | None = None
    # Method-specific facts worth storing with the draw (orders, solver statistics).
    details: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Shortfall:
    """One rule that no panel can meet, with the numbers behind it.

    `code` names the rule (see `solvers.diagnose`), and `params` contains the numbers a
    message needs, for example {"group": "法医病理", "required": 2, "available": 1}.
    """

    code: str
    params: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Relaxation:
    """A smallest change to the rules that would make a draw feasible.

    The service only proposes it: a person must choose it, and the choice is recorded.
    """

    code: str
    params: Mapping[str, object] = field(default_factory=dict)


class InfeasibleError(Exception):
    """No panel satisfies the rules. `shortfalls` names the rules and the reasons."""

    def __init__(self, shortfalls: list[Shortfall], relaxations: list[Relaxation] | None = None):
        super().__init__("; ".join(f"{s.code} {dict(s.params)}" for s in shortfalls) or "infeasible")
        self.shortfalls = shortfalls
        self.relaxations = relaxations or []


@dataclass(frozen=True)
class Distribution:
    """A lottery over feasible panels, fixed before the randomness exists.

    `panels` pairs each panel (candidate ids, sorted) with its exact probability; the
    probabilities sum to 1. `marginals` is each candidate's probability of selection.
    """

    panels: tuple[tuple[tuple[str, ...], Fraction], ...]
    marginals: Mapping[str, Fraction]
    details: Mapping[str, object] = field(default_factory=dict)
