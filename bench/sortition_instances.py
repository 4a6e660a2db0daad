"""Fair-selection benchmark instances: loading, mapping to panel rules, published figures.

The instances use one JSON format::

    {"name": "...", "source": "...", "panel_size": 20,
     "categories": {"<feature>": {"<value>": {"min": 0, "max": 5}}},
     "people": [{"id": "0", "features": {"<feature>": "<value>"}, "household": null}]}

A valid panel has exactly `panel_size` people, between `min` and `max` people per
feature value, and at most one person per non-null household. They map to the expert
pool as one group "all" with count `panel_size`, one `AttributeRule` per feature value
and the household as employer (with `one_per_employer`).

The instance files come from GPL-3.0 repositories, so they are read from outside the
project (by default ``../shared/bench/sortition`` beside the project root) and never
copied into it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from solvers.model import LEADER_ATTRIBUTE, LEADER_VALUE, AttributeRule, Candidate, PanelRules

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INSTANCE_DIR = PROJECT_ROOT.parent / "shared" / "bench" / "sortition"
ALL_GROUP = "all"


@dataclass(frozen=True)
class Published:
    """Figures a source published for an instance; None where it published none."""

    leximin_minimum: float | None
    runtime: str
    source: str


# Opened at pgoelz/citizensassemblies-replication@ef3b818, reference_output/<name>_statistics.txt
# ("LEXIMIN minimum probability (exact)" and the median running time of 3 runs, with
# Gurobi), and at sortitionfoundation/sortition-algorithms, docs/benchmark_results.md
# (maximin, 150 people, panel size 22, January 2025, Linux, Python 3.11).
PUBLISHED = {
    "example_small_20": Published(0.1, "LEXIMIN 2.7 s", "citizensassemblies-replication"),
    "example_large_200": Published(0.1, "LEXIMIN 1161.8 s", "citizensassemblies-replication"),
    "sortition_algorithms_fixture_22": Published(
        None, "maximin 1.40 s (CBC), 3.25 s (HiGHS)", "sortition-algorithms docs"
    ),
}


@dataclass(frozen=True)
class Instance:
    """One benchmark instance as candidates and rules, with its JSON form for the reference run."""

    name: str
    candidates: list[Candidate]
    rules: PanelRules
    document: dict[str, Any]
    published: Published | None = None
    # What the JSON form cannot express, so the reference run solves a slightly different problem.
    reference_note: str = ""


def load_instance(path: Path) -> Instance:
    document = json.loads(path.read_text(encoding="utf-8"))
    candidates, rules = from_document(document)
    return Instance(document["name"], candidates, rules, document, PUBLISHED.get(document["name"]))


def load_instances(directory: Path) -> list[Instance]:
    paths = sorted(directory.glob("*.json"))
    if not paths:
        raise FileNotFoundError(f"no *.json instances in {directory}; pass the instance folder with --instances")
    return [load_instance(path) for path in paths]


def from_document(document: dict[str, Any]) -> tuple[list[Candidate], PanelRules]:
    """Map the JSON form to candidates in one group and panel rules."""
    candidates = [
        Candidate(id=str(person["id"]), group=ALL_GROUP, employer=person["household"], attributes=dict(person["features"]))
        for person in document["people"]
    ]
    attribute_rules = tuple(
        AttributeRule(feature, value, quota["min"], quota["max"])
        for feature, values in sorted(document["categories"].items())
        for value, quota in sorted(values.items())
    )
    rules = PanelRules(group_counts={ALL_GROUP: document["panel_size"]}, attribute_rules=attribute_rules)
    return candidates, rules


def to_document(name: str, candidates: Sequence[Candidate], rules: PanelRules) -> tuple[dict[str, Any], str]:
    """Write panel rules in the JSON form, as far as it can express them.

    Groups become a feature "group" with min = max = the group count; every attribute
    that a rule names becomes a feature whose other values get min 0; the leader rule
    becomes a minimum of 1 on title_level = full_senior. Returns the document and a
    note naming what the form cannot express (conflict pairs, employer limits).
    """
    panel_size = rules.panel_size
    categories: dict[str, dict[str, dict[str, int]]] = {
        "group": {group: {"min": count, "max": count} for group, count in rules.group_counts.items()}
    }
    quotas = {(rule.attribute, rule.value): (rule.minimum, rule.maximum) for rule in rules.attribute_rules}
    if rules.require_leader:
        minimum, maximum = quotas.get((LEADER_ATTRIBUTE, LEADER_VALUE), (0, None))
        quotas[(LEADER_ATTRIBUTE, LEADER_VALUE)] = (max(1, minimum), maximum)

    attributes = sorted({attribute for attribute, _value in quotas})
    for attribute in attributes:
        values = sorted({c.attributes.get(attribute, "") for c in candidates})
        categories[attribute] = {}
        for value in values:
            minimum, maximum = quotas.get((attribute, value), (0, None))
            categories[attribute][value] = {"min": minimum, "max": panel_size if maximum is None else maximum}

    people = [
        {
            "id": c.id,
            "features": {"group": c.group, **{a: c.attributes.get(a, "") for a in attributes}},
            "household": c.employer if rules.one_per_employer else None,
        }
        for c in candidates
    ]
    document = {"name": name, "source": "synthetic", "panel_size": panel_size, "categories": categories, "people": people}
    return document, _dropped_rules_note(rules)


def _dropped_rules_note(rules: PanelRules) -> str:
    dropped = []
    if rules.conflicts:
        dropped.append(f"{len(rules.conflicts)} conflict pairs")
    if rules.employer_limits:
        dropped.append("employer limits above 1")
    return "reference run without " + " and ".join(dropped) if dropped else ""
