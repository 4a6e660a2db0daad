"""Tests for draw records: canonical JSON, hashes, the commitment and input checks."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import random
from datetime import date, datetime, timedelta, timezone
from fractions import Fraction

import pytest

from solvers import get_method
from solvers.model import AttributeRule, Candidate, Distribution, PanelRules
from solvers.record import (
    NONCE_TAG,
    SEED_TAG,
    DrawTask,
    Exclusion,
    RecordError,
    candidates_from_record,
    canonical_json,
    commit_draw,
    commitment_of,
    derive_seed,
    distribution_from_record,
    distribution_hash,
    distribution_problems,
    exclusions_from_record,
    fraction_text,
    nonce_commitment,
    parse_fraction,
    plain_details,
    read_committed,
    reveal_draw,
    rules_from_record,
    task_from_record,
)

NONCE = bytes(range(32))
COMMITTED_AT = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)


def expert(number: int, group: str, employer: int | None, title_level: str = "full_senior") -> Candidate:
    return Candidate(
        id=f"E-{number:012x}",
        group=group,
        employer=None if employer is None else f"O-{employer:08x}",
        attributes={"title_level": title_level, "employer_type": "university"},
    )


def small_pool() -> list[Candidate]:
    return [
        expert(1, "法医临床", 1),
        expert(2, "法医临床", 2, "associate_senior"),
        expert(3, "法医临床", 3),
        expert(4, "法医临床", 1, "associate_senior"),
        expert(5, "法医病理", 4),
        expert(6, "法医病理", 5, "associate_senior"),
        expert(7, "法医病理", None),
    ]


def small_rules() -> PanelRules:
    return PanelRules(
        group_counts={"法医临床": 2, "法医病理": 1},
        attribute_rules=(AttributeRule("title_level", "full_senior", minimum=1),),
        conflicts=(("E-000000000003", "E-000000000001"),),
        one_per_employer=True,
        require_leader=True,
        alternates=1,
    )


def small_task() -> DrawTask:
    return DrawTask(
        task_type="admission_review",
        start_date=date(2026, 3, 9),
        end_date=date(2026, 3, 10),
        institution="北京示例司法鉴定所",
        task_id="T-2026-0042",
    )


def commit(**changes):
    arguments = {
        "task": small_task(),
        "candidates": small_pool(),
        "excluded": [Exclusion("E-0000000000ff", "recusal"), Exclusion("E-0000000000fe", "unavailable")],
        "rules": small_rules(),
        "method": get_method("first_feasible"),
        "distribution": None,
        "nonce": NONCE,
        "committed_at": COMMITTED_AT,
    }
    arguments.update(changes)
    return commit_draw(**arguments)


# ---------------------------------------------------------------------------
# Canonical JSON


def test_canonical_json_sorts_keys_without_whitespace():
    assert canonical_json({"b": 1, "a": [1, 2], "c": {"y": None, "x": True}}) == (
        b'{"a":[1,2],"b":1,"c":{"x":true,"y":null}}'
    )


def test_canonical_json_sorts_keys_by_code_point():
    encoded = canonical_json({"é": 1, "z": 2, "A": 3, "法": 4, "a": 5})

    assert encoded == '{"A":3,"a":5,"z":2,"é":1,"法":4}'.encode("utf-8")


def test_canonical_json_writes_utf8_unescaped():
    encoded = canonical_json({"group": "法医病理"})

    assert encoded == '{"group":"法医病理"}'.encode("utf-8")
    assert b"\\u" not in encoded


def test_canonical_json_escapes_control_characters():
    assert canonical_json('a"b\\c\n\t\x01\x7f') == b'"a\\"b\\\\c\\n\\t\\u0001\x7f"'


def test_canonical_json_writes_fractions_as_p_over_q():
    assert canonical_json([Fraction(1, 3), Fraction(2), Fraction(0), Fraction(-1, 2)]) == b'["1/3","2/1","0/1","-1/2"]'


def test_canonical_json_keeps_large_integers_exact():
    assert canonical_json(2**70) == b"1180591620717411303424"


def test_canonical_json_writes_tuples_as_arrays():
    assert canonical_json(("a", ("b",))) == b'["a",["b"]]'


@pytest.mark.parametrize("value", [0.5, float("nan"), {"a": [1, 2.0]}, {1: "x"}, {"a": {1, 2}}, b"bytes"])
def test_canonical_json_rejects_values_without_one_encoding(value):
    with pytest.raises(RecordError):
        canonical_json(value)


def test_canonical_json_error_names_path():
    with pytest.raises(RecordError, match=r"\$\.outer\.inner\[1\]"):
        canonical_json({"outer": {"inner": [1, 0.5]}})


def test_canonical_json_rejects_lone_surrogate():
    with pytest.raises(RecordError, match="surrogate"):
        canonical_json("\ud800")


def test_plain_details_converts_floats_and_fractions():
    details = plain_details({"objective": 0.1, "exact": Fraction(1, 10), "steps": (1, 2), "nested": {"gap": 1e-9}})

    assert details == {"objective": "0.1", "exact": "1/10", "steps": [1, 2], "nested": {"gap": "1e-09"}}


def test_plain_details_rejects_sets():
    with pytest.raises(RecordError, match="details.ids"):
        plain_details({"ids": {"E-000000000001"}})


def test_fraction_text_round_trip():
    for value in (Fraction(0), Fraction(1), Fraction(3, 7), Fraction(-5, 2), Fraction(10**30, 10**30 + 1)):
        assert parse_fraction(fraction_text(value), "test") == value


@pytest.mark.parametrize("text", ["1", "2/4", "1/0", "01/3", "1/03", "+1/3", " 1/3", "1/3 ", "1.5/3", "１/３", 1, None])
def test_parse_fraction_rejects_other_spellings(text):
    with pytest.raises(RecordError):
        parse_fraction(text, "field")


# ---------------------------------------------------------------------------
# Hashes


def test_seed_known_answer():
    seed = derive_seed(NONCE, ["20260302", "7"], "drand quicknet round 1234: 8f3a")

    assert seed.hex() == "5673fbdc2556e768b02b141c6dc83c0569bfaa005e1792477f441fd7906ec281"


def test_seed_known_answer_without_public_value():
    seed = derive_seed(NONCE, ["314159"], None)

    assert seed.hex() == "425a5af8ef9bf19552d23841fc49bb4bb1c831656aa7ef5db4337355d656add2"


def test_seed_matches_documented_byte_layout():
    entropy = ["20260302", "7"]
    public_value = "drand quicknet round 1234: 8f3a"
    layout = (
        b"panel-service/draw-seed/v1"
        + (32).to_bytes(4, "big")
        + NONCE
        + (2).to_bytes(4, "big")
        + (8).to_bytes(4, "big")
        + b"20260302"
        + (1).to_bytes(4, "big")
        + b"7"
        + b"\x01"
        + len(public_value).to_bytes(4, "big")
        + public_value.encode("utf-8")
    )

    assert SEED_TAG == b"panel-service/draw-seed/v1"
    assert derive_seed(NONCE, entropy, public_value) == hashlib.sha256(layout).digest()


def test_seed_without_public_value_ends_with_zero_byte():
    layout = SEED_TAG + (32).to_bytes(4, "big") + NONCE + (1).to_bytes(4, "big") + (1).to_bytes(4, "big") + b"5" + b"\x00"

    assert derive_seed(NONCE, ["5"], None) == hashlib.sha256(layout).digest()


def test_seed_length_prefix_separates_entries():
    assert derive_seed(NONCE, ["12", "3"], None) != derive_seed(NONCE, ["1", "23"], None)
    assert derive_seed(NONCE, ["123"], None) != derive_seed(NONCE, ["12", "3"], None)


def test_seed_depends_on_supervisor_order():
    assert derive_seed(NONCE, ["1", "2"], None) != derive_seed(NONCE, ["2", "1"], None)


def test_seed_accepts_one_supervisor_as_string():
    assert derive_seed(NONCE, "42", None) == derive_seed(NONCE, ["42"], None)


def test_seed_distinguishes_missing_public_value():
    assert derive_seed(NONCE, ["1"], None) != derive_seed(NONCE, ["1"], "0")


def test_seed_changes_with_nonce():
    assert derive_seed(NONCE, ["1"], None) != derive_seed(bytes(32), ["1"], None)


def test_nonce_commitment_known_answer():
    expected = hashlib.sha256(b"panel-service/nonce-commitment/v1" + NONCE).hexdigest()

    assert NONCE_TAG == b"panel-service/nonce-commitment/v1"
    assert nonce_commitment(NONCE) == expected
    assert nonce_commitment(NONCE) == "878cbf536e253ca5a2a128700b2e26cb9d68f10049330183d991df94236e673b"


def test_commitment_is_sha256_of_canonical_json():
    committed = commit()

    assert committed["commitment"] == hashlib.sha256(canonical_json(committed["committed"])).hexdigest()


def test_distribution_hash_ignores_details():
    panel = ("E-000000000001",)
    first = Distribution(panels=((panel, Fraction(1)),), marginals={"E-000000000001": Fraction(1)}, details={"seconds": 0.5})
    second = dataclasses.replace(first, details={"seconds": 0.7})

    assert distribution_hash(first) == distribution_hash(second)


def test_distribution_hash_depends_on_probabilities():
    first = Distribution(
        panels=((("E-000000000001",), Fraction(1, 2)), (("E-000000000002",), Fraction(1, 2))),
        marginals={"E-000000000001": Fraction(1, 2), "E-000000000002": Fraction(1, 2)},
    )
    second = Distribution(
        panels=((("E-000000000001",), Fraction(1, 3)), (("E-000000000002",), Fraction(2, 3))),
        marginals={"E-000000000001": Fraction(1, 3), "E-000000000002": Fraction(2, 3)},
    )

    assert distribution_hash(first) != distribution_hash(second)


# ---------------------------------------------------------------------------
# The commitment binds every committed field


def changed_inputs():
    """Yield (label, commit_draw arguments) pairs that each change one committed fact."""
    task = small_task()
    yield "task type", {"task": dataclasses.replace(task, task_type="spot_check")}
    yield "start date", {"task": dataclasses.replace(task, start_date=date(2026, 3, 8))}
    yield "end date", {"task": dataclasses.replace(task, end_date=date(2026, 3, 11))}
    yield "no end date", {"task": dataclasses.replace(task, end_date=None)}
    yield "institution", {"task": dataclasses.replace(task, institution="北京另一司法鉴定所")}
    yield "task id", {"task": dataclasses.replace(task, task_id="T-2026-0043")}

    pool = small_pool()
    yield "candidate removed", {"candidates": pool[:-1]}
    yield "candidate id", {"candidates": pool[:-1] + [dataclasses.replace(pool[-1], id="E-0000000000aa")]}
    yield "candidate group", {"candidates": pool[:-1] + [dataclasses.replace(pool[-1], group="法医临床")]}
    yield "candidate employer", {"candidates": pool[:-1] + [dataclasses.replace(pool[-1], employer="O-000000000009")]}
    yield "candidate attribute", {
        "candidates": pool[:-1] + [dataclasses.replace(pool[-1], attributes={"title_level": "other", "employer_type": "university"})]
    }

    yield "exclusion reason", {"excluded": [Exclusion("E-0000000000ff", "conflict"), Exclusion("E-0000000000fe", "unavailable")]}
    yield "exclusion removed", {"excluded": [Exclusion("E-0000000000ff", "recusal")]}

    rules = small_rules()
    yield "group count", {"rules": dataclasses.replace(rules, group_counts={"法医临床": 1, "法医病理": 1})}
    yield "attribute minimum", {"rules": dataclasses.replace(rules, attribute_rules=(AttributeRule("title_level", "full_senior", 2),))}
    yield "attribute maximum", {"rules": dataclasses.replace(rules, attribute_rules=(AttributeRule("title_level", "full_senior", 1, 2),))}
    yield "conflict", {"rules": dataclasses.replace(rules, conflicts=(("E-000000000002", "E-000000000001"),))}
    yield "one per employer", {"rules": dataclasses.replace(rules, one_per_employer=False)}
    yield "require leader", {"rules": dataclasses.replace(rules, require_leader=False)}
    yield "alternates", {"rules": dataclasses.replace(rules, alternates=2)}

    class OtherVersion:
        name = "first_feasible"
        version = "2"

    yield "method version", {"method": OtherVersion()}
    yield "nonce", {"nonce": bytes(32)}
    yield "commit time", {"committed_at": COMMITTED_AT + timedelta(seconds=1)}


def test_commitment_changes_with_each_committed_input():
    base = commit()["commitment"]
    seen = {base: "base"}

    for label, changes in changed_inputs():
        commitment = commit(**changes)["commitment"]
        assert commitment != base, label
        assert commitment not in seen, f"{label} gives the same commitment as {seen.get(commitment)}"
        seen[commitment] = label


def type_marginals(panels, types):
    """Spread each panel's probability evenly over the types its representatives stand for."""
    marginals = {}
    for members in types:
        for member in members:
            share = sum(probability * len(set(panel) & set(members)) for panel, probability in panels)
            marginals[member] = Fraction(share) / len(members)
    return marginals


