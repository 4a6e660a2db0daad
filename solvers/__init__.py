"""Constraint solving and randomness for panel draws.

This package takes plain data (`solvers.model`) and returns plain data. It imports
nothing from Flask or the database, so the standalone verifier and the benchmarks use
it exactly as the service does.

Every selection method has two steps, so that a draw can be committed before its
randomness exists:

1. ``prepare(candidates, rules)`` is deterministic. It checks feasibility (raising
   `InfeasibleError`) and, for the fair methods, computes the lottery over panels.
2. ``draw(candidates, rules, prepared, seed)`` consumes the 32-byte seed and returns a
   `Selection`.
"""

from __future__ import annotations

from typing import Protocol, Sequence

from solvers.model import (
    AttributeRule,
    Candidate,
    Distribution,
    InfeasibleError,
    PanelRules,
    Relaxation,
    Selection,
    Shortfall,
)

__all__ = [
    "AttributeRule",
    "Candidate",
    "Distribution",
    "InfeasibleError",
    "PanelRules",
    "Relaxation",
    "Selection",
    "SelectionMethod",
    "Shortfall",
    "get_method",
    "method_names",
]


class SelectionMethod(Protocol):
    name: str
    version: str

    def prepare(self, candidates: Sequence[Candidate], rules: PanelRules) -> Distribution | None: ...

    def draw(
        self,
        candidates: Sequence[Candidate],
        rules: PanelRules,
        prepared: Distribution | None,
        seed: bytes,
    ) -> Selection: ...


def _registry() -> dict[str, SelectionMethod]:
    # Imported here so that importing `solvers.model` alone stays cheap.
    from solvers.first_feasible import FirstFeasible

    methods: dict[str, SelectionMethod] = {FirstFeasible.name: FirstFeasible()}
    try:
        from solvers.fair import Leximin, Maximin
    except ImportError:  # NOTE: the fair methods land after the first-feasible one.
        return methods
    methods[Maximin.name] = Maximin()
    methods[Leximin.name] = Leximin()
    return methods


def method_names() -> list[str]:
    return sorted(_registry())


def get_method(name: str) -> SelectionMethod:
    methods = _registry()
    if name not in methods:
        raise KeyError(f"unknown selection method {name!r}; expected one of {sorted(methods)}")
    return methods[name]
