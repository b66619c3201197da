"""Ad-level daily delivery, generated per (ad, day), and its exact splits by breakdown.

Every metric is an integer (spend and action values in the currency's minor unit), so sums over
ads, days and breakdown parts are exact (reach excepted: it is deduplicated per level, see
reach.py). Each action entry carries six window counts: 1d_click, 7d_click, 28d_click, 1d_view,
1d_ev, dda, then its `value`: the counts of the windows of the ad set's attribution setting
(7d_click + 1d_view for `7d_click_1d_view`, 1d_click for `1d_click`, ...).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from meta_ads_sandbox import attribution, ids, vocab
from meta_ads_sandbox.cores import AccountCore, AdCore, AdSetCore, CampaignCore
from meta_ads_sandbox.money import minor_per_usd
from meta_ads_sandbox.objects_conversions import custom_actions
from meta_ads_sandbox.rng import Rng, split_exact
from meta_ads_sandbox.timeutil import local_date

SCALARS = ("impressions", "reach", "clicks", "unique_clicks", "inline_link_clicks", "spend")
IMPRESSIONS, REACH, CLICKS, UNIQUE_CLICKS, LINK_CLICKS, SPEND = range(6)
WINDOWS = ("1d_click", "7d_click", "28d_click", "1d_view", "1d_ev", "dda")
VALUE = len(WINDOWS)  # the slot of `value` in an action vector, after the windows
VIDEO_LISTS = (
    "video_play_actions",
    "video_p25_watched_actions",
    "video_p50_watched_actions",
    "video_p75_watched_actions",
    "video_p100_watched_actions",
    "video_30_sec_watched_actions",
)
# (list, action_type, device, destination, target); unused breakdown parts are ""
ActionKey = tuple[str, str, str, str, str]
ON_META = frozenset(
    {
        "link_click",
        "post_engagement",
        "page_engagement",
        "post_reaction",
        "landing_page_view",
        "video_view",
        "comment",
        "onsite_conversion.lead_grouped",
    }
)


class Metrics:
    """Integer metrics of one ad-day (or a sum of them)."""

    __slots__ = ("actions", "scalars")

    def __init__(self, scalars: list[int] | None = None) -> None:
        self.scalars = scalars if scalars is not None else [0] * len(SCALARS)
        self.actions: dict[ActionKey, list[int]] = {}

    def add(self, other: Metrics) -> None:
        """Add another ad-day (or sum) into this one."""
        s = self.scalars
        for i, v in enumerate(other.scalars):
            s[i] += v
        mine = self.actions
        for key, vec in other.actions.items():
            have = mine.get(key)
            if have is None:
                mine[key] = list(vec)
            else:
                for i, v in enumerate(vec):
                    have[i] += v


@dataclass(frozen=True)
class AdProfile:
    """What an ad's delivery depends on (fixed for all epochs)."""

    key: tuple[int, int, int, int]
    first: int  # first delivery day (date ordinal, account time), or 0 when it never ran
    last: int
    level: float
    ctr: float
    cpm_minor: float
    conv_rate: float
    order_value_minor: float
    objective: str
    goal: str
    video: bool
    website: bool
    ages: tuple[str, ...]
    genders: tuple[str, ...]
    countries: tuple[str, ...]
    platforms: tuple[str, ...]
    domain: str
    page: str
    pixel: str
    value_slots: tuple[int, ...] = (1, 3)  # windows making `value` (the ad set's setting)
    setting: str = "7d_click_1d_view"