def test_commitment_changes_with_distribution():
    method = get_method("maximin")
    distribution = method.prepare(small_pool(), small_rules())
    with_distribution = commit(method=method, distribution=distribution)

    skewed_panels = list(distribution.panels)
    assert len(skewed_panels) >= 2
    first_panel, first_probability = skewed_panels[0]
    second_panel, second_probability = skewed_panels[1]
    shift = min(first_probability, second_probability) / 2
    skewed_panels[0] = (first_panel, first_probability - shift)
    skewed_panels[1] = (second_panel, second_probability + shift)
    marginals = type_marginals(skewed_panels, distribution.details["types"])
    skewed = Distribution(panels=tuple(skewed_panels), marginals=marginals, details=distribution.details)

    assert with_distribution["commitment"] != commit(method=method, distribution=skewed)["commitment"]
    assert with_distribution["committed"]["distribution_hash"] == distribution_hash(distribution)


def walk_leaves(value, path=()):
    if isinstance(value, dict):
        for key, item in value.items():
            yield from walk_leaves(item, path + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from walk_leaves(item, path + (index,))
    else:
        yield path, value


def test_commitment_changes_with_each_committed_leaf():
    committed = json.loads(canonical_json(commit()["committed"]))
    base = commitment_of(committed)
    leaves = list(walk_leaves(committed))
    assert len(leaves) > 40

    for path, value in leaves:
        changed = json.loads(json.dumps(committed))
        target = changed
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = "changed" if value != "changed" else "changed again"

        assert commitment_of(changed) != base, path


def test_commitment_ignores_input_order():
    rules = small_rules()
    reordered_rules = dataclasses.replace(rules, conflicts=(("E-000000000001", "E-000000000003"),))
    shuffled = small_pool()
    random.Random(7).shuffle(shuffled)
    excluded = [Exclusion("E-0000000000fe", "unavailable"), Exclusion("E-0000000000ff", "recusal")]

    assert commit(candidates=shuffled, rules=reordered_rules, excluded=excluded) == commit()


def test_commit_time_is_stored_in_utc():
    beijing = timezone(timedelta(hours=8))
    committed = commit(committed_at=datetime(2026, 3, 2, 17, 30, 59, 999999, tzinfo=beijing))

    assert committed["committed"]["committed_at"] == "2026-03-02T09:30:59Z"


# ---------------------------------------------------------------------------
# Reading records back


def test_record_readers_rebuild_inputs():
    committed = json.loads(canonical_json(commit()))

    assert task_from_record(committed) == small_task()
    assert candidates_from_record(committed) == sorted(small_pool(), key=lambda candidate: candidate.id)
    assert [item.id for item in exclusions_from_record(committed)] == ["E-0000000000fe", "E-0000000000ff"]
    assert rules_from_record(committed) == dataclasses.replace(
        small_rules(), conflicts=(("E-000000000001", "E-000000000003"),)
    )
    assert distribution_from_record(committed) is None


def test_distribution_reader_rebuilds_lottery():
    method = get_method("maximin")
    distribution = method.prepare(small_pool(), small_rules())
    committed = json.loads(canonical_json(commit(method=method, distribution=distribution)))

    rebuilt = distribution_from_record(committed)

    assert sorted(rebuilt.panels) == sorted(distribution.panels)
    assert list(rebuilt.panels) == sorted(rebuilt.panels)
    assert {key: value for key, value in rebuilt.marginals.items()} == dict(distribution.marginals)
    assert distribution_hash(rebuilt) == distribution_hash(distribution)


def test_reader_rejects_unsorted_candidates():
    committed = json.loads(canonical_json(commit()))
    committed["committed"]["candidates"].reverse()

    with pytest.raises(RecordError, match="canonical form"):
        candidates_from_record(committed)


def test_reader_rejects_unknown_key():
    committed = json.loads(canonical_json(commit()))
    committed["committed"]["candidates"][0]["name"] = "张三"

    with pytest.raises(RecordError, match="unknown keys \\['name'\\]"):
        candidates_from_record(committed)


def test_reader_rejects_non_reduced_probability():
    method = get_method("maximin")
    committed = json.loads(canonical_json(commit(method=method, distribution=method.prepare(small_pool(), small_rules()))))
    probability = parse_fraction(committed["committed"]["distribution"]["panels"][0]["probability"], "test")
    committed["committed"]["distribution"]["panels"][0]["probability"] = (
        f"{probability.numerator * 2}/{probability.denominator * 2}"
    )

    with pytest.raises(RecordError, match="lowest terms"):
        distribution_from_record(committed)


# ---------------------------------------------------------------------------
# Input checks


@pytest.mark.parametrize("nonce", [bytes(31), bytes(33), b"", "00" * 32, None])
def test_commit_rejects_bad_nonce(nonce):
    with pytest.raises(RecordError, match="nonce must be 32 bytes"):
        commit(nonce=nonce)


@pytest.mark.parametrize(
    "entropy",
    [[], "", [""], ["12a"], ["１２３"], ["12 3"], ["-1"], [12], ["1"] * 21, ["1" * 101]],
)
def test_reveal_rejects_bad_supervisor_entropy(entropy):
    committed = commit()

    with pytest.raises(RecordError, match="supervisor entropy"):
        reveal_draw(committed, NONCE, entropy, None)


@pytest.mark.parametrize("public_value", ["", 42, b"round 1", "x" * 1025])
def test_reveal_rejects_bad_public_value(public_value):
    with pytest.raises(RecordError, match="public value"):
        reveal_draw(commit(), NONCE, ["1"], public_value)


def test_reveal_rejects_wrong_nonce():
    with pytest.raises(RecordError, match="nonce does not match"):
        reveal_draw(commit(), bytes(32), ["1"], None)


def test_reveal_rejects_mismatched_commitment():
    committed = commit()
    committed["committed"]["rules"]["alternates"] = 3

    with pytest.raises(RecordError, match="commitment mismatch"):
        reveal_draw(committed, NONCE, ["1"], None)


def test_reveal_rejects_other_method_version():
    class OtherVersion:
        name = "first_feasible"
        version = "0"

        def draw(self, *arguments):
            raise AssertionError("the draw must not run")

    with pytest.raises(RecordError, match="version"):
        reveal_draw(commit(), NONCE, ["1"], None, method=OtherVersion())


def test_reveal_returns_full_record():
    committed = commit()

    record = reveal_draw(committed, NONCE, ["20260302", "7"], "round 1234")

    assert set(record) == {"committed", "commitment", "reveal", "result"}
    assert record["commitment"] == committed["commitment"]
    assert record["reveal"]["nonce"] == NONCE.hex()
    assert record["reveal"]["supervisor_entropy"] == ["20260302", "7"]
    assert record["reveal"]["seed"] == derive_seed(NONCE, ["20260302", "7"], "round 1234").hex()
    assert len(record["result"]["panel"]) == 3
    assert record["result"]["leader"] in record["result"]["panel"]
    assert canonical_json(record)


def test_reveal_is_reproducible():
    first = reveal_draw(commit(), NONCE, ["5"], None)
    second = reveal_draw(json.loads(canonical_json(commit())), NONCE, ["5"], None)

    assert canonical_json(first) == canonical_json(second)


@pytest.mark.parametrize(
    ("candidate", "message"),
    [
        (Candidate("张三", "法医临床"), "pseudonymous id"),
        (Candidate("13812345678", "法医临床"), "pseudonymous id"),
        (Candidate("E-3F9A1C2B7D40", "法医临床"), "pseudonymous id"),
        (Candidate("E-3f9a1c2b7d40", "法医临床", employer="北京大学"), "pseudonymous id"),
        (Candidate("E-3f9a1c2b7d40", "法医临床", attributes={"phone": "x"}), "personal data"),
        (Candidate("E-3f9a1c2b7d40", "法医临床", attributes={"name": "张三"}), "personal data"),
        (Candidate("E-3f9a1c2b7d40", "法医临床", attributes={"note": "110101199003071234"}), "personal data"),
        (Candidate("E-3f9a1c2b7d40", "法医临床", attributes={"contact": "a@example.org"}), "personal data"),
        (Candidate("E-3f9a1c2b7d40", "法医临床", attributes={"Title": "x"}), "not a code"),
        (Candidate("E-3f9a1c2b7d40", "", attributes={}), "1 to 200 characters"),
    ],
)
def test_commit_rejects_personal_or_invalid_candidate(candidate, message):
    with pytest.raises(RecordError, match=message):
        commit(candidates=small_pool() + [candidate])


def test_commit_rejects_duplicate_candidate():
    with pytest.raises(RecordError, match="more than once"):
        commit(candidates=small_pool() + [small_pool()[0]])


def test_commit_rejects_candidate_also_excluded():
    with pytest.raises(RecordError, match="both candidates and excluded"):
        commit(excluded=[Exclusion("E-000000000001", "recusal")])


def test_commit_rejects_bad_exclusion_reason():
    with pytest.raises(RecordError, match="not a code"):
        commit(excluded=[Exclusion("E-0000000000ff", "回避")])


def test_commit_rejects_naive_time():
    with pytest.raises(RecordError, match="timezone-aware"):
        commit(committed_at=datetime(2026, 3, 2, 9, 30))


def test_commit_rejects_end_before_start():
    with pytest.raises(RecordError, match="before start_date"):
        commit(task=dataclasses.replace(small_task(), end_date=date(2026, 3, 1)))


def test_commit_rejects_institution_with_phone_number():
    with pytest.raises(RecordError, match="personal data"):
        commit(task=dataclasses.replace(small_task(), institution="联系人 13812345678"))


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        (PanelRules(group_counts={"法医临床": 0}), "empty panel"),
        (PanelRules(group_counts={"法医临床": -1}), "integer >= 0"),
        (PanelRules(group_counts={"法医临床": 2}, alternates=-1), "alternates"),
        (PanelRules(group_counts={"法医临床": 2}, attribute_rules=(AttributeRule("title_level", "x", 2, 1),)), "maximum"),
        (PanelRules(group_counts={"法医临床": 2}, conflicts=(("E-000000000001", "E-000000000001"),)), "two different ids"),
        (PanelRules(group_counts={"法医临床": 2}, one_per_employer=1), "true or false"),
    ],
)
def test_commit_rejects_invalid_rules(rules, message):
    with pytest.raises(RecordError, match=message):
        commit(rules=rules)


