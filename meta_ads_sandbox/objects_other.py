"""Ad accounts, businesses, users, creatives, images, videos and custom audiences."""

from __future__ import annotations

import base64
import json
from typing import Any

from meta_ads_sandbox import attribution, ids, node, vocab
from meta_ads_sandbox.cores import AccountCore, AdCore, AdSetCore, user_name
from meta_ads_sandbox.money import minor_per_usd, round_minor
from meta_ads_sandbox.objects_ads import post_id
from meta_ads_sandbox.rng import Rng, digits, hex_digest
from meta_ads_sandbox.timeutil import DAY, fmt_dt, local_date, offset_hours

CDN = "https://scontent.xx.fbcdn.net/v/t45.1600-4"
VIDEO_CDN = "https://video.xx.fbcdn.net/v/t42.1790-2"
CAPABILITIES = [
    "CAN_USE_REACH_AND_FREQUENCY",
    "HAS_AVAILABLE_PAYMENT_METHODS",
    "CAN_CREATE_LOOKALIKES_WITH_CUSTOM_RATIO",
]


def business_name(b: int, seed: int) -> str:
    """The name of business `b`."""
    return f"{vocab.BRANDS[(b * 5 + seed) % len(vocab.BRANDS)]} Holdings"


def account_node(seed: int, acct: AccountCore) -> node.Node:
    """The AdAccount object."""
    a = acct.index
    r = Rng(seed, "account-fields", a)
    per_usd = minor_per_usd(acct.currency)
    today = local_date(acct.today, acct.tz)
    data: dict[str, Any] = {
        "id": ids.account_id(a),
        "account_id": ids.account_number(a),
        "name": acct.name,
        "account_status": acct.status,
        "currency": acct.currency,
        "timezone_id": acct.timezone_id,
        "timezone_name": acct.tz,
        "timezone_offset_hours_utc": offset_hours(today, acct.tz),
        "amount_spent": str(round_minor(r.between(20_000, 900_000) * per_usd, acct.currency)),
        "balance": str(round_minor(r.between(0, 3_000) * per_usd, acct.currency)),
        "spend_cap": "0"
        if r.chance(0.7)
        else str(round_minor(r.between(1_000_000, 5_000_000) * per_usd, acct.currency)),
        "created_time": fmt_dt(acct.created, acct.tz),
    }
    if acct.business is not None:
        data["business"] = {
            "id": ids.business_id(acct.business),
            "name": business_name(acct.business, seed),
        }
    data["disable_reason"] = 1 if acct.status == 2 else 0
    data["min_daily_budget"] = round_minor(1.0 * per_usd, acct.currency)
    data["age"] = round((acct.today - acct.created) / DAY, 6)
    data["is_personal"] = 1 if acct.personal else 0
    data["owner"] = (
        ids.business_id(acct.business) if acct.business is not None else ids.user_id(f"owner-{a}")
    )
    data["capabilities"] = CAPABILITIES[: 1 + a % len(CAPABILITIES)]
    data["user_tasks"] = ["DRAFT", "ANALYZE", "ADVERTISE", "MANAGE"]
    # The account's default for new ad sets: Meta's 7-day click, 1-day view, or a chosen one.
    data["attribution_spec"] = attribution.spec("1d_click" if a % 2 else "7d_click_1d_view")
    data["is_attribution_spec_system_default"] = a % 2 == 0
    return node.Node(node.AD_ACCOUNT, data["id"], a, data, acct.created, acct.created)


def business_node(seed: int, b: int, first: AccountCore) -> node.Node:
    """The Business object (times in UTC); `first` is its first account."""
    r = Rng(seed, "business", b)
    created = first.created - int(r.between(30, 400) * DAY)
    created -= created % 60
    updated = created + int(r.between(1, 300) * DAY)
    data: dict[str, Any] = {
        "id": ids.business_id(b),
        "name": business_name(b, seed),
        "created_time": fmt_dt(created, "UTC"),
        "updated_time": fmt_dt(updated, "UTC"),
        "verification_status": "verified" if r.chance(0.7) else "not_verified",
        "timezone_id": first.timezone_id,
        "link": f"https://business.facebook.com/settings/?business_id={ids.business_id(b)}",
        "vertical": r.choice(vocab.VERTICALS),
        "primary_page": {
            "id": ids.page_id(first.index),
            "name": business_name(b, seed).replace(" Holdings", ""),
        },
        "created_by": {"id": ids.user_id(f"founder-{b}"), "name": "Business Admin"},
        "two_factor_type": r.choice(("none", "admin_required")),
        "is_hidden": False,
    }
    return node.Node(node.BUSINESS, data["id"], None, data, created, updated)


