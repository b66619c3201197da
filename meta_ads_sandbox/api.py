"""One Graph API call, independent of HTTP: route, authenticate, fault, charge, execute.

Order (also for each batch item): parse + route + authenticate (errors here are not charged) ->
the Call -> `faults.pick` -> `limiter.admit` -> execute -> usage headers.
"""

from __future__ import annotations

import re
import threading
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from meta_ads_sandbox import debug_token, errors, ids, node, protocol, versions
from meta_ads_sandbox.auth import TokenStore, token_of
from meta_ads_sandbox.calls import ADS_INSIGHTS, ADS_MANAGEMENT, APP, CUSTOM_AUDIENCE, Call
from meta_ads_sandbox.config import DatasetConfig, ServerConfig
from meta_ads_sandbox.dataset import Dataset
from meta_ads_sandbox.edges import EDGES
from meta_ads_sandbox.errors import GraphError
from meta_ads_sandbox.faults import FaultInjector
from meta_ads_sandbox.handlers import Handlers, Target
from meta_ads_sandbox.insights_rows import InsightsEngine
from meta_ads_sandbox.jobs import JobTable
from meta_ads_sandbox.malformed import Malformer
from meta_ads_sandbox.messages import ApiRequest, Outcome, Reply, error_reply
from meta_ads_sandbox.quotas import DailyQuota
from meta_ads_sandbox.ratelimit import RateLimiter
from meta_ads_sandbox.rng import hex_digest

VERSION_WARNING = "X-Ad-Api-Version-Warning"
#: Graph calls kept in the journal (about 200 bytes each).
JOURNAL_LENGTH = 50_000
_ACCOUNT_IN_PATH = re.compile(r"act_\d+")
INSIGHT_NODES = (node.AD_ACCOUNT, node.CAMPAIGN, node.AD_SET, node.AD)


@dataclass
class Prepared:
    """A routed, authenticated call ready to be charged and run."""

    call: Call
    kind: str
    run: Callable[[], Reply]
    version: str


