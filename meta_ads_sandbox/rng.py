"""Deterministic randomness: every generated value is a hash of (seed, kind, indexes)."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")


def h64(*parts: object) -> int:
    """A 64-bit integer fixed by `parts` (stable across runs and Python versions)."""
    material = "\x1f".join(str(p) for p in parts).encode()
    return int.from_bytes(hashlib.blake2b(material, digest_size=8).digest(), "big")


def hex_digest(*parts: object, length: int = 32) -> str:
    """A lowercase hex string fixed by `parts`."""
    material = "\x1f".join(str(p) for p in parts).encode()
    return hashlib.blake2b(material, digest_size=max(1, (length + 1) // 2)).hexdigest()[:length]


def digits(*parts: object, length: int) -> str:
    """A string of `length` decimal digits fixed by `parts`."""
    out = ""
    salt = 0
    while len(out) < length:
        out += f"{h64(*parts, salt):020d}"[1:]
        salt += 1
    return out[:length]


class Rng:
    """A small random stream seeded from `parts`; only `random()` is used, so it is stable."""

    __slots__ = ("_r",)

    def __init__(self, *parts: object) -> None:
        self._r = random.Random(h64(*parts))

    def unit(self) -> float:
        """Uniform in [0, 1)."""
        return self._r.random()

    def between(self, low: float, high: float) -> float:
        """Uniform in [low, high)."""
        return low + (high - low) * self._r.random()

    def integer(self, low: int, high: int) -> int:
        """Uniform integer in [low, high] (inclusive)."""
        return low + int(self._r.random() * (high - low + 1))

    def chance(self, probability: float) -> bool:
        """True with the given probability."""
        return self._r.random() < probability

    def choice(self, items: Sequence[T]) -> T:
        """One item, uniformly."""
        return items[int(self._r.random() * len(items))]

    def weighted(self, items: Sequence[tuple[T, float]]) -> T:
        """One item by weight."""
        total = sum(w for _, w in items)
        x = self._r.random() * total
        for item, weight in items:
            x -= weight
            if x < 0:
                return item
        return items[-1][0]

    def sample(self, items: Sequence[T], count: int) -> list[T]:
        """`count` distinct items in their original order."""
        keyed = sorted(range(len(items)), key=lambda _: self._r.random())[:count]
        return [items[i] for i in sorted(keyed)]


def split_exact(total: int, weights: Sequence[int]) -> list[int]:
    """Split `total` into integer parts proportional to `weights` that sum exactly to `total`.

    Largest remainder, ties to the lower index. A zero weight always gets zero; all-zero weights
    put everything on the first part.
    """
    wsum = sum(weights)
    if wsum <= 0:
        return [total] + [0] * (len(weights) - 1) if weights else []
    parts = [total * w // wsum for w in weights]
    rest = total - sum(parts)
    if rest:
        order = sorted(
            (i for i, w in enumerate(weights) if w > 0),
            key=lambda i: (-(total * weights[i] % wsum), i),
        )
        for i in order[:rest]:
            parts[i] += 1
    return parts
