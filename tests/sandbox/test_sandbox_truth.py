"""Truth files: names, determinism, agreement with the API, speed at a small size."""

from __future__ import annotations

import json
import time
from dataclasses import replace

from meta_ads_sandbox.truth import INSIGHT_FILES, OBJECT_FILES, write_truth

EVERY = {
    "campaign": ["ACTIVE", "PAUSED", "DELETED", "ARCHIVED"],
    "adset": ["ACTIVE", "PAUSED", "DELETED", "ARCHIVED", "CAMPAIGN_PAUSED"],
    "ad": ["ACTIVE", "PAUSED", "DELETED", "ARCHIVED", "CAMPAIGN_PAUSED", "ADSET_PAUSED"],
}


def test_files_and_determinism(tmp_path, dataset):
    a, b = tmp_path / "a", tmp_path / "b"
    write_truth(a, dataset)
    write_truth(b, dataset)
    names = sorted(p.name for p in a.iterdir())
    assert names == sorted([f"{n}.jsonl" for n in OBJECT_FILES + INSIGHT_FILES] + ["tokens.json"])
    for name in names:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    other = tmp_path / "c"
    write_truth(other, replace(dataset, seed=2))
    assert (other / "campaigns.jsonl").read_bytes() != (a / "campaigns.jsonl").read_bytes()
    assert json.loads((a / "tokens.json").read_text()) == {
        "sandbox-token": [
            json.loads(line)["id"] for line in (a / "adaccounts.jsonl").read_text().splitlines()
        ]
    }


def test_objects_match_the_api(client, truth, jsonl, accounts):
    for kind in (
        "campaigns",
        "adsets",
        "ads",
        "adcreatives",
        "adimages",
        "advideos",
        "customaudiences",
    ):
        objs = jsonl(truth / f"{kind}.jsonl")
        fields = ",".join(sorted({k for o in objs for k in o}))
        entity = kind[:-1]
        extra = {"effective_status": EVERY[entity]} if entity in EVERY else {}
        for act in accounts:
            served = client.walk(f"/{act['id']}/{kind}", fields=fields, limit=100, **extra)
            mine = [o for o in objs if o.get("account_id", act["account_id"]) == act["account_id"]]
            if kind == "advideos":  # videos have no account_id field: compare by listing
                mine = [o for o in objs if o["id"][3:8] == f"{accounts.index(act) + 1:05d}"]
            assert sorted(served, key=lambda o: o["id"]) == sorted(mine, key=lambda o: o["id"]), (
                kind
            )
    me = jsonl(truth / "me.jsonl")
    assert client.get("/me", fields="id,name").body == me[0]
    businesses = jsonl(truth / "businesses.jsonl")
    fields = ",".join(businesses[0])
    assert client.walk("/me/businesses", fields=fields) == businesses
    served_accounts = client.walk("/me/adaccounts", fields=",".join(accounts[0]))
    assert served_accounts == accounts


def test_truth_speed_smoke(tmp_path, dataset):
    started = time.perf_counter()
    counts = write_truth(
        tmp_path, replace(dataset, accounts=20, campaigns=2, adsets=2, ads=2, days=30)
    )
    elapsed = time.perf_counter() - started
    assert counts["insights_ad"] > 0
    assert elapsed < 10, f"truth took {elapsed:.1f}s"
