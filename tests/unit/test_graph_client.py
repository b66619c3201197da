"""GraphClient against the in-process sandbox: real HTTP, fake time (tap-stackexchange style).

Every test builds a client on a sandbox of its own (``start_sandbox``) and runs on a fake
clock: the pacers sleep on it (``FakeTimePacers``), the sandbox's rate limiter reads it
(``on_fake_time``) and backoff's sleeps are recorded, never slept (``backoff_waits``). So a
two-minute throttle or an hour-long quota block takes milliseconds, and the tests assert the
waits themselves. What each test injects is Meta's documented behaviour: the sandbox's
Business-Use-Case limiter, its "reduce the amount of data" page-cost check, its faults.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import traceback
import types
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import backoff._sync
import pytest
import requests

import meta_ads_sandbox.server as sandbox_server
from meta_ads_sandbox import errors as sandbox_errors
from meta_ads_sandbox import ids
from meta_ads_sandbox.calls import ADS_INSIGHTS, ADS_MANAGEMENT, Call
from meta_ads_sandbox.config import DEFAULT_TOKEN, DatasetConfig, TokenSpec
from meta_ads_sandbox.faults import FaultConfig
from meta_ads_sandbox.messages import ApiRequest, Outcome, error_reply
from meta_ads_sandbox.ratelimit import RateLimitConfig, RateLimiter
from meta_ads_sandbox.server import RunningSandbox
from tap_meta_ads.graph.answers import CursorLoopError
from tap_meta_ads.graph.client import GraphClient
from tap_meta_ads.graph.engine_calls import InsightsCalls
from tap_meta_ads.graph.errors import GraphFatalError
from tap_meta_ads.graph.pacing import Pacer, PacerRegistry
from tap_meta_ads.graph.retries import RetriesExhaustedError
from tap_meta_ads.graph.scope import CallScope, ClientPolicy
from tap_meta_ads.runlog import RunLog
from tap_meta_ads.secrets import SecretFilter
from tests.fakes import FakeClock

END = date(2026, 11, 21)
#: The numeric id of the sandbox's first ad account (active, seen by the default token).
ACCOUNT = ids.account_number(0)
CAMPAIGNS = f"/act_{ACCOUNT}/campaigns"
INSIGHTS = f"/act_{ACCOUNT}/insights"
SCOPE = CallScope(account_id=ACCOUNT, stream="campaigns", what="reading campaigns")
#: A token no test output may ever show.
SECRET_TOKEN = "tok-XYZZY-4d9f0c2e1b7a"


def dataset(**kwargs: Any) -> DatasetConfig:
    return DatasetConfig(end_date=END, **kwargs)


class FakeTimePacers(PacerRegistry):
    """The registry the tap builds, but its pacers sleep on a fake clock (and list the sleeps)."""

    def __init__(self, clock: FakeClock, max_rate: float, max_wait_seconds: float) -> None:
        super().__init__(max_rate, max_wait_seconds)
        self.clock = clock
        self.sleeps: list[float] = []
        self.made: dict[tuple[str, int], Pacer] = {}

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.clock.sleep(seconds)

    def get(self, account_id: str | None, token: str) -> Pacer:
        key = (account_id or "", hash(token))
        if key not in self.made:
            self.made[key] = Pacer(
                self._max_rate,
                max_wait_seconds=self._max_wait,
                clock=self.clock,
                sleep=self.sleep,
            )
        return self.made[key]

    def long_sleeps(self) -> list[float]:
        """Sleeps beyond the normal spacing of requests (at most 1 / requests_per_second)."""
        return [s for s in self.sleeps if s > 1.0]


class OneToken:
    """A TokenSource with one token for every scope."""

    def __init__(self, token: str) -> None:
        self._token = token

    def token(self, scope: CallScope) -> str:
        return self._token


@dataclass
class Rig:
    client: GraphClient
    log: RunLog
    pacers: FakeTimePacers


def rig(
    running: RunningSandbox,
    clock: FakeClock,
    *,
    token: str = DEFAULT_TOKEN,
    app_secret: str | None = None,
    page_size: int = 25,
    max_retries: int = 3,
    max_wait: float = 3900.0,
) -> Rig:
    """A client as ``build_run`` makes one, on fake time, with identity redaction (so nothing
    the tests find hidden was hidden by the redaction, only by the client)."""
    policy = ClientPolicy(
        base_url=f"{running.base_url}/v27.0",
        app_secret=app_secret,
        page_size=page_size,
        timeout_seconds=5.0,
        max_retries=max_retries,
        max_retry_seconds=600.0,
        requests_per_second=10.0,
        max_rate_limit_wait_seconds=max_wait,
    )
    log = RunLog()
    pacers = FakeTimePacers(clock, policy.requests_per_second, max_wait)
    client = GraphClient(
        policy,
        OneToken(token),
        log,
        logger=logging.getLogger("tests.graph_client"),
        redact=lambda text: text,
        pacers=pacers,
    )
    return Rig(client, log, pacers)


def on_fake_time(running: RunningSandbox, clock: FakeClock) -> RateLimiter:
    """Make the sandbox's Business-Use-Case limiter read the test's fake clock."""
    limiter = RateLimiter(running.sandbox.config.rate_limit, clock=clock)
    running.sandbox.limiter = limiter
    return limiter


def spend_budget(limiter: RateLimiter, usage_type: str, calls: int) -> None:
    """Another app's calls fill the account's window: the next call is the one too many."""
    path = f"/v27.0/act_{ACCOUNT}/x"
    for _ in range(calls):
        assert limiter.admit(Call("another-app", ACCOUNT, usage_type, "GET", path, path)) is None


@dataclass
class Received:
    """The HTTP requests the sandbox received (batch items left out), in order."""

    requests: list[ApiRequest] = field(default_factory=list)

    def limits(self) -> list[int]:
        return [int(r.params["limit"]) for r in self.requests]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> Any:
    """caplog at DEBUG, urllib3's request lines included (a Tap quiets them process-wide), and
    without the SecretFilter a Tap built by an earlier test leaves on pytest's capture handler
    (``install_secret_filter`` puts it on every root handler, and that one outlives the test)."""
    kept = [f for f in caplog.handler.filters if not isinstance(f, SecretFilter)]
    monkeypatch.setattr(caplog.handler, "filters", kept)
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="urllib3")
    return caplog


@pytest.fixture
def backoff_waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """backoff's waits between tries, recorded instead of slept."""
    waits: list[float] = []
    fake_time = types.SimpleNamespace(sleep=waits.append, monotonic=backoff._sync.time.monotonic)
    monkeypatch.setattr(backoff._sync, "time", fake_time)
    return waits


