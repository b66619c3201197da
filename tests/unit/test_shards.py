"""Shards: a stable hash share of the accounts, the settings that choose one, what shard 0 reads."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from meta_ads_sandbox.config import DatasetConfig
from orchestrate.state import merge_owned, shard_of_state_id, singer_state, state_id
from tap_meta_ads.graph.pacing import (
    APP_HOLD_SECONDS,
    APP_THROTTLE_CODE,
    AppGate,
    Pacer,
    PacerRegistry,
)
from tap_meta_ads.graph.usage import read_usage
from tap_meta_ads.run import AccountDirectory
from tap_meta_ads.settings.checks import check_settings
from tap_meta_ads.settings.model import Settings
from tap_meta_ads.shards import Shard, shard_of, state_suffix
from tap_meta_ads.tap import TapMetaAds
from tests.fakes import FakeClock

END = dt.date(2026, 11, 21)
IDS = [str(10_000_000 + 7919 * n) for n in range(1000)]


def test_the_hash_is_stable_across_processes_and_id_spellings():
    # pinned: sha256 of the numeric id, never Python's salted hash()
    assert [shard_of("1234567890", 4), shard_of("act_1234567890", 4)] == [0, 0]
    assert shard_of(" 987 ", 7) == shard_of("987", 7) == shard_of("act_987", 7) == 4
    assert all(shard_of(a, 1) == 0 for a in IDS[:50])


def test_every_account_has_exactly_one_shard_and_the_shares_are_even():
    for count in (2, 3, 4, 8):
        shares = [Shard(i, count).share(IDS) for i in range(count)]
        assert sorted(a for share in shares for a in share) == sorted(IDS)
        sizes = Counter(len(share) for share in shares)
        assert max(sizes) < 1.25 * len(IDS) / count, (count, sizes)
        assert min(sizes) > 0.75 * len(IDS) / count, (count, sizes)


def test_shard_labels_are_the_state_id_suffixes():
    assert Shard().label is None
    assert not Shard().sharded
    assert Shard(1, 3).label == state_suffix(1, 3) == "shard-1-of-3"
    assert [Shard(i, 3).reads_tokens for i in range(3)] == [True, False, False]


def _settings(**config: object) -> Settings:
    return Settings.from_config({"access_token": "secret-token-value", **config})


def test_settings_default_to_one_shard_and_refuse_an_index_out_of_range():
    settings = _settings()
    assert (settings.shard_count, settings.shard_index) == (1, 0)
    config = {"access_token": "secret-token-value", "shard_count": 3, "shard_index": 3}
    problems = check_settings(config, reserved=set(), today=END)
    assert problems == ["shard_index: 3 is not below shard_count (3); use 0 to 2"]
    assert check_settings({**config, "shard_index": 2}, reserved=set(), today=END) == []
    assert any(
        p.startswith("shard_count:")
        for p in check_settings({**config, "shard_count": 0}, reserved=set(), today=END)
    )


def _no_network(*_args: object) -> object:
    raise AssertionError("no request expected")


def test_configured_accounts_are_filtered_to_the_shard():
    settings = _settings(account_ids=IDS[:40], shard_count=3, shard_index=1)
    directory = AccountDirectory(settings, _no_network, _no_network, Shard(1, 3))  # type: ignore[arg-type]
    assert directory.ids() == [a for a in IDS[:40] if shard_of(a, 3) == 1]
    assert 0 < len(directory.ids()) < 40
    assert directory.configured


def test_every_account_the_token_sees_is_filtered_to_the_shard():
    listed: list[int] = []

    def list_accounts() -> list[str]:
        listed.append(1)
        return IDS[:60]

    shares = []
    for index in range(2):
        directory = AccountDirectory(_settings(), list_accounts, _no_network, Shard(index, 2))  # type: ignore[arg-type]
        shares.append(directory.ids())
        directory.ids()
    assert sorted(shares[0] + shares[1]) == sorted(IDS[:60])
    assert len(listed) == 2  # once per run (directory), not per call


@pytest.mark.parametrize(("index", "reads"), [(0, True), (1, False)])
def test_token_level_streams_are_read_by_shard_zero_only(start_sandbox, index, reads):
    api = start_sandbox(
        DatasetConfig(seed=3, accounts=4, campaigns=1, adsets=1, ads=1, end_date=END)
    )
    tap = TapMetaAds(
        config={
            "api_url": api.base_url,
            "access_token": "sandbox-token",
            "shard_count": 2,
            "shard_index": index,
        },
        validate_config=True,
    )
    for name in ("me", "businesses", "adaccounts"):
        stream = tap.streams[name]
        rows = [
            row for context in stream.partitions or [None] for row in stream.get_records(context)
        ]
        assert bool(rows) is reads, name
    subjects = {row["account_id"] for row in tap.run.log.sync_log_rows()}
    assert subjects == ({"token #1"} if reads else set())
    assert all(row["shard"] == f"shard-{index}-of-2" for row in tap.run.log.sync_log_rows())


# -- rebalancing state between shard counts (orchestrate.state, no Dagster needed) -----------

PIPELINE, ENV = "tap-meta-ads-to-target-postgres", "dev"


def _partition(account: str, value: str, **more: object) -> dict[str, object]:
    return {
        "context": {"account_id": account},
        "replication_key": "date_start",
        "replication_key_value": value,
        **more,
    }


def _state(**streams: list[dict[str, object]]) -> dict[str, object]:
    return {"bookmarks": {name: {"partitions": parts} for name, parts in streams.items()}}


def test_state_ids_name_their_shard():
    assert state_id(PIPELINE, ENV) == "dev:tap-meta-ads-to-target-postgres"
    assert (
        state_id(PIPELINE, ENV, "shard-1-of-3")
        == "dev:tap-meta-ads-to-target-postgres:shard-1-of-3"
    )
    assert shard_of_state_id(state_id(PIPELINE, ENV), PIPELINE, ENV) == (0, 1)
    assert shard_of_state_id(f"{state_id(PIPELINE, ENV)}:shard-2-of-3", PIPELINE, ENV) == (2, 3)
    assert shard_of_state_id("dev:tap-x-to-target-postgres:shard-0-of-2", PIPELINE, ENV) is None
    assert shard_of_state_id(f"{state_id(PIPELINE, ENV)}:other", PIPELINE, ENV) is None


def test_every_account_bookmark_follows_it_to_its_new_shard():
    accounts = IDS[:30]
    old = {
        f"dev:p:shard-{i}-of-2": _state(
            ad_insights=[
                _partition(a, "2026-11-20", full_at="x") for a in Shard(i, 2).share(accounts)
            ],
            campaigns=[
                _partition(a, "2026-11-20T10:00:00+00:00") for a in Shard(i, 2).share(accounts)
            ],
        )
        for i in range(2)
    }
    old["dev:p:shard-0-of-2"]["bookmarks"]["sync_log"] = {"replication_key_value": "2026-11-20"}  # type: ignore[index]
    merged = [merge_owned({}, old, Shard(i, 3).owns) for i in range(3)]
    for index, merge in enumerate(merged):
        owned = set(Shard(index, 3).share(accounts))
        for stream in ("ad_insights", "campaigns"):
            parts = merge.state["bookmarks"][stream]["partitions"]
            assert {p["context"]["account_id"] for p in parts} == owned  # none lost, none extra
            assert len(parts) == len(owned)  # none doubled
        assert "sync_log" not in merge.state["bookmarks"]  # not an account's
    assert merged[0].state["bookmarks"]["ad_insights"]["partitions"][0]["full_at"] == "x"
    assert sum(len(m.taken) for m in merged) == 2 * len(accounts)


def test_the_freshest_bookmark_wins_and_the_own_one_on_a_tie():
    account = IDS[0]
    own = _state(ad_insights=[_partition(account, "2026-11-10", mark="own")])
    others = {
        "a": _state(ad_insights=[_partition(account, "2026-11-12", mark="a")]),
        "b": _state(ad_insights=[_partition(account, "2026-11-11", mark="b")]),
    }
    merge = merge_owned(own, others, lambda _a: True)
    (part,) = merge.state["bookmarks"]["ad_insights"]["partitions"]
    assert part["mark"] == "a"
    tie = merge_owned(
        own,
        {"c": _state(ad_insights=[_partition(account, "2026-11-10", mark="c")])},
        lambda _a: True,
    )
    assert tie.state["bookmarks"]["ad_insights"]["partitions"][0]["mark"] == "own"
    assert not tie.changed
    assert own["bookmarks"]["ad_insights"]["partitions"][0]["mark"] == "own"  # type: ignore[index]


def test_an_exported_entry_is_its_completed_state_with_the_partial_one_on_top():
    account = IDS[0]
    entry = {
        "completed": {"singer_state": _state(ads=[_partition(account, "2026-11-01")])},
        "partial": {"singer_state": _state(ads=[_partition(account, "2026-11-02")])},
    }
    assert (
        singer_state(entry)["bookmarks"]["ads"]["partitions"][0]["replication_key_value"]
        == "2026-11-02"
    )
    assert singer_state(None) == {}
    assert singer_state({"completed": None, "partial": None}) == {}


# -- one app budget: every account of the process paces on it (graph.pacing.AppGate) ---------


def _two_accounts(rate: float = 10.0) -> tuple[FakeClock, Pacer, Pacer]:
    clock = FakeClock()
    app = AppGate(rate, clock)
    pacers = [Pacer(rate, clock=clock, sleep=clock.sleep, app=app) for _ in range(2)]
    return clock, pacers[0], pacers[1]


def test_an_app_limit_throttle_holds_every_account_of_the_process():
    clock, first, second = _two_accounts()
    first.on_throttle(120.0, "ads_management", code=APP_THROTTLE_CODE)
    began = clock.now
    second.acquire("ads_management")  # another account: held by the app's limit too
    assert clock.now - began == pytest.approx(120.0)
    assert second.waited_seconds == pytest.approx(120.0)
    assert first.app.holds == 1


def test_an_account_throttle_holds_that_account_only():
    clock, first, second = _two_accounts()
    first.on_throttle(120.0, "ads_management", code=17)
    began = clock.now
    second.acquire("ads_management")
    assert clock.now - began < 1.0
    first.acquire("ads_management")
    assert clock.now - began >= 120.0


def test_high_app_usage_spaces_the_calls_of_all_accounts_together():
    clock, first, second = _two_accounts(rate=10.0)
    usage = read_usage({"X-App-Usage": '{"call_count": 85, "total_time": 10}'})
    assert usage.app_pct == 85.0
    first.observe(usage, "ads_management", calls=0)
    began = clock.now
    for _ in range(10):
        first.acquire("ads_management")
        second.acquire("ads_management")
    # 85 %: the process keeps (100-85)/(100-75) of its rate, 6 calls/s for both accounts
    assert clock.now - began == pytest.approx(19 / 6.0, rel=0.01)


def test_app_usage_near_the_limit_holds_everyone_then_low_usage_frees_them():
    clock, first, second = _two_accounts()
    first.observe(read_usage({"X-App-Usage": '{"call_count": 97}'}), "ads_management")
    began = clock.now
    second.acquire("ads_insights")
    assert clock.now - began == pytest.approx(APP_HOLD_SECONDS)
    second.observe(read_usage({"X-App-Usage": '{"call_count": 10}'}), "ads_insights")
    began = clock.now
    for _ in range(5):
        second.acquire("ads_insights")
    assert clock.now - began < 1.0
    assert read_usage({}).app_pct is None


def test_a_registry_gives_all_its_pacers_one_app_gate():
    registry = PacerRegistry(2.0, 100.0)
    assert registry.get("1", "a").app is registry.get("2", "b").app is registry.app


def test_a_shard_whose_share_is_empty_reads_and_fails_nothing():
    others = [a for a in IDS if shard_of(a, 3) != 0][:3]
    tap = TapMetaAds(
        config={
            "api_url": "http://127.0.0.1:9",  # nothing listens: any request would fail
            "access_token": "secret-token-value",
            "account_ids": others,
            "shard_count": 3,
            "shard_index": 0,
        },
        validate_config=True,
    )
    assert tap.run.account_ids() == []
    for name in ("ad_account", "campaigns", "adcreatives"):
        stream = tap.streams[name]
        assert list(stream.get_records(None)) == []
    assert tap.run.log.failures() == {}
