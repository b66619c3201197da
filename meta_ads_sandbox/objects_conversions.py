"""Custom conversions: pixel rules an account counts as its own conversion types.

Each account has 2 or 3 (``conversions_in``): a PURCHASE rule, a LEAD rule and, on odd
accounts, an archived COMPLETE_REGISTRATION rule. Insights count a live rule's conversions as
``offsite_conversion.custom.<id>`` actions (``custom_actions``), so the action type joins
back to the conversion's ``id``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from meta_ads_sandbox import ids, node
from meta_ads_sandbox.cores import AccountCore
from meta_ads_sandbox.rng import Rng
from meta_ads_sandbox.timeutil import DAY, fmt_dt

#: (custom_event_type, pixel event, URL fragment, objective whose ads fire it)
RULES = (
    ("PURCHASE", "Purchase", "checkout/thank-you", "OUTCOME_SALES"),
    ("LEAD", "Lead", "contact/sent", "OUTCOME_LEADS"),
    ("COMPLETE_REGISTRATION", "CompleteRegistration", "signup/done", ""),
)
CUSTOM_PREFIX = "offsite_conversion.custom."


@dataclass(frozen=True)
class ConversionRule:
    """What insights need of one custom conversion."""

    id: str
    event_type: str
    objective: str  # ads of this objective fire it ("" for none)
    archived: bool

    @property
    def action_type(self) -> str:
        return CUSTOM_PREFIX + self.id


def conversions_in(account: int) -> int:
    """Custom conversions per account (2 or 3)."""
    return 2 + account % 2


def rules(account: int) -> list[ConversionRule]:
    """The account's custom conversions, in position order."""
    return [
        ConversionRule(
            ids.object_id(ids.CONVERSION, account, n),
            RULES[n][0],
            RULES[n][3],
            archived=n == 2,
        )
        for n in range(conversions_in(account))
    ]


def conversion_node(seed: int, acct: AccountCore, n: int) -> node.Node:
    """The CustomConversion object `n` of an account (times in the account's zone)."""
    a = acct.index
    r = Rng(seed, "custom-conversion", a, n)
    event_type, event, fragment, _ = RULES[n]
    rule = rules(a)[n]
    created = acct.created + int((acct.today - acct.created) * r.between(0.05, 0.5))
    created -= created % 60
    pixel = ids.pixel_id(a)
    first = created + int(r.between(0.1, 3) * DAY)
    last = acct.today - int(r.between(0.01, 0.9) * DAY)
    if rule.archived:
        last = first + int((last - first) * r.between(0.1, 0.5))
    data = {
        "id": rule.id,
        "account_id": ids.account_number(a),
        "name": f"{event} on /{fragment}",
        "description": f"{event} events whose URL contains {fragment}",
        "rule": json.dumps(
            {"and": [{"event": {"eq": event}}, {"or": [{"URL": {"i_contains": fragment}}]}]},
            separators=(",", ":"),
        ),
        "custom_event_type": event_type,
        "default_conversion_value": 0 if event_type != "PURCHASE" else r.integer(20, 90),
        "pixel": {"id": pixel},
        "data_sources": [{"id": pixel, "source_type": "PIXEL", "name": f"{acct.name} Pixel"}],
        "event_source_type": "pixel",
        "aggregation_rule": "count",
        "retention_days": 0,
        "creation_time": fmt_dt(created, acct.tz),
        "first_fired_time": fmt_dt(first, acct.tz),
        "last_fired_time": fmt_dt(last, acct.tz),
        "is_archived": rule.archived,
        "is_unavailable": False,
    }
    return node.Node(node.CUSTOM_CONVERSION, rule.id, a, data, created, created)


def custom_actions(
    seed: int, key: tuple[int, ...], day: int, objective: str, base: list[int]
) -> dict[str, list[int]]:
    """The custom conversions an ad's `base` conversions (window vector) count as that day.

    A live rule of the ad's objective counts a share of them; `base` is
    [1d_click, 7d_click, 28d_click, 1d_view, 1d_ev, total] with total = 7d_click + 1d_view.
    """
    out: dict[str, list[int]] = {}
    for n, rule in enumerate(rules(key[0])):
        if rule.archived or rule.objective != objective:
            continue
        share = Rng(seed, "custom-action", *key, day, n).between(0.5, 0.9)
        c1, c7, c28, view, engaged = (int(v * share) for v in base[:5])
        out[rule.action_type] = [c1, c7, max(c7, c28), view, min(engaged, c7 + view), c7 + view]
    return out