def record(running: RunningSandbox, monkeypatch: pytest.MonkeyPatch) -> Received:
    """Record what ``running`` receives: every top-level request, and every batch request."""
    received = Received()
    serve = running.sandbox.serve
    run_batch = sandbox_server.run_batch

    def recording_serve(req: ApiRequest) -> Outcome:
        if not req.in_batch:
            received.requests.append(req)
        return serve(req)

    def recording_batch(sb: Any, req: ApiRequest, version: str | None) -> Outcome:
        if sb is running.sandbox:
            received.requests.append(req)
        return run_batch(sb, req, version)

    monkeypatch.setattr(running.sandbox, "serve", recording_serve)
    monkeypatch.setattr(sandbox_server, "run_batch", recording_batch)
    return received


def text_of(exc: BaseException) -> str:
    """Everything an exception could show: its chain, formatted, and its repr."""
    return "".join(traceback.format_exception(exc)) + repr(exc) + repr(exc.args)


def subjects(log: RunLog) -> set[str]:
    return {entry.subject for entry in log.entries()}


# -- throttles ---------------------------------------------------------------------------------

THROTTLING = RateLimitConfig(
    budget_window=60.0, management_budget=5, lockout_seconds=120.0, lockout_penalty=0.0
)


def test_a_throttle_is_waited_out_as_long_as_meta_says_without_spending_retries(
    start_sandbox, clock, backoff_waits
):
    running = start_sandbox(dataset(), rate_limit=THROTTLING)
    spend_budget(on_fake_time(running, clock), ADS_MANAGEMENT, 5)
    setup = rig(running, clock, max_retries=1)  # not one retry to spend

    body = setup.client.get(SCOPE, CAMPAIGNS, {"fields": "id,name"})

    assert body["data"]  # the account's campaigns, after the wait
    # 80004 with estimated_time_to_regain_access = 2 (minutes): waited exactly that long.
    assert setup.pacers.long_sleeps() == [pytest.approx(120.0)]
    assert clock.slept == pytest.approx(120.0, abs=0.5)
    assert backoff_waits == []
    run = setup.log.entry(ACCOUNT, "campaigns")
    assert (run.requests, run.throttles, run.retries) == (2, 1, 0)
    assert run.rate_limit_wait == pytest.approx(120.0, abs=0.5)
    assert subjects(setup.log) == {ACCOUNT}


