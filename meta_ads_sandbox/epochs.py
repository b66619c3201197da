"""Changes made by `advance`: each epoch, in each account, one ad is deleted, one active campaign
is paused and one ad set is renamed. A change made in epoch e is stamped "today" 00:00 (account
time) + e minutes, so it is later than every generated time and every earlier change.

Which objects change is a hash of (seed, account, epoch, attempt), checked against the objects'
generated statuses and earlier epochs' picks, so epoch N is the same whether reached by N calls to
advance on a server or by `truth --advance N`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from meta_ads_sandbox.config import DatasetConfig
from meta_ads_sandbox.rng import h64

ATTEMPTS = 64
Key = tuple[int, ...]  # (c,) campaign, (c, s) ad set, (c, s, d) ad


@dataclass(frozen=True)
class Change:
    """The latest state an epoch change left an object in."""

    ts: int
    status: str | None = None
    name: str | None = None


def renamed(name: str, epoch: int) -> str:
    """The new name an ad set gets in epoch `epoch`."""
    return f"{name} (rev {epoch})"


def plan(
    config: DatasetConfig,
    account: int,
    epoch: int,
    today: int,
    campaign_status: Callable[[int], str],
    ad_blocked: Callable[[int, int, int], bool],
    adset_name: Callable[[int, int], str],
) -> dict[Key, Change]:
    """Every object of `account` changed by epochs 1..epoch, with its final changed state.

    `campaign_status(c)` is a campaign's generated status; `ad_blocked(c, s, d)` tells whether an
    ad is already DELETED or ARCHIVED (itself or through a parent) as generated.
    """
    changes: dict[Key, Change] = {}
    n_c, n_s, n_d = config.campaigns, config.adsets, config.ads
    deleted: set[Key] = set()
    paused: set[int] = set()
    seed = config.seed
    for e in range(1, epoch + 1):
        ts = today + 60 * e
        for k in range(ATTEMPTS):
            pos = h64(seed, "advance-ad", account, e, k) % (n_c * n_s * n_d)
            c, rest = divmod(pos, n_s * n_d)
            s, d = divmod(rest, n_d)
            if (c, s, d) not in deleted and not ad_blocked(c, s, d):
                deleted.add((c, s, d))
                changes[(c, s, d)] = Change(ts, status="DELETED")
                break
        for k in range(ATTEMPTS):
            c = h64(seed, "advance-campaign", account, e, k) % n_c
            if c not in paused and campaign_status(c) == "ACTIVE":
                paused.add(c)
                changes[(c,)] = Change(ts, status="PAUSED")
                break
        for k in range(ATTEMPTS):
            pos = h64(seed, "advance-adset", account, e, k) % (n_c * n_s)
            c, s = divmod(pos, n_s)
            if campaign_status(c) not in ("DELETED", "ARCHIVED"):
                earlier = changes.get((c, s))
                base = adset_name(c, s)
                changes[(c, s)] = Change(
                    ts,
                    status=earlier.status if earlier else None,
                    name=renamed(base, e),
                )
                break
    return changes
