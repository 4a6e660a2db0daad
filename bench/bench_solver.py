"""Time the first-feasible method in-process on synthetic pools.

For each pool size it builds a synthetic pool (`bench/synthetic.py`), keeps the
candidates a draw would see (available experts of the 3 required groups) and times
`prepare` + `draw` for the benchmark panel (5 members from 3 groups, one per employer,
conflict pairs, at least one full senior, a leader, 2 alternates per group), once per
repetition with a different seed. Building the pool is not timed.

    python bench/bench_solver.py --sizes 1000 10000 100000 --repeat 50

It prints the command, the machine and, per size, the median and 95th percentile in
milliseconds of prepare, draw and both together.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import ortools  # noqa: E402

from bench.synthetic import benchmark_rules, make_pool  # noqa: E402
from solvers.check import check_panel  # noqa: E402
from solvers.cpsat import SolverSettings  # noqa: E402
from solvers.first_feasible import FirstFeasible  # noqa: E402


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=[1000, 10000, 100000], help="pool sizes in experts, before eligibility filtering"
    )
    parser.add_argument("--repeat", type=int, default=50, help="timed draws per pool size, each with its own seed")
    parser.add_argument("--pool-seed", type=int, default=0, help="seed of the synthetic pool generator")
    parser.add_argument("--workers", type=int, default=None, help="CP-SAT num_workers (default: solvers.cpsat default)")
    return parser.parse_args(argv)


def percentile(values: list[float], share: float) -> float:
    """Return the nearest-rank percentile: the smallest value with `share` of values at or below it."""
    ordered = sorted(values)
    rank = max(1, round(share * len(ordered) + 0.4999))
    return ordered[min(rank, len(ordered)) - 1]


def time_size(experts: int, repeat: int, pool_seed: int, method: FirstFeasible) -> dict[str, object]:
    pool = make_pool(experts, seed=pool_seed)
    rules = benchmark_rules(pool)
    candidates = pool.candidates(rules)

    timings: dict[str, list[float]] = {"prepare": [], "draw": [], "total": []}
    prefixes = []
    for repetition in range(repeat):
        seed = hashlib.sha256(f"bench-solver-{repetition}".encode()).digest()
        started = time.perf_counter()
        method.prepare(candidates, rules)
        prepared = time.perf_counter()
        selection = method.draw(candidates, rules, None, seed)
        finished = time.perf_counter()

        shortfalls = check_panel(candidates, rules, selection.panel)
        if shortfalls:
            raise AssertionError(f"invalid panel {selection.panel} for seed {seed.hex()}: {shortfalls}")
        timings["prepare"].append((prepared - started) * 1000)
        timings["draw"].append((finished - prepared) * 1000)
        timings["total"].append((finished - started) * 1000)
        prefixes.append(selection.details["order_prefix"])
    return {"experts": experts, "candidates": len(candidates), "timings": timings, "max_prefix": max(prefixes)}


def print_header(arguments: argparse.Namespace, settings: SolverSettings) -> None:
    print("command: python " + " ".join(sys.argv))
    print(f"machine: {platform.platform()}, {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs")
    print(f"python {platform.python_version()}, ortools {ortools.__version__}")
    print(
        f"CP-SAT: num_workers={settings.num_workers}, max_time_in_seconds={settings.max_time_in_seconds}, "
        f"random_seed={settings.random_seed}; {arguments.repeat} draws per size"
    )
    print()
    print("| experts | candidates | max m* | prepare median / p95 ms | draw median / p95 ms | total median / p95 ms |")
    print("|---:|---:|---:|---:|---:|---:|")


def print_row(result: dict[str, object]) -> None:
    cells = []
    for phase in ("prepare", "draw", "total"):
        values = result["timings"][phase]
        cells.append(f"{statistics.median(values):.1f} / {percentile(values, 0.95):.1f}")
    print(f"| {result['experts']:,} | {result['candidates']:,} | {result['max_prefix']} | " + " | ".join(cells) + " |")


def main(argv: list[str] | None = None) -> None:
    arguments = parse_arguments(argv)
    settings = SolverSettings() if arguments.workers is None else SolverSettings(num_workers=arguments.workers)
    method = FirstFeasible(settings)

    print_header(arguments, settings)
    for experts in arguments.sizes:
        print_row(time_size(experts, arguments.repeat, arguments.pool_seed, method))


if __name__ == "__main__":
    main()