@pytest.mark.parametrize(
    ("limits", "max_wait", "meta_says"),
    [
        pytest.param(THROTTLING, 200.0, 120.0, id="80004-for-2-minutes-within-200s"),
        pytest.param(
            RateLimitConfig(
                budget_window=60.0,
                management_budget=5,
                quota_block_every=1,
                quota_block_seconds=3600.0,
            ),
            3900.0,  # the default, sized for this very case
            3600.0,
            id="quota-block-for-an-hour-within-the-default-3900s",
        ),
    ],
)
def test_a_throttle_shorter_than_the_wait_budget_never_fails_the_account(
    start_sandbox, clock, backoff_waits, limits, max_wait, meta_says
):
    """max_rate_limit_wait_seconds is the total an account may wait: one wait of Meta's
    estimate, when the estimate is below it, must go through."""
    running = start_sandbox(dataset(), rate_limit=limits)
    spend_budget(on_fake_time(running, clock), ADS_MANAGEMENT, 5)
    setup = rig(running, clock, max_wait=max_wait)

    body = setup.client.get(SCOPE, CAMPAIGNS, {"fields": "id"})

    assert body["data"]
    assert setup.pacers.long_sleeps() == [pytest.approx(meta_says)]
    run = setup.log.entry(ACCOUNT, "campaigns")
    assert (run.throttles, run.retries) == (1, 0)


def test_a_throttle_past_max_rate_limit_wait_is_one_fatal_line(start_sandbox, clock, backoff_waits):
    running = start_sandbox(dataset(), rate_limit=THROTTLING)
    spend_budget(on_fake_time(running, clock), ADS_MANAGEMENT, 5)
    setup = rig(running, clock, max_wait=60.0)  # Meta asks for 120 s

    with pytest.raises(GraphFatalError) as caught:
        setup.client.get(SCOPE, CAMPAIGNS, {"fields": "id"})

    line = str(caught.value)
    assert "\n" not in line
    assert line.startswith(
        f"account {ACCOUNT}: reading campaigns failed with HTTP 400, code 80004, subcode 2446079"
    )
    assert line.endswith(
        "Fix: rate limited for longer than max_rate_limit_wait_seconds allows: lower "
        "requests_per_second or raise max_rate_limit_wait_seconds"
    )
    assert clock.slept <= 60.0  # it gave up instead of waiting past the budget
    assert backoff_waits == []
    run = setup.log.entry(ACCOUNT, "campaigns")
    assert (run.requests, run.throttles, run.retries) == (1, 1, 0)


# -- "Please reduce the amount of data" --------------------------------------------------------


def test_reduce_the_amount_of_data_halves_limit_then_grows_it_back(
    start_sandbox, clock, backoff_waits, monkeypatch
):
    # A campaign with id,name costs 1.1: limit 80 (88) and 40 (44) are too heavy, 20 passes.
    running = start_sandbox(dataset(campaigns=12), max_page_cost=25)
    received = record(running, monkeypatch)
    setup = rig(running, clock, page_size=80)
    client = setup.client
    other = CallScope(account_id=ACCOUNT, stream="ads")

    body = client.get(SCOPE, CAMPAIGNS, {"fields": "id,name", "limit": client.page_size(SCOPE)})

    assert received.limits() == [80, 40, 20]
    assert 0 < len(body["data"]) <= 20
    assert client.page_size(SCOPE) == 40  # one page worked: doubled, not yet the setting
    assert client.page_size(other) == 80  # only the stream Meta complained about shrinks

    # Meta copes again: the next page asks for 40, and once it works the setting is back.
    monkeypatch.setattr(
        running.sandbox, "config", replace(running.sandbox.config, max_page_cost=10**6)
    )
    client.get(SCOPE, CAMPAIGNS, {"fields": "id,name", "limit": client.page_size(SCOPE)})

    assert received.limits() == [80, 40, 20, 40]
    assert client.page_size(SCOPE) == 80
    run = setup.log.entry(ACCOUNT, "campaigns")
    assert (run.requests, run.retries) == (4, 0)  # shrinking is no retry
    assert backoff_waits == []


