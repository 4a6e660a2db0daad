"""Platform-independent randomness derived from a draw's seed with SHA-256.

Every function here depends only on its arguments' bytes, so any language with SHA-256
and big integers reproduces the same results (the procedures are spelled out in
docs/draw-record.md).
"""

from __future__ import annotations

import hashlib
from typing import Iterable

SEED_BYTES = 32


def check_seed(seed: bytes) -> bytes:
    if not isinstance(seed, bytes) or len(seed) != SEED_BYTES:
        raise ValueError(f"seed must be {SEED_BYTES} bytes, got {seed!r:.80}")
    return seed


def sort_key(seed: bytes, candidate_id: str) -> bytes:
    """Return SHA-256(seed || 0x00 || UTF-8 id): the candidate's place in the random order."""
    return hashlib.sha256(check_seed(seed) + b"\x00" + candidate_id.encode("utf-8")).digest()


def random_order(seed: bytes, candidate_ids: Iterable[str]) -> list[str]:
    """Order candidate ids by their SHA-256 sort keys, ties broken by the id itself."""
    # Hashing the shared prefix once and copying the state per id gives the same keys as
    # `sort_key` at about half the cost, which matters for pools of 100,000 experts.
    prefix = hashlib.sha256(check_seed(seed) + b"\x00")

    def key(candidate_id: str) -> tuple[bytes, str]:
        state = prefix.copy()
        state.update(candidate_id.encode("utf-8"))
        return state.digest(), candidate_id

    return sorted(candidate_ids, key=key)


def random_below(seed: bytes, label: str, bound: int) -> int:
    """Return a uniform integer in [0, bound) drawn from the seed under `label`.

    Each attempt concatenates SHA-256(seed || 0x01 || UTF-8 label || counter as 8
    big-endian bytes || chunk as 4 big-endian bytes) for chunk = 0, 1, ... until there
    are w = ceil(bits(bound) / 8) + 8 bytes, and reads the first w as a big-endian
    integer. A value at or above the largest multiple of `bound` below 256^w is rejected
    and the counter moves on, so the result has no modulo bias.
    """
    if bound <= 0:
        raise ValueError(f"bound must be positive, got {bound}")
    width = max(1, (bound.bit_length() + 7) // 8 + 8)
    limit = (256 ** width // bound) * bound
    counter = 0
    while True:
        block = b""
        chunk = 0
        while len(block) < width:
            block += hashlib.sha256(
                check_seed(seed) + b"\x01" + label.encode("utf-8") + counter.to_bytes(8, "big") + chunk.to_bytes(4, "big")
            ).digest()
            chunk += 1
        value = int.from_bytes(block[:width], "big")
        if value < limit:
            return value % bound
        counter += 1
