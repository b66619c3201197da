"""The generated world: lazy, deterministic objects addressed by position, and epoch changes.

Nothing is materialised up front: an object is generated (and cached, bounded) when asked for,
from the seed and its indexes. `advance()` moves to the next epoch (see epochs.py).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date, timedelta
from functools import lru_cache

from meta_ads_sandbox import cores, ids
from meta_ads_sandbox.activities import account_activities
from meta_ads_sandbox.config import DatasetConfig, TokenSpec
from meta_ads_sandbox.epochs import Change, Key, plan
from meta_ads_sandbox.node import Node
from meta_ads_sandbox.objects_ads import ad_effective, ad_node, adset_node, campaign_node
from meta_ads_sandbox.objects_conversions import conversion_node, conversions_in
from meta_ads_sandbox.objects_other import (
    account_node,
    audience_node,
    business_node,
    creative_node,
    image_hash,
    image_node,
    user_node,
    video_node,
)

CORE_CACHE = 200_000
NODE_CACHE = 50_000


class Dataset:
    """Every object of the sandbox, generated on demand."""

    def __init__(self, config: DatasetConfig) -> None:
        self.config = config.resolved()
        self.seed = self.config.seed
        self._epoch = self.config.advance
        self._lock = threading.Lock()
        self.account_core = lru_cache(maxsize=CORE_CACHE)(self._make_account_core)
        self.campaign_core = lru_cache(maxsize=CORE_CACHE)(self._make_campaign_core)
        self.adset_core = lru_cache(maxsize=CORE_CACHE)(self._make_adset_core)
        self.ad_core = lru_cache(maxsize=CORE_CACHE)(self._make_ad_core)
        self._changes = lru_cache(maxsize=CORE_CACHE)(self._make_changes)
        self._campaign = lru_cache(maxsize=NODE_CACHE)(self._make_campaign)
        self._adset = lru_cache(maxsize=NODE_CACHE)(self._make_adset)
        self._ad = lru_cache(maxsize=NODE_CACHE)(self._make_ad)
        self._account = lru_cache(maxsize=NODE_CACHE)(self._make_account)
        self._creative = lru_cache(maxsize=NODE_CACHE)(self._make_creative)
        self._image = lru_cache(maxsize=NODE_CACHE)(self._make_image)
        self._activities = lru_cache(maxsize=256)(self._make_activities)
        self.tokens: dict[str, TokenSpec] = {t.name: t for t in self.config.tokens}

    # -- time -------------------------------------------------------------------------------
    @property
    def epoch(self) -> int:
        return self._epoch

    def advance(self) -> int:
        """Apply the next epoch of changes; returns the new epoch."""
        with self._lock:
            self._epoch += 1
            return self._epoch

    @property
    def last_day(self) -> date:
        """The last day with insights (end_date)."""
        return self.config.last_day

    @property
    def today(self) -> date:
        """The dataset's "today" (end_date + 1); date presets are judged from it."""
        return self.last_day + timedelta(days=1)

    @property
    def history_start(self) -> date:
        """The first day of insights history."""
        return self.last_day - timedelta(days=self.config.days - 1)

    # -- cores ------------------------------------------------------------------------------
    def _make_account_core(self, a: int) -> cores.AccountCore:
        return cores.make_account(self.config, a)

    def _make_campaign_core(self, a: int, c: int) -> cores.CampaignCore:
        return cores.make_campaign(self.config, self.account_core(a), c)

    def _make_adset_core(self, a: int, c: int, s: int) -> cores.AdSetCore:
        return cores.make_adset(self.config, self.account_core(a), self.campaign_core(a, c), s)

    def _make_ad_core(self, a: int, c: int, s: int, d: int) -> cores.AdCore:
        return cores.make_ad(
            self.config,
            self.account_core(a),
            self.campaign_core(a, c),
            self.adset_core(a, c, s),
            d,
        )

    def ad_window(self, a: int, c: int, s: int, d: int) -> tuple[int, int]:
        """[start, stop) of the ad's delivery, Unix seconds (fixed for all epochs)."""
        return cores.ad_window(
            self.account_core(a),
            self.campaign_core(a, c),
            self.adset_core(a, c, s),
            self.ad_core(a, c, s, d),
        )

    # -- epoch changes ----------------------------------------------------------------------
    def _make_changes(self, a: int, epoch: int) -> dict[Key, Change]:
        def ad_blocked(c: int, s: int, d: int) -> bool:
            status = ad_effective(
                self.ad_core(a, c, s, d).status,
                self.adset_core(a, c, s).status,
                self.campaign_core(a, c).status,
            )
            return status in ("DELETED", "ARCHIVED")

        return plan(
            self.config,
            a,
            epoch,
            self.account_core(a).today,
            lambda c: self.campaign_core(a, c).status,
            ad_blocked,
            lambda c, s: self.adset_core(a, c, s).name,
        )

    def change(self, key: tuple[int, ...], epoch: int | None = None) -> Change | None:
        """The epoch change applied to an object (key starts with the account), if any."""
        epoch = self._epoch if epoch is None else epoch
        if epoch == 0:
            return None
        return self._changes(key[0], epoch).get(key[1:])

    def changes_in(self, a: int, epoch: int) -> dict[Key, Change]:
        """Every object of account `a` changed by epochs 1..epoch, with its final state."""
        return self._changes(a, epoch) if epoch > 0 else {}

    def vanished_creatives(self, a: int) -> set[tuple[int, int, int]]:
        """(c, s, d) of the ads whose creative is no longer listed (``vanish_creatives``)."""
        if not self.config.vanish_creatives:
            return set()
        return {(k[0], k[1], k[2]) for k in self.changes_in(a, self._epoch) if len(k) == 3}

    def campaign_status(self, a: int, c: int, epoch: int) -> str:
        """A campaign's configured status in an epoch."""
        change = self.change((a, c), epoch)
        return (change.status if change else None) or self.campaign_core(a, c).status

    def adset_status(self, a: int, c: int, s: int, epoch: int) -> str:
        """An ad set's configured status in an epoch."""
        change = self.change((a, c, s), epoch)
        return (change.status if change else None) or self.adset_core(a, c, s).status

    # -- nodes ------------------------------------------------------------------------------
    def _make_account(self, a: int) -> Node:
        return account_node(self.seed, self.account_core(a))

    def _make_campaign(self, a: int, c: int, epoch: int) -> Node:
        return campaign_node(
            self.seed, self.account_core(a), self.campaign_core(a, c), self.change((a, c), epoch)
        )

    def _make_adset(self, a: int, c: int, s: int, epoch: int) -> Node:
        return adset_node(
            self.seed,
            self.account_core(a),
            self.campaign_core(a, c),
            self.adset_core(a, c, s),
            self.change((a, c, s), epoch),
            self.campaign_status(a, c, epoch),
        )

    def _make_ad(self, a: int, c: int, s: int, d: int, epoch: int) -> Node:
        return ad_node(
            self.seed,
            self.account_core(a),
            self.adset_core(a, c, s),
            self.ad_core(a, c, s, d),
            self.change((a, c, s, d), epoch),
            self.adset_status(a, c, s, epoch),
            self.campaign_status(a, c, epoch),
        )

    def _make_creative(self, a: int, c: int, s: int, d: int) -> Node:
        core = self.ad_core(a, c, s, d)
        picture = None
        if core.video is not None:
            picture = self.video(a, core.video).data["picture"]
        return creative_node(
            self.seed, self.account_core(a), self.adset_core(a, c, s), core, picture
        )

    def _make_image(self, a: int, i: int) -> Node:
        users = [
            ids.object_id(ids.CREATIVE, a, c, s, d)
            for c, s, d in self.ad_keys(a)
            if cores.image_of(self.config, a, c, s, d) == i
            and self.ad_core(a, c, s, d).video is None
        ]
        count = cores.images_in(self.config, a)
        return image_node(self.seed, self.account_core(a), i, count, users)

    def account(self, a: int) -> Node:
        """The AdAccount node."""
        return self._account(a)

    def campaign(self, a: int, c: int) -> Node:
        """The Campaign node (current epoch)."""
        return self._campaign(a, c, self._epoch)

    def adset(self, a: int, c: int, s: int) -> Node:
        """The AdSet node (current epoch)."""
        return self._adset(a, c, s, self._epoch)

    def ad(self, a: int, c: int, s: int, d: int) -> Node:
        """The Ad node (current epoch)."""
        return self._ad(a, c, s, d, self._epoch)

    def creative(self, a: int, c: int, s: int, d: int) -> Node:
        """The AdCreative node of an ad."""
        return self._creative(a, c, s, d)

    def image(self, a: int, i: int) -> Node:
        """The AdImage node `i` of an account."""
        return self._image(a, i)

    def video(self, a: int, v: int) -> Node:
        """The AdVideo node `v` of an account."""
        return video_node(self.seed, self.account_core(a), v)

    def audience(self, a: int, n: int) -> Node:
        """The CustomAudience node `n` of an account."""
        return audience_node(self.seed, self.account_core(a), n)

    def conversion(self, a: int, n: int) -> Node:
        """The CustomConversion node `n` of an account."""
        return conversion_node(self.seed, self.account_core(a), n)

    def conversions(self, a: int) -> list[Node]:
        """Every CustomConversion of the account."""
        return [self.conversion(a, n) for n in range(conversions_in(a))]

    def _make_activities(self, a: int, epoch: int) -> list[Node]:
        return account_activities(self, a, epoch)

    def activities(self, a: int) -> list[Node]:
        """The account's activities (current epoch), oldest first."""
        return self._activities(a, self._epoch)

    def business(self, b: int) -> Node:
        """The Business node `b`."""
        return business_node(self.seed, b, self.account_core(self.business_accounts(b)[0]))

    def user(self, token: str) -> Node:
        """The User behind a token."""
        return user_node(token)

    # -- enumeration ------------------------------------------------------------------------
    def campaign_keys(self, a: int) -> Iterator[tuple[int]]:
        """(c,) of every campaign of the account, in position order."""
        for c in range(self.config.campaigns):
            yield (c,)

    def adset_keys(self, a: int, c: int | None = None) -> Iterator[tuple[int, int]]:
        """(c, s) of every ad set of the account (or campaign)."""
        for cc in range(self.config.campaigns) if c is None else (c,):
            for s in range(self.config.adsets):
                yield (cc, s)

    def ad_keys(
        self, a: int, c: int | None = None, s: int | None = None
    ) -> Iterator[tuple[int, int, int]]:
        """(c, s, d) of every ad of the account (or campaign, or ad set)."""
        for cc, ss in self.adset_keys(a, c) if s is None else [(c or 0, s)]:
            for d in range(self.config.ads):
                yield (cc, ss, d)

    def images(self, a: int) -> list[Node]:
        """Every AdImage of the account."""
        return [self.image(a, i) for i in range(cores.images_in(self.config, a))]

    def videos(self, a: int) -> list[Node]:
        """Every AdVideo of the account."""
        return [self.video(a, v) for v in range(cores.videos_in(self.config, a))]

    def audiences(self, a: int) -> list[Node]:
        """Every CustomAudience of the account."""
        return [self.audience(a, n) for n in range(cores.audiences_in(self.config, a))]

    def business_indexes(self) -> list[int]:
        """Businesses that own at least one account."""
        found = {self.account_core(a).business for a in range(self.config.accounts)}
        return sorted(b for b in found if b is not None)

    def business_accounts(self, b: int) -> list[int]:
        """0-based accounts a business owns."""
        return [a for a in range(self.config.accounts) if self.account_core(a).business == b]

    def token_accounts(self, token: str) -> tuple[int, ...]:
        """0-based accounts a token is configured to see."""
        return self.tokens[token].account_indexes(self.config.accounts)

    # -- lookup -----------------------------------------------------------------------------
    def lookup(self, raw: str) -> Node | None:
        """The node with this ID, or None if it does not exist."""
        ref = ids.decode(raw)
        if ref is None:
            return None
        cfg = self.config
        a = ref.account
        if ref.kind == ids.BUSINESS:
            return self.business(ref.number) if ref.number in self.business_indexes() else None
        if not 0 <= a < cfg.accounts:
            return None
        if ref.kind == ids.ACCOUNT:
            return self.account(a)
        if ref.kind == ids.IMAGE:
            for i in range(cores.images_in(cfg, a)):
                if raw.endswith(":" + image_hash(self.seed, a, i)):
                    return self.image(a, i)
            return None
        if ref.kind == ids.VIDEO:
            return self.video(a, ref.number) if ref.number < cores.videos_in(cfg, a) else None
        if ref.kind == ids.AUDIENCE:
            n = ref.number
            return self.audience(a, n) if n < cores.audiences_in(cfg, a) else None
        if ref.kind == ids.CONVERSION:
            n = ref.number
            return self.conversion(a, n) if n < conversions_in(a) else None
        c, s, d = ref.campaign, ref.adset, ref.ad
        if c >= cfg.campaigns or s >= cfg.adsets or d >= cfg.ads:
            return None
        if ref.kind == ids.CAMPAIGN:
            return self.campaign(a, c)
        if ref.kind == ids.ADSET:
            return self.adset(a, c, s)
        if ref.kind == ids.AD:
            return self.ad(a, c, s, d)
        if ref.kind == ids.CREATIVE:
            return None if (c, s, d) in self.vanished_creatives(a) else self.creative(a, c, s, d)
        return None
