"""Fault injection: decides which calls fail, and how; the server carries the fault out.

Random faults: each call faults with probability `fault_rate`, the kind drawn from `faults`. The
decision is a hash of (seed, method, query_key, occurrence number of that method + query_key), so
it does not depend on how concurrent requests interleave, and a retry (the next occurrence) is
decided independently. A query never faults more than `max_consecutive_faults` times in a row, so
a retrying client always gets through. A batch item (`Call.in_batch`) cannot fail at the transport
level, so it only draws from the kinds carrying a Graph error (error_1, error_2).

Throttle bursts: `--throttle-bursts N` answers N calls over the run with a throttle error as if a
budget were exhausted (the call's Business-Use-Case error, or 613, chosen by the hash). Eligible
calls are picked by the same kind of hash (`BURST_CHANCE`); the first N eligible calls get one, so
a very short run may see fewer than N.

Token expiry: `--expire-token NAME@N` (one option, so it cannot be half configured) lets the token
NAME (compared with `Call.token`) make N calls; its call N+1 and every later one get the
`expire_token` fault (the server answers 190/463). `FaultConfig.expire_token` and
`FaultConfig.expire_after` carry the two parts.
"""

from __future__ import annotations

import argparse
import hashlib
import threading
from dataclasses import dataclass
from typing import Any

from meta_ads_sandbox import errors
from meta_ads_sandbox.calls import Call
from meta_ads_sandbox.errors import GraphError
from meta_ads_sandbox.ratelimit import throttle_error

FAULT_KINDS = (
    "error_1",  # HTTP 500, code 1, is_transient
    "error_2",  # HTTP 500, code 2, "unexpected error"
    "html_502",  # plain HTML body, not JSON
    "html_503",
    "drop",  # connection closed with no response
    "slow",  # answered normally after `delay` seconds
    "truncate",  # full Content-Length, half the body
    "throttle_burst",  # a throttle error as if the budget were exhausted
    "expire_token",  # 190/463 from this call on, for this token
)
RANDOM_KINDS = FAULT_KINDS[:7]  # drawn by --fault-rate; the last two have their own options
BATCH_ITEM_KINDS = ("error_1", "error_2")
BURST_CHANCE = 0.1  # share of calls eligible for a throttle burst while bursts remain


def _probability(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {text}")
    return value


def _kinds(text: str) -> tuple[str, ...]:
    kinds = tuple(dict.fromkeys(k.strip() for k in text.split(",") if k.strip()))
    unknown = [k for k in kinds if k not in RANDOM_KINDS]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown fault kind(s) {', '.join(unknown)}; choose from {', '.join(RANDOM_KINDS)}"
        )
    return kinds


def _non_negative_float(text: str) -> float:
    value = float(text)
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


def parse_expire_spec(text: str) -> tuple[str, int]:
    """Split `NAME@N` into the token name and the number of calls it may still make."""
    name, sep, count = text.rpartition("@")
    if not sep or not name or not count.isdigit():
        raise argparse.ArgumentTypeError(f"expected NAME@N (N >= 0), got {text!r}")
    return name, int(count)


