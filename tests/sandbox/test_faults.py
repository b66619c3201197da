"""Fault injector: deterministic decisions, rate, consecutive cap, kinds, bursts, token expiry."""

from __future__ import annotations

import argparse
import threading
from collections import Counter

import pytest

from meta_ads_sandbox.calls import ADS_INSIGHTS, ADS_MANAGEMENT, Call
from meta_ads_sandbox.faults import (
    FAULT_KINDS,
    RANDOM_KINDS,
    Fault,
    FaultConfig,
    FaultInjector,
)


def call(n: int = 0, token: str = "tok", usage_type: str = ADS_MANAGEMENT, **kw: object) -> Call:
    path = f"/v25.0/act_1001/campaigns?after=c{n}"
    return Call(token, "1001", usage_type, "GET", path, path, **kw)


def kinds(faults: list[Fault | None]) -> list[str | None]:
    return [None if f is None else f.kind for f in faults]


def run(config: FaultConfig, seed: int, calls: list[Call]) -> list[str | None]:
    injector = FaultInjector(config, seed)
    return kinds([injector.pick(c) for c in calls])


def test_defaults_inject_nothing():
    injector = FaultInjector(FaultConfig(), seed=1)
    assert all(injector.pick(call(n)) is None for n in range(2000))
    stats = injector.stats()
    assert stats["calls"] == 2000
    assert stats["faults"] == 0
    assert set(stats["by_kind"]) == set(FAULT_KINDS)


def test_same_seed_same_decisions_different_seed_differs():
    config = FaultConfig(fault_rate=0.3)
    calls = [call(n % 50) for n in range(300)]
    first = run(config, 7, calls)
    assert first == run(config, 7, calls)
    assert first != run(config, 8, calls)
    assert any(first)


def test_decisions_do_not_depend_on_interleaving():
    config = FaultConfig(fault_rate=0.5)
    a = [call(1) for _ in range(20)]
    b = [call(2) for _ in range(20)]
    grouped = run(config, 3, a + b)
    interleaved = run(config, 3, [c for pair in zip(a, b, strict=True) for c in pair])
    assert grouped[:20] == interleaved[0::2]
    assert grouped[20:] == interleaved[1::2]


def test_method_is_part_of_the_decision():
    config = FaultConfig(fault_rate=0.5)
    gets = [call(n) for n in range(200)]
    posts = [Call("tok", "1001", ADS_INSIGHTS, "POST", c.path, c.query_key) for c in gets]
    assert run(config, 5, gets) != run(config, 5, posts)


def test_rate_is_roughly_honoured():
    decisions = run(FaultConfig(fault_rate=0.2), 11, [call(n) for n in range(5000)])
    share = sum(d is not None for d in decisions) / len(decisions)
    assert 0.17 < share < 0.23
    counts = Counter(d for d in decisions if d)
    assert set(counts) == set(RANDOM_KINDS)  # every default kind gets drawn
    assert min(counts.values()) > 80


def test_a_retry_is_decided_independently():
    injector = FaultInjector(FaultConfig(fault_rate=0.5), seed=2)
    second_tries = []
    for n in range(400):
        if injector.pick(call(n)) is not None:
            second_tries.append(injector.pick(call(n)))
    faulted_again = sum(f is not None for f in second_tries)
    assert 0.35 < faulted_again / len(second_tries) < 0.65


@pytest.mark.parametrize("cap", [0, 1, 2, 3])
def test_max_consecutive_faults(cap):
    config = FaultConfig(fault_rate=1.0, max_consecutive_faults=cap)
    decisions = run(config, 1, [call() for _ in range(12)])
    if cap == 0:
        assert decisions == [None] * 12
    else:
        pattern = [True] * cap + [False]
        assert [d is not None for d in decisions] == (pattern * 12)[:12]


def test_cap_lets_a_retrying_client_through():
    injector = FaultInjector(FaultConfig(fault_rate=0.9), seed=4)
    for n in range(200):
        tries = 1
        while injector.pick(call(n)) is not None:
            tries += 1
        assert tries <= 3


def test_kinds_filter_and_fault_payloads():
    only = ("error_1", "error_2", "slow")
    config = FaultConfig(fault_rate=1.0, faults=only, slow_seconds=42.5)
    injector = FaultInjector(config, seed=9)
    faults = [injector.pick(call(n)) for n in range(300)]
    assert {f.kind for f in faults if f} == set(only)
    for fault in faults:
        assert fault is not None
        if fault.kind == "slow":
            assert (fault.delay, fault.error) == (42.5, None)
        else:
            assert fault.error is not None
            assert fault.delay == 0.0
            body = fault.error.body()["error"]
            expected = (1, "An unknown error occurred") if fault.kind == "error_1" else (2, None)
            assert body["code"] == expected[0]
            assert body["is_transient"] is True
            assert fault.error.http_status == 500
            if expected[1]:
                assert body["message"] == expected[1]


def test_transport_faults_carry_no_error():
    config = FaultConfig(fault_rate=1.0, faults=("html_502", "html_503", "drop", "truncate"))
    injector = FaultInjector(config, seed=9)
    faults = [injector.pick(call(n)) for n in range(100)]
    assert all(f is not None and f.error is None and f.delay == 0.0 for f in faults)


