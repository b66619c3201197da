"""Object edges: which children an edge lists, in which order, and how they are filtered.

Order: by ID descending (IDs encode position, so this is stable and needs no sorting), except
ad images, videos, audiences and custom conversions (newest `created_time` first), activities
(newest `event_time` first, filtered by `since`/`until`) and the account lists under /me and a
business (ascending account number).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from meta_ads_sandbox import errors, fields, ids, node, params, versions
from meta_ads_sandbox.auth import TokenStore
from meta_ads_sandbox.dataset import Dataset
from meta_ads_sandbox.insights import EFFECTIVE, status_error
from meta_ads_sandbox.node import Node

HIDDEN_BY_DEFAULT = ("DELETED", "ARCHIVED")
Item = tuple[str, tuple[int, ...]]  # (id, key the loader understands)


@dataclass(frozen=True)
class Edge:
    """One list edge."""

    child: str  # node type of the items
    entity: str  # prefix of `filtering` fields
    level: str | None  # "campaign"/"adset"/"ad": has effective_status filtering and hiding
    default_fields: tuple[str, ...]
    items: Callable[[Dataset, Node, TokenStore, str], list[Item]]
    load: Callable[[Dataset, tuple[int, ...]], Node]
    window: str | None = None  # the time field `since`/`until` bound (activities: event_time)


def _pos(n: Node) -> tuple[int, ...]:
    ref = ids.decode(n.id)
    assert ref is not None
    return ref.path


def _campaigns(ds: Dataset, parent: Node, tokens: TokenStore, token: str) -> list[Item]:
    a = _pos(parent)[0]
    return [
        (ids.object_id(ids.CAMPAIGN, a, c), (a, c)) for (c,) in reversed(list(ds.campaign_keys(a)))
    ]


def _adsets(ds: Dataset, parent: Node, tokens: TokenStore, token: str) -> list[Item]:
    pos = _pos(parent)
    a, c = pos[0], pos[1] if len(pos) > 1 else None
    keys = list(ds.adset_keys(a, c))
    return [(ids.object_id(ids.ADSET, a, cc, s), (a, cc, s)) for cc, s in reversed(keys)]


def _ad_items(kind: str) -> Callable[[Dataset, Node, TokenStore, str], list[Item]]:
    def items(ds: Dataset, parent: Node, tokens: TokenStore, token: str) -> list[Item]:
        pos = _pos(parent)
        a = pos[0]
        c = pos[1] if len(pos) > 1 else None
        s = pos[2] if len(pos) > 2 else None
        keys = list(ds.ad_keys(a, c, s))
        return [(ids.object_id(kind, a, cc, ss, d), (a, cc, ss, d)) for cc, ss, d in reversed(keys)]

    return items


def _creatives(ds: Dataset, parent: Node, tokens: TokenStore, token: str) -> list[Item]:
    gone = ds.vanished_creatives(_pos(parent)[0])
    listed = _ad_items(ids.CREATIVE)(ds, parent, tokens, token)
    return [item for item in listed if item[1][1:] not in gone]


def _media(kind: str) -> Callable[[Dataset, Node, TokenStore, str], list[Item]]:
    def items(ds: Dataset, parent: Node, tokens: TokenStore, token: str) -> list[Item]:
        a = _pos(parent)[0]
        lists = {
            "image": ds.images,
            "video": ds.videos,
            "audience": ds.audiences,
            "conversion": ds.conversions,
        }
        nodes = lists[kind](a)
        ordered = sorted(range(len(nodes)), key=lambda i: (-(nodes[i].created or 0), nodes[i].id))
        return [(nodes[i].id, (a, i)) for i in ordered]

    return items


def _activities(ds: Dataset, parent: Node, tokens: TokenStore, token: str) -> list[Item]:
    a = _pos(parent)[0]
    nodes = ds.activities(a)
    return [(nodes[i].id, (a, i)) for i in range(len(nodes) - 1, -1, -1)]


def _my_accounts(ds: Dataset, parent: Node, tokens: TokenStore, token: str) -> list[Item]:
    return [(ids.account_id(a), (a,)) for a in tokens.accounts(token)]


def _my_businesses(ds: Dataset, parent: Node, tokens: TokenStore, token: str) -> list[Item]:
    seen = {ds.account_core(a).business for a in tokens.accounts(token)}
    return [(ids.business_id(b), (b,)) for b in sorted(b for b in seen if b is not None)]


def _owned_accounts(ds: Dataset, parent: Node, tokens: TokenStore, token: str) -> list[Item]:
    b = ids.decode(parent.id)
    number = b.number if b else -1
    visible = set(tokens.accounts(token))
    return [(ids.account_id(a), (a,)) for a in ds.business_accounts(number) if a in visible]


def _none(ds: Dataset, parent: Node, tokens: TokenStore, token: str) -> list[Item]:
    return []


_ID = ("id",)
EDGES: dict[tuple[str, str], Edge] = {
    (node.AD_ACCOUNT, "campaigns"): Edge(
        node.CAMPAIGN, "campaign", "campaign", _ID, _campaigns, lambda ds, k: ds.campaign(*k)
    ),
    (node.AD_ACCOUNT, "adsets"): Edge(
        node.AD_SET, "adset", "adset", _ID, _adsets, lambda ds, k: ds.adset(*k)
    ),
    (node.AD_ACCOUNT, "ads"): Edge(
        node.AD, "ad", "ad", _ID, _ad_items(ids.AD), lambda ds, k: ds.ad(*k)
    ),
    (node.AD_ACCOUNT, "adcreatives"): Edge(
        node.AD_CREATIVE,
        "adcreative",
        None,
        _ID,
        _creatives,
        lambda ds, k: ds.creative(*k),
    ),
    (node.AD_ACCOUNT, "adimages"): Edge(
        node.AD_IMAGE, "adimage", None, _ID, _media("image"), lambda ds, k: ds.image(*k)
    ),
    (node.AD_ACCOUNT, "advideos"): Edge(
        node.AD_VIDEO, "advideo", None, _ID, _media("video"), lambda ds, k: ds.video(*k)
    ),
    (node.AD_ACCOUNT, "customaudiences"): Edge(
        node.CUSTOM_AUDIENCE,
        "customaudience",
        None,
        _ID,
        _media("audience"),
        lambda ds, k: ds.audience(*k),
    ),
    (node.AD_ACCOUNT, "customconversions"): Edge(
        node.CUSTOM_CONVERSION,
        "customconversion",
        None,
        _ID,
        _media("conversion"),
        lambda ds, k: ds.conversion(*k),
    ),
    (node.AD_ACCOUNT, "activities"): Edge(
        node.AD_ACTIVITY,
        "activity",
        None,
        ("event_type", "event_time"),
        _activities,
        lambda ds, k: ds.activities(k[0])[k[1]],
        window="event_time",
    ),
    (node.CAMPAIGN, "adsets"): Edge(
        node.AD_SET, "adset", "adset", _ID, _adsets, lambda ds, k: ds.adset(*k)
    ),
    (node.CAMPAIGN, "ads"): Edge(
        node.AD, "ad", "ad", _ID, _ad_items(ids.AD), lambda ds, k: ds.ad(*k)
    ),
    (node.AD_SET, "ads"): Edge(
        node.AD, "ad", "ad", _ID, _ad_items(ids.AD), lambda ds, k: ds.ad(*k)
    ),
    (node.USER, "adaccounts"): Edge(
        node.AD_ACCOUNT,
        "adaccount",
        None,
        ("account_id", "id"),
        _my_accounts,
        lambda ds, k: ds.account(*k),
    ),
    (node.USER, "businesses"): Edge(
        node.BUSINESS,
        "business",
        None,
        ("id", "name"),
        _my_businesses,
        lambda ds, k: ds.business(*k),
    ),
    (node.BUSINESS, "owned_ad_accounts"): Edge(
        node.AD_ACCOUNT, "adaccount", None, ("id",), _owned_accounts, lambda ds, k: ds.account(*k)
    ),
    (node.BUSINESS, "client_ad_accounts"): Edge(
        node.AD_ACCOUNT, "adaccount", None, ("id",), _none, lambda ds, k: ds.account(*k)
    ),
}


def edges_of(node_type: str) -> dict[str, str]:
    """The list edges of a node type that can be expanded inside `fields` ({name: child type})."""
    return {name: e.child for (parent, name), e in EDGES.items() if parent == node_type}


def _time_value(value: Any) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    text = str(value).strip()
    try:
        return float(text)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError as exc:
        raise errors.invalid_parameter(f"Invalid timestamp value {text!r} in filtering") from exc


def _node_time(n: Node, name: str) -> float | None:
    if name == "updated_time" and n.updated is not None:
        return float(n.updated)
    if name == "created_time" and n.created is not None:
        return float(n.created)
    raw = n.data.get(name)
    if isinstance(raw, int):
        return float(raw)
    if isinstance(raw, str):
        try:
            return datetime.strptime(raw, "%Y-%m-%dT%H:%M:%S%z").timestamp()
        except ValueError:
            return None
    return None


def _time_check(f: params.Filter, bound: float) -> Callable[[Node], bool]:
    def check(n: Node) -> bool:
        t = _node_time(n, f.field)
        return t is not None and params.compare(t, f.operator, bound)

    return check


def _value_check(f: params.Filter) -> Callable[[Node], bool]:
    def check(n: Node) -> bool:
        return params.compare(n.data.get(f.field), f.operator, f.value)

    return check


#: Parent entities whose id an edge's `filtering` may name (Graph accepts e.g. campaign.id on ads).
PARENT_FILTERS = {"adset": ("campaign",), "ad": ("campaign", "adset")}


def _parent_check(f: params.Filter) -> Callable[[Node], bool]:
    def check(n: Node) -> bool:
        return params.compare(n.data.get(f"{f.entity}_id"), f.operator, f.value)

    return check


# singer's include_deleted filter: `<entity>.delivery_info IN [...]`, mapped onto effective status.
DELIVERY_INFO = {
    "active": ("ACTIVE",),
    "inactive": ("PAUSED", "CAMPAIGN_PAUSED", "ADSET_PAUSED"),
    "archived": ("ARCHIVED",),
    "deleted": ("DELETED",),
}


def _delivery(values: Any, statuses: tuple[str, ...]) -> set[str]:
    items = values if isinstance(values, list) else [values]
    found = {s for v in items for s in DELIVERY_INFO.get(str(v).lower(), ())}
    return found & set(statuses)


def matcher(
    edge: Edge, p: dict[str, str], deleted_mode: str, version: str = versions.DEFAULT
) -> Callable[[Node], bool]:
    """Build the item predicate from `filtering`, `effective_status` and `updated_since`."""
    clauses = params.filtering(p["filtering"]) if p.get("filtering") else []
    allowed: set[str] | None = None
    statuses = EFFECTIVE.get(edge.level or "", ())

    def status_list(values: Any) -> set[str]:
        items = values if isinstance(values, list) else [values]
        if edge.level is None or any(str(v) not in statuses for v in items):
            raise status_error()
        return {str(v) for v in items}

    if p.get("effective_status"):
        allowed = status_list(params.string_list(p["effective_status"], "effective_status"))
    checks: list[Callable[[Node], bool]] = []
    for f in clauses:
        if f.entity in PARENT_FILTERS.get(edge.entity or "", ()):
            # `campaign.id IN [...]` on the adsets/ads edges: restrict to children of parents.
            if f.field != "id":
                raise errors.invalid_parameter(f"Filtering field {f.entity}.{f.field} is invalid.")
            checks.append(_parent_check(f))
            continue
        if f.entity not in (edge.entity, ""):
            raise errors.invalid_parameter(f"Filtering field {f.entity}.{f.field} is invalid.")
        if f.field == "effective_status" and edge.level is not None:
            if f.operator not in ("IN", "NOT_IN", "EQUAL"):
                raise status_error()
            named = status_list(f.value)
            if f.operator == "NOT_IN":
                named = set(statuses) - named
            allowed = named if allowed is None else allowed & named
        elif f.field == "delivery_info" and edge.level is not None:
            named = _delivery(f.value, statuses)
            if f.operator == "NOT_IN":
                named = set(statuses) - named
            allowed = named if allowed is None else allowed & named
        elif fields.field_type(edge.child, f.field, version) is None:
            raise errors.invalid_parameter(f"Filtering field {f.entity}.{f.field} is invalid.")
        elif f.field.endswith("_time") or f.field.startswith("time_"):
            bound = _time_value(f.value)
            checks.append(_time_check(f, bound))
        else:
            checks.append(_value_check(f))
    if edge.window is not None:
        for name, operator in (("since", "GREATER_THAN_OR_EQUAL"), ("until", "LESS_THAN_OR_EQUAL")):
            if p.get(name):
                window = params.Filter(edge.entity, edge.window, operator, p[name])
                checks.append(_time_check(window, _time_value(p[name])))
    if p.get("updated_since"):
        since = _time_value(p["updated_since"])
        checks.append(lambda n: n.updated is not None and n.updated > since)
    if edge.level is not None:
        if allowed is None:
            allowed = set(statuses) - set(HIDDEN_BY_DEFAULT)
        if deleted_mode == "hidden":
            allowed.discard("DELETED")
    final = allowed

    def keep(n: Node) -> bool:
        if final is not None and n.effective_status not in final:
            return False
        return all(check(n) for check in checks)

    return keep


@dataclass
class Page:
    """One page of an edge."""

    nodes: list[Node]
    before: str | None  # cursor of the first item
    after: str | None  # cursor of the last item
    has_next: bool
    has_previous: bool
    total: int | None


def page(
    ds: Dataset,
    items: list[Item],
    load: Callable[[Dataset, tuple[int, ...]], Node],
    keep: Callable[[Node], bool],
    limit: int,
    after: str | None,
    before: str | None,
    want_total: bool,
) -> Page:
    """Walk the items from the cursor, loading and filtering, until a page is full."""
    position = {item_id: i for i, (item_id, _) in enumerate(items)}

    def start_of(cursor: str) -> int:
        key = params.decode_cursor(cursor)
        if key not in position:
            raise errors.GraphError(400, 2642, "(#2642) Invalid cursors values")
        return position[key]

    chosen: list[Node] = []
    has_next = has_previous = False
    if before:
        end = start_of(before)
        for i in range(end - 1, -1, -1):
            n = load(ds, items[i][1])
            if keep(n):
                if len(chosen) == limit:
                    has_previous = True
                    break
                chosen.append(n)
        chosen.reverse()
        has_next = True
    else:
        begin = start_of(after) + 1 if after else 0
        has_previous = bool(after)
        for i in range(begin, len(items)):
            n = load(ds, items[i][1])
            if keep(n):
                if len(chosen) == limit:
                    has_next = True
                    break
                chosen.append(n)
    total = None
    if want_total:
        total = sum(1 for _, key in items if keep(load(ds, key)))
    return Page(
        chosen,
        params.encode_cursor(chosen[0].id) if chosen else None,
        params.encode_cursor(chosen[-1].id) if chosen else None,
        has_next and bool(chosen),
        has_previous and bool(chosen),
        total,
    )