def make_profile(
    acct: AccountCore, camp: CampaignCore, adset: AdSetCore, ad: AdCore, window: tuple[int, int]
) -> AdProfile:
    """The delivery profile of an ad."""
    start, stop = window
    first = last = 0
    if stop > start:
        first = local_date(start, acct.tz).toordinal()
        last = local_date(stop - 1, acct.tz).toordinal()
    ages = tuple(
        a
        for a in vocab.AGES[1:]
        if int(a.split("-")[0].rstrip("+")) <= adset.age_max
        and (a.endswith("+") or int(a.split("-")[1]) >= adset.age_min)
    )
    if adset.genders == (1,):
        genders: tuple[str, ...] = ("male", "unknown")
    elif adset.genders == (2,):
        genders = ("female", "unknown")
    else:
        genders = vocab.GENDERS
    per_usd = minor_per_usd(acct.currency)
    return AdProfile(
        key=ad.key,
        first=first,
        last=last,
        level=ad.level,
        ctr=ad.ctr,
        cpm_minor=ad.cpm_usd * per_usd,
        conv_rate=ad.conv_rate,
        order_value_minor=ad.order_value_usd * per_usd,
        objective=camp.objective,
        goal=adset.goal,
        video=ad.video is not None,
        website=adset.destination == "WEBSITE",
        ages=ages,
        genders=genders,
        countries=adset.countries,
        platforms=adset.platforms,
        domain=vocab.DOMAINS[ad.domain],
        page=ids.page_id(acct.index),
        pixel=ids.pixel_id(acct.index),
        value_slots=tuple(WINDOWS.index(w) for w in attribution.value_windows(adset.attribution)),
        setting=adset.attribution,
    )


def _clicks_vec(n: int) -> list[int]:
    return [n, n, n, 0, 0, n]


def _conv_vec(total: int, r: Rng, video: bool) -> list[int]:
    view = int(total * r.between(0.1, 0.3))
    click7 = total - view
    # 1d_ev: conversions after an engaged video view (video ads only)
    engaged = int(total * r.between(0.05, 0.25) + r.unit()) if video and total else 0
    return [
        int(click7 * r.between(0.6, 0.85)),
        click7,
        click7 + int(click7 * r.between(0, 0.15)),
        view,
        engaged,
        total,
    ]