def test_batch_items_only_get_graph_errors():
    config = FaultConfig(fault_rate=1.0)
    decisions = run(config, 6, [call(n, in_batch=True) for n in range(300)])
    assert set(decisions) == {"error_1", "error_2"}
    drops_only = FaultConfig(fault_rate=1.0, faults=("drop",))
    assert set(run(drops_only, 6, [call(n, in_batch=True) for n in range(50)])) == {None}


def test_expire_token_after_n_calls():
    config = FaultConfig(expire_token="alpha", expire_after=3)
    injector = FaultInjector(config, seed=1)
    alpha = kinds([injector.pick(call(n, token="alpha")) for n in range(6)])
    assert alpha == [None, None, None, "expire_token", "expire_token", "expire_token"]
    assert injector.pick(call(0, token="beta")) is None
    assert kinds([injector.pick(call(99, token="alpha"))]) == ["expire_token"]
    stats = injector.stats()
    assert stats["by_kind"]["expire_token"] == 4
    assert stats["expired_tokens"] == 1
    assert stats["calls"] == 8


def test_expire_token_is_not_capped():
    config = FaultConfig(expire_token="alpha", expire_after=0, max_consecutive_faults=1)
    decisions = run(config, 1, [call(token="alpha") for _ in range(5)])
    assert decisions == ["expire_token"] * 5


def test_throttle_bursts_are_counted_exactly():
    config = FaultConfig(throttle_bursts=4)
    injector = FaultInjector(config, seed=12)
    picks = [injector.pick(call(n, usage_type=ADS_INSIGHTS)) for n in range(1000)]
    bursts = [f for f in picks if f is not None]
    assert [f.kind for f in bursts] == ["throttle_burst"] * 4
    codes = set()
    for fault in bursts:
        assert fault.error is not None
        assert fault.error.http_status == 400
        assert fault.error.is_transient is True
        codes.add(fault.error.code)
    assert codes <= {80000, 613}
    assert injector.stats()["throttle_bursts_left"] == 0


def test_throttle_bursts_use_both_codes_across_seeds():
    codes = set()
    for seed in range(10):
        injector = FaultInjector(FaultConfig(throttle_bursts=2), seed=seed)
        for n in range(200):
            fault = injector.pick(call(n))
            if fault is not None and fault.error is not None:
                codes.add(fault.error.code)
    assert codes == {80004, 613}


def test_thread_safety_and_concurrent_determinism():
    config = FaultConfig(fault_rate=0.3)
    calls = [call(n % 40) for n in range(4000)]
    sequential = Counter(run(config, 21, calls))
    injector = FaultInjector(config, 21)
    results: list[str | None] = []
    guard = threading.Lock()

    def worker(chunk: list[Call]) -> None:
        picked = kinds([injector.pick(c) for c in chunk])
        with guard:
            results.extend(picked)

    threads = [threading.Thread(target=worker, args=(calls[i::8],)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert injector.stats()["calls"] == 4000
    assert injector.stats()["faults"] == sum(v for k, v in sequential.items() if k)
    assert Counter(results) == sequential


def parse(argv: list[str]) -> FaultConfig:
    parser = argparse.ArgumentParser()
    FaultConfig.add_arguments(parser)
    return FaultConfig.from_args(parser.parse_args(argv))


def test_argparse_defaults_round_trip():
    assert parse([]) == FaultConfig()


def test_argparse_round_trip():
    config = parse(
        [
            "--fault-rate=0.25",
            "--faults=drop, slow,drop",
            "--slow-seconds=31",
            "--throttle-bursts=3",
            "--expire-token=user@corp@12",
            "--max-consecutive-faults=1",
        ]
    )
    assert config == FaultConfig(
        fault_rate=0.25,
        faults=("drop", "slow"),
        slow_seconds=31.0,
        throttle_bursts=3,
        expire_token="user@corp",
        expire_after=12,
        max_consecutive_faults=1,
    )


def test_from_args_accepts_a_raw_expire_spec():
    namespace = argparse.Namespace(
        fault_rate=0.0,
        faults=RANDOM_KINDS,
        slow_seconds=15.0,
        throttle_bursts=0,
        expire_token="alpha@5",
        max_consecutive_faults=2,
    )
    config = FaultConfig.from_args(namespace)
    assert (config.expire_token, config.expire_after) == ("alpha", 5)


@pytest.mark.parametrize(
    "argv",
    [
        ["--fault-rate=1.5"],
        ["--faults=error_1,meteor"],
        ["--faults=throttle_burst"],
        ["--expire-token=alpha"],
        ["--expire-token=@3"],
        ["--expire-token=alpha@-1"],
        ["--throttle-bursts=-1"],
    ],
)
def test_argparse_rejects_bad_values(argv, capsys):
    with pytest.raises(SystemExit):
        parse(argv)
    capsys.readouterr()


def test_config_validates():
    with pytest.raises(ValueError):
        FaultConfig(expire_token="alpha")
    with pytest.raises(ValueError):
        FaultConfig(faults=("expire_token",))
    with pytest.raises(ValueError):
        FaultConfig(fault_rate=-0.1)
