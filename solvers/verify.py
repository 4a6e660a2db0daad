"""Standalone verifier for draw records.

    python -m solvers.verify RECORD.json [--commitment HEX] [--rerun-prepare]

It recomputes everything from the record alone. It checks the commitment, and compares
it with the value published at the draw when one is given. It recomputes the nonce
commitment and the seed, and checks the committed lottery: its hash, that every panel
obeys the rules, that the probabilities sum to exactly 1 and that the marginals match.
Then it re-runs the method's draw, compares the panel, alternates, leader,
probabilities and details, and checks the recorded panel against the rules.

Exit status: 0 when every check passes, 1 when any check fails (the message names the
field and both values), 2 when the file cannot be read as a draw record. The format is
specified in docs/draw-record.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import solvers
from solvers.check import check_panel
from solvers.record import (
    HEX_DIGEST_PATTERN,
    CommittedDraw,
    RecordError,
    canonical_json,
    check_format,
    commitment_of,
    committed_part,
    derive_seed,
    distribution_hash,
    distribution_problems,
    nonce_commitment,
    read_committed,
    result_part,
    run_draw,
)

EXIT_VERIFIED = 0
EXIT_MISMATCH = 1
EXIT_UNREADABLE = 2

RECORD_KEYS = ("committed", "commitment", "reveal", "result")
REVEAL_KEYS = ("nonce", "supervisor_entropy", "public_value", "seed")
RESULT_KEYS = ("panel", "alternates", "leader", "probabilities", "details")


class UnreadableRecord(Exception):
    """The file is not a draw record at all: unreadable, not JSON, or missing its parts."""


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one verification step."""

    name: str
    passed: bool
    message: str


# ---------------------------------------------------------------------------
# Loading


def load_record(path: str | Path) -> dict[str, Any]:
    """Read a record file strictly and return its JSON object.

    Raises `UnreadableRecord` when the file cannot be read, is not UTF-8 JSON, contains
    a float, NaN or a repeated key, or lacks one of the four parts of a record.
    """
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise UnreadableRecord(f"cannot read {path}: {error.strerror}") from None

    try:
        record = parse_record(data.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise UnreadableRecord(f"{path} is not UTF-8 text (invalid byte at offset {error.start})") from None
    except ValueError as error:
        raise UnreadableRecord(f"{path} is not a valid record: {error}") from None
    except RecursionError:
        raise UnreadableRecord(f"{path} is nested too deeply to be a record") from None
    return record


def parse_record(text: str) -> dict[str, Any]:
    """Parse record JSON, rejecting what canonical JSON never contains."""
    record = json.loads(
        text,
        object_pairs_hook=_object_without_repeated_keys,
        parse_float=_reject_float,
        parse_constant=_reject_constant,
    )
    if not isinstance(record, dict):
        raise ValueError(f"the top level is a {type(record).__name__}, expected an object")

    missing = [key for key in RECORD_KEYS if key not in record]
    unknown = sorted(set(record) - set(RECORD_KEYS))
    if missing or unknown:
        raise ValueError(f"missing parts {missing}, unknown parts {unknown}; a record has exactly {list(RECORD_KEYS)}")
    for key in ("committed", "reveal", "result"):
        if not isinstance(record[key], dict):
            raise ValueError(f"part {key!r} is a {type(record[key]).__name__}, expected an object")
    return record


def _object_without_repeated_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"key {key!r} appears twice in one object")
        result[key] = value
    return result


def _reject_float(text: str) -> None:
    raise ValueError(f"number {text} is not an integer; records contain no floats")


def _reject_constant(text: str) -> None:
    raise ValueError(f"{text} is not valid in a record")


# ---------------------------------------------------------------------------
# Verification


def verify_record(
    record: Mapping[str, Any],
    published_commitment: str | None = None,
    *,
    rerun_prepare: bool = False,
    get_method: Callable[[str], Any] = solvers.get_method,
) -> list[CheckResult]:
    """Run every check on a loaded record and return their results in order.

    `published_commitment` is the hex value shown at the draw. With `rerun_prepare`,
    the method's `prepare` runs again and its lottery must hash to the committed one.
    Checks that depend on a failed one are reported as failed with the reason.
    """
    results: list[CheckResult] = []
    results.extend(_check_commitment(record, published_commitment))

    format_result = _run("format", lambda: _format_message(record))
    results.append(format_result)
    if not format_result.passed:
        return results + [CheckResult("remaining checks", False, "skipped because the format is not readable")]

    seed_result, seed = _check_reveal(record, results)

    try:
        committed = read_committed(record)
    except RecordError as error:
        results.append(CheckResult("committed data", False, str(error)))
        return results + [CheckResult("draw", False, "skipped because the committed data is invalid")]
    results.append(CheckResult("committed data", True, _committed_data_message(committed)))

    method_result, method = _check_method(committed, get_method)
    results.append(method_result)
    if method is None:
        return results + [CheckResult("draw", False, "skipped because the method is not available")]

    results.append(_run("distribution", lambda: _distribution_message(record, committed)))
    if rerun_prepare:
        results.append(_run("prepare", lambda: _prepare_message(record, committed, method)))

    if seed is None:
        return results + [CheckResult("draw", False, f"skipped because the seed is invalid: {seed_result.message}")]
    results.extend(_check_result(record, committed, seed, method))
    return results


