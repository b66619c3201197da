"""Generated objects: Meta's formats, currencies, time zones, statuses, laziness of the dataset."""

from __future__ import annotations

import re
import time
import tracemalloc
from collections import Counter
from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

from meta_ads_sandbox import fields, ids
from meta_ads_sandbox.config import DatasetConfig, TokenSpec
from meta_ads_sandbox.dataset import Dataset

DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4}$")
NODE_TYPES = {
    "adaccounts": "AdAccount",
    "campaigns": "Campaign",
    "adsets": "AdSet",
    "ads": "Ad",
    "adcreatives": "AdCreative",
    "adimages": "AdImage",
    "advideos": "AdVideo",
    "customaudiences": "CustomAudience",
    "businesses": "Business",
    "me": "User",
}


def test_every_field_exists_in_the_v25_catalogue(truth, jsonl):
    for kind, node_type in NODE_TYPES.items():
        for obj in jsonl(truth / f"{kind}.jsonl"):
            for name in obj:
                assert fields.field_type(node_type, name) is not None, (node_type, name)
            assert all(v not in (None, "", {}) for v in obj.values()), (kind, obj["id"])


def test_account_currencies_and_zones(accounts, dataset):
    big = Dataset(replace(dataset, accounts=5))
    found = [
        (big.account(a).data["currency"], big.account(a).data["timezone_name"]) for a in range(5)
    ]
    assert found == [
        ("USD", "America/Los_Angeles"),
        ("EUR", "Europe/Berlin"),
        ("JPY", "Asia/Tokyo"),
        ("KRW", "Asia/Seoul"),
        ("GBP", "Europe/London"),
    ]
    for acct in accounts:
        assert acct["id"] == "act_" + acct["account_id"]
        assert re.fullmatch(r"\d{15}", acct["account_id"])
        assert isinstance(acct["account_status"], int)
        assert isinstance(acct["timezone_id"], int)
        assert acct["spend_cap"].isdigit()
        assert acct["amount_spent"].isdigit()


def test_datetimes_use_the_account_offset(truth, jsonl, accounts):
    zones = {a["account_id"]: ZoneInfo(a["timezone_name"]) for a in accounts}
    for kind in ("campaigns", "adsets", "ads"):
        for obj in jsonl(truth / f"{kind}.jsonl"):
            for name in ("created_time", "updated_time", "start_time", "stop_time", "end_time"):
                if name in obj:
                    assert DATETIME.match(obj[name]), obj[name]
                    moment = datetime.strptime(obj[name], "%Y-%m-%dT%H:%M:%S%z")
                    assert (
                        moment.utcoffset()
                        == moment.astimezone(zones[obj["account_id"]]).utcoffset()
                    )
            assert (
                obj["updated_time"] >= obj["created_time"]
                or obj["updated_time"][:4] >= obj["created_time"][:4]
            )


def test_money_in_minor_units(truth, jsonl, accounts):
    currency = {a["account_id"]: a["currency"] for a in accounts}
    budgets = Counter()
    for kind in ("campaigns", "adsets"):
        for obj in jsonl(truth / f"{kind}.jsonl"):
            for name in ("daily_budget", "lifetime_budget", "budget_remaining", "spend_cap"):
                if name in obj:
                    assert isinstance(obj[name], str)
                    assert obj[name].isdigit()
            budget = int(obj.get("daily_budget", "0"))
            if budget:
                budgets[currency[obj["account_id"]]] = max(
                    budgets[currency[obj["account_id"]]], budget
                )
                if currency[obj["account_id"]] in ("USD", "EUR"):
                    assert budget % 100 == 0  # whole dollars/euros, in cents
    assert budgets["JPY"] > 10 * budgets["USD"] / 100  # yen budgets are whole yen


def test_special_shapes(truth, jsonl):
    for img in jsonl(truth / "adimages.jsonl"):
        assert img["id"] == f"{img['account_id']}:{img['hash']}"
        assert isinstance(img["width"], int)
    for ca in jsonl(truth / "customaudiences.jsonl"):
        for name in (
            "time_created",
            "time_updated",
            "time_content_updated",
            "approximate_count_lower_bound",
            "approximate_count_upper_bound",
        ):
            assert isinstance(ca[name], int)
        assert set(ca["operation_status"]) == {"code", "description"}
        if ca["subtype"] == "WEBSITE":
            assert ca["rule"].startswith("{")
    for cr in jsonl(truth / "adcreatives.jsonl"):
        assert "created_time" not in cr
        assert "updated_time" not in cr
    for video in jsonl(truth / "advideos.jsonl"):
        assert isinstance(video["length"], float)


def test_status_mix_and_inheritance(truth, jsonl):
    camps = {c["id"]: c for c in jsonl(truth / "campaigns.jsonl")}
    adsets = {s["id"]: s for s in jsonl(truth / "adsets.jsonl")}
    for ad in jsonl(truth / "ads.jsonl"):
        parents = (camps[ad["campaign_id"]]["status"], adsets[ad["adset_id"]]["status"])
        if "DELETED" in (ad["status"], *parents):
            assert ad["effective_status"] == "DELETED"
        elif "ARCHIVED" in (ad["status"], *parents):
            assert ad["effective_status"] == "ARCHIVED"
        elif ad["status"] == "PAUSED":
            assert ad["effective_status"] == "PAUSED"
        elif parents[0] == "PAUSED":
            assert ad["effective_status"] == "CAMPAIGN_PAUSED"
        elif parents[1] == "PAUSED":
            assert ad["effective_status"] == "ADSET_PAUSED"
        else:
            assert ad["effective_status"] == "ACTIVE"
    big = Dataset(DatasetConfig(accounts=20, campaigns=20))
    statuses = Counter(big.campaign(a, c).data["status"] for a in range(20) for c in range(20))
    assert statuses["ACTIVE"] + statuses["PAUSED"] > 0.75 * 400
    assert 0.04 * 400 < statuses["DELETED"] < 0.18 * 400
    assert 0.01 * 400 < statuses["ARCHIVED"] < 0.1 * 400


def test_huge_dataset_is_lazy():
    config = DatasetConfig(
        accounts=100, campaigns=100, adsets=10, ads=10, days=90, tokens=(TokenSpec("t"),)
    )
    tracemalloc.start()
    began = time.perf_counter()
    ds = Dataset(config)
    last = ds.ad(99, 99, 9, 9)
    found = ds.lookup(ids.object_id(ids.AD, 99, 42, 3, 7))
    elapsed = time.perf_counter() - began
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert last.id == ids.object_id(ids.AD, 99, 99, 9, 9)
    assert found is not None
    assert found.data["adset_id"] == ids.object_id(ids.ADSET, 99, 42, 3)
    assert ds.lookup(ids.object_id(ids.AD, 100, 0, 0, 0)) is None
    assert elapsed < 1.0
    assert peak < 5_000_000
