"""Reach deduplicated per level: people reached by several ads (or on several days) count once.

An ad's reach over several days, an ad set's over its ads, a campaign's over its ad sets and an
account's over its campaigns are each

    largest part + (sum of the parts - largest part) * (1 - overlap)

with `overlap` the dataset's `reach_overlap`, in integer arithmetic. So a level's reach is never
more than the sum of its children's, never less than its largest child's, and is the same
whichever query asks for it; with overlap 0 it is the plain sum.
"""

from __future__ import annotations

SCALE = 10_000


def keep_factor(overlap: float) -> int:
    """The share of the smaller parts that is not overlapping, in SCALE units."""
    return SCALE - round(overlap * SCALE)


def combine(total: int, largest: int, keep: int) -> int:
    """The deduplicated reach of parts summing to `total` whose largest is `largest`."""
    return largest + (total - largest) * keep // SCALE


class ReachTree:
    """The reach parts of one group of ad-days, by ad (key: account, campaign, ad set, ad)."""

    __slots__ = ("ads",)

    def __init__(self) -> None:
        self.ads: dict[tuple[int, ...], list[int]] = {}  # ad -> [sum, max] over its days

    def add(self, ad: tuple[int, ...], reach: int) -> None:
        """One ad-day's (or breakdown part's) reach."""
        have = self.ads.get(ad)
        if have is None:
            self.ads[ad] = [reach, reach]
        else:
            have[0] += reach
            have[1] = max(have[1], reach)

    def levels(self, keep: int, depth: int = 1) -> dict[tuple[int, ...], int]:
        """Deduplicated reach of every ad and of every ad set, campaign and account above them
        (down to key length `depth`)."""
        current = {ad: combine(s, m, keep) for ad, (s, m) in self.ads.items()}
        out = dict(current)
        for length in range(3, depth - 1, -1):
            parents: dict[tuple[int, ...], list[int]] = {}
            for key, value in current.items():
                agg = parents.setdefault(key[:length], [0, 0])
                agg[0] += value
                agg[1] = max(agg[1], value)
            current = {k: combine(s, m, keep) for k, (s, m) in parents.items()}
            out.update(current)
        return out

    def total(self, prefix: tuple[int, ...], keep: int) -> int:
        """The deduplicated reach of the object with key `prefix` (all ads share it)."""
        return self.levels(keep, len(prefix)).get(prefix, 0)
