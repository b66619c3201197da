"""Campaigns, ad sets and ads as the API returns them (all generated fields)."""

from __future__ import annotations

from typing import Any

from meta_ads_sandbox import attribution, ids, node, vocab
from meta_ads_sandbox.cores import AccountCore, AdCore, AdSetCore, CampaignCore
from meta_ads_sandbox.epochs import Change
from meta_ads_sandbox.rng import Rng, digits, hex_digest
from meta_ads_sandbox.timeutil import fmt_dt


def campaign_effective(status: str) -> str:
    return status


def adset_effective(status: str, campaign_status: str) -> str:
    """Effective status of an ad set, inherited from its campaign."""
    return _inherit(status, (campaign_status,), ("CAMPAIGN_PAUSED",))


def ad_effective(status: str, adset_status: str, campaign_status: str) -> str:
    """Effective status of an ad, inherited from its campaign and ad set."""
    return _inherit(status, (campaign_status, adset_status), ("CAMPAIGN_PAUSED", "ADSET_PAUSED"))


def _inherit(own: str, parents: tuple[str, ...], paused_names: tuple[str, ...]) -> str:
    chain = (own, *parents)
    if "DELETED" in chain:
        return "DELETED"
    if "ARCHIVED" in chain:
        return "ARCHIVED"
    if own == "PAUSED":
        return "PAUSED"
    for status, name in zip(parents, paused_names, strict=True):
        if status == "PAUSED":
            return name
    return own


def _status_fields(status: str, effective: str) -> dict[str, Any]:
    return {"status": status, "configured_status": status, "effective_status": effective}


def campaign_node(
    seed: int, acct: AccountCore, camp: CampaignCore, change: Change | None
) -> node.Node:
    """The Campaign object."""
    a, c = camp.key
    status = (change.status if change else None) or camp.status
    updated = change.ts if change else camp.updated
    r = Rng(seed, "campaign-fields", a, c)
    tz = acct.tz
    data: dict[str, Any] = {
        "id": ids.object_id(ids.CAMPAIGN, a, c),
        "account_id": ids.account_number(a),
        "name": camp.name,
        "objective": camp.objective,
        **_status_fields(status, campaign_effective(status)),
        "buying_type": camp.buying_type,
    }
    if camp.budget_kind:
        data["bid_strategy"] = camp.bid_strategy
        data[f"{camp.budget_kind}_budget"] = str(camp.budget)
        data["budget_remaining"] = str(int(camp.budget * r.between(0.05, 1.0)))
    else:
        data["budget_remaining"] = "0"
    if camp.spend_cap is not None:
        data["spend_cap"] = str(camp.spend_cap)
    data["special_ad_categories"] = list(camp.special)
    data["created_time"] = fmt_dt(camp.created, tz)
    data["updated_time"] = fmt_dt(updated, tz)
    data["start_time"] = fmt_dt(camp.start, tz)
    if camp.stop is not None:
        data["stop_time"] = fmt_dt(camp.stop, tz)
    data["pacing_type"] = [camp.pacing]
    if camp.issue and status == "ACTIVE":
        data["issues_info"] = [
            {
                "level": "CAMPAIGN",
                "error_code": 1815869,
                "error_summary": "Ad account has no payment method",
                "error_message": "Add a payment method to your ad account to resume delivery.",
                "error_type": "SOFT_ERROR",
            }
        ]
    return node.Node(
        node.CAMPAIGN, data["id"], a, data, camp.created, updated, data["effective_status"]
    )


def _targeting(acct: AccountCore, adset: AdSetCore, seed: int) -> dict[str, Any]:
    t: dict[str, Any] = {"age_max": adset.age_max, "age_min": adset.age_min}
    if adset.genders:
        t["genders"] = list(adset.genders)
    t["geo_locations"] = {"countries": list(adset.countries), "location_types": ["home", "recent"]}
    if adset.interests:
        t["flexible_spec"] = [
            {
                "interests": [
                    {"id": vocab.INTERESTS[i][0], "name": vocab.INTERESTS[i][1]}
                    for i in adset.interests
                ]
            }
        ]
    t["publisher_platforms"] = list(adset.platforms)
    for platform in adset.platforms:
        t[f"{platform}_positions"] = list(vocab.TARGETING_POSITIONS[platform])
    t["device_platforms"] = ["mobile", "desktop"]
    if "audience_network" in adset.platforms:
        t["brand_safety_content_filter_levels"] = ["FACEBOOK_STANDARD", "AN_STANDARD"]
    r = Rng(seed, "advantage", *adset.key)
    t["targeting_automation"] = {"advantage_audience": 1 if r.chance(0.5) else 0}
    return t


def _promoted(acct: AccountCore, adset: AdSetCore) -> dict[str, Any] | None:
    if adset.promoted in ("PURCHASE", "LEAD"):
        return {"pixel_id": ids.pixel_id(acct.index), "custom_event_type": adset.promoted}
    if adset.promoted == "PAGE":
        return {"page_id": ids.page_id(acct.index)}
    if adset.promoted == "APP":
        return {
            "application_id": "4" + digits("app-id", acct.index, length=14),
            "object_store_url": "https://play.google.com/store/apps/details?id=com.example.app",
        }
    return None