def test_commit_rejects_unsound_distribution():
    method = get_method("maximin")
    distribution = method.prepare(small_pool(), small_rules())
    panel, probability = distribution.panels[0]
    broken = dataclasses.replace(distribution, panels=((panel, probability / 2),) + tuple(distribution.panels[1:]))

    with pytest.raises(RecordError, match="sum to"):
        commit(method=method, distribution=broken)


def test_record_covers_every_model_field():
    committed = commit()["committed"]

    assert set(committed["rules"]) == {field.name for field in dataclasses.fields(PanelRules)}
    assert set(committed["rules"]["attribute_rules"][0]) == {field.name for field in dataclasses.fields(AttributeRule)}
    assert set(committed["candidates"][0]) == {field.name for field in dataclasses.fields(Candidate)}
    assert set(committed["task"]) == {field.name for field in dataclasses.fields(DrawTask)}
    assert set(committed["excluded"][0]) == {field.name for field in dataclasses.fields(Exclusion)}


def test_employer_limits_round_trip():
    rules = dataclasses.replace(small_rules(), employer_limits={"O-00000001": 2})
    committed = json.loads(canonical_json(commit(rules=rules)))

    assert committed["committed"]["rules"]["employer_limits"] == {"O-00000001": 2}
    assert rules_from_record(committed).employer_limits == {"O-00000001": 2}