def user_node(token: str) -> node.Node:
    """The system user behind a token (`/me`)."""
    data = {"id": ids.user_id(token), "name": user_name(token)}
    return node.Node(node.USER, data["id"], None, data)


def image_hash(seed: int, a: int, i: int) -> str:
    """The hash of image `i` of account `a`."""
    return hex_digest(seed, "image-hash", a, i, length=32)


def image_url(seed: int, a: int, i: int, size: str = "") -> str:
    """A CDN-looking URL for an image (optionally a size variant)."""
    n = digits(seed, "image-url", a, i, length=15)
    suffix = f"&stp=dst-jpg_{size}" if size else ""
    return f"{CDN}/{n}_{n[::-1]}_n.png?_nc_cat=10&ccb=1-7&_nc_oc=A{n[:6]}{suffix}"


def _shape(r: Rng) -> tuple[int, int]:
    return r.choice(((1080, 1080), (1200, 628), (1080, 1920), (1080, 1350)))


def image_node(seed: int, acct: AccountCore, i: int, count: int, creatives: list[str]) -> node.Node:
    """The AdImage object; `creatives` are the creatives that use it."""
    a = acct.index
    r = Rng(seed, "image", a, i)
    h = image_hash(seed, a, i)
    created = acct.created + int((acct.today - acct.created) * r.between(0.05, 0.95))
    created -= created % 60
    deleted = i == count - 1 and not creatives and r.chance(0.5)
    updated = created + int((acct.today - created) * r.between(0.0, 0.5)) if deleted else created
    width, height = _shape(r)
    permalink = base64.b64encode(f"AQ{digits(seed, 'perm', a, i, length=10)}:{h}".encode()).decode()
    theme = vocab.THEMES[(a + i) % len(vocab.THEMES)].lower().replace(" ", "_")
    data: dict[str, Any] = {
        "id": f"{ids.account_number(a)}:{h}",
        "hash": h,
        "account_id": ids.account_number(a),
        "name": f"{theme}_{width}x{height}_{i + 1}.png",
        "status": "DELETED" if deleted else "ACTIVE",
        "url": image_url(seed, a, i),
        "url_128": image_url(seed, a, i, "p128x128"),
        "permalink_url": f"https://www.facebook.com/ads/image/?d={permalink}",
        "width": width,
        "height": height,
        "original_width": width,
        "original_height": height,
        "created_time": fmt_dt(created, acct.tz),
        "updated_time": fmt_dt(updated, acct.tz),
        "is_associated_creatives_in_adgroups": bool(creatives),
    }
    if creatives:
        data["creatives"] = creatives
    return node.Node(node.AD_IMAGE, data["id"], a, data, created, updated)


