"""Time the first-feasible method in-process on synthetic pools.

For each pool size it builds a synthetic pool (`bench/synthetic.py`) and keeps the
candidates a draw would see: available experts of the 3 required groups. It then
times `prepare` + `draw` once per repetition, each with a different seed, for the
benchmark panel: 5 members from 3 groups, one per employer, conflict pairs, at least
one full senior, a leader, 2 alternates per group. Building the pool is not timed.

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
        "--sizes",
        type=int,
        nargs="+",
        default=[1000, 10000, 100000],
        help="pool sizes in experts, before eligibility filtering",
    )
    parser.add_argument("--repeat", type=int, default=50, help="timed draws per pool size, each with its own seed (at least 2)")
    parser.add_argument("--pool-seed", type=int, default=0, help="seed of the synthetic pool generator")
    parser.add_argument("--workers", type=int, default=None, help="CP-SAT num_workers (default: solvers.cpsat default)")
    return parser.parse_args(argv)


def percentile_95(values: list[float]) -> float:
    """Return the 95th percentile, interpolated between the nearest values."""
    return statistics.quantiles(values, n=20, method="inclusive")[18]


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


def print_header(argv: list[str], arguments: argparse.Namespace, settings: SolverSettings) -> None:
    print("command: python bench/bench_solver.py " + " ".join(argv))
    print(f"machine: {platform.platform()}, {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs")
    # Other processes on the machine slow the draws down, so the load goes with the numbers.
    print("load average at start (1, 5, 15 min): " + ", ".join(f"{load:.2f}" for load in os.getloadavg()))
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
        cells.append(f"{statistics.median(values):.1f} / {percentile_95(values):.1f}")
    print(f"| {result['experts']:,} | {result['candidates']:,} | {result['max_prefix']} | " + " | ".join(cells) + " |")


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    arguments = parse_arguments(argv)
    if arguments.repeat < 2:
        raise SystemExit(f"--repeat must be at least 2 to compute a percentile, got {arguments.repeat}")
    settings = SolverSettings() if arguments.workers is None else SolverSettings(num_workers=arguments.workers)
    method = FirstFeasible(settings)

    print_header(argv, arguments, settings)
    for experts in arguments.sizes:
        print_row(time_size(experts, arguments.repeat, arguments.pool_seed, method))


if __name__ == "__main__":
    main()