@pytest.mark.parametrize("limit", [0, -1, True, "2"])
def test_commit_rejects_bad_employer_limit(limit):
    with pytest.raises(RecordError, match="employer_limits"):
        commit(rules=dataclasses.replace(small_rules(), employer_limits={"O-00000001": limit}))


def test_read_committed_returns_every_part():
    committed = read_committed(json.loads(canonical_json(commit())))

    assert committed.task == small_task()
    assert [candidate.id for candidate in committed.candidates] == sorted(candidate.id for candidate in small_pool())
    assert [item.reason for item in committed.excluded] == ["unavailable", "recusal"]
    assert committed.rules.group_counts == small_rules().group_counts
    assert (committed.method_name, committed.method_version) == ("first_feasible", "1")
    assert committed.distribution is None


def lottery_with_types(types):
    panel = ("E-000000000001", "E-000000000005")
    return Distribution(
        panels=((panel, Fraction(1)),),
        marginals={"E-000000000001": Fraction(1), "E-000000000005": Fraction(1)},
        details={"types": types},
    )


@pytest.mark.parametrize(
    ("types", "message"),
    [
        ([["E-000000000005", "E-000000000001"]], "ascending order"),
        ([[]], "ascending order"),
        ([["E-000000000005"], ["E-000000000001"]], "ordered by their first id"),
        ([["E-000000000001"], ["張"]], "pseudonymous id"),
        ("E-000000000001", "expected an array"),
    ],
)
def test_distribution_rejects_malformed_types(types, message):
    with pytest.raises(RecordError, match=message):
        distribution_hash(lottery_with_types(types))