def video_node(seed: int, acct: AccountCore, v: int) -> node.Node:
    """The AdVideo object."""
    a = acct.index
    r = Rng(seed, "video", a, v)
    vid = ids.object_id(ids.VIDEO, a, v)
    created = acct.created + int((acct.today - acct.created) * r.between(0.05, 0.95))
    created -= created % 60
    updated = created + int((acct.today - created) * r.between(0.0, 0.3))
    width, height = _shape(r)
    picture = image_url(seed, a, 100 + v)
    n = digits(seed, "video-src", a, v, length=15)
    data: dict[str, Any] = {
        "id": vid,
        "title": f"{vocab.THEMES[(a + v) % len(vocab.THEMES)]} cut {v + 1}",
        "description": vocab.BODIES[(a + v) % len(vocab.BODIES)],
        "length": round(r.between(6, 60), 3),
        "source": f"{VIDEO_CDN}/{n}_n.mp4?_nc_cat=1&ccb=1-7&efg=eyJ2ZW5jb2RlX3RhZyI6InN2ZV9zZCJ9",
        "picture": picture,
        "permalink_url": f"/{ids.page_id(a)}/videos/{vid}/",
        "published": True,
        "embeddable": True,
        "views": r.integer(0, 250_000),
        "created_time": fmt_dt(created, acct.tz),
        "updated_time": fmt_dt(updated, acct.tz),
        "status": {"video_status": "ready", "processing_progress": 100},
        "format": [
            {
                "filter": "native",
                "width": width,
                "height": height,
                "picture": picture,
                "embed_html": f'<iframe src="https://www.facebook.com/video/embed?video_id={vid}" '
                f'width="{width}" height="{height}" frameborder="0"></iframe>',
            },
            {
                "filter": "720x720",
                "width": 720,
                "height": 720 * height // width,
                "picture": picture,
                "embed_html": f'<iframe src="https://www.facebook.com/video/embed?video_id={vid}" '
                f'width="720" height="{720 * height // width}" frameborder="0"></iframe>',
            },
        ],
    }
    return node.Node(node.AD_VIDEO, vid, a, data, created, updated)


def creative_node(
    seed: int, acct: AccountCore, adset: AdSetCore, ad: AdCore, video_picture: str | None
) -> node.Node:
    """The AdCreative of an ad (one per ad; no created/updated time, as in Meta)."""
    a, c, s, d = ad.key
    cid = ids.object_id(ids.CREATIVE, a, c, s, d)
    page = ids.page_id(a)
    domain = vocab.DOMAINS[ad.domain]
    link = f"https://{domain}/landing/{c + 1}-{s + 1}"
    title = vocab.HEADLINES[ad.headline]
    body = vocab.BODIES[ad.body]
    cta = vocab.CALL_TO_ACTIONS[ad.cta]
    h = image_hash(seed, a, ad.image)
    data: dict[str, Any] = {
        "id": cid,
        "account_id": ids.account_number(a),
        "name": f"{title} {local_date(ad.created, acct.tz).isoformat()}-{cid[-6:]}",
        "status": "ACTIVE",
        "object_type": "VIDEO" if ad.video is not None else "SHARE",
        "body": body,
        "title": title,
        "link_url": link,
    }
    cta_spec = {"type": cta, "value": {"link": link}}
    if ad.video is not None:
        video_id = ids.object_id(ids.VIDEO, a, ad.video)
        data["image_url"] = video_picture or image_url(seed, a, 100 + ad.video)
        data["video_id"] = video_id
        story: dict[str, Any] = {
            "page_id": page,
            "video_data": {
                "video_id": video_id,
                "title": title,
                "message": body,
                "image_url": data["image_url"],
                "call_to_action": cta_spec,
            },
        }
    else:
        data["image_url"] = image_url(seed, a, ad.image)
        data["image_hash"] = h
        story = {
            "page_id": page,
            "link_data": {
                "link": link,
                "message": body,
                "name": title,
                "image_hash": h,
                "call_to_action": cta_spec,
            },
        }
    thumb = digits(seed, "thumb", *ad.key, length=12)
    data["thumbnail_url"] = (
        f"https://external.xx.fbcdn.net/emg1/v/t13/{thumb}?url={data['image_url'][:40]}"
        "&fb_obo=1&stp=c0.5000x0.5000f_dst-emg0_p64x64_q75"
    )
    data["call_to_action_type"] = cta
    data["url_tags"] = "utm_source=facebook&utm_medium=paid&utm_campaign={{campaign.name}}"
    if adset.dynamic:
        data["object_story_spec"] = {"page_id": page}
        data["asset_feed_spec"] = {
            "bodies": [{"text": body}, {"text": vocab.BODIES[(ad.body + 1) % len(vocab.BODIES)]}],
            "titles": [
                {"text": title},
                {"text": vocab.HEADLINES[(ad.headline + 1) % len(vocab.HEADLINES)]},
            ],
            "images": [{"hash": h}],
            "link_urls": [{"website_url": link}],
            "call_to_action_types": [cta],
            "ad_formats": ["SINGLE_IMAGE"],
            "optimization_type": "REGULAR",
        }
    else:
        data["object_story_spec"] = story
    data["effective_object_story_id"] = post_id(seed, ad.key)
    return node.Node(node.AD_CREATIVE, cid, a, data)


