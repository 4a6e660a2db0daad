"""Draw records: the commitment made before a draw's randomness exists, and its reveal.

A draw runs in two steps, and each step is a pure function here:

1. `commit_draw` builds the committed part from the task, the candidates, the excluded
   experts, the rules, the method and its prepared lottery, and a fresh server nonce
   (only its hash goes in). Its SHA-256, the commitment, is shown to everyone present.
2. `reveal_draw` checks the commitment, derives the seed from the nonce, the
   supervisors' digits and an optional public value, runs the method's draw and returns
   the full record.

The record is plain JSON and contains no personal data: experts and employers appear
only under pseudonymous ids. docs/draw-record.md specifies every field and byte layout,
so a verifier can be written in any language; `solvers.verify` is the reference one.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass
from datetime import date, datetime, timezone
from fractions import Fraction
from typing import Any, Iterable, Mapping, Sequence

from solvers import SelectionMethod, get_method
from solvers.check import check_panel
from solvers.model import AttributeRule, Candidate, Distribution, PanelRules, Selection

FORMAT = "panel-service/draw-record"
FORMAT_VERSION = 1

NONCE_BYTES = 32

# Domain tags keep the three hashes apart: no input to one can be replayed as another.
NONCE_TAG = b"panel-service/nonce-commitment/v1"
SEED_TAG = b"panel-service/draw-seed/v1"
DISTRIBUTION_TAG = b"panel-service/distribution/v1"

# Pseudonymous ids: a short upper-case prefix ("E" for experts, any other letters for
# employers), a hyphen and lower-case hex, for example "E-3f9a1c2b7d40". Names, ID
# numbers and phone numbers never match.
PSEUDONYM_PATTERN = re.compile(r"[A-Z]{1,4}-[0-9a-f]{8,64}")
CODE_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,63}")
DIGITS_PATTERN = re.compile(r"[0-9]+")
HEX_DIGEST_PATTERN = re.compile(r"[0-9a-f]{64}")
FRACTION_PATTERN = re.compile(r"-?(0|[1-9][0-9]*)/([1-9][0-9]*)")
TIMESTAMP_PATTERN = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")
DATE_PATTERN = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

# NOTE: a heuristic guard, not a proof that a record is free of personal data: it
# rejects attribute names for personal fields and text with an e-mail sign or an
# 11-digit run (mobile and resident ID numbers).
PERSONAL_ATTRIBUTE_NAMES = frozenset({"name", "id_number", "phone", "email", "birth_date", "date_of_birth"})
PERSONAL_TEXT_PATTERN = re.compile(r"@|[0-9]{11}")

# Input size limits, chosen generously for hand-entered values.
MAX_TEXT_LENGTH = 200
MAX_SUPERVISORS = 20
MAX_SUPERVISOR_DIGITS = 100
MAX_PUBLIC_VALUE_LENGTH = 1024


class RecordError(ValueError):
    """A draw record, or a value meant for one, is malformed; the message names the field."""


@dataclass(frozen=True)
class DrawTask:
    """The task a draw is for, as it appears in the public record."""

    task_type: str
    start_date: date
    end_date: date | None = None
    # The target institution's public name: institutions are public bodies.
    institution: str | None = None
    # The service's own reference for the task, so the record can be matched to it.
    task_id: str | None = None


@dataclass(frozen=True)
class Exclusion:
    """An expert left out of a draw, with the code of the reason."""

    id: str
    reason: str


# ---------------------------------------------------------------------------
# Canonical JSON and the plain values in it


def canonical_json(value: Any) -> bytes:
    """Encode `value` as canonical JSON: UTF-8, sorted keys, no insignificant whitespace.

    Fractions become "p/q" strings and tuples become arrays. Floats, non-string keys and
    other types raise `RecordError`, because they have no single exact encoding.
    """
    plain = _to_canonical(value, "$")
    text = json.dumps(plain, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise RecordError(f"text is not valid Unicode (lone surrogate at offset {error.start})") from None


def dump_record(record: Mapping[str, Any]) -> bytes:
    """Encode a record for export: sorted keys, two-space indent, UTF-8, final newline.

    The layout is for people reading the file. Hashes never depend on it, because they
    are computed over `canonical_json`.
    """
    canonical_json(record)
    plain = _to_canonical(record, "$")
    return (json.dumps(plain, ensure_ascii=False, sort_keys=True, indent=2, allow_nan=False) + "\n").encode("utf-8")


def _to_canonical(value: Any, path: Any) -> Any:
    # `path` is a linked pair (parent path, key), turned into text only for an error,
    # because a record contains tens of thousands of values. Exact type checks come first
    # for the same reason: the abstract Mapping check is much slower.
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return value

    if kind is dict or (kind is not list and isinstance(value, Mapping)):
        result = {}
        for key, item in value.items():
            if type(key) is not str:
                raise RecordError(f"{_path_text(path)}: object key {key!r} is a {type(key).__name__}, expected a string")
            result[key] = _to_canonical(item, (path, key))
        return result

    if isinstance(value, (list, tuple)):
        return [_to_canonical(item, (path, index)) for index, item in enumerate(value)]

    if isinstance(value, Fraction):
        return fraction_text(value)
    if isinstance(value, (int, str)):
        return value

    raise RecordError(
        f"{_path_text(path)}: value {value!r:.80} of type {kind.__name__} has no canonical JSON form; "
        "expected null, a boolean, an integer, a string, a Fraction, an array or an object"
    )


def _path_text(path: Any) -> str:
    keys = []
    while isinstance(path, tuple):
        path, key = path
        keys.append(f"[{key}]" if isinstance(key, int) else f".{key}")
    return str(path) + "".join(reversed(keys))


def plain_details(details: Mapping[str, object], path: str = "details") -> dict[str, Any]:
    """Convert a method's details to values canonical JSON accepts.

    Floats become their shortest round-trip decimal string (Python's repr, e.g. "0.1")
    and Fractions "p/q" strings; sets are rejected because they have no order.
    """
    return _plain_value(dict(details), path)


def _plain_value(value: Any, path: str) -> Any:
    if isinstance(value, float):
        return float.__repr__(value)

    if isinstance(value, Mapping):
        return {_plain_key(key, path): _plain_value(item, f"{path}.{key}") for key, item in value.items()}

    if isinstance(value, (list, tuple)):
        return [_plain_value(item, f"{path}[{index}]") for index, item in enumerate(value)]

    return _to_canonical(value, path)


def _plain_key(key: Any, path: str) -> str:
    if not isinstance(key, str):
        raise RecordError(f"{path}: key {key!r} is a {type(key).__name__}, expected a string")
    return key


def fraction_text(value: Fraction) -> str:
    """Return the exact "p/q" form of `value`, always with a denominator ("1/1", "0/1")."""
    return f"{value.numerator}/{value.denominator}"


def parse_fraction(text: object, field: str) -> Fraction:
    """Parse a "p/q" string written by `fraction_text`; other spellings raise `RecordError`.

    Only the reduced form is accepted, so every value has exactly one spelling.
    """
    if not isinstance(text, str) or not FRACTION_PATTERN.fullmatch(text):
        raise RecordError(f"{field}: {text!r} is not a fraction; expected 'p/q' such as '2/5'")

    numerator, denominator = (int(part) for part in text.split("/"))
    if math.gcd(numerator, denominator) != 1:
        raise RecordError(f"{field}: fraction {text!r} is not in lowest terms")
    return Fraction(numerator, denominator)


# ---------------------------------------------------------------------------
# Hashes


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def nonce_commitment(nonce: bytes) -> str:
    """Return SHA-256(NONCE_TAG || nonce) in lower-case hex."""
    return sha256_hex(NONCE_TAG + check_nonce(nonce))


def commitment_of(committed: Mapping[str, Any]) -> str:
    """Return SHA-256 of the canonical JSON of the committed part, in lower-case hex."""
    return sha256_hex(canonical_json(committed))


def distribution_hash(distribution: Distribution) -> str:
    """Return SHA-256(DISTRIBUTION_TAG || canonical JSON of panels, marginals and types).

    `types` is the lottery's ``details["types"]``, or null without one. The other
    details are left out, so a re-run of `prepare` that differs only in diagnostics such
    as solver statistics or the solver's version still gives the same hash.
    """
    part = _distribution_part(distribution)
    hashed = {"panels": part["panels"], "marginals": part["marginals"], "types": part["details"].get("types")}
    return sha256_hex(DISTRIBUTION_TAG + canonical_json(hashed))


def derive_seed(nonce: bytes, supervisor_entropy: str | Sequence[str], public_value: str | None) -> bytes:
    """Derive the draw's 32-byte seed from every source of randomness.

    seed = SHA-256(SEED_TAG || L(nonce) || uint32(k) || L(e_1) || ... || L(e_k) || P),
    where L(x) is x's length as 4 big-endian bytes followed by x (strings in UTF-8),
    e_1..e_k are the supervisors' digit strings in the order given (a single string is
    one supervisor), and P is 0x00 without a public value or 0x01 || L(public value)
    with one. Raises `RecordError` for an invalid nonce, digit string or public value.
    """
    check_nonce(nonce)
    entropy = check_supervisor_entropy(supervisor_entropy)
    check_public_value(public_value)

    parts = [SEED_TAG, _length_prefixed(nonce), len(entropy).to_bytes(4, "big")]
    parts.extend(_length_prefixed(digits.encode("ascii")) for digits in entropy)

    if public_value is None:
        parts.append(b"\x00")
    else:
        parts.append(b"\x01" + _length_prefixed(public_value.encode("utf-8")))

    return hashlib.sha256(b"".join(parts)).digest()


def _length_prefixed(data: bytes) -> bytes:
    return len(data).to_bytes(4, "big") + data


# ---------------------------------------------------------------------------
# Input checks shared by building and reading records


def check_nonce(nonce: object) -> bytes:
    if not isinstance(nonce, bytes) or len(nonce) != NONCE_BYTES:
        received = f"{len(nonce)} bytes" if isinstance(nonce, bytes) else type(nonce).__name__
        raise RecordError(f"nonce must be {NONCE_BYTES} bytes from a secure random source, got {received}")
    return nonce


def check_supervisor_entropy(entropy: str | Sequence[str]) -> list[str]:
    """Return the supervisors' digit strings as a list; a single string means one supervisor.

    Each must be 1 to MAX_SUPERVISOR_DIGITS ASCII digits, and there must be 1 to
    MAX_SUPERVISORS of them.
    """
    if isinstance(entropy, str):
        entries = [entropy]
    elif isinstance(entropy, (list, tuple)):
        entries = list(entropy)
    else:
        raise RecordError(f"supervisor entropy must be a string or a list of strings, got {type(entropy).__name__}")

    if not 1 <= len(entries) <= MAX_SUPERVISORS:
        raise RecordError(f"supervisor entropy needs 1 to {MAX_SUPERVISORS} entries, got {len(entries)}")

    for index, digits in enumerate(entries):
        if not isinstance(digits, str) or not DIGITS_PATTERN.fullmatch(digits):
            raise RecordError(
                f"supervisor entropy entry {index + 1} is {digits!r}; expected ASCII digits 0-9 only, at least one"
            )
        if len(digits) > MAX_SUPERVISOR_DIGITS:
            raise RecordError(
                f"supervisor entropy entry {index + 1} has {len(digits)} digits; the maximum is {MAX_SUPERVISOR_DIGITS}"
            )
    return entries


def check_public_value(public_value: object) -> str | None:
    if public_value is None:
        return None

    if not isinstance(public_value, str) or not public_value:
        raise RecordError(f"public value must be a non-empty string or None, got {public_value!r:.80}")
    if len(public_value) > MAX_PUBLIC_VALUE_LENGTH:
        raise RecordError(
            f"public value has {len(public_value)} characters; the maximum is {MAX_PUBLIC_VALUE_LENGTH}"
        )
    _check_encodable(public_value, "public value")
    return public_value


def _check_encodable(text: str, field: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise RecordError(f"{field}: {text!r:.80} is not valid Unicode text") from None


def _check_pseudonym(value: object, field: str) -> str:
    if not isinstance(value, str) or not PSEUDONYM_PATTERN.fullmatch(value):
        raise RecordError(
            f"{field}: {value!r:.80} is not a pseudonymous id; expected upper-case letters, '-' and "
            "lower-case hex, such as 'E-3f9a1c2b7d40'"
        )
    return value


def _check_code(value: object, field: str) -> str:
    if not isinstance(value, str) or not CODE_PATTERN.fullmatch(value):
        raise RecordError(f"{field}: {value!r:.80} is not a code; expected lower-case snake_case such as 'recusal'")
    return value


def _check_text(value: object, field: str) -> str:
    if not isinstance(value, str) or not value or len(value) > MAX_TEXT_LENGTH:
        raise RecordError(f"{field}: {value!r:.80} must be a string of 1 to {MAX_TEXT_LENGTH} characters")

    _check_encodable(value, field)
    if PERSONAL_TEXT_PATTERN.search(value):
        raise RecordError(
            f"{field}: {value!r:.80} looks like personal data (an e-mail address or an 11-digit number); "
            "records must not contain personal data"
        )
    return value


def _check_count(value: object, field: str, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise RecordError(f"{field}: {value!r:.80} must be an integer >= {minimum}")
    return value


def _check_bool(value: object, field: str) -> bool:
    if not isinstance(value, bool):
        raise RecordError(f"{field}: {value!r:.80} must be true or false")
    return value


def _check_hex_digest(value: object, field: str) -> str:
    if not isinstance(value, str) or not HEX_DIGEST_PATTERN.fullmatch(value):
        raise RecordError(f"{field}: {value!r:.80} is not a SHA-256 digest; expected 64 lower-case hex digits")
    return value


def _check_keys(value: object, expected: Iterable[str], field: str) -> Mapping[str, Any]:
    value = _check_object(value, field)

    expected = set(expected)
    missing = sorted(expected - value.keys())
    unknown = sorted(set(value.keys()) - expected)
    if missing or unknown:
        raise RecordError(f"{field}: missing keys {missing}, unknown keys {unknown}; expected {sorted(expected)}")
    return value


def _check_object(value: object, field: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise RecordError(f"{field}: expected an object, got {type(value).__name__}")
    return value


def _check_list(value: object, field: str) -> list[Any]:
    if not isinstance(value, list):
        raise RecordError(f"{field}: expected an array, got {type(value).__name__}")
    return value


# ---------------------------------------------------------------------------
# Building the committed part


def commit_draw(
    *,
    task: DrawTask,
    candidates: Sequence[Candidate],
    excluded: Sequence[Exclusion],
    rules: PanelRules,
    method: SelectionMethod,
    distribution: Distribution | None,
    nonce: bytes,
    committed_at: datetime,
) -> dict[str, Any]:
    """Build the committed part of a draw record and its commitment.

    `method` is the selection method, whose `name` and `version` are recorded, and
    `distribution` what its `prepare` returned for these candidates and rules. `nonce`
    is 32 fresh bytes from `secrets.token_bytes`, and only its hash enters the record
    until the reveal. Returns {"committed": {...}, "commitment": hex}. Raises
    `RecordError` naming the first invalid value, or listing the problems of an unsound
    distribution.
    """
    if distribution is not None:
        problems = distribution_problems(candidates, rules, distribution)
        if problems:
            raise RecordError(f"the prepared distribution is unsound: {'; '.join(problems[:5])}")

    committed = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "committed_at": _timestamp_text(committed_at),
        "task": _task_part(task),
        "candidates": _candidates_part(candidates),
        "excluded": _excluded_part(excluded, candidates),
        "rules": _rules_part(rules),
        "method": _method_part(method.name, method.version),
        "distribution": None if distribution is None else _distribution_part(distribution),
        "distribution_hash": None if distribution is None else distribution_hash(distribution),
        "nonce_commitment": nonce_commitment(nonce),
    }
    return {"committed": committed, "commitment": commitment_of(committed)}


def _timestamp_text(moment: datetime) -> str:
    if not isinstance(moment, datetime) or moment.tzinfo is None:
        raise RecordError(f"committed_at must be a timezone-aware datetime, got {moment!r}")
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _method_part(name: str, version: str) -> dict[str, str]:
    return {"name": _check_code(name, "method.name"), "version": _check_text(version, "method.version")}


def _task_part(task: DrawTask) -> dict[str, Any]:
    if task.end_date is not None and task.end_date < task.start_date:
        raise RecordError(f"task: end_date {task.end_date} is before start_date {task.start_date}")

    return {
        "task_type": _check_code(task.task_type, "task.task_type"),
        "start_date": task.start_date.isoformat(),
        "end_date": None if task.end_date is None else task.end_date.isoformat(),
        "institution": None if task.institution is None else _check_text(task.institution, "task.institution"),
        "task_id": None if task.task_id is None else _check_text(task.task_id, "task.task_id"),
    }


def _candidates_part(candidates: Sequence[Candidate]) -> list[dict[str, Any]]:
    parts = [_candidate_part(candidate) for candidate in candidates]
    parts.sort(key=lambda part: part["id"])
    _check_unique([part["id"] for part in parts], "candidates")
    return parts


def _candidate_part(candidate: Candidate) -> dict[str, Any]:
    field = f"candidate {candidate.id!r:.40}"
    return {
        "id": _check_pseudonym(candidate.id, f"{field} id"),
        "group": _check_text(candidate.group, f"{field} group"),
        "employer": None if candidate.employer is None else _check_pseudonym(candidate.employer, f"{field} employer"),
        "attributes": _attributes_part(candidate.attributes, field),
    }


def _attributes_part(attributes: Mapping[str, str], field: str) -> dict[str, str]:
    result = {}
    for name, value in attributes.items():
        if name in PERSONAL_ATTRIBUTE_NAMES:
            raise RecordError(f"{field}: attribute {name!r} is personal data and must not enter a draw record")
        result[_check_code(name, f"{field} attribute name")] = _check_text(value, f"{field} attribute {name}")
    return result


def _excluded_part(excluded: Sequence[Exclusion], candidates: Sequence[Candidate]) -> list[dict[str, str]]:
    parts = [
        {"id": _check_pseudonym(item.id, "excluded id"), "reason": _check_code(item.reason, f"excluded {item.id} reason")}
        for item in excluded
    ]
    parts.sort(key=lambda part: part["id"])
    _check_unique([part["id"] for part in parts], "excluded")

    candidate_ids = {candidate.id for candidate in candidates}
    both = sorted(candidate_ids.intersection(part["id"] for part in parts))
    if both:
        raise RecordError(f"experts {both[:5]} are both candidates and excluded; each must be one or the other")
    return parts


def _check_unique(ids: Sequence[str], field: str) -> None:
    duplicates = sorted({value for previous, value in zip(ids, ids[1:]) if previous == value})
    if duplicates:
        raise RecordError(f"{field}: ids {duplicates[:5]} appear more than once")


def _rules_part(rules: PanelRules) -> dict[str, Any]:
    group_counts = {
        _check_text(group, "rules.group_counts group"): _check_count(count, f"rules.group_counts[{group}]")
        for group, count in rules.group_counts.items()
    }
    if sum(group_counts.values()) < 1:
        raise RecordError(f"rules.group_counts {group_counts} ask for an empty panel; at least one member is needed")
    conflicts = sorted({tuple(sorted(_conflict_pair(pair))) for pair in rules.conflicts})

    return {
        "group_counts": group_counts,
        "attribute_rules": sorted((_attribute_rule_part(rule) for rule in rules.attribute_rules), key=_attribute_rule_key),
        "conflicts": [list(pair) for pair in conflicts],
        "one_per_employer": _check_bool(rules.one_per_employer, "rules.one_per_employer"),
        "require_leader": _check_bool(rules.require_leader, "rules.require_leader"),
        "alternates": _check_count(rules.alternates, "rules.alternates"),
        "employer_limits": {
            _check_pseudonym(employer, "rules.employer_limits employer"): _check_count(limit, f"rules.employer_limits[{employer}]", 1)
            for employer, limit in rules.employer_limits.items()
        },
    }


def _conflict_pair(pair: Sequence[str]) -> tuple[str, str]:
    if len(pair) != 2 or pair[0] == pair[1]:
        raise RecordError(f"rules.conflicts: {pair!r} is not a pair of two different ids")
    return (_check_pseudonym(pair[0], "rules.conflicts id"), _check_pseudonym(pair[1], "rules.conflicts id"))


def _attribute_rule_part(rule: AttributeRule) -> dict[str, Any]:
    field = f"rules.attribute_rules {rule.attribute}={rule.value}"
    minimum = _check_count(rule.minimum, f"{field} minimum")
    maximum = None if rule.maximum is None else _check_count(rule.maximum, f"{field} maximum", minimum)
    return {
        "attribute": _check_code(rule.attribute, f"{field} attribute"),
        "value": _check_text(rule.value, f"{field} value"),
        "minimum": minimum,
        "maximum": maximum,
    }


def _attribute_rule_key(part: Mapping[str, Any]) -> tuple:
    # A missing maximum sorts after every number.
    maximum = part["maximum"]
    return (part["attribute"], part["value"], part["minimum"], maximum is None, maximum or 0)


def _distribution_part(distribution: Distribution) -> dict[str, Any]:
    panels = []
    for members, probability in distribution.panels:
        ids = [_check_pseudonym(member, "distribution panel member") for member in members]
        panels.append({"members": sorted(ids), "probability": fraction_text(Fraction(probability))})
    panels.sort(key=lambda panel: panel["members"])

    marginals = {
        _check_pseudonym(candidate_id, "distribution marginal id"): fraction_text(Fraction(value))
        for candidate_id, value in distribution.marginals.items()
    }
    details = plain_details(distribution.details, "distribution.details")
    if "types" in details:
        _check_types(details["types"])
    return {"panels": panels, "marginals": marginals, "details": details}


def _check_types(types: object) -> None:
    field = "distribution.details.types"
    previous_first = ""
    for index, members in enumerate(_check_list(types, field)):
        members = _check_list(members, f"{field}[{index}]")
        for member in members:
            _check_pseudonym(member, f"{field}[{index}]")
        if not members or members != sorted(members):
            raise RecordError(f"{field}[{index}]: {members!r:.80} must be a non-empty list of ids in ascending order")

        if members[0] <= previous_first:
            raise RecordError(f"{field}[{index}]: types must be ordered by their first id, {members[0]!r} is out of order")
        previous_first = members[0]


def distribution_types(distribution: Distribution) -> list[list[str]]:
    """Return the lottery's types of interchangeable candidates (`details["types"]`).

    A lottery without types treats every candidate in its panels as a type of its own.
    """
    types = distribution.details.get("types")
    if types is not None:
        return [list(members) for members in types]

    members = {member for panel, _probability in distribution.panels for member in panel}
    return [[member] for member in sorted(members)]


def distribution_problems(
    candidates: Sequence[Candidate], rules: PanelRules, distribution: Distribution
) -> list[str]:
    """List every way the lottery is unsound; an empty list means it is sound.

    A panel may name representatives of types of interchangeable candidates (see
    `distribution_types`): a panel with probability p that takes c members of type T
    gives each member of T the probability p * c / |T|.

    A sound lottery meets all of these:

    - the types are disjoint and contain only candidates;
    - each panel has distinct candidate members, obeys the rules, has a positive
      probability and appears once;
    - the probabilities sum to exactly 1;
    - each marginal equals the one computed from the panels. A candidate on no panel
      may be listed with "0/1" or left out.
    """
    candidate_ids = {candidate.id for candidate in candidates}
    types = distribution_types(distribution)
    problems = _type_problems(types, candidate_ids)
    seen: set[tuple[str, ...]] = set()

    for index, (members, probability) in enumerate(distribution.panels):
        problems.extend(_panel_problems(candidates, rules, candidate_ids, members, probability, f"panel {index}"))
        if tuple(members) in seen:
            problems.append(f"panel {index} {list(members)} appears more than once")
        seen.add(tuple(members))

    total = sum((probability for _, probability in distribution.panels), Fraction(0))
    if total != 1:
        problems.append(f"panel probabilities sum to {fraction_text(total)}, expected 1/1")

    computed = _computed_marginals(distribution, types)
    problems.extend(_marginal_problems(candidate_ids, distribution.marginals, computed))
    return problems


def _type_problems(types: Sequence[Sequence[str]], candidate_ids: set[str]) -> list[str]:
    problems = []
    seen: set[str] = set()
    for index, members in enumerate(types):
        repeated = sorted(seen.intersection(members))
        unknown = sorted(set(members) - candidate_ids)
        if repeated:
            problems.append(f"type {index} repeats {repeated[:5]} from an earlier type")
        if unknown:
            problems.append(f"type {index} has members {unknown[:5]} who are not candidates")
        seen.update(members)
    return problems


def _computed_marginals(distribution: Distribution, types: Sequence[Sequence[str]]) -> dict[str, Fraction]:
    type_of = {member: index for index, members in enumerate(types) for member in members}
    computed: dict[str, Fraction] = {}

    for members, probability in distribution.panels:
        members_per_type: dict[int, int] = {}
        for member in set(members):
            if member in type_of:
                members_per_type[type_of[member]] = members_per_type.get(type_of[member], 0) + 1
            else:
                computed[member] = computed.get(member, Fraction(0)) + probability

        for index, count in members_per_type.items():
            share = Fraction(probability) * count / len(types[index])
            for member in types[index]:
                computed[member] = computed.get(member, Fraction(0)) + share
    return computed


def _panel_problems(
    candidates: Sequence[Candidate],
    rules: PanelRules,
    candidate_ids: set[str],
    members: Sequence[str],
    probability: Fraction,
    field: str,
) -> list[str]:
    problems = []
    if probability <= 0:
        problems.append(f"{field} has probability {fraction_text(probability)}, expected more than 0")

    unknown = sorted(set(members) - candidate_ids)
    if unknown:
        problems.append(f"{field} has members {unknown} who are not candidates")
    if len(set(members)) != len(members):
        problems.append(f"{field} lists a member twice: {list(members)}")

    shortfalls = check_panel(candidates, rules, list(members))
    if shortfalls:
        problems.append(f"{field} {list(members)} breaks the rules: {shortfalls}")
    return problems


def _marginal_problems(
    candidate_ids: set[str], recorded: Mapping[str, Fraction], computed: Mapping[str, Fraction]
) -> list[str]:
    problems = []
    unknown = sorted(set(recorded) - candidate_ids)
    if unknown:
        problems.append(f"marginals name {unknown[:5]} who are not candidates")

    for candidate_id in sorted(set(recorded) | set(computed)):
        stored = Fraction(recorded.get(candidate_id, 0))
        expected = computed.get(candidate_id, Fraction(0))
        if stored != expected:
            problems.append(
                f"marginal of {candidate_id} is {fraction_text(stored)}, "
                f"but the panels give {fraction_text(expected)}"
            )
    return problems


# ---------------------------------------------------------------------------
# Reading the committed part back
#
# Each reader rebuilds the objects, writes them again with the builder above and
# requires the same JSON. So a stored part is accepted only in the exact canonical form
# `commit_draw` writes, with every value checked as on the way in.


COMMITTED_KEYS = (
    "format",
    "format_version",
    "committed_at",
    "task",
    "candidates",
    "excluded",
    "rules",
    "method",
    "distribution",
    "distribution_hash",
    "nonce_commitment",
)


RULES_KEYS = (
    "group_counts",
    "attribute_rules",
    "conflicts",
    "one_per_employer",
    "require_leader",
    "alternates",
    "employer_limits",
)


def committed_part(record: Mapping[str, Any]) -> Mapping[str, Any]:
    """Return the committed part of a record or of `commit_draw`'s result, checking its keys."""
    outer = record.get("committed") if isinstance(record, Mapping) else None
    return _check_keys(outer, COMMITTED_KEYS, "committed")


