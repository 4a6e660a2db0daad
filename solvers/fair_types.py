"""Interchangeable candidates grouped into types, and a digest of a lottery's input.

Two candidates are interchangeable when swapping them turns every valid panel into a
valid panel. That holds when they sit in the same group, match the same attribute
rules and the same leader rule, have the same employer key, and appear in no conflict
pair. The fair methods
solve over types instead of people, so a 2,000-person pool with a handful of types
stays small, and a type's members all get the same selection probability.

The employer key is the candidate's employer only when the employer rule can bind on
it: `one_per_employer` is on and more candidates share the employer than its limit
allows. Otherwise it is None, so candidates with unique employers, or none, still
share a type.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass
from typing import Mapping, Sequence

from solvers.model import LEADER_ATTRIBUTE, LEADER_VALUE, Candidate, PanelRules


# A panel as (type index, count) pairs for the types it takes members from, sorted by
# type index.
PanelCounts = tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class CandidateType:
    """A set of interchangeable candidates; `members` are sorted ids."""

    index: int
    group: str
    members: tuple[str, ...]
    # The (attribute, value) pairs of the rules that every member matches.
    matched: frozenset[tuple[str, str]]
    # An employer with more candidates than its limit: all types with this employer
    # together may put at most `rules.employer_limit(employer)` members on a panel.
    employer: str | None
    qualifies_as_leader: bool

    @property
    def size(self) -> int:
        return len(self.members)


def rule_pairs(rules: PanelRules) -> frozenset[tuple[str, str]]:
    """Return the (attribute, value) pairs that any rule counts."""
    pairs = {(rule.attribute, rule.value) for rule in rules.attribute_rules}
    if rules.require_leader:
        pairs.add((LEADER_ATTRIBUTE, LEADER_VALUE))
    return frozenset(pairs)


def conflicting_ids(by_id: Mapping[str, Candidate], rules: PanelRules) -> frozenset[str]:
    """Return the candidates named in a conflict pair whose both sides are in the pool."""
    named: set[str] = set()
    for first, second in rules.conflicts:
        if first in by_id and second in by_id and first != second:
            named.update((first, second))
    return frozenset(named)


def limited_employers(by_id: Mapping[str, Candidate], rules: PanelRules) -> frozenset[str]:
    """Return the employers with more candidates than the employer rule lets onto a panel."""
    if not rules.one_per_employer:
        return frozenset()
    counts = Counter(c.employer for c in by_id.values() if c.employer is not None)
    return frozenset(employer for employer, count in counts.items() if count > rules.employer_limit(employer))


def build_types(candidates: Sequence[Candidate], rules: PanelRules) -> list[CandidateType]:
    """Group candidates into types, ordered by their smallest member id.

    The result depends only on the candidates and rules as sets: input order, dict
    order and PYTHONHASHSEED do not change it.
    """
    by_id = {candidate.id: candidate for candidate in candidates}
    if len(by_id) != len(candidates):
        raise ValueError("candidate ids must be unique; validate the input with solvers.check.validate_draw_input")
    pairs = rule_pairs(rules)
    in_conflict = conflicting_ids(by_id, rules)
    limited = limited_employers(by_id, rules)

    members_by_key: dict[tuple, list[str]] = {}
    for candidate_id in sorted(by_id):
        candidate = by_id[candidate_id]
        matched = tuple(sorted(pair for pair in pairs if candidate.has(*pair)))
        employer = candidate.employer if candidate.employer in limited else None
        # A candidate in a conflict pair is unlike everyone else, so it forms its own type.
        alone = candidate_id if candidate_id in in_conflict else None
        key = (candidate.group, matched, employer, alone)
        members_by_key.setdefault(key, []).append(candidate_id)

    ordered = sorted(members_by_key.items(), key=lambda item: item[1][0])
    return [_make_type(index, key, members) for index, (key, members) in enumerate(ordered)]


def _make_type(index: int, key: tuple, members: list[str]) -> CandidateType:
    group, matched, employer, _alone = key
    return CandidateType(
        index=index,
        group=group,
        members=tuple(members),
        matched=frozenset(matched),
        employer=employer,
        qualifies_as_leader=(LEADER_ATTRIBUTE, LEADER_VALUE) in matched,
    )


def input_digest(candidates: Sequence[Candidate], rules: PanelRules) -> str:
    """Return a SHA-256 hex digest of everything `prepare` reads, in canonical form.

    `rules.alternates` is left out: it changes the draw, not the lottery.
    """
    document = {
        "candidates": sorted(
            ([c.id, c.group, c.employer, sorted(c.attributes.items())] for c in candidates), key=lambda row: row[0]
        ),
        "group_counts": sorted(rules.group_counts.items()),
        "attribute_rules": sorted(
            ([r.attribute, r.value, r.minimum, r.maximum] for r in rules.attribute_rules),
            key=lambda row: (row[0], row[1], row[2], -1 if row[3] is None else row[3]),
        ),
        "conflicts": sorted(sorted(pair) for pair in rules.conflicts),
        "one_per_employer": rules.one_per_employer,
        "employer_limits": sorted(rules.employer_limits.items()),
        "require_leader": rules.require_leader,
    }
    encoded = json.dumps(document, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()