def test_a_failed_page_does_not_grow_a_shrunk_limit_back(
    start_sandbox, clock, backoff_waits, monkeypatch
):
    running = start_sandbox(dataset(campaigns=12), max_page_cost=25)
    setup = rig(running, clock, page_size=80, max_retries=1)
    client = setup.client
    client.get(SCOPE, CAMPAIGNS, {"fields": "id,name", "limit": client.page_size(SCOPE)})
    assert client.page_size(SCOPE) == 40

    # The next page fails with a transient 500 (code 1): no page worked, nothing to grow on.
    serve = running.sandbox.serve

    def failing_once(req: ApiRequest) -> Outcome:
        monkeypatch.setattr(running.sandbox, "serve", serve)
        return Outcome(error_reply(sandbox_errors.unknown_error(), "trace"))

    monkeypatch.setattr(running.sandbox, "serve", failing_once)
    with pytest.raises(RetriesExhaustedError):
        client.get(SCOPE, CAMPAIGNS, {"fields": "id,name", "limit": client.page_size(SCOPE)})

    assert client.page_size(SCOPE) == 40


# -- dropped connections and truncated bodies --------------------------------------------------

TRANSPORT_FAULTS = [
    pytest.param("drop", requests.exceptions.ConnectionError, id="drop"),
    pytest.param("truncate", requests.exceptions.ChunkedEncodingError, id="truncate"),
]


@pytest.mark.parametrize(("kind", "raised"), TRANSPORT_FAULTS)
def test_transport_faults_are_retried_and_counted_for_the_account(
    start_sandbox, clock, backoff_waits, kind, raised
):
    # Every call faults, but never more than twice in a row: the third try gets through.
    faults = FaultConfig(fault_rate=1.0, faults=(kind,), max_consecutive_faults=2)
    running = start_sandbox(dataset(), faults=faults)
    setup = rig(running, clock, max_retries=3)

    body = setup.client.get(SCOPE, CAMPAIGNS, {"fields": "id"})

    assert body["data"]
    assert running.sandbox.faults.stats()["by_kind"][kind] == 2
    assert len(backoff_waits) == 2
    run = setup.log.entry(ACCOUNT, "campaigns")
    assert (run.requests, run.retries, run.throttles) == (3, 2, 0)
    assert subjects(setup.log) == {ACCOUNT}


@pytest.mark.parametrize(("kind", "raised"), TRANSPORT_FAULTS)
def test_transport_faults_past_max_retries_end_in_one_line_naming_the_budget(
    start_sandbox, clock, backoff_waits, kind, raised
):
    faults = FaultConfig(fault_rate=1.0, faults=(kind,), max_consecutive_faults=10)
    running = start_sandbox(dataset(), faults=faults)
    setup = rig(running, clock, max_retries=3)

    with pytest.raises(RetriesExhaustedError) as caught:
        setup.client.get(SCOPE, CAMPAIGNS, {"fields": "id"})

    assert type(caught.value.__cause__) is raised  # the transport's own exception, kept
    line = str(caught.value)
    assert line.startswith(f"account {ACCOUNT}: reading campaigns failed after 3 tries in ")
    assert "(max_retries 3, max_retry_seconds " in line
    assert "\n" not in line
    assert running.sandbox.faults.stats()["by_kind"][kind] == 3  # max_retries tries, no more
    assert len(backoff_waits) == 2
    run = setup.log.entry(ACCOUNT, "campaigns")
    assert (run.requests, run.retries) == (3, 2)