def test_distribution_problems_spread_probability_over_types():
    rules = PanelRules(group_counts={"法医临床": 1, "法医病理": 1}, one_per_employer=False)
    candidates = small_pool()
    types = [["E-000000000001", "E-000000000003"], ["E-000000000005", "E-000000000006", "E-000000000007"]]
    panel = ("E-000000000001", "E-000000000005")
    spread = {"E-000000000001": Fraction(1, 2), "E-000000000003": Fraction(1, 2)}
    spread.update({member: Fraction(1, 3) for member in types[1]})

    sound = Distribution(panels=((panel, Fraction(1)),), marginals=spread, details={"types": types})
    naive = dataclasses.replace(sound, marginals={"E-000000000001": Fraction(1), "E-000000000005": Fraction(1)})

    assert distribution_problems(candidates, rules, sound) == []
    assert any("marginal of E-000000000003 is 0/1" in problem for problem in distribution_problems(candidates, rules, naive))


def test_distribution_problems_reject_overlapping_types():
    rules = PanelRules(group_counts={"法医临床": 1, "法医病理": 1}, one_per_employer=False)
    types = [["E-000000000001", "E-000000000005"], ["E-000000000005"]]
    lottery = dataclasses.replace(lottery_with_types(types), marginals={})

    problems = distribution_problems(small_pool(), rules, lottery)

    assert any("repeats ['E-000000000005']" in problem for problem in problems)


def test_distribution_problems_name_invalid_panel():
    panel = ("E-000000000001", "E-000000000004")
    lottery = Distribution(panels=((panel, Fraction(1)),), marginals={member: Fraction(1) for member in panel})

    problems = distribution_problems(small_pool(), small_rules(), lottery)

    assert any("breaks the rules" in problem for problem in problems)


def test_reveal_rejects_unknown_method():
    class Unknown:
        name = "unknown_method"
        version = "1"

    with pytest.raises(RecordError, match="unknown selection method 'unknown_method'"):
        reveal_draw(commit(method=Unknown()), NONCE, ["1"], None)