def _run(name: str, step: Callable[[], str]) -> CheckResult:
    try:
        return CheckResult(name, True, step())
    except RecordError as error:
        return CheckResult(name, False, str(error))


def _check_commitment(record: Mapping[str, Any], published: str | None) -> list[CheckResult]:
    try:
        recomputed = commitment_of(committed_part(record))
    except RecordError as error:
        return [CheckResult("commitment", False, str(error))]

    results = [_compare("commitment", record.get("commitment"), recomputed)]
    if published is not None:
        results.append(_compare("published commitment", published.strip().lower(), recomputed, "published"))
    return results


def _compare(field: str, stored: Any, recomputed: Any, source: str = "record has") -> CheckResult:
    if _same_json(stored, recomputed):
        return CheckResult(field, True, _shorten(recomputed))
    return CheckResult(field, False, f"{source} {_shorten(stored)}, recomputed {_shorten(recomputed)}")


def _same_json(first: Any, second: Any) -> bool:
    # Compared as canonical JSON, because Python's == takes true for 1 at any depth.
    try:
        return canonical_json(first) == canonical_json(second)
    except RecordError:
        return False


def _shorten(value: Any) -> str:
    # JSON quotes strings, so "1" and 1 read differently in a mismatch message.
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= 200 else text[:197] + "..."


def _format_message(record: Mapping[str, Any]) -> str:
    check_format(record)
    committed = committed_part(record)
    return f"{committed['format']} version {committed['format_version']}, committed at {committed['committed_at']}"


def _check_reveal(record: Mapping[str, Any], results: list[CheckResult]) -> tuple[CheckResult, bytes | None]:
    reveal = record.get("reveal")
    if not isinstance(reveal, Mapping):
        result = CheckResult("reveal", False, f"expected an object, got {type(reveal).__name__}")
        results.append(result)
        return result, None

    unknown = sorted(set(reveal) - set(REVEAL_KEYS))
    missing = sorted(set(REVEAL_KEYS) - set(reveal))
    if unknown or missing:
        result = CheckResult("reveal", False, f"missing keys {missing}, unknown keys {unknown}")
        results.append(result)
        return result, None

    nonce_result, nonce = _check_nonce(record, reveal["nonce"])
    results.append(nonce_result)
    if nonce is None:
        return nonce_result, None

    try:
        seed = derive_seed(nonce, reveal["supervisor_entropy"], reveal["public_value"])
    except RecordError as error:
        result = CheckResult("reveal.seed", False, f"cannot derive the seed: {error}")
        results.append(result)
        return result, None

    result = _compare("reveal.seed", reveal["seed"], seed.hex())
    results.append(result)
    return result, seed


def _check_nonce(record: Mapping[str, Any], nonce_hex: Any) -> tuple[CheckResult, bytes | None]:
    if not isinstance(nonce_hex, str) or not HEX_DIGEST_PATTERN.fullmatch(nonce_hex):
        return CheckResult("reveal.nonce", False, f"{nonce_hex!r:.80} is not 64 lower-case hex digits"), None

    nonce = bytes.fromhex(nonce_hex)
    result = _compare("committed.nonce_commitment", committed_part(record)["nonce_commitment"], nonce_commitment(nonce))
    return result, nonce


def _committed_data_message(committed: CommittedDraw) -> str:
    task = committed.task
    return f"task {task.task_type} from {task.start_date}, {len(committed.candidates)} candidates, {len(committed.excluded)} excluded"


def _check_method(committed: CommittedDraw, get_method: Callable[[str], Any]) -> tuple[CheckResult, Any]:
    name, version = committed.method_name, committed.method_version
    try:
        method = get_method(name)
    except KeyError as error:
        return CheckResult("committed.method.name", False, str(error.args[0])), None

    if method.version != version:
        message = f"record has {name} version {version!r}, this verifier has version {method.version!r}"
        return CheckResult("committed.method.version", False, message), None
    return CheckResult("committed.method", True, f"{name} version {version}"), method


