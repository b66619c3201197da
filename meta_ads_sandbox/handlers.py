"""Executing a routed call: nodes, list edges, insights (sync and async) and report runs."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from meta_ads_sandbox import errors, fields, ids, node, params
from meta_ads_sandbox.edges import EDGES, Edge, edges_of, matcher, page
from meta_ads_sandbox.fields import MISSING, FieldSel, Resolver
from meta_ads_sandbox.insights import (
    OPT_IN_RUNS_PER_DAY,
    REACH_RUNS_PER_DAY,
    InsightsQuery,
    parse_query,
)
from meta_ads_sandbox.insights_rows import Scope
from meta_ads_sandbox.jobs import Job
from meta_ads_sandbox.messages import ApiRequest, Reply
from meta_ads_sandbox.node import Node

if TYPE_CHECKING:
    from meta_ads_sandbox.api import Sandbox

DEFAULT_LIMIT = 25
REACH_THROTTLE = "x-fb-ads-insights-reach-throttle"
NODE_DEFAULTS = {node.USER: ("id", "name"), node.BUSINESS: ("id", "name")}
# Fields holding a reference to another node, expandable with {...}: (type, field) -> id field
REFERENCES = {
    (node.AD, "campaign"): "campaign_id",
    (node.AD, "adset"): "adset_id",
    (node.AD_SET, "campaign"): "campaign_id",
}


@dataclass(frozen=True)
class Target:
    """What a path names: a node, or an async report run."""

    node: Node | None
    job: Job | None = None

    @property
    def job_account(self) -> int | None:
        return self.job.account if self.job is not None else None


def insights_cursor(index: int) -> str:
    """Insights cursors look like Meta's ("MAZDZD" is row 0)."""
    return base64.b64encode(str(index).encode()).decode().replace("=", "ZD")


def insights_index(cursor: str) -> int:
    """The row index inside an insights cursor (2642 when it is not one)."""
    text, pads = cursor, 0
    while text.endswith("ZD"):
        text, pads = text[:-2], pads + 1
    text += "=" * pads
    try:
        return int(base64.b64decode(text.encode(), validate=True).decode())
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise errors.GraphError(400, 2642, "(#2642) Invalid cursors values") from exc


def scope_of(n: Node) -> Scope:
    """The insights scope of an account, campaign, ad set or ad node."""
    ref = ids.decode(n.id)
    assert ref is not None
    pos = ref.path
    return Scope(*pos)