class Sandbox:
    """All server state: dataset, tokens, jobs, limiter, faults and counters."""

    def __init__(self, dataset_config: DatasetConfig, config: ServerConfig) -> None:
        self.config = config
        self.dataset = Dataset(dataset_config)
        self.engine = InsightsEngine(self.dataset)
        self.tokens = TokenStore(self.dataset.config, config.app_secret, config.token_info)
        self.jobs = JobTable(
            self.engine,
            self.dataset.seed,
            config.job_seconds,
            config.job_failure_rate,
            config.job_skip_rate,
            config.async_row_limit,
        )
        self.limiter = RateLimiter(config.rate_limit)
        self.faults = FaultInjector(config.faults, self.dataset.seed)
        # Async report runs per account and rolling 24 h: reach with old breakdowns, and
        # opt-in breakdowns of accounts that did not opt in.
        self.reach_quota = DailyQuota()
        self.opt_in_quota = DailyQuota()
        self.handlers = Handlers(self)
        self.malformer = Malformer(config.malformed, self.handlers.url)
        self._lock = threading.Lock()
        self._counter = 0
        self.requests: Counter[str] = Counter()
        self.errors: Counter[str] = Counter()
        # When each Graph call arrived and was answered (the last JOURNAL_LENGTH of them), for
        # tests that look at concurrency and pacing: GET /__admin/requests.
        self.journal: deque[dict[str, Any]] = deque(maxlen=JOURNAL_LENGTH)

    # -- bookkeeping --------------------------------------------------------------------------
    def trace_id(self) -> str:
        """A fresh x-fb-trace-id / fbtrace_id (deterministic sequence per server)."""
        with self._lock:
            self._counter += 1
            n = self._counter
        return "A" + hex_digest(self.dataset.seed, "trace", n, length=22)

    def count(self, kind: str, reply: Reply | None) -> None:
        """Count one answered call (by kind) and its error code, if any."""
        with self._lock:
            self.requests[kind] += 1
            if reply is not None and reply.error is not None:
                err = reply.error
                label = str(err.code) + (f"/{err.subcode}" if err.subcode is not None else "")
                self.errors[label] += 1

    def note_call(
        self, method: str, path: str, started: float, answered: float, connection: int = 0
    ) -> None:
        """Journal one Graph call (monotonic seconds) with the ad account its path names and
        the connection it came on (the client's port)."""
        account = _ACCOUNT_IN_PATH.search(path)
        entry = {
            "method": method,
            "path": path,
            "account": account.group(0) if account else None,
            "started": started,
            "answered": answered,
            "connection": connection,
        }
        with self._lock:
            self.journal.append(entry)

    def calls(self) -> list[dict[str, Any]]:
        """The journal, oldest first (`GET /__admin/requests`)."""
        with self._lock:
            return list(self.journal)

    # -- versions -----------------------------------------------------------------------------
    def version_refusal(self, version: str) -> GraphError | None:
        """2635 for a version not served, or older than the app's creation version."""
        if version not in versions.SERVED:
            return errors.deprecated_version(versions.LATEST)
        app = self.config.app_created_version
        if app is not None and versions.older(version, app):
            return errors.deprecated_version(app)
        return None

    def version_headers(self, version: str) -> dict[str, str]:
        """X-Ad-Api-Version-Warning, when responses to `version` carry it."""
        cfg = self.config
        if not versions.warns(
            version, self.dataset.today, cfg.version_warning_days, cfg.version_warnings
        ):
            return {}
        served = versions.SERVED[version]
        when = f" on {served.expires.isoformat()}" if served.expires else ""
        return {
            VERSION_WARNING: f"The Ads API version {version} will be deprecated{when}. "
            f"Please update to the latest version: {versions.LATEST}."
        }

    def split_path(self, req: ApiRequest) -> tuple[str, list[str]]:
        """(version, path parts after it) of a call."""
        parts = [p for p in req.path.split("/") if p]
        version = req.default_version or self.config.default_version
        if parts and versions.is_version(parts[0]):
            version = parts.pop(0)
        return version, parts

    # -- routing ------------------------------------------------------------------------------
    def prepare(self, req: ApiRequest, trace: str) -> Prepared | Reply:
        """Route and authenticate; an error Reply here is answered without charging."""
        version, parts = self.split_path(req)
        refused = self.version_refusal(version)
        if refused is not None:
            return error_reply(refused, trace, version)
        req = replace(req, version=version)
        if not parts or len(parts) > 2:
            return error_reply(errors.unknown_path(req.path or "/"), trace, version)
        if parts == [debug_token.PATH]:
            return self._prepare_debug_token(req, trace, version)
        node_id, edge = parts[0], (parts[1] if len(parts) > 1 else None)
        token = token_of(req.params, req.authorization)
        user_path = node_id == "me"
        auth_error = self.tokens.authenticate(token, req.params, user_path)
        if auth_error is not None:
            return error_reply(auth_error, trace, version)
        assert token is not None
        if self.config.new_app:
            legacy = protocol.new_app_refusal(req, edge)
            if legacy is not None:
                return error_reply(legacy, trace, version)
        target = self._resolve(node_id, token)
        if isinstance(target, GraphError):
            return error_reply(target, trace, version)
        method = protocol.effective_method(req)
        kind, run, usage = self._plan(req, target, edge, method, token)
        if isinstance(run, GraphError):
            return error_reply(run, trace, version)
        account = target.node.account if target.node is not None else target.job_account
        call = Call(
            token=token,
            account_id=ids.account_number(account) if account is not None else None,
            usage_type=usage,
            method=method,
            path=req.path if req.path.startswith("/") else "/" + req.path,
            query_key=_query_key(req),
            in_batch=req.in_batch,
        )
        return Prepared(call, kind, run, version)

    def _prepare_debug_token(self, req: ApiRequest, trace: str, version: str) -> Prepared | Reply:
        """`GET /debug_token` with the app's token: charged to the app, like `/me`."""
        refused = debug_token.refusal(self, req)
        if refused is not None:
            return error_reply(refused, trace, version)
        call = Call(
            token=None,
            account_id=None,
            usage_type=APP,
            method=req.method,
            path=req.path if req.path.startswith("/") else "/" + req.path,
            query_key=_query_key(req),
            in_batch=req.in_batch,
        )
        return Prepared(call, "GET debug_token", lambda: debug_token.answer(self, req), version)

    def _resolve(self, node_id: str, token: str) -> Target | GraphError:
        ds = self.dataset
        if node_id == "me" or node_id == ids.user_id(token):
            return Target(ds.user(token))
        if node_id.startswith("60") and len(node_id) == 16 and node_id.isdigit():
            job = self.jobs.get(node_id)
            if job is None:
                return errors.unsupported_get(node_id)
            if not self.tokens.can_see(token, job.account):
                return errors.permission_denied()
            return Target(None, job)
        found = ds.lookup(node_id)
        if found is None:
            return errors.unsupported_get(node_id)
        if found.account is not None and not self.tokens.can_see(token, found.account):
            return errors.permission_denied()
        if found.type == node.BUSINESS:
            ref = ids.decode(found.id)
            owned = ds.business_accounts(ref.number) if ref else []
            if not any(self.tokens.can_see(token, a) for a in owned):
                return errors.permission_denied()
        return Target(found)

    def _plan(
        self, req: ApiRequest, target: Target, edge: str | None, method: str, token: str
    ) -> tuple[str, Callable[[], Reply] | GraphError, str]:
        h = self.handlers
        p = req.params
        if target.job is not None:
            job = target.job
            if edge is None and method == "GET":
                return "GET report_run", lambda: h.report_run(req, job), ADS_INSIGHTS
            if edge == "insights" and method == "GET":
                return "GET report_run/insights", lambda: h.job_rows(req, job), ADS_INSIGHTS
            return "other", errors.unsupported_method(method, job.id), ADS_INSIGHTS
        n = target.node
        assert n is not None
        usage = _usage(n, edge)
        if edge is None:
            if method == "GET":
                return f"GET node:{n.type}", lambda: h.get_node(req, n, token), usage
            return "other", errors.unsupported_method(method, n.id), usage
        if edge == "insights" and n.type in INSIGHT_NODES:
            if method == "GET":
                return "GET insights", lambda: h.insights(req, n), ADS_INSIGHTS
            if method == "POST":
                return "POST insights", lambda: h.start_job(req, n, token), ADS_INSIGHTS
            return "other", errors.unsupported_method(method, n.id), ADS_INSIGHTS
        spec = EDGES.get((n.type, edge))
        if edge == protocol.ASYNC_BATCH_EDGE and method == "POST" and n.type == node.AD_ACCOUNT:
            return "other", errors.unsupported_method(method, n.id), usage  # a write
        if spec is None:
            return "other", errors.nonexisting_field(edge, n.type), usage
        if method != "GET":
            return "other", errors.unsupported_method(method, n.id), usage
        return f"GET edge:{n.type}/{edge}", lambda: h.list_edge(req, n, spec, p, token), usage

    # -- serving ------------------------------------------------------------------------------
    def serve(self, req: ApiRequest) -> Outcome:
        """Answer one call (HTTP request or batch item), faults and limits included."""
        version, parts = self.split_path(req)
        if protocol.is_multi_id(parts, req.params):
            outcome = multi_id(self, req, version, parts[0] if parts else None)
        else:
            outcome = self._serve(req)
        outcome = self.malformer.apply(req, outcome)
        if outcome.reply is not None:
            outcome.reply.headers.update(self.version_headers(outcome.reply.version))
        return outcome

    def _serve(self, req: ApiRequest) -> Outcome:
        trace = self.trace_id()
        prepared = self.prepare(req, trace)
        if isinstance(prepared, Reply):
            self.count("rejected", prepared)
            return Outcome(prepared)
        call = prepared.call
        fault = self.faults.pick(call)
        throttled = self.limiter.admit(call)
        if throttled is not None:
            reply = error_reply(throttled, trace, prepared.version)
            self._usage(reply, call)
            self.count(prepared.kind, reply)
            return Outcome(reply)
        if fault is not None and fault.kind in ("drop", "html_502", "html_503"):
            self.count(prepared.kind, None)
            return Outcome(None, fault.kind)
        if fault is not None and fault.kind == "expire_token":
            reply = error_reply(self.tokens.expire(call.token or ""), trace, prepared.version)
        elif fault is not None and fault.error is not None:
            reply = error_reply(fault.error, trace, prepared.version)
        else:
            reply = self._run(prepared, trace)
        reply.trace = reply.trace or trace
        self._usage(reply, call)
        self.count(prepared.kind, reply)
        if fault is not None and fault.kind in ("slow", "truncate"):
            return Outcome(reply, fault.kind, fault.delay)
        return Outcome(reply)

    def _run(self, prepared: Prepared, trace: str) -> Reply:
        try:
            reply = prepared.run()
        except GraphError as err:
            reply = error_reply(err, trace)
        reply.version = prepared.version
        return reply

    def _usage(self, reply: Reply, call: Call) -> None:
        account = None
        if call.account_id is not None:
            ref = ids.decode("act_" + call.account_id)
            account = ref.account if ref else None
        reply.headers.update(self.limiter.usage_headers(call, self.jobs.in_flight(account)))

    def stats(self) -> dict[str, Any]:
        """Everything `GET /__admin/stats` reports."""
        with self._lock:
            requests = dict(sorted(self.requests.items()))
            errs = dict(sorted(self.errors.items()))
        return {
            "epoch": self.dataset.epoch,
            "requests": requests,
            "errors": errs,
            "rate_limits": self.limiter.stats(),
            "faults": self.faults.stats(),
            "jobs": self.jobs.stats(),
            "malformed": self.malformer.stats(),
        }


