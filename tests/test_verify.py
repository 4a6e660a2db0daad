"""Tests for the standalone verifier: real records pass, any tampering fails."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from datetime import date, datetime, timezone
from fractions import Fraction
from pathlib import Path

import pytest

from solvers import get_method, verify
from solvers.model import AttributeRule, Candidate, Distribution, PanelRules
from solvers.record import (
    DrawTask,
    Exclusion,
    canonical_json,
    commit_draw,
    commitment_of,
    distribution_from_record,
    distribution_hash,
    dump_record,
    parse_fraction,
    reveal_draw,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
NONCE = bytes.fromhex("9c1e5d7a0b3f42e8a6d1c0f9b8e7d6c5b4a39281706f5e4d3c2b1a0918273645")


def expert(number: int, group: str, employer: int | None, title_level: str) -> Candidate:
    return Candidate(
        id=f"E-{number:012x}",
        group=group,
        employer=None if employer is None else f"O-{employer:08x}",
        attributes={"title_level": title_level},
    )


def pool() -> list[Candidate]:
    return [
        expert(0x3A1, "法医临床", 1, "full_senior"),
        expert(0x3A2, "法医临床", 2, "associate_senior"),
        expert(0x3A3, "法医临床", 1, "associate_senior"),
        expert(0x3A4, "法医临床", 3, "full_senior"),
        expert(0x3A5, "法医临床", None, "associate_senior"),
        expert(0x4B1, "法医病理", 4, "full_senior"),
        expert(0x4B2, "法医病理", 5, "associate_senior"),
        expert(0x4B3, "法医病理", 6, "associate_senior"),
    ]


def rules() -> PanelRules:
    return PanelRules(
        group_counts={"法医临床": 2, "法医病理": 1},
        attribute_rules=(AttributeRule("title_level", "full_senior", minimum=1, maximum=2),),
        conflicts=(("E-0000000003a4", "E-0000000004b1"),),
        one_per_employer=True,
        require_leader=True,
        alternates=1,
    )


def make_record(method_name: str) -> dict:
    method = get_method(method_name)
    candidates, panel_rules = pool(), rules()
    committed = commit_draw(
        task=DrawTask("complaint_hearing", date(2026, 4, 1), None, "北京示例司法鉴定中心", "T-7"),
        candidates=candidates,
        excluded=[Exclusion("E-0000000009f0", "recusal")],
        rules=panel_rules,
        method=method,
        distribution=method.prepare(candidates, panel_rules),
        nonce=NONCE,
        committed_at=datetime(2026, 3, 30, 2, 0, tzinfo=timezone.utc),
    )
    return reveal_draw(committed, NONCE, ["4711", "20260330"], "drand quicknet round 15000000")


@pytest.fixture(scope="module")
def first_feasible_record() -> dict:
    return make_record("first_feasible")


@pytest.fixture(scope="module")
def maximin_record() -> dict:
    return make_record("maximin")


@pytest.fixture(params=["first_feasible", "maximin"])
def record(request) -> dict:
    return request.getfixturevalue(f"{request.param}_record")


def run_verifier(tmp_path: Path, record_or_bytes, *extra: str) -> int:
    """Write the record to a file and return the exit status of the in-process verifier."""
    path = tmp_path / "record.json"
    data = record_or_bytes if isinstance(record_or_bytes, bytes) else json.dumps(record_or_bytes, ensure_ascii=False, indent=2).encode()
    path.write_bytes(data)
    return verify.main([str(path), *extra])


def recommit(record: dict) -> dict:
    """Return the record with its commitment recomputed, as a forger would."""
    record["commitment"] = commitment_of(record["committed"])
    return record


# ---------------------------------------------------------------------------
# Records that must pass


def test_verifier_subprocess_accepts_real_record(tmp_path, first_feasible_record):
    path = tmp_path / "record.json"
    path.write_bytes(dump_record(first_feasible_record))

    completed = subprocess.run(
        [sys.executable, "-m", "solvers.verify", str(path), "--commitment", first_feasible_record["commitment"]],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "Verified." in completed.stdout
    assert "FAIL" not in completed.stdout


def test_verifier_accepts_real_record(tmp_path, record, capsys):
    status = run_verifier(tmp_path, dump_record(record), "--commitment", record["commitment"])

    output = capsys.readouterr().out
    assert status == verify.EXIT_VERIFIED, output
    assert "Verified." in output


def test_verifier_accepts_rerun_prepare(tmp_path, record, capsys):
    status = run_verifier(tmp_path, record, "--rerun-prepare")

    output = capsys.readouterr().out
    assert status == verify.EXIT_VERIFIED, output
    assert "re-running prepare gives the committed lottery" in output
    assert "no --commitment given" in output


def test_verifier_accepts_upper_case_published_commitment(tmp_path, first_feasible_record):
    status = run_verifier(tmp_path, first_feasible_record, "--commitment", first_feasible_record["commitment"].upper())

    assert status == verify.EXIT_VERIFIED


def test_maximin_record_contains_exact_probabilities(maximin_record):
    probabilities = maximin_record["result"]["probabilities"]

    assert set(probabilities) == {candidate.id for candidate in pool()}
    assert sum(parse_fraction(value, "test") for value in probabilities.values()) == rules().panel_size
    assert maximin_record["committed"]["distribution_hash"] == distribution_hash(distribution_from_record(maximin_record))


def test_first_feasible_record_has_no_lottery(first_feasible_record):
    assert first_feasible_record["committed"]["distribution"] is None
    assert first_feasible_record["committed"]["distribution_hash"] is None
    assert first_feasible_record["result"]["probabilities"] is None


def test_verifier_imports_no_service_code():
    completed = subprocess.run(
        [sys.executable, "-c", "import sys, solvers.verify; print(sorted(m for m in sys.modules if m.split('.')[0] in {'flask', 'sqlmodel', 'sqlalchemy', 'panel_service'}))"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "[]"


# ---------------------------------------------------------------------------
# Tampering


def leaves(value, path=()):
    if isinstance(value, dict):
        for key, item in value.items():
            yield from leaves(item, path + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from leaves(item, path + (index,))
    else:
        yield path, value


def tampered_value(value):
    """Change one character or digit of a leaf, keeping its form where possible.

    Digits and hex letters stay digits and hex letters, so an id becomes another valid
    id and a fraction another valid fraction: the verifier must catch the meaning, not
    only the form.
    """
    if isinstance(value, bool):
        return not value
    if value is None:
        return 0
    if isinstance(value, int):
        text = str(value)
        return int(text[:-1] + str((int(text[-1]) + 1) % 10))

    for index in reversed(range(len(value))):
        character = value[index]
        if character.isascii() and character.isalnum():
            return value[:index] + next_character(character) + value[index + 1 :]
    return value[:-1] + chr(ord(value[-1]) + 1)


def next_character(character: str) -> str:
    for alphabet in ("0123456789", "abcdef", "ghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ"):
        if character in alphabet:
            return alphabet[(alphabet.index(character) + 1) % len(alphabet)]
    raise AssertionError(f"no successor for {character!r}")


def set_leaf(record: dict, path: tuple, value) -> dict:
    changed = copy.deepcopy(record)
    target = changed
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return changed


def test_verifier_rejects_each_tampered_leaf(tmp_path, record, capsys):
    accepted = []
    wrong_status = []
    paths = list(leaves(record))
    assert len(paths) > 60

    for path, value in paths:
        status = run_verifier(tmp_path, set_leaf(record, path, tampered_value(value)), "--commitment", record["commitment"])
        capsys.readouterr()
        if status == verify.EXIT_VERIFIED:
            accepted.append(path)
        elif status != verify.EXIT_MISMATCH:
            wrong_status.append((path, status))

    assert accepted == []
    assert wrong_status == []


def test_verifier_names_field_and_both_values(tmp_path, maximin_record, capsys):
    seed = maximin_record["reveal"]["seed"]
    forged = set_leaf(maximin_record, ("reveal", "seed"), tampered_value(seed))

    status = run_verifier(tmp_path, forged)

    output = capsys.readouterr().out
    assert status == verify.EXIT_MISMATCH
    assert f"FAIL  reveal.seed: record has \"{forged['reveal']['seed']}\", recomputed \"{seed}\"" in output
    assert "NOT verified" in output


def test_verifier_rejects_tampered_panel_without_commitment(tmp_path, first_feasible_record, capsys):
    panel = first_feasible_record["result"]["panel"]
    outsider = next(candidate.id for candidate in pool() if candidate.id not in panel and candidate.group == "法医病理")
    forged = set_leaf(first_feasible_record, ("result", "panel", len(panel) - 1), outsider)

    status = run_verifier(tmp_path, forged)

    output = capsys.readouterr().out
    assert status == verify.EXIT_MISMATCH
    assert "FAIL  result.panel:" in output


def test_verifier_rejects_each_flipped_byte(tmp_path, record, capsys):
    data = dump_record(record)
    lines = data.split(b"\n")
    positions = set(range(0, len(data), max(1, len(data) // 120)))

    # Also one byte in the middle of every line, so every field's value is hit.
    offset = 0
    for line in lines:
        if line.strip():
            value_start = line.find(b": ") + 2 if b": " in line else len(line) - len(line.lstrip())
            positions.add(offset + (value_start + len(line)) // 2)
        offset += len(line) + 1

    accepted = []
    for position in sorted(positions):
        flipped = bytearray(data)
        flipped[position] ^= 0x01
        status = run_verifier(tmp_path, bytes(flipped), "--commitment", record["commitment"])
        capsys.readouterr()
        if status not in (verify.EXIT_MISMATCH, verify.EXIT_UNREADABLE):
            accepted.append((position, data[max(0, position - 20) : position + 20]))

    assert len(positions) > 150
    assert accepted == []


def test_rewritten_commitment_needs_published_value(tmp_path, first_feasible_record, capsys):
    # A forger who edits committed data a draw does not read, and recomputes the stored
    # commitment, is caught only by the commitment published at the draw.
    forged = copy.deepcopy(first_feasible_record)
    forged["committed"]["task"]["institution"] = "北京另一司法鉴定中心"
    recommit(forged)

    without_published = run_verifier(tmp_path, forged)
    with_published = run_verifier(tmp_path, forged, "--commitment", first_feasible_record["commitment"])

    capsys.readouterr()
    assert without_published == verify.EXIT_VERIFIED
    assert with_published == verify.EXIT_MISMATCH


def test_verifier_rejects_unsound_lottery(tmp_path, maximin_record, capsys):
    forged = copy.deepcopy(maximin_record)
    forged["committed"]["distribution"]["panels"][0]["probability"] = "1/1"
    distribution = forged["committed"]["distribution"]
    forged["committed"]["distribution_hash"] = distribution_hash(
        Distribution(
            panels=tuple(
                (tuple(panel["members"]), parse_fraction(panel["probability"], "test")) for panel in distribution["panels"]
            ),
            marginals={key: parse_fraction(value, "test") for key, value in distribution["marginals"].items()},
            details=distribution["details"],
        )
    )
    recommit(forged)

    status = run_verifier(tmp_path, forged)

    output = capsys.readouterr().out
    assert status == verify.EXIT_MISMATCH
    assert "FAIL  distribution:" in output
    assert "sum to" in output


def test_rerun_prepare_catches_skewed_lottery(tmp_path, maximin_record, capsys):
    # A sound lottery that is not the method's: all weight on the first panel.
    forged = copy.deepcopy(maximin_record)
    original = distribution_from_record(forged)
    first_panel = original.panels[0][0]
    panels = ((first_panel, Fraction(1)),) + tuple((panel, Fraction(0)) for panel, _ in original.panels[1:])
    types = original.details["types"]
    marginals = {}
    for members in types:
        for member in members:
            marginals[member] = Fraction(len(set(first_panel) & set(members)), len(members))
    skewed = Distribution(panels=panels[:1], marginals=marginals, details=original.details)

    forged["committed"]["distribution"]["panels"] = [{"members": list(first_panel), "probability": "1/1"}]
    forged["committed"]["distribution"]["marginals"] = {key: f"{value.numerator}/{value.denominator}" for key, value in marginals.items()}
    forged["committed"]["distribution_hash"] = distribution_hash(skewed)
    recommit(forged)

    status = run_verifier(tmp_path, forged, "--rerun-prepare")

    output = capsys.readouterr().out
    assert status == verify.EXIT_MISMATCH
    assert "FAIL  prepare:" in output
    assert "ok    distribution:" in output


# ---------------------------------------------------------------------------
# Unknown formats and methods, unreadable files


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("committed", "format_version"), 2, "only version 1 can be read"),
        (("committed", "format"), "other-format", "expected 'panel-service/draw-record'"),
        (("committed", "method", "name"), "unknown_method", "unknown selection method"),
        (("committed", "method", "version"), "9", "version"),
    ],
)
def test_verifier_rejects_unknown_format_or_method(tmp_path, first_feasible_record, capsys, path, value, message):
    forged = recommit(set_leaf(first_feasible_record, path, value))

    status = run_verifier(tmp_path, forged)

    output = capsys.readouterr().out
    assert status == verify.EXIT_MISMATCH
    assert message in output
    assert "NOT verified" in output


def test_verifier_rejects_wrong_published_commitment(tmp_path, first_feasible_record, capsys):
    status = run_verifier(tmp_path, first_feasible_record, "--commitment", "0" * 64)

    output = capsys.readouterr().out
    assert status == verify.EXIT_MISMATCH
    assert "FAIL  published commitment" in output


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"not json",
        b"[]",
        b'{"committed": {}}',
        b'{"committed": 1, "commitment": "", "reveal": {}, "result": {}}',
        b"\xff\xfe{}",
    ],
)
def test_verifier_rejects_unreadable_file(tmp_path, content, capsys):
    status = run_verifier(tmp_path, content)

    assert status == verify.EXIT_UNREADABLE
    assert "error:" in capsys.readouterr().err


def test_verifier_rejects_float(tmp_path, first_feasible_record, capsys):
    text = json.dumps(first_feasible_record).replace('"alternates": 1', '"alternates": 1.0')
    assert '"alternates": 1.0' in text

    status = run_verifier(tmp_path, text.encode())

    assert status == verify.EXIT_UNREADABLE
    assert "no floats" in capsys.readouterr().err


def test_verifier_rejects_repeated_key(tmp_path, first_feasible_record, capsys):
    text = json.dumps(first_feasible_record)
    text = text.replace('"reveal": {', '"reveal": {"seed": "00", ', 1)

    status = run_verifier(tmp_path, text.encode())

    assert status == verify.EXIT_UNREADABLE
    assert "appears twice" in capsys.readouterr().err


def test_verifier_rejects_missing_file(tmp_path, capsys):
    status = verify.main([str(tmp_path / "missing.json")])

    assert status == verify.EXIT_UNREADABLE
    assert "cannot read" in capsys.readouterr().err


def test_verifier_subprocess_exit_codes(tmp_path, first_feasible_record):
    tampered = tmp_path / "tampered.json"
    tampered.write_bytes(dump_record(set_leaf(first_feasible_record, ("reveal", "supervisor_entropy", 0), "4712")))
    unreadable = tmp_path / "unreadable.json"
    unreadable.write_bytes(b"{")

    statuses = [
        subprocess.run([sys.executable, "-m", "solvers.verify", str(path)], cwd=PROJECT_ROOT, capture_output=True, timeout=120).returncode
        for path in (tampered, unreadable)
    ]

    assert statuses == [verify.EXIT_MISMATCH, verify.EXIT_UNREADABLE]


def test_record_json_round_trip_is_canonical(record):
    reloaded = verify.parse_record(dump_record(record).decode("utf-8"))

    assert canonical_json(reloaded) == canonical_json(record)


def documented_example(method_name: str) -> dict:
    """Build the worked example of docs/draw-record.md."""

    def candidate(suffix, group, employer, title_level):
        return Candidate(f"E-{suffix}", group, employer, {"title_level": title_level, "employer_type": "institution"})

    candidates = [
        candidate("1a2b3c4d5e6f", "法医临床", "O-0c1d2e3f", "full_senior"),
        candidate("2b3c4d5e6f70", "法医临床", "O-0c1d2e3f", "associate_senior"),
        candidate("3c4d5e6f7081", "法医临床", "O-1d2e3f40", "associate_senior"),
        candidate("4d5e6f708192", "法医病理", "O-2e3f4051", "full_senior"),
        candidate("5e6f708192a3", "法医病理", None, "associate_senior"),
    ]
    panel_rules = PanelRules(group_counts={"法医临床": 2, "法医病理": 1}, require_leader=True, alternates=1)
    nonce = bytes.fromhex("5f0c2a91d4e3b7a6c8f1e2d3c4b5a6978877665544332211ffeeddccbbaa9988")
    method = get_method(method_name)

    committed = commit_draw(
        task=DrawTask("admission_review", date(2026, 3, 16), date(2026, 3, 17), "北京示例司法鉴定所", "T-2026-0042"),
        candidates=candidates,
        excluded=[Exclusion("E-6f708192a3b4", "unavailable")],
        rules=panel_rules,
        method=method,
        distribution=method.prepare(candidates, panel_rules),
        nonce=nonce,
        committed_at=datetime(2026, 3, 16, 1, 30, tzinfo=timezone.utc),
    )
    return reveal_draw(committed, nonce, ["20260316", "8848"], "drand quicknet round 12345678: 8c2f4e")


def test_documented_first_feasible_example():
    record = documented_example("first_feasible")

    assert record["commitment"] == "ecd4884d206a9fea9536cef78b3db73c54f7ca0fcc3fd304e840c88c787914f1"
    assert record["committed"]["nonce_commitment"] == "5c78f3d654bdb175f11662d19f887f41d8109fffc13619c5c16bc080d6ed835f"
    assert record["reveal"]["seed"] == "3c708f029a0072a0e8e36f72300b83e377b028983d34ccb4db11366de605f0d0"
    assert len(canonical_json(record["committed"])) == 1414
    assert record["result"]["panel"] == ["E-4d5e6f708192", "E-3c4d5e6f7081", "E-2b3c4d5e6f70"]
    assert record["result"]["alternates"] == ["E-5e6f708192a3", "E-1a2b3c4d5e6f"]
    assert record["result"]["leader"] == "E-4d5e6f708192"
    assert record["result"]["details"] == {"candidate_count": 5, "order_prefix": 4, "panel_positions": [0, 2, 3]}


def test_documented_maximin_example():
    record = documented_example("maximin")

    assert record["committed"]["distribution_hash"] == "993a593b397c172862445c0fff970bc0323f0441e9371fee6e618b41fe69ebf6"
    assert [panel["probability"] for panel in record["committed"]["distribution"]["panels"]] == ["1/2", "1/2"]
    assert record["result"]["panel"] == ["E-2b3c4d5e6f70", "E-3c4d5e6f7081", "E-4d5e6f708192"]
    assert record["result"]["leader"] == "E-4d5e6f708192"
    assert record["result"]["details"] == {"denominator": 2, "draw_value": 1, "panel_index": 1}


def containers(value, path=()):
    if isinstance(value, (dict, list)):
        if path:
            yield path
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            yield from containers(item, path + (key,))


def test_verifier_survives_changed_types(first_feasible_record):
    # Every object and array replaced by a value of another JSON type must fail the
    # verification, never crash it.
    crashed = []
    accepted = []

    for path in containers(first_feasible_record):
        for replacement in (0, "x", None):
            forged = set_leaf(first_feasible_record, path, replacement)
            try:
                results = verify.verify_record(forged, first_feasible_record["commitment"])
            except Exception as error:  # noqa: BLE001 - collected to name every crashing path
                crashed.append((path, replacement, repr(error)))
                continue
            if all(result.passed for result in results):
                accepted.append((path, replacement))

    assert crashed == []
    assert accepted == []


def test_deeply_nested_file_is_unreadable(tmp_path):
    from solvers.verify import main

    path = tmp_path / "nested.json"
    path.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    assert main([str(path)]) == 2
