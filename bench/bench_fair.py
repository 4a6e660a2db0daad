"""Time the maximin and leximin lotteries and compare them with published figures.

    python bench/bench_fair.py [--instances DIR] [--pool-sizes 3000 12000]
                               [--reference-timeout 600] [--skip-reference]

The instances are every ``*.json`` in DIR, by default ``../shared/bench/sortition``
beside the project root. `bench/sortition_instances.py` describes their format and how
they map to panel rules. Then come synthetic expert pools from `bench/synthetic.py`:
the service benchmark panel (5 seats from 3 groups) and a 9-seat variant, both with
the employer, conflict, title and leader rules. For each instance it times `prepare` of Maximin and Leximin and one
`draw`, and runs the maximin of the `sortition-algorithms` package (HiGHS backend) on
the same instance in a subprocess capped at `--reference-timeout` seconds. The JSON
form cannot express conflict pairs, so the reference solves synthetic pools without
them (the note column names what was left out).

It prints the command, the machine, a markdown table and the targets met or missed.
Times are wall-clock seconds of one run on a machine that may be shared; CPU seconds
of our process are printed beside them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import ortools  # noqa: E402

from bench.sortition_instances import DEFAULT_INSTANCE_DIR, Instance, load_instances, to_document  # noqa: E402
from bench.synthetic import benchmark_rules, make_pool  # noqa: E402
from solvers.fair import Leximin, Maximin  # noqa: E402

NINE_SEATS = {"法医临床": 4, "法医病理": 3, "法医精神病": 2}
TIME_LIMIT_SECONDS = 600.0
DRAW_SEED = bytes(range(32))
PUBLISHED_TOLERANCE = 1e-6
# Targets: our maximin under these shares of the reference's maximin time.
REFERENCE_SHARE = 0.1
EXAMPLE_REFERENCE_SHARE = 0.001
EXAMPLE_INSTANCES = ("example_small_20", "example_large_200")
TYPICAL_DRAW_SECONDS = 1.0


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=Path, default=DEFAULT_INSTANCE_DIR, help="folder of *.json instances")
    parser.add_argument(
        "--pool-sizes", type=int, nargs="*", default=[3000, 12000], help="synthetic pool sizes in experts (before eligibility)"
    )
    parser.add_argument("--reference-timeout", type=float, default=600.0, help="seconds before the reference run is stopped")
    parser.add_argument("--skip-reference", action="store_true", help="do not run sortition-algorithms")
    parser.add_argument("--reference-worker", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


@dataclass
class Row:
    instance: Instance
    types: int
    maximin_minimum: float
    maximin_seconds: float
    maximin_cpu_seconds: float
    leximin_minimum: float
    leximin_seconds: float
    leximin_cpu_seconds: float
    draw_seconds: float
    reference_minimum: float | None = None
    reference_seconds: float | None = None
    reference_status: str = "not run"


def synthetic_instances(sizes: list[int]) -> list[Instance]:
    instances = []
    for size in sizes:
        pool = make_pool(size, seed=0)
        base = benchmark_rules(pool)
        for rules in (base, replace(base, group_counts=dict(NINE_SEATS))):
            name = f"expert_pool_{size}_{rules.panel_size}_seats"
            candidates = pool.candidates(rules)
            document, note = to_document(name, candidates, rules)
            instances.append(Instance(name, candidates, rules, document, None, note))
    return instances


def time_prepare(method, instance: Instance):
    wall, cpu = time.perf_counter(), time.process_time()
    distribution = method.prepare(instance.candidates, instance.rules)
    return distribution, time.perf_counter() - wall, time.process_time() - cpu


def run_ours(instance: Instance) -> Row:
    maximin, maximin_wall, maximin_cpu = time_prepare(Maximin(TIME_LIMIT_SECONDS), instance)
    leximin, leximin_wall, leximin_cpu = time_prepare(Leximin(TIME_LIMIT_SECONDS), instance)

    started = time.perf_counter()
    Leximin().draw(instance.candidates, instance.rules, leximin, DRAW_SEED)
    draw_seconds = time.perf_counter() - started

    return Row(
        instance=instance,
        types=len(leximin.details["types"]),
        maximin_minimum=maximin.details["exact_minimum_float"],
        maximin_seconds=maximin_wall,
        maximin_cpu_seconds=maximin_cpu,
        leximin_minimum=leximin.details["exact_minimum_float"],
        leximin_seconds=leximin_wall,
        leximin_cpu_seconds=leximin_cpu,
        draw_seconds=draw_seconds,
    )


def run_reference(instance: Instance, row: Row, timeout: float) -> None:
    """Run sortition-algorithms' maximin in a subprocess and store its result in `row`."""
    with tempfile.TemporaryDirectory(prefix="bench_fair_") as folder:
        path = Path(folder) / "instance.json"
        path.write_text(json.dumps(instance.document, ensure_ascii=False), encoding="utf-8")
        command = [sys.executable, __file__, "--reference-worker", str(path)]
        try:
            completed = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            row.reference_status = f"> {timeout:g} s"
            return

    if completed.returncode != 0:
        last_line = (completed.stderr.strip().splitlines() or ["no output"])[-1]
        row.reference_status = f"failed: {last_line[:80]}"
        return
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    row.reference_minimum = result["minimum"]
    row.reference_seconds = result["seconds"]
    row.reference_status = "ok"


