"""Insights rows: ad-days summed to the requested level, time buckets and breakdowns, then
formatted as Meta returns them (counts as strings, money in major units, ratios recomputed).
Reach is the level's own deduplicated figure (reach.py), not a sum."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from meta_ads_sandbox import attribution, errors, ids, params
from meta_ads_sandbox.dataset import Dataset
from meta_ads_sandbox.insights import LEVELS, REACH_FIELDS, InsightsQuery
from meta_ads_sandbox.insights_data import (
    REACH,
    VIDEO_LISTS,
    AdProfile,
    Metrics,
    ad_day,
    breakdown_day,
    expand_actions,
    make_profile,
)
from meta_ads_sandbox.insights_format import action_list, metric_values
from meta_ads_sandbox.reach import SCALE, ReachTree, keep_factor

HIDDEN = ("DELETED", "ARCHIVED")
IDENTITY = {
    "account": ("account_currency", "account_id", "account_name"),
    "campaign": ("campaign_id", "campaign_name", "objective", "buying_type"),
    "adset": ("adset_id", "adset_name", "optimization_goal"),
    "ad": ("ad_id", "ad_name"),
}
NULL_FIELDS = ("wish_bid",)  # declared, returned as null (Meta's values are null or wrong)
ACTION_LISTS = ("actions", "action_values", "conversions", "unique_actions", *VIDEO_LISTS)
METRIC_FIELDS = (
    "impressions",
    "reach",
    "frequency",
    "clicks",
    "unique_clicks",
    "inline_link_clicks",
    "spend",
    "ctr",
    "unique_ctr",
    "inline_link_click_ctr",
    "cpc",
    "cpm",
    "cpp",
    "cost_per_inline_link_click",
    "cost_per_unique_click",
)
PRODUCED_FIELDS = (
    *IDENTITY["account"],
    *IDENTITY["campaign"][:2],
    *IDENTITY["adset"][:2],
    *IDENTITY["ad"],
    "objective",
    "optimization_goal",
    "buying_type",
    "attribution_setting",
    *METRIC_FIELDS,
    "actions",
    "action_values",
    "conversions",
    "cost_per_action_type",
    "unique_actions",
    *VIDEO_LISTS,
)


@dataclass(frozen=True)
class Scope:
    """The node an insights edge hangs off: an account, or a campaign/ad set/ad in it."""

    account: int
    campaign: int | None = None
    adset: int | None = None
    ad: int | None = None

    @property
    def level(self) -> str:
        depth = sum(x is not None for x in (self.campaign, self.adset, self.ad))
        return LEVELS[depth]


class InsightsEngine:
    """Computes insights rows from the dataset."""

    def __init__(self, dataset: Dataset) -> None:
        self.ds = dataset
        self.profile = lru_cache(maxsize=200_000)(self._make_profile)
        self.restate_from = (
            dataset.last_day - timedelta(days=dataset.config.restate_days - 1)
        ).toordinal()
        self.keep = keep_factor(dataset.config.reach_overlap)
        self.settings = lru_cache(maxsize=100_000)(self._settings)

    def _settings(self, level_key: tuple[int, ...]) -> str:
        """The attribution_setting of a row's object: its ad set's, or `mixed` over the ad sets
        of a campaign or account whose settings differ."""
        ds, a = self.ds, level_key[0]
        if len(level_key) >= 3:
            return ds.adset_core(a, level_key[1], level_key[2]).attribution
        campaign = level_key[1] if len(level_key) == 2 else None
        found = {ds.adset_core(a, c, s).attribution for c, s in ds.adset_keys(a, campaign)}
        return attribution.combined(found)

    def _make_profile(self, a: int, c: int, s: int, d: int) -> AdProfile:
        ds = self.ds
        return make_profile(
            ds.account_core(a),
            ds.campaign_core(a, c),
            ds.adset_core(a, c, s),
            ds.ad_core(a, c, s, d),
            ds.ad_window(a, c, s, d),
        )

    def day(self, key: tuple[int, int, int, int], day: int, epoch: int) -> Metrics | None:
        """One ad-day of delivery (None when the ad did not deliver or is outside history)."""
        if day < self.ds.history_start.toordinal() or day > self.ds.last_day.toordinal():
            return None
        restate = self.restate_from if self.ds.config.restate_days else day + 1
        return ad_day(self.ds.seed, self.profile(*key), day, epoch, restate)

    def ads(self, scope: Scope) -> Iterator[tuple[int, int, int, int]]:
        """(a, c, s, d) of every ad under the scope."""
        a = scope.account
        if scope.ad is not None:
            yield (a, scope.campaign or 0, scope.adset or 0, scope.ad)
            return
        for c, s, d in self.ds.ad_keys(a, scope.campaign, scope.adset):
            yield (a, c, s, d)

    def _status(self, level: str, key: tuple[int, int, int, int]) -> str:
        ds, (a, c, s, d) = self.ds, key
        node = {
            "campaign": lambda: ds.campaign(a, c),
            "adset": lambda: ds.adset(a, c, s),
            "ad": lambda: ds.ad(a, c, s, d),
        }[level]()
        return node.effective_status or "ACTIVE"

    def _entity_value(self, entity: str, field: str, key: tuple[int, int, int, int]) -> Any:
        a, c, s, d = key
        if field == "effective_status":
            return self._status(entity, key)
        if entity == "account":
            node = self.ds.account(a)
            return node.data["account_id"] if field == "id" else node.data.get(field)
        node = {
            "campaign": lambda: self.ds.campaign(a, c),
            "adset": lambda: self.ds.adset(a, c, s),
            "ad": lambda: self.ds.ad(a, c, s, d),
        }[entity]()
        return node.data.get(field)

    def _keep_ad(self, q: InsightsQuery, scope: Scope, key: tuple[int, int, int, int]) -> bool:
        for f in q.filters:
            if f.field in ("effective_status", "id", "name") and not params.compare(
                self._entity_value(f.entity, f.field, key), f.operator, f.value
            ):
                return False
        level = q.level
        if level in ("campaign", "adset", "ad") and LEVELS.index(level) > LEVELS.index(scope.level):
            named = any(f.entity == level and f.field == "effective_status" for f in q.filters)
            if not named and self._status(level, key) in HIDDEN:
                return False
        return True

    def groups(
        self, scope: Scope, q: InsightsQuery, row_limit: int | None = None
    ) -> dict[tuple[Any, ...], Metrics]:
        """Summed metrics per (bucket, level key, breakdown values)."""
        ds, epoch = self.ds, self.ds.epoch
        depth = LEVELS.index(q.level) + 1
        first_day, last_day = ds.history_start.toordinal(), ds.last_day.toordinal()
        wanted_actions = frozenset(q.action_breakdowns)
        out: dict[tuple[Any, ...], Metrics] = {}
        trees: dict[tuple[Any, ...], ReachTree] = {}
        dedup = self.keep < SCALE
        metric_filters = any(f.field not in ("effective_status", "id", "name") for f in q.filters)
        for key in self.ads(scope):
            profile = self.profile(*key)
            if not profile.first or profile.last < first_day or profile.first > last_day:
                continue
            if not self._keep_ad(q, scope, key):
                continue
            level_key = key[:depth]
            for ri, (since, until) in enumerate(q.ranges):
                lo = max(since.toordinal(), profile.first, first_day)
                hi = min(until.toordinal(), profile.last, last_day)
                for day in range(lo, hi + 1):
                    m = self.day(key, day, epoch)
                    if m is None:
                        continue
                    bucket = _bucket(q, ri, since, until, day)
                    expand_actions(ds.seed, profile, day, m, wanted_actions)
                    parts = (
                        breakdown_day(ds.seed, profile, day, m, q.breakdowns)
                        if q.breakdowns
                        else [((), m)]
                    )
                    for values, part in parts:
                        gkey = (bucket, level_key, values)
                        if dedup:
                            tree = trees.get(gkey)
                            if tree is None:
                                tree = trees[gkey] = ReachTree()
                            tree.add(key, part.scalars[REACH])
                        have = out.get(gkey)
                        if have is None:
                            out[gkey] = part
                        else:
                            have.add(part)
            if row_limit is not None and not metric_filters and len(out) > row_limit:
                raise errors.too_much_data()
        for gkey, tree in trees.items():
            out[gkey].scalars[REACH] = tree.total(gkey[1], self.keep)
        return out

    def rows(
        self, scope: Scope, q: InsightsQuery, row_limit: int | None = None
    ) -> list[dict[str, Any]]:
        """The formatted rows, in a stable order (bucket, object position, breakdown values)."""
        found = self.groups(scope, q, row_limit)
        rows: list[dict[str, Any]] = []
        for gkey in sorted(found):
            bucket, level_key, values = gkey
            row = self.format(q, level_key, bucket, values, found[gkey])
            if row is not None:
                rows.append(row)
        if row_limit is not None and len(rows) > row_limit:
            raise errors.too_much_data()
        return rows

    def identity(self, level_key: tuple[int, ...]) -> dict[str, Any]:
        """The id/name fields of the row's objects (at its level and above)."""
        ds = self.ds
        a = level_key[0]
        acct = ds.account(a).data
        out: dict[str, Any] = {
            "account_currency": acct["currency"],
            "account_id": acct["account_id"],
            "account_name": acct["name"],
        }
        if len(level_key) > 1:
            camp = ds.campaign(a, level_key[1]).data
            out.update(
                campaign_id=camp["id"],
                campaign_name=camp["name"],
                objective=camp["objective"],
                buying_type=camp["buying_type"],
            )
        if len(level_key) > 2:
            adset = ds.adset(a, level_key[1], level_key[2]).data
            out.update(
                adset_id=adset["id"],
                adset_name=adset["name"],
                optimization_goal=adset["optimization_goal"],
            )
        if len(level_key) > 3:
            out.update(
                ad_id=ids.object_id(ids.AD, *level_key), ad_name=ds.ad(*level_key).data["name"]
            )
        return out

    def format(
        self,
        q: InsightsQuery,
        level_key: tuple[int, ...],
        bucket: tuple[int, int, int],
        values: tuple[str, ...],
        m: Metrics,
    ) -> dict[str, Any] | None:
        """One row; None when a metric filter drops it."""
        ident = self.identity(level_key)
        ident["attribution_setting"] = self.settings(level_key)
        currency = ident["account_currency"]
        metrics = metric_values(m, currency)
        if q.omit_reach:
            for name in REACH_FIELDS:
                metrics.pop(name, None)
        for f in q.filters:
            if f.field not in ("effective_status", "id", "name"):
                value = metrics.get(f.field)
                if value is None or not params.compare(str(value), f.operator, f.value):
                    return None
        row: dict[str, Any] = {}
        for name in q.fields:
            if name in ("date_start", "date_stop"):
                continue
            if name in ident:
                row[name] = ident[name]
            elif name in metrics:
                row[name] = metrics[name]
            elif name in ACTION_LISTS or name == "cost_per_action_type":
                entries = action_list(m, name, q.action_breakdowns, q.windows, currency)
                if entries:
                    row[name] = entries
            elif name in NULL_FIELDS:
                row[name] = None
        row["date_start"] = date.fromordinal(bucket[1]).isoformat()
        row["date_stop"] = date.fromordinal(bucket[2]).isoformat()
        for dim, value in zip(q.breakdowns, values, strict=True):
            row[dim] = value
        return row


def _bucket(q: InsightsQuery, ri: int, since: date, until: date, day: int) -> tuple[int, int, int]:
    lo, hi = since.toordinal(), until.toordinal()
    if q.increment == "all_days":
        return (ri, lo, hi)
    if q.increment == "monthly":
        d = date.fromordinal(day)
        start = d.replace(day=1).toordinal()
        nxt = (d.replace(day=28) + timedelta(days=4)).replace(day=1).toordinal()
        return (ri, max(lo, start), min(hi, nxt - 1))
    n = int(q.increment)
    start = lo + n * ((day - lo) // n)
    return (ri, start, min(hi, start + n - 1))