# -- the token ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tokens", "faults", "fix"),
    [
        pytest.param(
            (TokenSpec(SECRET_TOKEN),),
            FaultConfig(expire_token=SECRET_TOKEN, expire_after=0),
            "Fix: the access token has expired: generate a new System User token in Business "
            "Manager",
            id="expired-190-463",
        ),
        pytest.param(
            (TokenSpec(DEFAULT_TOKEN),),  # the sandbox does not know SECRET_TOKEN
            FaultConfig(),
            "Fix: the access token was rejected: generate a new System User token in Business "
            "Manager",
            id="invalid-190",
        ),
    ],
)
def test_a_rejected_token_is_one_fatal_line_that_never_shows_the_token(
    start_sandbox, clock, backoff_waits, logs, tokens, faults, fix
):
    running = start_sandbox(dataset(tokens=tokens), faults=faults)
    setup = rig(running, clock, token=SECRET_TOKEN)

    with pytest.raises(GraphFatalError) as caught:
        setup.client.get(SCOPE, CAMPAIGNS, {"fields": "id"})

    exc = caught.value
    assert exc.info.code == 190
    assert "\n" not in exc.line
    assert exc.line.startswith(
        f"account {ACCOUNT}: reading campaigns failed with HTTP 400, code 190"
    )
    assert fix in exc.line
    assert backoff_waits == []  # a token problem is not retried
    # The stream records the failure, as RunContext.fail does.
    setup.log.fail(ACCOUNT, "campaigns", exc.line, exc.info.code, exc.info.subcode)
    assert logs.records  # the check below looks at something (urllib3's lines at least)
    logged = "\n".join(f"{r.getMessage()} {r.exc_text or ''} {r.args!r}" for r in logs.records)
    held = repr(setup.log.entries()) + repr(setup.log.sync_log_rows()) + repr(setup.log.failures())
    for where, text in (("log", logged), ("exception", text_of(exc)), ("run log", held)):
        assert SECRET_TOKEN not in text, where


# -- appsecret_proof ---------------------------------------------------------------------------

APP_SECRET = "app-secret-5b1e"


def test_every_request_carries_the_appsecret_proof_of_its_token(
    start_sandbox, clock, backoff_waits, monkeypatch
):
    running = start_sandbox(dataset(), app_secret=APP_SECRET)  # the sandbox checks each proof
    received = record(running, monkeypatch)
    setup = rig(running, clock, app_secret=APP_SECRET)
    insights = InsightsCalls(setup.client)

    setup.client.get(SCOPE, CAMPAIGNS, {"fields": "id"})
    started = insights.post(ACCOUNT, INSIGHTS, {"fields": "impressions", "level": "ad"})
    answers = insights.batch(ACCOUNT, [{"method": "GET", "relative_url": started["report_run_id"]}])

    assert answers[0] is not None
    assert answers[0]["code"] == 200
    proof = hmac.new(APP_SECRET.encode(), DEFAULT_TOKEN.encode(), hashlib.sha256).hexdigest()
    assert len(received.requests) == 3
    for request in received.requests:
        assert request.params["appsecret_proof"] == proof
        assert request.authorization == f"Bearer {DEFAULT_TOKEN}"
        assert "access_token" not in request.params  # the token never goes into a URL


@pytest.mark.parametrize(
    ("app_secret", "meta_says"),
    [
        pytest.param("wrong-secret", "Invalid appsecret_proof provided", id="wrong-secret"),
        pytest.param(None, "require an appsecret_proof argument", id="no-secret"),
    ],
)
def test_a_refused_appsecret_proof_is_one_fatal_line(
    start_sandbox, clock, backoff_waits, app_secret, meta_says
):
    running = start_sandbox(dataset(), app_secret=APP_SECRET)
    setup = rig(running, clock, app_secret=app_secret)

    with pytest.raises(GraphFatalError) as caught:
        setup.client.get(SCOPE, CAMPAIGNS, {"fields": "id"})

    line = caught.value.line
    assert "\n" not in line
    assert line.startswith(f"account {ACCOUNT}: reading campaigns failed with HTTP 400, code 100")
    assert meta_says in line
    assert " Fix: " in line
    assert backoff_waits == []
    assert setup.log.entry(ACCOUNT, "campaigns").requests == 1


# -- the insights engine's calls ---------------------------------------------------------------