def reference_worker(path: Path) -> None:
    """Run sortition-algorithms' maximin on one instance and print its time and minimum as JSON."""
    from sortition_algorithms.committee_generation import find_distribution_maximin
    from sortition_algorithms.features import read_in_features
    from sortition_algorithms.people import People
    from sortition_algorithms.utils import set_random_provider

    document = json.loads(path.read_text(encoding="utf-8"))
    set_random_provider(seed=1)
    rows = [
        {"feature": feature, "value": value, "min": str(quota["min"]), "max": str(quota["max"])}
        for feature, values in document["categories"].items()
        for value, quota in values.items()
    ]
    features, _feature_column, _value_column = read_in_features(["feature", "value", "min", "max"], rows)
    people = People(["household"])
    for row_number, person in enumerate(document["people"], start=2):
        # A person without a household gets one of their own, so the address rule skips them.
        household = person["household"] or f"alone:{person['id']}"
        people.add(str(person["id"]), {**person["features"], "household": household}, features, row_number)

    started = time.perf_counter()
    committees, probabilities, _report = find_distribution_maximin(features, people, document["panel_size"], ["household"])
    seconds = time.perf_counter() - started

    marginals: dict[str, float] = {}
    for committee, probability in zip(committees, probabilities):
        for member in committee:
            marginals[member] = marginals.get(member, 0.0) + probability
    print(json.dumps({"seconds": seconds, "minimum": min(marginals.values())}))


def machine_description() -> str:
    model = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return (
        f"{model}, {os.cpu_count()} logical CPUs, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, OR-Tools {ortools.__version__}"
    )


def seconds_text(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"


def markdown_table(rows: list[Row]) -> str:
    lines = [
        "| instance | n | k | types | maximin min | leximin min | published leximin min | maximin s (cpu) "
        "| leximin s (cpu) | draw s | reference maximin min | reference s | published time | note |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        published = row.instance.published
        published_minimum = "" if published is None or published.leximin_minimum is None else f"{published.leximin_minimum:.6f}"
        reference_seconds = seconds_text(row.reference_seconds) if row.reference_status == "ok" else row.reference_status
        reference_minimum = "" if row.reference_minimum is None else f"{row.reference_minimum:.6f}"
        lines.append(
            f"| {row.instance.name} | {len(row.instance.candidates)} | {row.instance.rules.panel_size} | {row.types} "
            f"| {row.maximin_minimum:.6f} | {row.leximin_minimum:.6f} | {published_minimum} "
            f"| {row.maximin_seconds:.3f} ({row.maximin_cpu_seconds:.3f}) "
            f"| {row.leximin_seconds:.3f} ({row.leximin_cpu_seconds:.3f}) | {row.draw_seconds:.4f} "
            f"| {reference_minimum} | {reference_seconds} | {'' if published is None else published.runtime} "
            f"| {row.instance.reference_note} |"
        )
    return "\n".join(lines)


def target_lines(rows: list[Row]) -> list[str]:
    lines = []
    for row in rows:
        name = row.instance.name
        published = row.instance.published
        if published is not None and published.leximin_minimum is not None:
            met = abs(row.leximin_minimum - published.leximin_minimum) <= PUBLISHED_TOLERANCE
            lines.append(f"{_mark(met)} {name}: leximin minimum {row.leximin_minimum:.9f} vs published {published.leximin_minimum}")
        lines.extend(_reference_target(row))
        if name.startswith("expert_pool") and len(row.instance.candidates) <= 500:
            total = row.leximin_seconds + row.draw_seconds
            lines.append(f"{_mark(total < TYPICAL_DRAW_SECONDS)} {name}: leximin prepare + draw {total:.3f} s (target < 1 s)")
    return lines


def _reference_target(row: Row) -> list[str]:
    name = row.instance.name
    share = EXAMPLE_REFERENCE_SHARE if name in EXAMPLE_INSTANCES else REFERENCE_SHARE
    if row.reference_status == "ok":
        ratio = row.maximin_seconds / row.reference_seconds
        return [f"{_mark(ratio < share)} {name}: maximin time is {ratio:.5f} of the reference's (target < {share})"]
    if row.reference_status.startswith(">"):
        met = row.maximin_seconds < share * float(row.reference_status.split()[1])
        return [f"{_mark(met)} {name}: reference did not finish ({row.reference_status}); ours {row.maximin_seconds:.3f} s"]
    return [f"-    {name}: reference {row.reference_status}"]


def _mark(met: bool) -> str:
    return "MET " if met else "MISS"


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    if arguments.reference_worker is not None:
        reference_worker(arguments.reference_worker)
        return 0

    print("$ python " + " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]))
    print(f"machine: {machine_description()}")
    instances = load_instances(arguments.instances) + synthetic_instances(arguments.pool_sizes)

    rows = []
    for instance in instances:
        row = run_ours(instance)
        if not arguments.skip_reference:
            run_reference(instance, row, arguments.reference_timeout)
        print(f"done {instance.name}: ours {row.leximin_seconds:.3f} s, reference {row.reference_status}", flush=True)
        rows.append(row)

    print()
    print(markdown_table(rows))
    print()
    print("\n".join(target_lines(rows)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