def _subtype(a: int, n: int) -> str:
    return vocab.AUDIENCE_SUBTYPES[(a + n) % len(vocab.AUDIENCE_SUBTYPES)]


def audience_node(seed: int, acct: AccountCore, n: int) -> node.Node:
    """The CustomAudience object (times are Unix-second integers, as in Meta)."""
    a = acct.index
    r = Rng(seed, "audience", a, n)
    subtype = _subtype(a, n)
    aid = ids.object_id(ids.AUDIENCE, a, n)
    created = acct.created + int((acct.today - acct.created) * r.between(0.1, 0.9))
    updated = created + int((acct.today - created) * r.between(0.0, 0.9))
    lower = int(10 ** r.between(3, 6.5)) // 100 * 100
    small = lower < 1000 or r.chance(0.1)
    data: dict[str, Any] = {
        "id": aid,
        "account_id": ids.account_number(a),
        "name": f"{subtype.title()} audience {n + 1}",
        "description": f"{subtype.title()} audience for {vocab.THEMES[n % len(vocab.THEMES)]}",
        "subtype": subtype,
        "approximate_count_lower_bound": lower,
        "approximate_count_upper_bound": int(lower * 1.18) // 100 * 100,
        "time_created": created,
        "time_updated": updated,
        "time_content_updated": updated - int((updated - created) * r.between(0, 0.5)),
        "delivery_status": {
            "code": 300,
            "description": "This audience is too small to deliver ads.",
        }
        if small
        else {"code": 200, "description": "This audience is ready for use."},
        "operation_status": {"code": 200, "description": "Normal"},
        "is_value_based": subtype == "LOOKALIKE" and r.chance(0.3),
    }
    pixel = ids.pixel_id(a)
    if subtype == "WEBSITE":
        days = r.choice((30, 90, 180))
        data["retention_days"] = days
        data["pixel_id"] = pixel
        data["rule"] = json.dumps(
            {
                "inclusions": {
                    "operator": "or",
                    "rules": [
                        {
                            "event_sources": [{"id": pixel, "type": "pixel"}],
                            "retention_seconds": days * DAY,
                            "filter": {
                                "operator": "and",
                                "filters": [
                                    {"field": "url", "operator": "i_contains", "value": "checkout"}
                                ],
                            },
                        }
                    ],
                }
            },
            separators=(",", ":"),
        )
        data["data_source"] = {
            "type": "EVENT_BASED",
            "sub_type": "WEB_PIXEL_HITS",
            "creation_params": "[]",
        }
    elif subtype in ("ENGAGEMENT", "VIDEO"):
        data["retention_days"] = 365
        data["data_source"] = {
            "type": "EVENT_BASED",
            "sub_type": "ENGAGEMENT_EVENT_USERS",
            "creation_params": "[]",
        }
    elif subtype == "LOOKALIKE":
        k = 0 if _subtype(a, 0) != "LOOKALIKE" else 1
        origin = ids.object_id(ids.AUDIENCE, a, k)
        origin_name = f"{_subtype(a, k).title()} audience {k + 1}"
        data["lookalike_spec"] = {
            "country": vocab.HOME_COUNTRIES.get(acct.currency, "US"),
            "ratio": 0.01,
            "starting_ratio": 0,
            "type": "custom_ratio",
            "origin": [{"id": origin, "name": origin_name, "type": "custom_audience"}],
        }
        data["data_source"] = {
            "type": "UNKNOWN",
            "sub_type": "LOOKALIKE_PLATFORM",
            "creation_params": "[]",
        }
    else:
        data["customer_file_source"] = "USER_PROVIDED_ONLY"
        data["data_source"] = {
            "type": "FILE_IMPORTED",
            "sub_type": "HASHES",
            "creation_params": "[]",
        }
    return node.Node(node.CUSTOM_AUDIENCE, aid, a, data, created, updated)