ENGINE = "123"  # the account the engine names; the sandbox answers for ACCOUNT's path
INSIGHTS_PARAMS = {"fields": "impressions,spend", "level": "account", "date_preset": "last_7d"}


def test_retries_of_the_engines_calls_count_for_its_account(start_sandbox, clock, backoff_waits):
    faults = FaultConfig(fault_rate=1.0, faults=("drop",), max_consecutive_faults=2)
    running = start_sandbox(dataset(), faults=faults)
    setup = rig(running, clock)

    body = InsightsCalls(setup.client).get(ENGINE, INSIGHTS, INSIGHTS_PARAMS)

    assert isinstance(body["data"], list)
    run = setup.log.entry(ENGINE, InsightsCalls.STREAM)
    assert (run.requests, run.retries) == (3, 2)
    assert subjects(setup.log) == {ENGINE}  # never "token #1"


def test_throttles_of_the_engines_calls_count_for_its_account(start_sandbox, clock, backoff_waits):
    limits = RateLimitConfig(
        budget_window=60.0, insights_budget=4, lockout_seconds=60.0, lockout_penalty=0.0
    )
    running = start_sandbox(dataset(), rate_limit=limits)
    spend_budget(on_fake_time(running, clock), ADS_INSIGHTS, 4)
    setup = rig(running, clock)

    InsightsCalls(setup.client).get(ENGINE, INSIGHTS, INSIGHTS_PARAMS)

    run = setup.log.entry(ENGINE, InsightsCalls.STREAM)
    assert (run.requests, run.throttles, run.retries) == (2, 1, 0)
    assert run.rate_limit_wait == pytest.approx(60.0, abs=0.5)
    assert subjects(setup.log) == {ENGINE}  # never "token #1"


# -- batch -------------------------------------------------------------------------------------

BATCH = [
    {"method": "GET", "relative_url": f"act_{ACCOUNT}/campaigns?fields=id,name"},
    {"method": "GET", "relative_url": f"act_{ACCOUNT}?fields=name,timezone_name"},
    {"method": "GET", "relative_url": f"act_{ACCOUNT}/nonexisting_edge"},
]


def test_a_batch_answers_each_item(start_sandbox, clock, backoff_waits):
    running = start_sandbox(dataset())
    setup = rig(running, clock)
    client = setup.client

    answers = client.batch(SCOPE, BATCH)

    assert [a["code"] if a else None for a in answers] == [200, 200, 400]
    assert answers[0] is not None
    assert answers[1] is not None
    assert answers[2] is not None
    # Each item's body is what the same call alone answers.
    assert answers[0]["body"] == client.get(SCOPE, CAMPAIGNS, {"fields": "id,name"})
    node = client.get(SCOPE, f"/act_{ACCOUNT}", {"fields": "name,timezone_name"})
    assert answers[1]["body"] == node
    assert answers[2]["body"]["error"]["code"] == 100
    assert any(h["name"] == "X-Business-Use-Case-Usage" for h in answers[0]["headers"])
    # A batch is one request, charged per item.
    assert setup.log.entry(ACCOUNT, "campaigns").requests == 3