@dataclass(frozen=True)
class FaultConfig:
    """What to inject and how often; the defaults inject nothing."""

    fault_rate: float = 0.0
    faults: tuple[str, ...] = RANDOM_KINDS
    slow_seconds: float = 15.0
    throttle_bursts: int = 0
    expire_token: str | None = None
    expire_after: int | None = None
    max_consecutive_faults: int = 2

    def __post_init__(self) -> None:
        if not 0.0 <= self.fault_rate <= 1.0:
            raise ValueError("fault_rate must be between 0 and 1")
        unknown = set(self.faults) - set(RANDOM_KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds: {sorted(unknown)}")
        if self.slow_seconds < 0 or self.throttle_bursts < 0 or self.max_consecutive_faults < 0:
            raise ValueError(
                "slow_seconds, throttle_bursts and max_consecutive_faults must be >= 0"
            )
        if (self.expire_token is None) != (self.expire_after is None):
            raise ValueError("expire_token and expire_after go together")
        if self.expire_after is not None and self.expire_after < 0:
            raise ValueError("expire_after must be >= 0")

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        """Register the fault options of `serve`."""
        d = cls()
        g = parser.add_argument_group("faults", "failures injected into API calls")
        g.add_argument(
            "--fault-rate",
            type=_probability,
            default=d.fault_rate,
            metavar="P",
            help=f"probability that a call faults (default {d.fault_rate:g})",
        )
        g.add_argument(
            "--faults",
            type=_kinds,
            default=d.faults,
            metavar="KIND,KIND",
            help=f"kinds drawn by --fault-rate (default {','.join(d.faults)})",
        )
        g.add_argument(
            "--slow-seconds",
            type=_non_negative_float,
            default=d.slow_seconds,
            metavar="S",
            help="delay of a 'slow' fault; set it above the client's timeout "
            f"(default {d.slow_seconds:g})",
        )
        g.add_argument(
            "--throttle-bursts",
            type=_non_negative_int,
            default=d.throttle_bursts,
            metavar="N",
            help=f"throttle errors to inject over the run (default {d.throttle_bursts})",
        )
        g.add_argument(
            "--expire-token",
            type=parse_expire_spec,
            default=None,
            metavar="NAME@N",
            help="token NAME expires after N of its calls (190/463 from then on)",
        )
        g.add_argument(
            "--max-consecutive-faults",
            type=_non_negative_int,
            default=d.max_consecutive_faults,
            metavar="K",
            help="a query never faults more than K times in a row "
            f"(default {d.max_consecutive_faults})",
        )

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> FaultConfig:
        """Build the config from options registered by `add_arguments`."""
        spec = args.expire_token
        if isinstance(spec, str):
            spec = parse_expire_spec(spec)
        token, after = spec if spec is not None else (None, None)
        return cls(
            fault_rate=args.fault_rate,
            faults=tuple(args.faults),
            slow_seconds=args.slow_seconds,
            throttle_bursts=args.throttle_bursts,
            expire_token=token,
            expire_after=after,
            max_consecutive_faults=args.max_consecutive_faults,
        )


@dataclass(frozen=True)
class Fault:
    """One fault to carry out; `error` is the Graph error body for the kinds that have one."""

    kind: str
    delay: float = 0.0
    error: GraphError | None = None


@dataclass
class _Query:
    """How often a (method, query_key) was seen, and its current run of faults."""

    occurrences: int = 0
    streak: int = 0


class FaultInjector:
    """Picks the fault (or none) for each call, deterministically from the seed."""

    def __init__(self, config: FaultConfig, seed: int) -> None:
        self._config = config
        self._seed = seed
        self._lock = threading.Lock()
        self._queries: dict[tuple[str, str], _Query] = {}
        self._token_calls = 0  # calls made by config.expire_token
        self._expired: set[str] = set()
        self._bursts_left = config.throttle_bursts
        self._calls = 0
        self._injected = dict.fromkeys(FAULT_KINDS, 0)

    def _unit(self, salt: str, call: Call, occurrence: int) -> float:
        """A uniform number in [0, 1) fixed by the seed, the query and its occurrence."""
        material = f"{self._seed}|{salt}|{call.method}|{call.query_key}|{occurrence}"
        digest = hashlib.sha256(material.encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2.0**64

    def _make(self, kind: str, call: Call, occurrence: int) -> Fault:
        if kind == "error_1":
            return Fault(kind, error=errors.unknown_error())
        if kind == "error_2":
            return Fault(kind, error=errors.unexpected_error())
        if kind == "slow":
            return Fault(kind, delay=self._config.slow_seconds)
        if kind == "throttle_burst":
            generic = self._unit("burst-kind", call, occurrence) < 0.5
            error = errors.api_rate_limit() if generic else throttle_error(call.usage_type)
            return Fault(kind, error=error)
        return Fault(kind)

    def _draw(self, call: Call, occurrence: int) -> Fault | None:
        cfg = self._config
        kinds = cfg.faults
        if call.in_batch:
            kinds = tuple(k for k in kinds if k in BATCH_ITEM_KINDS)
        if kinds and self._unit("rate", call, occurrence) < cfg.fault_rate:
            index = int(self._unit("kind", call, occurrence) * len(kinds))
            return self._make(kinds[index], call, occurrence)
        if self._bursts_left > 0 and self._unit("burst", call, occurrence) < BURST_CHANCE:
            self._bursts_left -= 1
            return self._make("throttle_burst", call, occurrence)
        return None

    def _expiry(self, token: str | None) -> Fault | None:
        if token is None:
            return None
        if token not in self._expired and token == self._config.expire_token:
            self._token_calls += 1
            if self._token_calls > (self._config.expire_after or 0):
                self._expired.add(token)
        return Fault("expire_token") if token in self._expired else None

    def pick(self, call: Call) -> Fault | None:
        """The fault to inject into `call`, or None to answer it normally."""
        with self._lock:
            self._calls += 1
            fault = self._expiry(call.token)
            if fault is None:
                query = self._queries.setdefault((call.method, call.query_key), _Query())
                occurrence = query.occurrences
                query.occurrences += 1
                if query.streak >= self._config.max_consecutive_faults:
                    query.streak = 0
                    return None
                fault = self._draw(call, occurrence)
                query.streak = query.streak + 1 if fault is not None else 0
            if fault is not None:
                self._injected[fault.kind] += 1
            return fault

    def stats(self) -> dict[str, Any]:
        """Calls seen and faults injected by kind."""
        with self._lock:
            return {
                "calls": self._calls,
                "faults": sum(self._injected.values()),
                "by_kind": dict(self._injected),
                "expired_tokens": len(self._expired),
                "throttle_bursts_left": self._bursts_left,
            }
