"""`POST /__admin/advance`: restated insights and changed objects; `truth --advance` agrees."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from meta_ads_sandbox.insights_rows import PRODUCED_FIELDS
from meta_ads_sandbox.truth import write_truth

EVERY = ["ACTIVE", "PAUSED", "DELETED", "ARCHIVED", "CAMPAIGN_PAUSED", "ADSET_PAUSED"]


def ts(text):
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S%z")


def daily(c, act, dataset, level="ad"):
    end = dataset.end_date
    since = end - timedelta(days=dataset.days - 1)
    return c.walk(
        f"/{act}/insights",
        level=level,
        time_increment=1,
        fields=",".join(PRODUCED_FIELDS),
        time_range={"since": since.isoformat(), "until": end.isoformat()},
        filtering=[{"field": f"{level}.effective_status", "operator": "IN", "value": EVERY}]
        if level != "account"
        else [],
        limit=1000,
    )


def test_restatement_changes_only_the_last_days(start, client_for, accounts, dataset):
    running = start()
    c = client_for(running)
    act = accounts[0]["id"]
    before = {(r["ad_id"], r["date_start"]): r for r in daily(c, act, dataset)}
    assert c.fetch(f"{running.base_url}/__admin/advance", "POST", {}).body == {"epoch": 1}
    after = {(r["ad_id"], r["date_start"]): r for r in daily(c, act, dataset)}
    assert before.keys() == after.keys()
    first_restated = (dataset.end_date - timedelta(days=dataset.restate_days - 1)).isoformat()
    names = ("campaign_name", "adset_name", "ad_name")  # a renamed ad set renames its rows

    def metrics(row):
        return {k: v for k, v in row.items() if k not in names}

    changed = {k for k in before if metrics(before[k]) != metrics(after[k])}
    assert changed
    assert all(k[1] >= first_restated for k in changed)
    for key in changed:
        old, new = before[key], after[key]
        assert old["impressions"] == new["impressions"]
        assert float(new["spend"]) >= float(old["spend"])
    account_rows = {r["date_start"]: r for r in daily(c, act, dataset, "account")}
    for day, row in account_rows.items():
        ads = [r for (ad, d), r in after.items() if d == day]
        assert round(sum(float(r["spend"]) for r in ads), 2) == float(row["spend"])


def test_changed_objects_and_truth_agree(start, client_for, accounts, dataset, tmp_path, jsonl):
    running = start()
    c = client_for(running)
    write_truth(tmp_path / "e0", dataset)
    assert c.fetch(f"{running.base_url}/__admin/advance", "POST", {}).body == {"epoch": 1}
    write_truth(tmp_path / "e1", replace(dataset, advance=1))
    for kind in ("campaigns", "adsets", "ads"):
        old = {o["id"]: o for o in jsonl(tmp_path / "e0" / f"{kind}.jsonl")}
        new = {o["id"]: o for o in jsonl(tmp_path / "e1" / f"{kind}.jsonl")}
        changed = [i for i in new if new[i]["updated_time"] != old[i]["updated_time"]]
        assert changed
        latest = max(ts(o["updated_time"]) for o in old.values())
        for i in changed:
            stamp = ts(new[i]["updated_time"])
            assert stamp > latest
            assert (stamp.hour, stamp.minute) == (0, 1)  # "today" 00:00 + 1 minute, account time
        for i in set(new) - set(changed):
            # Children of a paused campaign change effective_status only (updated_time kept).
            diff = {k for k in new[i] if new[i][k] != old[i].get(k)}
            assert diff <= {"effective_status"}
            if diff:
                assert new[i]["effective_status"] == "CAMPAIGN_PAUSED"
        entity = kind[:-1]
        statuses = {"campaign": EVERY[:4], "adset": EVERY[:5]}.get(entity, EVERY)
        for act in accounts:
            served = c.walk(
                f"/{act['id']}/{kind}",
                fields=",".join(sorted({k for o in new.values() for k in o})),
                effective_status=statuses,
            )
            mine = [o for o in new.values() if o["account_id"] == act["account_id"]]
            assert sorted(served, key=lambda o: o["id"]) == sorted(mine, key=lambda o: o["id"])
            recent = c.walk(
                f"/{act['id']}/{kind}",
                fields="id",
                filtering=[
                    {
                        "field": f"{entity}.updated_time",
                        "operator": "GREATER_THAN",
                        "value": int(latest.timestamp()),
                    },
                    {"field": f"{entity}.effective_status", "operator": "IN", "value": statuses},
                ],
            )
            assert {o["id"] for o in recent} == {
                i for i in changed if new[i]["account_id"] == act["account_id"]
            }
    statuses_changed = {
        new["status"]
        for kind in ("campaigns", "ads")
        for new in jsonl(tmp_path / "e1" / f"{kind}.jsonl")
        if ts(new["updated_time"]).hour == 0 and ts(new["updated_time"]).minute == 1
    }
    assert statuses_changed == {"PAUSED", "DELETED"}
    truth_rows = [
        r
        for r in jsonl(tmp_path / "e1" / "insights_ad.jsonl")
        if r["account_id"] == accounts[0]["account_id"]
    ]
    served_rows = daily(c, accounts[0]["id"], dataset)
    key = lambda r: (r["ad_id"], r["date_start"])  # noqa: E731
    assert sorted(served_rows, key=key) == sorted(truth_rows, key=key)