def test_batch_items_headers_reach_the_accounts_pacer(start_sandbox, clock, backoff_waits):
    running = start_sandbox(dataset())
    setup = rig(running, clock)
    insights = InsightsCalls(setup.client)
    assert insights.insights_throttle(ACCOUNT) is None

    insights.batch(ACCOUNT, [{"method": "GET", "relative_url": f"act_{ACCOUNT}/insights"}])

    # X-FB-Ads-Insights-Throttle comes only in the item's headers.
    assert insights.insights_throttle(ACCOUNT) == 0.0


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        pytest.param(
            lambda items: items[:1], "the batch answer holds 1 entries for 3 requests", id="short"
        ),
        pytest.param(lambda items: None, "the batch answer is null, not a list", id="null"),
        pytest.param(lambda items: {}, "the batch answer is an object, not a list", id="object"),
        pytest.param(
            lambda items: [], "the batch answer holds 0 entries for 3 requests", id="empty"
        ),
        pytest.param(lambda items: [7, *items[1:]], "batch entry 1 is not a status", id="item"),
    ],
)
def test_a_malformed_batch_answer_is_retried_then_one_line(
    start_sandbox, clock, backoff_waits, monkeypatch, answer, expected
):
    running = start_sandbox(dataset())
    run_batch = sandbox_server.run_batch

    def answering(sb: Any, req: ApiRequest, version: str | None) -> Outcome:
        outcome = run_batch(sb, req, version)
        assert outcome.reply is not None
        outcome.reply.body = answer(outcome.reply.body)
        return outcome

    monkeypatch.setattr(sandbox_server, "run_batch", answering)
    setup = rig(running, clock, max_retries=3)

    with pytest.raises(RetriesExhaustedError) as caught:
        setup.client.batch(SCOPE, BATCH)

    assert len(backoff_waits) == 2  # within max_retries, like any call
    assert f"POST /v27.0/ answered HTTP 200 but {expected}" in str(caught.value)
    assert setup.log.entry(ACCOUNT, "campaigns").retries == 2


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        pytest.param(lambda items: [items[0], None, items[2]], [200, None, 400], id="null-item"),
    ],
)
def test_an_unfinished_batch_item_is_none(
    start_sandbox, clock, backoff_waits, monkeypatch, answer, expected
):
    running = start_sandbox(dataset())
    run_batch = sandbox_server.run_batch

    def answering(sb: Any, req: ApiRequest, version: str | None) -> Outcome:
        outcome = run_batch(sb, req, version)
        assert outcome.reply is not None
        outcome.reply.body = answer(outcome.reply.body)
        return outcome

    monkeypatch.setattr(sandbox_server, "run_batch", answering)
    setup = rig(running, clock)

    answers = setup.client.batch(SCOPE, BATCH)

    assert [a["code"] if a else None for a in answers] == expected


def test_a_batch_holds_at_most_50_items(start_sandbox, clock):
    setup = rig(start_sandbox(dataset()), clock)
    with pytest.raises(ValueError, match="at most 50"):
        setup.client.batch(SCOPE, [BATCH[0]] * 51)
    assert setup.log.entries() == []  # refused before any request


# -- iter_edge ---------------------------------------------------------------------------------


def test_iter_edge_follows_the_cursors_to_the_last_page(
    start_sandbox, clock, backoff_waits, monkeypatch
):
    running = start_sandbox(dataset(campaigns=8))
    setup = rig(running, clock, page_size=3)
    everything = setup.client.get(SCOPE, CAMPAIGNS, {"fields": "id,name", "limit": 100})["data"]
    assert len(everything) == 7  # three pages of 3 (one campaign is DELETED, so not listed)
    received = record(running, monkeypatch)

    rows = list(setup.client.iter_edge(SCOPE, CAMPAIGNS, {"fields": "id,name"}))

    assert rows == everything  # every campaign once, in Meta's order
    assert received.limits() == [3, 3, 3]  # and no request after the page without "next"
    afters = [r.params.get("after") for r in received.requests]
    assert afters[0] is None
    assert afters[1]
    assert afters[2]
    assert afters[1] != afters[2]


def test_iter_edge_stops_on_a_cursor_that_repeats(start_sandbox, clock, backoff_waits, monkeypatch):
    running = start_sandbox(dataset(campaigns=7))
    serve = running.sandbox.serve

    def ignoring_the_cursor(req: ApiRequest) -> Outcome:  # page one, whatever "after" says
        params = {k: v for k, v in req.params.items() if k != "after"}
        return serve(replace(req, params=params))

    monkeypatch.setattr(running.sandbox, "serve", ignoring_the_cursor)
    setup = rig(running, clock, page_size=3)

    rows: Iterator[dict[str, Any]] = setup.client.iter_edge(SCOPE, CAMPAIGNS, {"fields": "id"})
    taken: list[dict[str, Any]] = []
    with pytest.raises(CursorLoopError, match="next cursor was already read") as caught:
        taken.extend(rows)

    assert len(taken) == 3  # page one only: nothing of the repeated page was taken
    assert len({row["id"] for row in taken}) == 3
    assert caught.value.line.startswith(f"account {ACCOUNT}: reading campaigns failed: GET /")
    assert setup.log.entry(ACCOUNT, "campaigns").requests == 2
