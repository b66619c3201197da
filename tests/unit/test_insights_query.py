"""Insights queries (params, splits), the entity lister and the levels, without a manager."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from dataclasses import replace
from typing import Any

import pytest

from tap_meta_ads.graph.errors import GraphRetriableError
from tap_meta_ads.insights import LEVEL_NAMES, level_columns, level_of
from tap_meta_ads.insights.lister import EntityLister
from tap_meta_ads.insights.query import (
    EntitySplit,
    ReportQuery,
    split_dates,
    split_entities,
    split_fields,
    with_key_fields,
)

DAY = dt.date(2024, 3, 1)


def test_graph_params_encode_range_filtering_and_entity():
    q = ReportQuery(
        "1",
        "ad",
        DAY,
        DAY + dt.timedelta(days=6),
        ("ad_id", "spend"),
        params=(
            ("filtering", '[{"field":"ad.effective_status","operator":"IN","value":["ACTIVE"]}]'),
            ("action_breakdowns", '["action_type"]'),
        ),
        entity=("campaign", ("5", "6")),
    )
    params = q.graph_params()
    assert params["level"] == "ad"
    assert params["fields"] == "ad_id,spend"
    assert params["time_range"] == '{"since":"2024-03-01","until":"2024-03-07"}'
    assert params["time_increment"] == "1"
    assert params["action_breakdowns"] == '["action_type"]'
    assert json.loads(params["filtering"]) == [
        {"field": "ad.effective_status", "operator": "IN", "value": ["ACTIVE"]},
        {"field": "campaign.id", "operator": "IN", "value": ["5", "6"]},
    ]


@pytest.mark.parametrize(
    ("increment", "days", "halves"),
    [
        ("1", 8, ((1, 4), (5, 8))),
        ("1", 5, ((1, 2), (3, 5))),
        ("7", 21, ((1, 7), (8, 21))),
        ("7", 7, None),
        ("1", 1, None),
        ("all_days", 30, None),
    ],
)
def test_date_split_keeps_time_increment_buckets(increment, days, halves):
    q = ReportQuery(
        "1",
        "ad",
        DAY,
        DAY + dt.timedelta(days=days - 1),
        ("spend",),
        params=(("time_increment", increment),),
    )
    split = split_dates(q)
    if halves is None:
        assert split is None
    else:
        assert split is not None
        assert [(h.since.day, h.until.day) for h in split] == [tuple(h) for h in halves]


def test_monthly_split_is_on_a_month_start():
    q = ReportQuery(
        "1",
        "ad",
        dt.date(2024, 1, 15),
        dt.date(2024, 4, 10),
        ("spend",),
        params=(("time_increment", "monthly"),),
    )
    first, second = split_dates(q) or ()
    assert first.until == dt.date(2024, 2, 29)
    assert second.since == dt.date(2024, 3, 1)


def test_entity_and_field_halves_are_disjoint_and_keep_keys():
    q = ReportQuery("1", "ad", DAY, DAY, ("ad_id", "account_id", "a", "b", "c", "date_start"))
    (left, right), rest = split_entities(q, EntitySplit("campaign", ("1", "2", "3")))
    assert left.entity == ("campaign", ("1",))
    assert right.entity == ("campaign", ("2", "3"))
    assert rest is None
    q = replace(q, entity=("campaign", ("9",)), params=(("filtering", '[{"field":"ad.x"}]'),))
    halves, rest = split_entities(q, EntitySplit("adset", ("4", "5"), listed=True))
    assert [h.entity for h in halves] == [("adset", ("4",)), ("adset", ("5",))]
    assert rest is not None
    assert json.loads(rest.graph_params()["filtering"]) == [
        {"field": "ad.x"},
        {"field": "adset.id", "operator": "NOT_IN", "value": ["4", "5"]},
        {"field": "campaign.id", "operator": "IN", "value": ["9"]},
    ]
    halves = split_fields(q, ("account_id", "ad_id", "date_start"))
    assert halves is not None
    assert [h.fields for h in halves] == [
        ("ad_id", "account_id", "date_start", "a"),
        ("ad_id", "account_id", "date_start", "b", "c"),
    ]
    assert split_fields(halves[0], ("account_id", "ad_id", "date_start")) is None


def test_key_fields_are_requested():
    q = ReportQuery(
        "1",
        "ad",
        DAY,
        DAY + dt.timedelta(days=9),
        ("spend",),
        params=(("breakdowns", "age,gender"),),
    )
    assert with_key_fields(q, ("account_id", "ad_id", "age", "date_start")).fields == (
        "spend",
        "account_id",
        "ad_id",
    )


class Edges:
    """A Graph that lists the campaigns of account 1 on pages of two, or with a stuck cursor."""

    def __init__(self, campaigns: int, *, stuck: bool = False) -> None:
        self.ids = [str(10 + i) for i in range(campaigns)]
        self.stuck = stuck
        self.calls: list[tuple[str, dict[str, str]]] = []

    def get(self, account_id: str, path: str, params: dict[str, str]) -> Any:
        self.calls.append((path, dict(params)))
        start = int(params.get("after") or 0)
        body: dict[str, Any] = {"data": [{"id": i} for i in self.ids[start : start + 2]]}
        if start + 2 < len(self.ids):
            after = "2" if self.stuck else str(start + 2)
            body["paging"] = {"cursors": {"after": after}, "next": "https://graph.example/next"}
        return body


def test_lister_pages_through_an_edge_and_caches_it():
    edges = Edges(5)
    lister = EntityLister(edges)
    plan = lister.split_plan(ReportQuery("1", "ad", DAY, DAY, ("spend",)))
    assert plan == EntitySplit("campaign", ("10", "11", "12", "13", "14"), listed=True)
    assert [(path, params.get("after")) for path, params in edges.calls] == [
        ("/act_1/campaigns", None),
        ("/act_1/campaigns", "2"),
        ("/act_1/campaigns", "4"),
    ]
    assert edges.calls[0][1]["fields"] == "id"
    assert json.loads(edges.calls[0][1]["filtering"])[0]["field"] == "campaign.effective_status"
    assert lister.children("1", "campaign", None) == plan.ids
    assert len(edges.calls) == 3


def test_lister_refuses_a_cursor_that_repeats():
    lister = EntityLister(Edges(7, stuck=True))
    with pytest.raises(GraphRetriableError, match="same paging cursor"):
        lister.children("1", "campaign", None)


def test_account_level_has_no_entity_split():
    assert EntityLister(Edges(5)).split_plan(ReportQuery("1", "account", DAY, DAY, ())) is None


def test_levels_table():
    assert LEVEL_NAMES == ("account", "campaign", "adset", "ad")
    assert level_columns("account") == ("account_id", "account_name")
    assert level_columns("adset") == (
        "account_id",
        "account_name",
        "campaign_id",
        "campaign_name",
        "adset_id",
        "adset_name",
    )
    for upper, lower in itertools.pairwise(LEVEL_NAMES):
        assert level_of(upper).child == lower
        assert level_of(lower).parent == upper
    assert [level_of(n).edge for n in LEVEL_NAMES] == [None, "campaigns", "adsets", "ads"]
    assert level_of("ad").filter_field("id") == "ad.id"
    with pytest.raises(ValueError, match="unknown insights level"):
        level_of("creative")