def _distribution_message(record: Mapping[str, Any], committed: CommittedDraw) -> str:
    distribution = committed.distribution
    stored_hash = committed_part(record)["distribution_hash"]

    if distribution is None:
        if stored_hash is not None:
            raise RecordError(f"committed.distribution_hash: record has {stored_hash!r:.80}, expected null without a distribution")
        return "none (the method draws without a committed lottery)"

    recomputed = distribution_hash(distribution)
    if stored_hash != recomputed:
        raise RecordError(f"committed.distribution_hash: record has {stored_hash!r:.80}, recomputed {recomputed!r}")

    problems = distribution_problems(committed.candidates, committed.rules, distribution)
    if problems:
        raise RecordError("committed.distribution: " + "; ".join(problems[:10]))
    return f"{len(distribution.panels)} panels, probabilities sum to 1, marginals match, hash {recomputed}"


def _prepare_message(record: Mapping[str, Any], committed: CommittedDraw, method: Any) -> str:
    try:
        prepared = method.prepare(committed.candidates, committed.rules)
    except Exception as error:  # noqa: BLE001 - the method runs on untrusted input; any failure fails the check
        raise RecordError(f"the method's prepare failed: {type(error).__name__}: {error}") from error

    recomputed = None if prepared is None else distribution_hash(prepared)
    stored = committed_part(record)["distribution_hash"]
    if stored != recomputed:
        raise RecordError(f"committed.distribution_hash: record has {stored!r:.80}, re-running prepare gives {recomputed!r}")
    return "re-running prepare gives the committed lottery"


def _check_result(record: Mapping[str, Any], committed: CommittedDraw, seed: bytes, method: Any) -> list[CheckResult]:
    stored = record.get("result")
    if not isinstance(stored, Mapping):
        return [CheckResult("result", False, f"expected an object, got {type(stored).__name__}")]

    unknown = sorted(set(stored) - set(RESULT_KEYS))
    missing = sorted(set(RESULT_KEYS) - set(stored))
    if unknown or missing:
        return [CheckResult("result", False, f"missing keys {missing}, unknown keys {unknown}")]

    try:
        recomputed = result_part(run_draw(committed, seed, method=method))
    except RecordError as error:
        return [CheckResult("draw", False, str(error))]
    except Exception as error:  # noqa: BLE001 - the method runs on untrusted input; any failure fails the check
        return [CheckResult("draw", False, f"the method's draw failed: {type(error).__name__}: {error}")]

    results = [_compare(f"result.{key}", stored[key], recomputed[key]) for key in RESULT_KEYS]
    results.append(_check_recorded_panel(committed, stored["panel"]))
    return results


def _check_recorded_panel(committed: CommittedDraw, panel: Any) -> CheckResult:
    if not isinstance(panel, list) or not all(isinstance(member, str) for member in panel):
        return CheckResult("result.panel rules", False, f"result.panel {_shorten(panel)} is not a list of ids")

    shortfalls = check_panel(committed.candidates, committed.rules, panel)
    if shortfalls:
        return CheckResult("result.panel rules", False, f"the recorded panel breaks the rules: {shortfalls}")
    return CheckResult("result.panel rules", True, f"{len(panel)} members obey every rule")


# ---------------------------------------------------------------------------
# Command line


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m solvers.verify",
        description="Verify a panel draw record from the record alone.",
        epilog="Exit status: 0 verified, 1 a check failed, 2 the file is not a readable draw record.",
    )
    parser.add_argument("record", type=Path, help="path of the draw record JSON file")
    parser.add_argument(
        "--commitment",
        metavar="HEX",
        help="the commitment published at the draw (64 hex digits); it must equal the recomputed one",
    )
    parser.add_argument(
        "--rerun-prepare",
        action="store_true",
        help="also re-run the method's prepare step and require the committed lottery (slower)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = build_parser().parse_args(argv)

    try:
        record = load_record(arguments.record)
    except UnreadableRecord as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_UNREADABLE

    try:
        results = verify_record(record, arguments.commitment, rerun_prepare=arguments.rerun_prepare)
    except Exception:  # noqa: BLE001 - a verifier bug must never read as a pass
        traceback.print_exc()
        print(f"error: verification of {arguments.record} failed unexpectedly; the record is NOT verified", file=sys.stderr)
        return EXIT_MISMATCH

    print(format_report(arguments.record, results, arguments.commitment is not None, arguments.rerun_prepare))
    return EXIT_VERIFIED if all(result.passed for result in results) else EXIT_MISMATCH


def format_report(path: Path, results: Sequence[CheckResult], commitment_given: bool, rerun_prepare: bool) -> str:
    lines = [f"Draw record {path}"]
    lines.extend(f"  {'ok  ' if result.passed else 'FAIL'}  {result.name}: {result.message}" for result in results)

    if not commitment_given:
        lines.append("  note  no --commitment given: a record rewritten together with its stored commitment would pass")
    if not rerun_prepare:
        lines.append("  note  the lottery was checked for soundness, not re-computed (use --rerun-prepare)")

    failures = sum(not result.passed for result in results)
    lines.append("Verified." if failures == 0 else f"NOT verified: {failures} check(s) failed.")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