def multi_id(sb: Sandbox, req: ApiRequest, version: str, edge: str | None) -> Outcome:
    """`GET /?ids=a,b` (or `/<edge>?ids=a,b`): each ID served as its own call, answered as
    `{id: body}`; the first error answers the whole request, unknown IDs with #803."""
    trace = sb.trace_id()
    refused = sb.version_refusal(version)
    token = token_of(req.params, req.authorization)
    if refused is None:
        refused = sb.tokens.authenticate(token, req.params, user_path=False)
    if refused is None and sb.config.new_app:
        refused = protocol.new_app_refusal(req, edge)
    wanted = protocol.multi_ids(req.params)
    if refused is None and not wanted:
        refused = errors.invalid_parameter("The parameter ids is required")
    if refused is not None:
        rejected = error_reply(refused, trace, version)
        sb.count("rejected", rejected)
        return Outcome(rejected)
    params = {k: v for k, v in req.params.items() if k != "ids"}
    query = [(k, v) for k, v in req.query if k != "ids"]
    body: dict[str, Any] = {}
    headers: dict[str, str] = {}
    missing: list[str] = []
    for object_id in wanted:
        path = f"/{version}/{object_id}" + (f"/{edge}" if edge else "")
        outcome = sb._serve(replace(req, path=path, params=params, query=query))
        if outcome.reply is None or outcome.fault is not None:
            return outcome
        reply = outcome.reply
        err = reply.error
        if err is not None and err.code == 100 and err.subcode == 33:
            missing.append(object_id)
            continue
        if err is not None:
            return outcome
        body[object_id] = reply.body
        headers.update(reply.headers)
    if missing:
        return Outcome(error_reply(errors.aliases_missing(missing), trace, version))
    return Outcome(Reply(200, body, headers=headers, version=version, trace=trace))


def _usage(n: node.Node, edge: str | None) -> str:
    if n.type in (node.USER, node.BUSINESS):
        return APP
    if n.type == node.CUSTOM_AUDIENCE or edge == "customaudiences":
        return CUSTOM_AUDIENCE
    return ADS_MANAGEMENT


def _query_key(req: ApiRequest) -> str:
    kept = sorted(
        (k, v) for k, v in req.params.items() if k not in ("access_token", "appsecret_proof")
    )
    path = req.path if req.path.startswith("/") else "/" + req.path
    return f"{path}?{urlencode(kept)}"