def ad_day(seed: int, p: AdProfile, day: int, epoch: int, restate_from: int) -> Metrics | None:
    """The ad's delivery on `day` (date ordinal), or None when it did not deliver."""
    if not p.first or day < p.first or day > p.last:
        return None
    r = Rng(seed, "ad-day", *p.key, day)
    if r.chance(0.03):
        return None
    weekday = date.fromordinal(day).weekday()
    factor = (0.85 if weekday >= 5 else 1.0) * (0.5 if day in (p.first, p.last) else 1.0)
    imps = int(p.level * r.between(0.6, 1.4) * factor)
    if imps <= 0:
        return None
    reach = max(1, int(imps / r.between(1.05, 1.6)))
    clicks = int(imps * p.ctr * r.between(0.7, 1.3))
    unique = int(clicks * r.between(0.85, 0.98))
    link = int(clicks * r.between(0.55, 0.9))
    spend = round(imps * p.cpm_minor / 1000 * r.between(0.85, 1.15))
    m = Metrics([imps, reach, clicks, unique, link, spend])
    acts: dict[str, list[int]] = {}
    reactions = int(imps * r.between(0.002, 0.01))
    acts["link_click"] = _clicks_vec(link)
    acts["post_engagement"] = _clicks_vec(link + reactions)
    acts["page_engagement"] = _clicks_vec(link + reactions + int(reactions * r.between(0, 0.2)))
    if reactions and p.objective == "OUTCOME_ENGAGEMENT":
        acts["post_reaction"] = _clicks_vec(reactions)
    if p.website:
        acts["landing_page_view"] = _clicks_vec(int(link * r.between(0.6, 0.9)))
    if p.video:
        acts["video_view"] = _clicks_vec(int(imps * r.between(0.15, 0.35)))
    conv = link * p.conv_rate * r.between(0.7, 1.3)
    values: dict[str, list[int]] = {}
    if p.objective == "OUTCOME_SALES":
        purchases = int(conv)
        acts["add_to_cart"] = _conv_vec(int(conv * 3), r, p.video)
        acts["offsite_conversion.fb_pixel_add_to_cart"] = list(acts["add_to_cart"])
        acts["purchase"] = _conv_vec(purchases, r, p.video)
        acts["offsite_conversion.fb_pixel_purchase"] = list(acts["purchase"])
        aov = p.order_value_minor * r.between(0.8, 1.2)
        values["purchase"] = [int(n * aov) for n in acts["purchase"]]
        values["offsite_conversion.fb_pixel_purchase"] = list(values["purchase"])
        for custom, vec in custom_actions(seed, p.key, day, p.objective, acts["purchase"]).items():
            acts[custom] = vec
            values[custom] = [int(n * aov) for n in vec]
    elif p.objective == "OUTCOME_LEADS":
        acts["lead"] = _conv_vec(int(conv), r, p.video)
        if p.website:
            acts["offsite_conversion.fb_pixel_lead"] = list(acts["lead"])
            acts.update(custom_actions(seed, p.key, day, p.objective, acts["lead"]))
        else:
            acts["onsite_conversion.lead_grouped"] = list(acts["lead"])
    elif p.objective == "OUTCOME_APP_PROMOTION":
        acts["mobile_app_install"] = _conv_vec(int(conv * 2), r, p.video)
    growth = 0
    if epoch and day >= restate_from:
        growth = sum(
            5 + Rng(seed, "restate", *p.key, day, e).integer(0, 20) for e in range(1, epoch + 1)
        )
        m.scalars[SPEND] += m.scalars[SPEND] * growth // 1000
    for kind, table in (("actions", acts), ("action_values", values)):
        for action_type, vec in table.items():
            if not vec[1] and not vec[3]:
                continue
            if growth and action_type not in ON_META:
                vec = [v + v * growth // 1000 for v in vec]
            m.actions[(kind, action_type, "", "", "")] = vec
            if kind == "actions" and action_type not in ON_META:
                m.actions[("conversions", action_type, "", "", "")] = list(vec)
    for action_type in ("link_click", "landing_page_view", "purchase", "lead", "video_view"):
        found = m.actions.get(("actions", action_type, "", "", ""))
        if found:
            share = r.between(0.8, 0.95)
            m.actions[("unique_actions", action_type, "", "", "")] = [int(v * share) for v in found]
    if p.video:
        plays = int(acts["video_view"][1] * r.between(1.2, 1.5))
        chain = [plays]
        for share in (0.5, 0.6, 0.6, 0.6):
            chain.append(int(chain[-1] * share * r.between(0.8, 1.1)))
        chain.append(int(chain[2] * r.between(0.5, 0.8)))
        for name, n in zip(VIDEO_LISTS, chain, strict=True):
            if n:
                m.actions[(name, "video_view", "", "", "")] = _clicks_vec(n)
    for vec in m.actions.values():
        vec.append(sum(vec[i] for i in p.value_slots))
    return m


# -- breakdowns -------------------------------------------------------------------------------
SUPPORTED_BREAKDOWNS = (
    "age",
    "gender",
    "country",
    "region",
    "publisher_platform",
    "platform_position",
    "device_platform",
    "impression_device",
    "hourly_stats_aggregated_by_advertiser_time_zone",
    "hourly_stats_aggregated_by_audience_time_zone",
    "frequency_value",
)
#: Breakdowns an ad account must opt in to from 2026-08-03 (any combination with them too).
OPT_IN_BREAKDOWNS = frozenset(
    {"impression_device", "hourly_stats_aggregated_by_audience_time_zone", "frequency_value"}
)

VALID_COMBINATIONS = frozenset(
    frozenset(c)
    for c in (
        ("age",),
        ("gender",),
        ("age", "gender"),
        ("country",),
        ("region",),
        ("publisher_platform",),
        ("publisher_platform", "platform_position"),
        ("publisher_platform", "impression_device"),
        ("publisher_platform", "platform_position", "impression_device"),
        ("device_platform",),
        ("publisher_platform", "device_platform"),
        ("publisher_platform", "platform_position", "device_platform"),
        ("hourly_stats_aggregated_by_advertiser_time_zone",),
        ("hourly_stats_aggregated_by_audience_time_zone",),
        ("frequency_value",),
    )
)


def _options(p: AdProfile, dim: str, done: dict[str, str]) -> list[tuple[str, float]]:
    if dim == "age":
        return [(a, 1.0) for a in p.ages]
    if dim == "gender":
        return [(g, 0.05 if g == "unknown" else 1.0) for g in p.genders]
    if dim == "country":
        return [(c, 3.0 if i == 0 else 1.0) for i, c in enumerate(p.countries)]
    if dim == "region":
        return [
            (reg, 3.0 if i == 0 else 1.0)
            for i, c in enumerate(p.countries)
            for reg in vocab.REGIONS.get(c, (c,))
        ]
    if dim == "publisher_platform":
        return [(pl, float(vocab.PLATFORM_SHARE[pl])) for pl in p.platforms]
    if dim == "platform_position":
        return [(pos, 1.0) for pos in vocab.POSITIONS[done["publisher_platform"]]]
    if dim == "device_platform":
        return [(k, float(v)) for k, v in vocab.DEVICE_PLATFORM_SHARE.items()]
    if dim.startswith("hourly_stats_"):
        return [(h, float(w)) for h, w in zip(vocab.HOURS, vocab.HOUR_SHARE, strict=True)]
    if dim == "frequency_value":
        return [
            (f, float(w))
            for f, w in zip(vocab.FREQUENCY_VALUES, vocab.FREQUENCY_SHARE, strict=True)
        ]
    return [(k, float(v)) for k, v in vocab.IMPRESSION_DEVICE_SHARE.items()]


def split_metrics(m: Metrics, weights: list[int]) -> list[Metrics]:
    """Split every metric of `m` into parts that sum exactly: impressions by `weights`, the rest
    in proportion to the impressions each part got."""
    imp_parts = split_exact(m.scalars[IMPRESSIONS], weights)
    parts = [Metrics([0] * len(SCALARS)) for _ in weights]
    for i, v in enumerate(m.scalars):
        for part, share in zip(
            parts, imp_parts if i == IMPRESSIONS else split_exact(v, imp_parts), strict=True
        ):
            part.scalars[i] = share
    for key, vec in m.actions.items():
        columns = [split_exact(v, imp_parts) for v in vec]
        for j, part in enumerate(parts):
            row = [col[j] for col in columns]
            if any(row):
                part.actions[key] = row
    return parts


def breakdown_day(
    seed: int, p: AdProfile, day: int, m: Metrics, dims: tuple[str, ...]
) -> list[tuple[tuple[str, ...], Metrics]]:
    """The ad-day split by `dims` (parts sum exactly to `m`); parts with no impressions dropped."""
    pieces: list[tuple[dict[str, str], Metrics]] = [({}, m)]
    for dim in dims:
        nxt: list[tuple[dict[str, str], Metrics]] = []
        for done, metrics in pieces:
            options = _options(p, dim, done)
            r = Rng(seed, "breakdown", *p.key, day, dim, *done.values())
            weights = [max(1, int(1000 * w * r.between(0.7, 1.3))) for _, w in options]
            for (value, _), part in zip(options, split_metrics(metrics, weights), strict=True):
                if part.scalars[IMPRESSIONS] > 0:
                    nxt.append(({**done, dim: value}, part))
        pieces = nxt
    return [(tuple(done[d] for d in dims), metrics) for done, metrics in pieces]


# -- action breakdowns ------------------------------------------------------------------------
SUPPORTED_ACTION_BREAKDOWNS = (
    "action_type",
    "action_device",
    "action_destination",
    "action_target_id",
)


def expand_actions(seed: int, p: AdProfile, day: int, m: Metrics, wanted: frozenset[str]) -> None:
    """Re-key `m.actions` by device / destination / target when those are asked for (in place)."""
    if not wanted & {"action_device", "action_destination", "action_target_id"}:
        return
    out: dict[ActionKey, list[int]] = {}
    for (kind, action_type, _, _, _), vec in m.actions.items():
        engagement = action_type in (
            "post_engagement",
            "page_engagement",
            "post_reaction",
            "comment",
        )
        destination = (p.page if engagement else p.domain) if "action_destination" in wanted else ""
        target = ""
        if "action_target_id" in wanted:
            target = p.pixel if action_type.startswith("offsite_conversion") else p.page
        if "action_device" in wanted:
            r = Rng(seed, "action-device", *p.key, day, action_type)
            weights = [max(1, int(1000 * r.unit())) for _ in vocab.ACTION_DEVICES]
            columns = [split_exact(v, weights) for v in vec]
            for j, device in enumerate(vocab.ACTION_DEVICES):
                row = [col[j] for col in columns]
                if row[1] or row[3] or row[VALUE]:
                    _merge(out, (kind, action_type, device, destination, target), row)
        else:
            _merge(out, (kind, action_type, "", destination, target), vec)
    m.actions = out


def _merge(table: dict[ActionKey, list[int]], key: ActionKey, vec: list[int]) -> None:
    have = table.get(key)
    if have is None:
        table[key] = list(vec)
    else:
        for i, v in enumerate(vec):
            have[i] += v