def check_format(record: Mapping[str, Any]) -> None:
    """Raise `RecordError` unless the record is in a format version this module reads."""
    committed = committed_part(record)
    if committed["format"] != FORMAT:
        raise RecordError(f"committed.format is {committed['format']!r:.80}, expected {FORMAT!r}")

    version = committed["format_version"]
    if isinstance(version, bool) or version != FORMAT_VERSION:
        raise RecordError(f"committed.format_version is {version!r:.80}; only version {FORMAT_VERSION} can be read")

    _parse_timestamp(committed["committed_at"], "committed.committed_at")
    _check_hex_digest(committed["nonce_commitment"], "committed.nonce_commitment")


def _parse_timestamp(text: object, field: str) -> datetime:
    if isinstance(text, str) and TIMESTAMP_PATTERN.fullmatch(text):
        try:
            return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
        except ValueError:
            pass
    raise RecordError(f"{field}: {text!r:.80} is not a UTC timestamp like '2026-03-02T09:30:00Z'")


def _parse_date(text: object, field: str) -> date:
    if isinstance(text, str) and DATE_PATTERN.fullmatch(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    raise RecordError(f"{field}: {text!r:.80} is not a date like '2026-03-02'")


def task_from_record(record: Mapping[str, Any]) -> DrawTask:
    part = _check_keys(
        committed_part(record)["task"],
        ("task_type", "start_date", "end_date", "institution", "task_id"),
        "committed.task",
    )
    end_date = part["end_date"]

    task = DrawTask(
        task_type=part["task_type"],
        start_date=_parse_date(part["start_date"], "committed.task.start_date"),
        end_date=None if end_date is None else _parse_date(end_date, "committed.task.end_date"),
        institution=part["institution"],
        task_id=part["task_id"],
    )
    _require_canonical(_task_part(task), part, "committed.task")
    return task


def candidates_from_record(record: Mapping[str, Any]) -> list[Candidate]:
    """Rebuild the candidates from a record, in the record's order (sorted by id)."""
    parts = _check_list(committed_part(record)["candidates"], "committed.candidates")
    candidates = [_candidate_from_part(part, f"committed.candidates[{index}]") for index, part in enumerate(parts)]
    _require_canonical(_candidates_part(candidates), parts, "committed.candidates")
    return candidates


def _candidate_from_part(part: object, field: str) -> Candidate:
    part = _check_keys(part, ("id", "group", "employer", "attributes"), field)
    attributes = _check_object(part["attributes"], f"{field}.attributes")
    return Candidate(id=part["id"], group=part["group"], employer=part["employer"], attributes=dict(attributes))


def exclusions_from_record(record: Mapping[str, Any]) -> list[Exclusion]:
    return _exclusions_from_part(committed_part(record)["excluded"], candidates_from_record(record))


def _exclusions_from_part(parts: object, candidates: Sequence[Candidate]) -> list[Exclusion]:
    parts = _check_list(parts, "committed.excluded")
    exclusions = [
        Exclusion(**_check_keys(part, ("id", "reason"), f"committed.excluded[{index}]"))
        for index, part in enumerate(parts)
    ]
    _require_canonical(_excluded_part(exclusions, candidates), parts, "committed.excluded")
    return exclusions


def rules_from_record(record: Mapping[str, Any]) -> PanelRules:
    field = "committed.rules"
    part = _check_keys(
        committed_part(record)["rules"],
        RULES_KEYS,
        field,
    )
    attribute_rules = [
        AttributeRule(**_check_keys(rule, ("attribute", "value", "minimum", "maximum"), f"{field}.attribute_rules[{index}]"))
        for index, rule in enumerate(_check_list(part["attribute_rules"], f"{field}.attribute_rules"))
    ]
    conflicts = [
        tuple(_check_list(pair, f"{field}.conflicts[{index}]"))
        for index, pair in enumerate(_check_list(part["conflicts"], f"{field}.conflicts"))
    ]

    rules = PanelRules(
        group_counts=dict(_check_object(part["group_counts"], f"{field}.group_counts")),
        attribute_rules=tuple(attribute_rules),
        conflicts=tuple(conflicts),
        one_per_employer=part["one_per_employer"],
        require_leader=part["require_leader"],
        alternates=part["alternates"],
        employer_limits=dict(_check_object(part["employer_limits"], f"{field}.employer_limits")),
    )
    _require_canonical(_rules_part(rules), part, field)
    return rules


def method_from_record(record: Mapping[str, Any]) -> tuple[str, str]:
    """Return the (name, version) of the selection method the record was committed with."""
    part = _check_keys(committed_part(record)["method"], ("name", "version"), "committed.method")
    method = _method_part(part["name"], part["version"])
    return method["name"], method["version"]


def distribution_from_record(record: Mapping[str, Any]) -> Distribution | None:
    """Rebuild the committed lottery over panels, or return None for a method without one.

    The panels keep the record's canonical order (sorted by their sorted member ids),
    which is the order the fair methods' draw walks.
    """
    field = "committed.distribution"
    part = committed_part(record)["distribution"]
    if part is None:
        return None

    part = _check_keys(part, ("panels", "marginals", "details"), field)
    panels = [
        _panel_from_part(panel, f"{field}.panels[{index}]")
        for index, panel in enumerate(_check_list(part["panels"], f"{field}.panels"))
    ]
    marginals = {
        candidate_id: parse_fraction(value, f"{field}.marginals[{candidate_id}]")
        for candidate_id, value in _check_object(part["marginals"], f"{field}.marginals").items()
    }
    details = _check_object(part["details"], f"{field}.details")

    distribution = Distribution(panels=tuple(panels), marginals=marginals, details=dict(details))
    _require_canonical(_distribution_part(distribution), part, field)
    return distribution


@dataclass(frozen=True)
class CommittedDraw:
    """Everything the committed part of a record fixes, read back into objects."""

    task: DrawTask
    candidates: list[Candidate]
    excluded: list[Exclusion]
    rules: PanelRules
    method_name: str
    method_version: str
    distribution: Distribution | None


def read_committed(record: Mapping[str, Any]) -> CommittedDraw:
    """Read and check the whole committed part once; raise `RecordError` naming a bad field."""
    check_format(record)
    candidates = candidates_from_record(record)
    method_name, method_version = method_from_record(record)

    return CommittedDraw(
        task=task_from_record(record),
        candidates=candidates,
        excluded=_exclusions_from_part(committed_part(record)["excluded"], candidates),
        rules=rules_from_record(record),
        method_name=method_name,
        method_version=method_version,
        distribution=distribution_from_record(record),
    )


def _panel_from_part(part: object, field: str) -> tuple[tuple[str, ...], Fraction]:
    part = _check_keys(part, ("members", "probability"), field)
    members = tuple(_check_list(part["members"], f"{field}.members"))
    return members, parse_fraction(part["probability"], f"{field}.probability")


def _require_canonical(rebuilt: Any, stored: Any, field: str) -> None:
    # Plain equality suffices although Python has True == 1: every value the builders
    # check is type-checked there, and the rest (method details) is passed through.
    if rebuilt != stored:
        raise RecordError(
            f"{field} is not in canonical form (unsorted, duplicated or changed on re-encoding): "
            f"expected {_short_json(rebuilt)}, found {_short_json(stored)}"
        )


def _short_json(value: Any) -> str:
    text = canonical_json(value).decode("utf-8")
    return text if len(text) <= 160 else text[:157] + "..."


# ---------------------------------------------------------------------------
# Reveal and result


def reveal_part(nonce: bytes, supervisor_entropy: str | Sequence[str], public_value: str | None) -> dict[str, Any]:
    """Build the reveal part of a record: the nonce, the entropy and the seed they give."""
    entropy = check_supervisor_entropy(supervisor_entropy)
    return {
        "nonce": check_nonce(nonce).hex(),
        "supervisor_entropy": entropy,
        "public_value": check_public_value(public_value),
        "seed": derive_seed(nonce, entropy, public_value).hex(),
    }


def result_part(selection: Selection) -> dict[str, Any]:
    """Build the result part of a record from the method's selection."""
    probabilities = None
    if selection.probabilities is not None:
        probabilities = {candidate_id: fraction_text(Fraction(value)) for candidate_id, value in selection.probabilities.items()}

    return {
        "panel": list(selection.panel),
        "alternates": list(selection.alternates),
        "leader": selection.leader,
        "probabilities": probabilities,
        "details": plain_details(selection.details, "result.details"),
    }


def reveal_draw(
    committed: Mapping[str, Any],
    nonce: bytes,
    supervisor_entropy: str | Sequence[str],
    public_value: str | None,
    *,
    method: SelectionMethod | None = None,
) -> dict[str, Any]:
    """Reveal the randomness of a committed draw, run the draw and return the full record.

    `committed` is what `commit_draw` returned, possibly after a round trip through
    storage. Raises `RecordError` when its commitment does not match its content, when
    the nonce does not match the nonce commitment, or when an entropy value is invalid.
    `method` defaults to the installed method named in the record, whose version must
    match the record's.
    """
    commitment = _check_commitment(committed)
    committed_body = committed_part(committed)
    if nonce_commitment(nonce) != committed_body["nonce_commitment"]:
        raise RecordError("the nonce does not match the committed nonce_commitment; use the nonce generated at commitment")

    reveal = reveal_part(nonce, supervisor_entropy, public_value)
    selection = run_draw(read_committed(committed), bytes.fromhex(reveal["seed"]), method=method)

    return {
        "committed": committed_body,
        "commitment": commitment,
        "reveal": reveal,
        "result": result_part(selection),
    }


def _check_commitment(record: Mapping[str, Any]) -> str:
    check_format(record)
    stored = _check_hex_digest(record.get("commitment"), "commitment")
    recomputed = commitment_of(committed_part(record))
    if stored != recomputed:
        raise RecordError(f"commitment mismatch: stored {stored}, computed from the committed part {recomputed}")
    return stored


def run_draw(committed: CommittedDraw, seed: bytes, *, method: SelectionMethod | None = None) -> Selection:
    """Run the committed method on the committed data with `seed` and check the panel.

    `method` defaults to the installed method of the committed name. Raises
    `RecordError` when the method or its version differs from the committed one, or
    when the method returns a panel that breaks the rules. The method's own errors
    propagate unchanged.
    """
    method = resolve_method(committed, method)
    selection = method.draw(committed.candidates, committed.rules, committed.distribution, seed)

    if (selection.method, selection.method_version) != (method.name, method.version):
        raise RecordError(
            f"the selection names method {selection.method} version {selection.method_version}, "
            f"expected {method.name} version {method.version}"
        )
    _check_selected_panel(committed.candidates, committed.rules, selection)
    return selection


def resolve_method(committed: CommittedDraw, method: SelectionMethod | None = None) -> SelectionMethod:
    """Return the method to run: `method`, or the installed one of the committed name.

    Raises `RecordError` when the name is unknown or the version differs.
    """
    name, version = committed.method_name, committed.method_version
    if method is None:
        try:
            method = get_method(name)
        except KeyError as error:
            raise RecordError(f"committed.method.name: {error.args[0]}") from None

    if (method.name, method.version) != (name, version):
        raise RecordError(
            f"the record was committed with method {name} version {version}, "
            f"but the method available is {method.name} version {method.version}"
        )
    return method


def _check_selected_panel(candidates: Sequence[Candidate], rules: PanelRules, selection: Selection) -> None:
    shortfalls = check_panel(candidates, rules, list(selection.panel))
    if shortfalls:
        raise RecordError(f"the drawn panel {list(selection.panel)} breaks the rules: {shortfalls}")
