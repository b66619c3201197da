"""Malformed answers on demand (--malform KIND[@GLOB][#WHICH]): each kind serves what it says,
only to the calls it picks, over real HTTP."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from meta_ads_sandbox.cli import build_parser
from meta_ads_sandbox.config import server_config_from_args
from meta_ads_sandbox.malformed import KINDS, MalformRule

EVERY = ["ACTIVE", "PAUSED", "DELETED", "ARCHIVED"]


def rules(*texts: str) -> tuple[MalformRule, ...]:
    return tuple(MalformRule.parse(t) for t in texts)


@pytest.fixture
def serve(start, client_for):
    def make(*texts: str, **server):
        running = start(malformed=rules(*texts), job_seconds=0.0, **server)
        return running, client_for(running)

    return make


def campaigns(c, act, **params):
    return c.get(
        f"/{act}/campaigns", fields="id,name,updated_time", effective_status=EVERY, **params
    )


# -- rules and options ----------------------------------------------------------------------
def test_rule_syntax():
    assert MalformRule.parse("body_null") == MalformRule("body_null", "*", "1")
    assert MalformRule.parse("batch_short#2") == MalformRule("batch_short", "*", "2")
    assert MalformRule.parse("huge_int@*/insights#3+") == MalformRule(
        "huge_int", "*/insights", "3+"
    )
    rule = MalformRule.parse("no_data@/v25.0/act_*#2-3")
    assert [rule.picks(n) for n in range(1, 6)] == [False, True, True, False, False]
    assert all(MalformRule("body_list", which="*").picks(n) for n in (1, 7, 1000))
    assert [MalformRule("body_list", which="2+").picks(n) for n in (1, 2, 9)] == [False, True, True]
    for bad in ("nonsense", "body_null#0", "body_null#x", "body_null#3-2", "body_null#-1"):
        with pytest.raises(ValueError, match=r"malform kind|WHICH"):
            MalformRule.parse(bad)


def test_cli_option():
    args = build_parser().parse_args(
        ["serve", "--malform", "batch_null#2", "--malform", "bad_time@*/campaigns"]
    )
    assert server_config_from_args(args).malformed == (
        MalformRule("batch_null", "*", "2"),
        MalformRule("bad_time", "*/campaigns", "1"),
    )
    assert server_config_from_args(build_parser().parse_args(["serve"])).malformed == ()
    with pytest.raises(SystemExit):
        build_parser().parse_args(["serve", "--malform", "oops"])


# -- bodies ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kind", "raw"), [("body_list", b"[]"), ("body_string", b'"x"'), ("body_null", b"null")]
)
def test_a_200_whose_body_is_not_an_object(serve, accounts, kind, raw):
    _, c = serve(f"{kind}@*/campaigns#2")
    act = accounts[0]["id"]
    first = campaigns(c, act)
    assert isinstance(first.body, dict)
    second = campaigns(c, act)
    assert (second.status, second.raw) == (200, raw)
    assert second.headers["Content-Type"].startswith("application/json")
    assert isinstance(campaigns(c, act).body, dict)  # only the 2nd


def test_an_object_without_data(serve, accounts):
    _, c = serve("no_data@*/campaigns")
    resp = campaigns(c, accounts[0]["id"], limit=2)
    assert resp.status == 200
    assert "data" not in resp.body
    assert "next" in resp.body["paging"]  # the rest is kept


def test_items_without_id(serve, accounts):
    _, c = serve("item_without_id@*/campaigns")
    data = campaigns(c, accounts[0]["id"]).body["data"]
    assert "id" not in data[0]
    assert data[0]["name"]
    assert all("id" in item for item in data[1:])


def test_paging_that_is_not_an_object(serve, accounts):
    _, c = serve("paging_not_object@*/campaigns")
    act = accounts[0]["id"]
    resp = campaigns(c, act, limit=2)
    assert isinstance(resp.body["paging"], str)
    assert resp.body["paging"] == campaigns(c, act, limit=2).body["paging"]["next"]


def test_an_empty_page_pointing_at_itself(serve, accounts):
    _, c = serve("empty_self_next@*/campaigns#2")
    act = accounts[0]["id"]
    first = campaigns(c, act, limit=2).body
    url = first["paging"]["next"]
    stuck = c.fetch(url).body
    assert stuck["data"] == []
    assert stuck["paging"]["next"] == url
    after = json.loads(json.dumps(stuck["paging"]["cursors"]))
    assert after["before"] == after["after"] == first["paging"]["cursors"]["after"]
    real = c.fetch(url).body  # the same URL again, not picked any more
    assert real["data"]
    assert real["data"][0]["id"] not in {x["id"] for x in first["data"]}


def test_the_same_page_twice(serve, accounts):
    _, c = serve("repeat_page@*/campaigns#2")
    act = accounts[0]["id"]
    page1 = campaigns(c, act, limit=2).body
    again = c.fetch(page1["paging"]["next"]).body
    assert again == page1  # items and cursors of page 1
    page2 = c.fetch(again["paging"]["next"]).body
    assert {x["id"] for x in page2["data"]}.isdisjoint(x["id"] for x in page1["data"])


def test_a_cursor_that_cycles(serve, accounts):
    _, c = serve("cursor_cycle@*/campaigns#3")
    act = accounts[0]["id"]
    page1 = campaigns(c, act, limit=1).body
    page2 = c.fetch(page1["paging"]["next"]).body
    page3 = c.fetch(page2["paging"]["next"]).body
    assert page3["data"]
    assert page3["data"] != page2["data"]
    assert page3["paging"]["cursors"]["after"] == page1["paging"]["cursors"]["after"]
    assert c.fetch(page3["paging"]["next"]).body == page2  # back to page 2


# -- report runs ----------------------------------------------------------------------------
QUERY = {"level": "ad", "fields": '["ad_id","impressions"]', "date_preset": "last_7d"}


def test_a_report_run_that_never_completes(serve, accounts):
    running, c = serve("job_stuck@*/insights")
    act = accounts[0]["id"]
    stuck = c.post(f"/{act}/insights", **QUERY).body["report_run_id"]
    fine = c.post(f"/{act}/insights", **QUERY).body["report_run_id"]  # only the 1st POST
    time.sleep(0.05)
    for _ in range(3):
        status = c.get(f"/{stuck}").body
        assert status["async_status"] == "Job Running"
        assert status["async_percent_completion"] == 50
        assert status["is_running"] is True
        assert "time_completed" not in status
    rows = c.get(f"/{stuck}/insights")
    assert (rows.status, rows.error["code"], rows.error["error_subcode"]) == (400, 100, 33)
    batch = c.post("/", batch=[{"method": "GET", "relative_url": f"{stuck}?fields=async_status"}])
    assert json.loads(batch.body[0]["body"])["async_status"] == "Job Running"
    assert c.get(f"/{fine}").body["async_status"] == "Job Completed"
    assert running.sandbox.stats()["malformed"]["job_stuck"] == 5


def test_a_report_run_with_a_garbage_status(serve, accounts):
    _, c = serve("job_garbage")
    act = accounts[0]["id"]
    run = c.post(f"/{act}/insights", **QUERY).body["report_run_id"]
    for _ in range(2):
        assert c.get(f"/{run}").body == {"id": run, "async_status": 42}
    assert c.get(f"/{run}/insights").status == 200  # its rows are fine


# -- batches --------------------------------------------------------------------------------
def batch_of(accounts, n=3):
    return [{"method": "GET", "relative_url": f"{a['id']}?fields=id"} for a in accounts[:n]]


@pytest.mark.parametrize(("kind", "raw"), [("batch_null", b"null"), ("batch_object", b"{}")])
def test_batch_answers_null_or_empty_object(serve, accounts, kind, raw):
    _, c = serve(f"{kind}#2")
    assert len(c.post("/", batch=batch_of(accounts)).body) == 3
    resp = c.post("/", batch=batch_of(accounts))
    assert (resp.status, resp.raw) == (200, raw)
    assert len(c.post("/", batch=batch_of(accounts)).body) == 3


def test_batch_answer_in_html(serve, accounts):
    _, c = serve("batch_html")
    resp = c.post("/", batch=batch_of(accounts))
    assert resp.status == 200
    assert resp.headers["Content-Type"].startswith("text/html")
    assert resp.raw.startswith(b"<!DOCTYPE html>")


def test_batch_answer_one_item_short(serve, accounts):
    _, c = serve("batch_short@/v25.0/")
    resp = c.post("/", batch=batch_of(accounts))
    assert [json.loads(i["body"])["id"] for i in resp.body] == [a["id"] for a in accounts[:2]]
    assert len(c.post("/", batch=batch_of(accounts)).body) == 3


# -- values ---------------------------------------------------------------------------------
def test_integers_beyond_64_and_32_bits(serve, accounts):
    _, c = serve("huge_int@*/insights", "big_int@*/insights")
    act = accounts[0]["id"]
    rows = c.get(f"/{act}/insights", level="ad", fields="ad_id,impressions,reach").body["data"]
    assert rows[0]["impressions"] == "123456789012345678901234"
    assert int(rows[0]["impressions"]) > 2**64
    assert rows[0]["reach"] == "123456789012"
    assert 2**32 < int(rows[0]["reach"]) < 2**63
    plain = c.get(f"/{act}/insights", level="ad", fields="ad_id,impressions,reach").body["data"]
    assert int(plain[0]["impressions"]) < 2**32  # one call each


def test_an_unparseable_timestamp_also_in_batch_items(serve, accounts):
    _, c = serve("bad_time@*/campaigns*#2")
    act = accounts[0]["id"]
    assert campaigns(c, act).body["data"][0]["updated_time"] != "yesterday"
    item = {"method": "GET", "relative_url": f"{act}/campaigns?fields=id,updated_time"}
    resp = c.post("/", batch=[item])
    assert json.loads(resp.body[0]["body"])["data"][0]["updated_time"] == "yesterday"


def test_errors_and_faults_do_not_use_a_rule_up(serve, accounts):
    running, c = serve("body_null@*/campaigns")
    act = accounts[0]["id"]
    assert c.get(f"/{act}/campaigns", fields="no_such_field").status == 400
    assert campaigns(c, act).raw == b"null"
    assert running.sandbox.stats()["malformed"] == {"body_null": 1}


def test_every_kind_is_documented():
    doc = (Path(__file__).parents[2] / "docs" / "sandbox.md").read_text(encoding="utf-8")
    for kind in KINDS:
        assert f"`{kind}`" in doc, kind


def test_insights_pages_too_and_the_kept_rows_stay_intact(serve, accounts):
    _, c = serve("repeat_page@*/insights#2", "huge_int@/v25.0/6*/insights")
    act = accounts[0]["id"]
    query = {"level": "ad", "fields": "ad_id,impressions", "time_increment": "1", "limit": 3}
    page1 = c.get(f"/{act}/insights", **query).body
    assert c.fetch(page1["paging"]["next"]).body == page1
    run = c.post(f"/{act}/insights", **{k: v for k, v in query.items() if k != "limit"})
    run_id = run.body["report_run_id"]
    while c.get(f"/{run_id}").body["async_status"] != "Job Completed":
        time.sleep(0.01)
    first = c.get(f"/{run_id}/insights", limit=3).body["data"]
    assert first[0]["impressions"] == "123456789012345678901234"
    again = c.get(f"/{run_id}/insights", limit=3).body["data"]
    assert again[0]["impressions"] != first[0]["impressions"]  # the kept rows were not touched
    assert again[1:] == first[1:]