def adset_node(
    seed: int,
    acct: AccountCore,
    camp: CampaignCore,
    adset: AdSetCore,
    change: Change | None,
    campaign_status: str,
) -> node.Node:
    """The AdSet object."""
    a, c, s = adset.key
    status = (change.status if change else None) or adset.status
    updated = change.ts if change else adset.updated
    name = (change.name if change else None) or adset.name
    tz = acct.tz
    r = Rng(seed, "adset-fields", a, c, s)
    data: dict[str, Any] = {
        "id": ids.object_id(ids.ADSET, a, c, s),
        "account_id": ids.account_number(a),
        "campaign_id": ids.object_id(ids.CAMPAIGN, a, c),
        "name": name,
        **_status_fields(status, adset_effective(status, campaign_status)),
        "billing_event": adset.billing,
        "optimization_goal": adset.goal,
    }
    if adset.bid_strategy:
        data["bid_strategy"] = adset.bid_strategy
    if adset.bid_amount is not None:
        data["bid_amount"] = adset.bid_amount
    if adset.budget_kind:
        other = "lifetime" if adset.budget_kind == "daily" else "daily"
        data[f"{adset.budget_kind}_budget"] = str(adset.budget)
        data[f"{other}_budget"] = "0"  # Meta returns the unused budget as "0" on ad sets
        data["budget_remaining"] = str(int(adset.budget * r.between(0.05, 1.0)))
    else:
        data["budget_remaining"] = "0"
    data["targeting"] = _targeting(acct, adset, seed)
    promoted = _promoted(acct, adset)
    if promoted:
        data["promoted_object"] = promoted
    if adset.destination:
        data["destination_type"] = adset.destination
    data["start_time"] = fmt_dt(adset.start, tz)
    if adset.end is not None:
        data["end_time"] = fmt_dt(adset.end, tz)
    data["created_time"] = fmt_dt(adset.created, tz)
    data["updated_time"] = fmt_dt(updated, tz)
    data["attribution_spec"] = attribution.spec(adset.attribution)
    data["is_dynamic_creative"] = adset.dynamic
    if status != "DELETED":
        info: dict[str, Any] = {"status": adset.learning}
        if adset.learning == "LEARNING":
            info["conversions"] = r.integer(0, 49)
            info["last_sig_edit_ts"] = adset.updated
            info["attribution_windows"] = list(attribution.value_windows(adset.attribution))
        data["learning_stage_info"] = info
    data["pacing_type"] = ["standard"]
    return node.Node(
        node.AD_SET, data["id"], a, data, adset.created, updated, data["effective_status"]
    )


def post_id(seed: int, key: tuple[int, int, int, int]) -> str:
    """The page post behind an ad ("<page>_<post>")."""
    return f"{ids.page_id(key[0])}_{'1' + digits(seed, 'post', *key, length=15)}"


def ad_node(
    seed: int,
    acct: AccountCore,
    adset: AdSetCore,
    ad: AdCore,
    change: Change | None,
    adset_status: str,
    campaign_status: str,
) -> node.Node:
    """The Ad object."""
    a, c, s, d = ad.key
    status = (change.status if change else None) or ad.status
    updated = change.ts if change else ad.updated
    tz = acct.tz
    pixel = ids.pixel_id(a)
    page = ids.page_id(a)
    post = post_id(seed, ad.key).split("_")[1]
    data: dict[str, Any] = {
        "id": ids.object_id(ids.AD, a, c, s, d),
        "account_id": ids.account_number(a),
        "campaign_id": ids.object_id(ids.CAMPAIGN, a, c),
        "adset_id": ids.object_id(ids.ADSET, a, c, s),
        "name": ad.name,
        **_status_fields(status, ad_effective(status, adset_status, campaign_status)),
        "creative": {"id": ids.object_id(ids.CREATIVE, a, c, s, d)},
    }
    if adset.bid_amount is not None:
        data["bid_amount"] = adset.bid_amount
    data["created_time"] = fmt_dt(ad.created, tz)
    data["updated_time"] = fmt_dt(updated, tz)
    tracking: list[dict[str, Any]] = [
        {"action.type": ["offsite_conversion"], "fb_pixel": [pixel]},
        {"action.type": ["post_engagement"], "page": [page], "post": [post]},
    ]
    data["tracking_specs"] = tracking
    if adset.goal in ("OFFSITE_CONVERSIONS", "LEAD_GENERATION"):
        data["conversion_specs"] = [{"action.type": ["offsite_conversion"], "fb_pixel": [pixel]}]
    elif adset.goal in ("LINK_CLICKS", "LANDING_PAGE_VIEWS"):
        data["conversion_specs"] = [
            {"action.type": ["link_click"], "post": [post], "post.wall": [page]}
        ]
    else:
        data["conversion_specs"] = [
            {"action.type": ["post_engagement"], "page": [page], "post": [post]}
        ]
    if status != "DELETED":
        data["preview_shareable_link"] = "https://fb.me/" + hex_digest(
            seed, "preview", *ad.key, length=15
        )
    return node.Node(node.AD, data["id"], a, data, ad.created, updated, data["effective_status"])
