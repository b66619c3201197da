"""The app-wide budget: one window for every call of the app, whatever its token or account,
reported in X-App-Usage and refused with (#4) once used up, across concurrent clients."""

from __future__ import annotations

import argparse
import json
import threading
from dataclasses import replace

from meta_ads_sandbox.calls import ADS_INSIGHTS, ADS_MANAGEMENT, APP, CUSTOM_AUDIENCE, Call
from meta_ads_sandbox.config import TokenSpec
from meta_ads_sandbox.ratelimit import RateLimitConfig, RateLimiter
from tests.fakes import FakeClock


def call(usage_type: str, account: str | None, token: str = "tok") -> Call:
    path = f"/v25.0/act_{account}/campaigns" if account else "/v25.0/me"
    return Call(token, account, usage_type, "GET", path, path)


def app_usage(rl: RateLimiter, c: Call) -> dict[str, int]:
    value: dict[str, int] = json.loads(rl.usage_headers(c, 0)["X-App-Usage"])
    return value


def test_one_window_for_every_token_account_and_type():
    clock = FakeClock()
    rl = RateLimiter(RateLimitConfig(app_wide_budget=5, app_window=60), clock=clock)
    calls = [
        call(ADS_MANAGEMENT, "1001", "a"),
        call(ADS_INSIGHTS, "1002", "b"),
        call(CUSTOM_AUDIENCE, "1001", "a"),
        call(APP, None, "b"),
        call(ADS_MANAGEMENT, "1003", "c"),
    ]
    assert [rl.admit(c) for c in calls[:2]] == [None, None]
    assert app_usage(rl, calls[0]) == {"call_count": 40, "total_time": 18, "total_cputime": 14}
    assert all(rl.admit(c) is None for c in calls[2:])
    refused = rl.admit(call(ADS_INSIGHTS, "1009", "z"))
    assert refused is not None
    assert (refused.code, refused.message) == (4, "(#4) Application request limit reached")
    assert refused.is_transient is True
    assert app_usage(rl, calls[1])["call_count"] == 100
    assert app_usage(rl, call(APP, None))["call_count"] == 100  # /me too
    stats = rl.stats()
    assert stats["app_wide"] == {
        "budget": 5,
        "window": 60.0,
        "admitted": 5,
        "refused": 1,
        "max_usage_pct": 100,
    }
    assert "1009" not in stats["by_account"]  # refused before any bucket was charged
    clock.advance(30)
    assert rl.admit(calls[0]) is not None  # the window still holds all five
    clock.advance(31)
    assert rl.admit(calls[0]) is None  # the first five left the window
    assert app_usage(rl, calls[0])["call_count"] == 20


def test_a_call_refused_by_its_bucket_is_not_counted():
    clock = FakeClock()
    rl = RateLimiter(RateLimitConfig(app_wide_budget=3, management_budget=1), clock=clock)
    assert rl.admit(call(ADS_MANAGEMENT, "1001")) is None
    throttled = rl.admit(call(ADS_MANAGEMENT, "1001"))
    assert throttled is not None
    assert throttled.code == 80004
    assert rl.admit(call(ADS_INSIGHTS, "1001")) is None
    assert rl.admit(call(ADS_INSIGHTS, "1002")) is None
    over = rl.admit(call(ADS_INSIGHTS, "1003"))
    assert over is not None
    assert over.code == 4


def test_off_by_default():
    rl = RateLimiter(RateLimitConfig(), clock=FakeClock())
    c = call(ADS_MANAGEMENT, "1001")
    assert all(rl.admit(c) is None for _ in range(1000))
    assert "X-App-Usage" not in rl.usage_headers(c, 0)  # account calls: BUC headers only
    assert "app_wide" not in rl.stats()
    assert RateLimitConfig().app_wide_budget is None
    assert RateLimitConfig().app_window == 3600.0


def test_options():
    parser = argparse.ArgumentParser()
    RateLimitConfig.add_arguments(parser)
    args = parser.parse_args(["--app-wide-budget", "200", "--app-window", "90"])
    assert RateLimitConfig.from_args(args) == RateLimitConfig(app_wide_budget=200, app_window=90)
    for bad in (["--app-wide-budget", "0"], ["--app-window", "0"]):
        try:
            parser.parse_args(bad)
        except SystemExit:
            continue
        raise AssertionError(f"{bad} accepted")


def test_two_clients_share_the_budget(start, client_for, dataset):
    """Two threads, each with its own token and account, 30 calls each against a budget of 40:
    exactly 40 answers, 20 refusals with (#4), and every answer reports the shared usage."""
    tokens = (TokenSpec("one", (1,)), TokenSpec("two", (2,)))
    running = start(
        replace(dataset, tokens=tokens),
        rate_limit=RateLimitConfig(app_wide_budget=40),
    )
    accounts = running.sandbox.dataset
    results: dict[str, list[tuple[int, int | None, int]]] = {"one": [], "two": []}
    barrier = threading.Barrier(2)

    def work(token: str, account: int) -> None:
        c = client_for(running, token=token)
        act = accounts.account(account).id
        barrier.wait()
        for i in range(30):
            path = f"/{act}/campaigns" if i % 2 else f"/{act}/insights"
            resp = c.get(path, fields="id" if i % 2 else "impressions")
            usage = json.loads(resp.headers["X-App-Usage"])
            code = resp.error["code"] if resp.status != 200 else None
            results[token].append((resp.status, code, usage["call_count"]))

    threads = [threading.Thread(target=work, args=(t, n)) for t, n in (("one", 0), ("two", 1))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    answers = results["one"] + results["two"]
    assert len(answers) == 60
    assert sum(1 for status, _, _ in answers if status == 200) == 40
    assert {(status, code) for status, code, _ in answers if status != 200} == {(400, 4)}
    assert all(0 < pct <= 100 for _, _, pct in answers)
    assert max(pct for _, _, pct in results["one"]) == 100
    assert max(pct for _, _, pct in results["two"]) == 100
    # Each client saw the other's calls in the shared figure: the usages of both, in order,
    # climb past what one client's calls alone could give.
    assert max(p for s, _, p in results["one"] if s == 200) > 50
    assert max(p for s, _, p in results["two"] if s == 200) > 50
    stats = running.sandbox.limiter.stats()["app_wide"]
    assert (stats["admitted"], stats["refused"]) == (40, 20)


def test_batch_items_count_one_by_one(start, client_for, accounts):
    running = start(rate_limit=RateLimitConfig(app_wide_budget=4))
    c = client_for(running)
    items = [{"method": "GET", "relative_url": f"{accounts[0]['id']}?fields=id"}] * 6
    resp = c.post("/", batch=items)
    assert resp.status == 200
    codes = [item["code"] for item in resp.body]
    assert codes == [200, 200, 200, 200, 400, 400]
    refused = json.loads(resp.body[4]["body"])
    assert refused["error"]["code"] == 4
    headers = {h["name"]: h["value"] for h in resp.body[3]["headers"]}
    assert json.loads(headers["X-App-Usage"])["call_count"] == 100
    assert c.get("/me").error["code"] == 4
