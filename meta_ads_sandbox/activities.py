"""An account's change history (``/act_<id>/activities``), derived from the dataset.

Every campaign, ad set and ad has its creation event at its ``created_time``, by one of the
account's media buyers in Ads Manager; every epoch change (epochs.py) adds one event at the
change's time, by the Marketing API: a campaign paused (``update_campaign_run_status``), an ad
set renamed (``update_ad_set_name``), an ad deleted (``update_ad_run_status``). ``extra_data``
is a JSON string, as Meta sends it (``{"old_value": ..., "new_value": ...}`` for changes).

Meta's activity objects have no ``id``; the sandbox keeps an internal one for its cursors only
(never served). The edge lists newest first and filters on ``event_time`` with ``since`` and
``until`` (Unix seconds or ISO-8601, both inclusive).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from meta_ads_sandbox import ids, node
from meta_ads_sandbox.rng import digits, h64
from meta_ads_sandbox.timeutil import fmt_dt, zone

if TYPE_CHECKING:
    from meta_ads_sandbox.dataset import Dataset

BUYERS = ("Alex Morgan", "Sam Rivera", "Jo Tanaka", "Chris Okafor")
ADS_MANAGER = ("Ads Manager", digits("application", "ads-manager", length=15))
MARKETING_API = ("Marketing API", digits("application", "marketing-api", length=15))
#: event_type -> (translated_event_type, object_type)
EVENTS = {
    "create_campaign_group": ("Campaign created", "CAMPAIGN_GROUP"),
    "create_ad_set": ("Ad set created", "CAMPAIGN"),
    "create_ad": ("Ad created", "ADGROUP"),
    "update_campaign_run_status": ("Campaign status updated", "CAMPAIGN_GROUP"),
    "update_ad_set_name": ("Ad set name updated", "CAMPAIGN"),
    "update_ad_run_status": ("Ad status updated", "ADGROUP"),
}


def _activity(
    ds: Dataset,
    a: int,
    ts: int,
    event_type: str,
    obj: tuple[str, str],
    actor: tuple[str, str],
    app: tuple[str, str],
    extra: dict[str, Any],
) -> dict[str, Any]:
    translated, object_type = EVENTS[event_type]
    local = datetime.fromtimestamp(ts, zone(ds.account_core(a).tz))
    hour = local.hour % 12 or 12
    return {
        "actor_id": actor[0],
        "actor_name": actor[1],
        "application_id": app[1],
        "application_name": app[0],
        "date_time_in_timezone": f"{local:%m/%d/%Y} at {hour}:{local:%M} {local:%p}",
        "event_time": fmt_dt(ts, "UTC"),
        "event_type": event_type,
        "extra_data": json.dumps(extra, separators=(",", ":")),
        "object_id": obj[0],
        "object_name": obj[1],
        "object_type": object_type,
        "translated_event_type": translated,
    }


def _buyer(ds: Dataset, a: int, *key: int) -> tuple[str, str]:
    k = h64(ds.seed, "activity-actor", a, *key) % len(BUYERS)
    return ids.user_id(f"buyer-{a}-{k}"), BUYERS[k]


def account_activities(ds: Dataset, a: int, epoch: int) -> list[node.Node]:
    """Every activity of account `a` after `epoch` epochs, oldest first."""
    rows: list[tuple[int, dict[str, Any]]] = []
    for (c,) in ds.campaign_keys(a):
        core = ds.campaign_core(a, c)
        obj = (ids.object_id(ids.CAMPAIGN, a, c), core.name)
        extra = {"name": core.name, "status": core.status}
        rows.append(
            (
                core.created,
                _activity(
                    ds,
                    a,
                    core.created,
                    "create_campaign_group",
                    obj,
                    _buyer(ds, a, c),
                    ADS_MANAGER,
                    extra,
                ),
            )
        )
    for c, s in ds.adset_keys(a):
        core_s = ds.adset_core(a, c, s)
        obj = (ids.object_id(ids.ADSET, a, c, s), core_s.name)
        extra = {"name": core_s.name, "status": core_s.status}
        rows.append(
            (
                core_s.created,
                _activity(
                    ds,
                    a,
                    core_s.created,
                    "create_ad_set",
                    obj,
                    _buyer(ds, a, c, s),
                    ADS_MANAGER,
                    extra,
                ),
            )
        )
    for c, s, d in ds.ad_keys(a):
        core_d = ds.ad_core(a, c, s, d)
        obj = (ids.object_id(ids.AD, a, c, s, d), core_d.name)
        extra = {"name": core_d.name, "status": core_d.status}
        rows.append(
            (
                core_d.created,
                _activity(
                    ds,
                    a,
                    core_d.created,
                    "create_ad",
                    obj,
                    _buyer(ds, a, c, s, d),
                    ADS_MANAGER,
                    extra,
                ),
            )
        )
    rows += _changes(ds, a, epoch)
    rows.sort(key=lambda row: (row[0], row[1]["object_id"], row[1]["event_type"]))
    account = ids.account_number(a)
    return [
        node.Node(node.AD_ACTIVITY, f"activity:{account}:{i}", a, data, ts, ts)
        for i, (ts, data) in enumerate(rows)
    ]


def _changes(ds: Dataset, a: int, epoch: int) -> list[tuple[int, dict[str, Any]]]:
    """One event per epoch change (the Marketing API's system user made them)."""
    out: list[tuple[int, dict[str, Any]]] = []
    today = ds.account_core(a).today
    actor = (ids.user_id("sandbox-automation"), "Sandbox Automation System User")
    for e in range(1, epoch + 1):
        for key, change in sorted(ds.changes_in(a, e).items()):
            if change.ts != today + 60 * e:
                continue  # changed in an earlier epoch only
            before = ds.change((a, *key), e - 1)
            if len(key) == 1:
                (c,) = key
                old = (before.status if before else None) or ds.campaign_core(a, c).status
                obj = (ids.object_id(ids.CAMPAIGN, a, c), ds.campaign_core(a, c).name)
                kind, extra = (
                    "update_campaign_run_status",
                    {"old_value": old, "new_value": "PAUSED"},
                )
            elif len(key) == 2:
                c, s = key
                base = ds.adset_core(a, c, s).name
                old = (before.name if before else None) or base
                obj = (ids.object_id(ids.ADSET, a, c, s), change.name or base)
                kind, extra = "update_ad_set_name", {"old_value": old, "new_value": obj[1]}
            else:
                c, s, d = key
                old = (before.status if before else None) or ds.ad_core(a, c, s, d).status
                obj = (ids.object_id(ids.AD, a, c, s, d), ds.ad_core(a, c, s, d).name)
                kind, extra = "update_ad_run_status", {"old_value": old, "new_value": "DELETED"}
            out.append(
                (change.ts, _activity(ds, a, change.ts, kind, obj, actor, MARKETING_API, extra))
            )
    return out