class Handlers:
    """The executors the router hands calls to."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sb = sandbox

    # -- helpers ------------------------------------------------------------------------------
    def url(self, req: ApiRequest, extra: dict[str, str]) -> str:
        """An absolute URL to the same call with other paging parameters."""
        pairs = [(k, v) for k, v in req.query if k not in ("after", "before")]
        pairs += list(extra.items())
        path = req.path if req.path.startswith("/") else "/" + req.path
        if req.default_version and not path.startswith("/v"):
            path = f"/{req.default_version}{path}"
        return f"{req.base_url}{path}?{urlencode(pairs)}"

    def selection(
        self, req: ApiRequest, p: dict[str, str], node_type: str, default: tuple[str, ...]
    ) -> tuple[FieldSel, ...]:
        """The parsed and validated `fields` (in the call's version), or the type's defaults."""
        if p.get("fields", "").strip():
            sels = fields.parse_fields(p["fields"])
            fields.validate(node_type, sels, edges_of, req.version)
            return sels
        return fields.plain(default)

    def resolver(self, req: ApiRequest, token: str) -> Resolver:
        """Expands node references and edges inside `fields`."""
        sb = self.sb
        ds = sb.dataset

        def resolve(n: Node, sel: FieldSel) -> Any:
            spec = EDGES.get((n.type, sel.name))
            if spec is not None:
                return self._expand(req, token, n, sel, spec, resolve)
            if n.type == node.AD and sel.name == "creative":
                ref: str | None = n.data["creative"]["id"]
            elif n.type == node.AD_ACCOUNT and sel.name == "business":
                ref = n.data.get("business", {}).get("id")
            elif (n.type, sel.name) in REFERENCES:
                ref = n.data.get(REFERENCES[(n.type, sel.name)])
            else:
                return MISSING
            if ref is None:
                return None
            if not sel.sub:
                return n.data.get(sel.name) or {"id": ref}
            child = ds.lookup(ref)
            return fields.project(child, sel.sub, resolve) if child is not None else {"id": ref}

        return resolve

    def _expand(
        self, req: ApiRequest, token: str, n: Node, sel: FieldSel, spec: Edge, resolve: Resolver
    ) -> dict[str, Any]:
        sb = self.sb
        sub = sel.sub or fields.plain(spec.default_fields)
        limit = min(sel.limit or DEFAULT_LIMIT, sb.config.max_limit)
        keep = matcher(spec, {}, sb.config.deleted_in_edges)
        items = spec.items(sb.dataset, n, sb.tokens, token)
        pg = page(sb.dataset, items, spec.load, keep, limit, None, None, False)
        out: dict[str, Any] = {"data": [fields.project(c, sub, resolve) for c in pg.nodes]}
        if pg.nodes:
            paging: dict[str, Any] = {"cursors": {"before": pg.before, "after": pg.after}}
            if pg.has_next:
                query = [("fields", fields.render(sub)), ("limit", str(limit))]
                if any(k == "access_token" for k, _ in req.query):
                    query.insert(0, ("access_token", token))
                version = req.version
                paging["next"] = f"{req.base_url}/{version}/{n.id}/{sel.name}?" + urlencode(
                    [*query, ("after", pg.after or "")]
                )
            out["paging"] = paging
        return out

    # -- nodes and edges ----------------------------------------------------------------------
    def get_node(self, req: ApiRequest, n: Node, token: str) -> Reply:
        """GET /<id>."""
        sels = self.selection(req, req.params, n.type, NODE_DEFAULTS.get(n.type, ("id",)))
        return Reply(200, fields.project(n, sels, self.resolver(req, token)))

    def list_edge(
        self, req: ApiRequest, parent: Node, spec: Edge, p: dict[str, str], token: str
    ) -> Reply:
        """GET /<id>/<edge>: one page of the edge."""
        sb = self.sb
        cfg = sb.config
        sels = self.selection(req, p, spec.child, spec.default_fields)
        limit = params.limit(p, DEFAULT_LIMIT, cfg.max_limit)
        if fields.item_cost(sels) * limit > cfg.max_page_cost:
            raise errors.reduce_data()
        keep = matcher(spec, p, cfg.deleted_in_edges, req.version)
        items = spec.items(sb.dataset, parent, sb.tokens, token)
        pg = page(
            sb.dataset,
            items,
            spec.load,
            keep,
            limit,
            p.get("after"),
            p.get("before"),
            params.truthy(p.get("summary")),
        )
        resolve = self.resolver(req, token)
        body: dict[str, Any] = {"data": [fields.project(n, sels, resolve) for n in pg.nodes]}
        if pg.nodes:
            paging: dict[str, Any] = {"cursors": {"before": pg.before, "after": pg.after}}
            if pg.has_previous and pg.before:
                paging["previous"] = self.url(req, {"before": pg.before})
            if pg.has_next and pg.after:
                paging["next"] = self.url(req, {"after": pg.after})
            body["paging"] = paging
        if pg.total is not None:
            body["summary"] = {"total_count": pg.total}
        return Reply(200, body)

    # -- insights -----------------------------------------------------------------------------
    def _query(self, req: ApiRequest, n: Node) -> tuple[Scope, InsightsQuery]:
        ds = self.sb.dataset
        scope = scope_of(n)
        q = parse_query(req.params, scope.level, ds.today, ds.history_start, req.version)
        return scope, q

    def _reach_throttle(self, account: int) -> dict[str, str]:
        """x-fb-ads-insights-reach-throttle: the share of the day's 10 runs used (shape chosen)."""
        quota = self.sb.reach_quota
        used = quota.used(account)
        value = {
            "acc_id_util_pct": round(100 * used / REACH_RUNS_PER_DAY, 2),
            "reset_time_duration": quota.reset_in(account),
        }
        return {REACH_THROTTLE: json.dumps(value, separators=(",", ":"))}

    def opt_in_limit(self, account: int) -> int:
        """Async runs per 24 h with opt-in breakdowns for an account that did not opt in."""
        cfg = self.sb.dataset.config
        return min(OPT_IN_RUNS_PER_DAY, cfg.campaigns * cfg.adsets * cfg.ads)

    def insights(self, req: ApiRequest, n: Node) -> Reply:
        """GET /<id>/insights (sync).

        Opt-in breakdowns of an account that did not opt in: no rows. Breakdowns starting more
        than 13 months ago: reach, frequency and cpp left out, with the reach throttle header.
        """
        sb = self.sb
        scope, q = self._query(req, n)
        if q.needs_opt_in and not sb.dataset.config.opted_in(scope.account):
            return Reply(200, {"data": []})
        headers: dict[str, str] = {}
        if q.old_reach_breakdown(sb.dataset.today):
            q = replace(q, omit_reach=True)
            headers = self._reach_throttle(scope.account)
        rows = sb.engine.rows(scope, q, row_limit=sb.config.sync_row_limit)
        reply = self.rows_page(req, rows)
        reply.headers.update(headers)
        return reply

    def start_job(self, req: ApiRequest, n: Node, token: str) -> Reply:
        """POST /<id>/insights: start a report run (within the per-account daily quotas)."""
        sb = self.sb
        scope, q = self._query(req, n)
        account = scope.account
        old_reach = q.old_reach_breakdown(sb.dataset.today)
        opt_in = q.needs_opt_in and not sb.dataset.config.opted_in(account)
        if opt_in:
            limit = self.opt_in_limit(account)
            if sb.opt_in_quota.used(account) >= limit:
                raise errors.opt_in_breakdown_limit(limit)
        if old_reach and not sb.reach_quota.take(account, REACH_RUNS_PER_DAY):
            raise errors.reach_breakdown_limit()
        if opt_in:
            sb.opt_in_quota.take(account, self.opt_in_limit(account))
        job = sb.jobs.create(scope, q, token)
        reply = Reply(200, {"report_run_id": job.id})
        if old_reach:
            reply.headers.update(self._reach_throttle(account))
        return reply

    def report_run(self, req: ApiRequest, job: Job) -> Reply:
        """GET /<report_run_id>."""
        data = self.sb.jobs.status(job)
        run = Node(node.REPORT_RUN, job.id, job.account, data)
        if req.params.get("fields", "").strip():
            sels = fields.parse_fields(req.params["fields"])
            fields.validate(node.REPORT_RUN, sels, version=req.version)
        else:
            sels = fields.plain(tuple(data))
        return Reply(200, fields.project(run, sels))

    def job_rows(self, req: ApiRequest, job: Job) -> Reply:
        """GET /<report_run_id>/insights (100/33 until the job completed)."""
        rows = self.sb.jobs.results(job)
        if rows is None:
            raise errors.unsupported_get(job.id)
        return self.rows_page(req, rows)

    def rows_page(self, req: ApiRequest, rows: list[dict[str, Any]]) -> Reply:
        """One page of insights rows with Meta-style cursors."""
        p = req.params
        limit = params.limit(p, DEFAULT_LIMIT, self.sb.config.max_limit)
        if p.get("before"):
            end = insights_index(p["before"])
            start = max(0, end - limit)
        else:
            start = insights_index(p["after"]) + 1 if p.get("after") else 0
            end = start + limit
        chunk = rows[start:end]
        if not chunk:
            return Reply(200, {"data": []})
        last = start + len(chunk) - 1
        paging: dict[str, Any] = {
            "cursors": {"before": insights_cursor(start), "after": insights_cursor(last)}
        }
        if start > 0:
            paging["previous"] = self.url(req, {"before": insights_cursor(start)})
        if last + 1 < len(rows):
            paging["next"] = self.url(req, {"after": insights_cursor(last)})
        return Reply(200, {"data": chunk, "paging": paging})
