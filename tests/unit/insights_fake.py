"""An in-memory model of Meta's report runs for the insights job manager's tests.

Report runs take configurable fake-clock time and can fail, be skipped or hit a row or cell
ceiling (``TooMuchDataError`` on create, a -3/1504045 job error, or an error on the last page
of a read); pages hold at most ``page_cap`` rows, whatever ``limit`` asks; every call is
recorded so tests can check what was sent, when, and how often.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from dataclasses import dataclass, field
from typing import Any

from tap_meta_ads.graph.errors import GraphErrorInfo, GraphFatalError, TooMuchDataError
from tap_meta_ads.insights import ReportQuery
from tap_meta_ads.insights.query import with_key_fields
from tap_meta_ads.insights.spool import row_key

DAY = dt.date(2024, 3, 1)
LOGGER = "tap_meta_ads.test_insights_manager"
PK = {
    "account": ("account_id", "date_start"),
    "campaign": ("account_id", "campaign_id", "date_start"),
    "adset": ("account_id", "adset_id", "date_start"),
    "ad": ("account_id", "ad_id", "date_start"),
}
LEVEL_ID = {"account": "account_id", "campaign": "campaign_id", "adset": "adset_id", "ad": "ad_id"}
METRICS = ("impressions", "clicks", "spend", "reach", "ctr", "cpm")


class FakeClock:
    """Monotonic fake time: only ``sleep`` moves it."""

    def __init__(self) -> None:
        self.now = 0.0
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        with self._lock:
            self.now += seconds


@dataclass
class Run:
    account: str
    rows: list[dict[str, Any]]
    created: float
    duration: float
    outcome: dict[str, Any]
    polls: list[float] = field(default_factory=list)
    read_done: bool = False


def make_tree(account: str, campaigns: int = 2, adsets: int = 2, ads: int = 2) -> list[tuple]:
    """(campaign_id, adset_id, ad_id) of every ad of a fake account."""
    return [
        (f"{account}{c}", f"{account}{c}{s}", f"{account}{c}{s}{a}")
        for c in range(1, campaigns + 1)
        for s in range(1, adsets + 1)
        for a in range(1, ads + 1)
    ]


def too_much_data(account: str) -> TooMuchDataError:
    info = GraphErrorInfo(http_status=400, code=100, subcode=1487534, message="too much data")
    return TooMuchDataError(info, account, "reading insights")


class FakeGraph:
    """An in-memory Marketing API: accounts, report runs in fake time, limits and faults."""

    def __init__(self, clock: FakeClock, accounts: dict[str, list[tuple]], **options: Any) -> None:
        self.clock = clock
        self.accounts = accounts
        self.durations: dict[str, float] = options.get("durations", {})
        self.outcomes: dict[str, list[dict[str, Any]]] = {
            k: list(v) for k, v in options.get("outcomes", {}).items()
        }
        self.max_rows: int | None = options.get("max_rows")
        self.max_cells: int | None = options.get("max_cells")
        self.too_large_at: str = options.get("too_large_at", "post")
        self.page_cap: int | None = options.get("page_cap")
        self.stuck: set[str] = set(options.get("stuck", ()))  # accounts whose cursor sticks
        self.throttle = options.get("throttle", {})
        self.fatal_accounts = set(options.get("fatal_accounts", ()))
        self.unsupported_polls: int = options.get("unsupported_polls", 0)
        self.null_items: int = options.get("null_items", 0)
        self.hidden: set[str] = set(options.get("hidden", ()))  # campaigns no edge lists
        self.lock = threading.Lock()
        self.runs: dict[str, Run] = {}
        self.calls: list[tuple[float, str, str, str, dict[str, str]]] = []
        self.batches: list[tuple[float, str, int]] = []
        self.max_open = 0
        self._ids = iter(range(9_000_001, 10_000_000))

    # -- model ---------------------------------------------------------------------------------

    def rows_for(self, account: str, params: dict[str, str]) -> list[dict[str, Any]]:
        level = params["level"]
        fields = params["fields"].split(",")
        span = json.loads(params["time_range"])
        since, until = dt.date.fromisoformat(span["since"]), dt.date.fromisoformat(span["until"])
        checks: list[tuple[str, str, set[str]]] = []
        for item in json.loads(params.get("filtering", "[]")):
            if item["field"].endswith(".id"):
                assert item["operator"] in ("IN", "NOT_IN")
                checks.append((item["field"].split(".")[0], item["operator"], set(item["value"])))
        objects: dict[str, dict[str, str]] = {}
        for campaign, adset, ad in self.accounts[account]:
            ids = {"campaign": campaign, "adset": adset, "ad": ad}
            if any((ids[kind] in values) != (op == "IN") for kind, op, values in checks):
                continue
            chain = {"account_id": account}
            for upper in ("campaign", "adset", "ad")[
                : ("account", "campaign", "adset", "ad").index(level)
            ]:
                chain[f"{upper}_id"] = ids[upper]
            objects.setdefault(chain[LEVEL_ID[level]], chain)
        rows = []
        day = since
        while day <= until:
            for object_id, chain in objects.items():
                row: dict[str, Any] = {}
                for name in fields:
                    if name in chain:
                        row[name] = chain[name]
                    elif not name.endswith("_id"):
                        row[name] = f"{name}:{object_id}:{day}"
                row["date_start"] = row["date_stop"] = day.isoformat()
                rows.append(row)
            day += dt.timedelta(days=1)
        return rows

    def _too_large(self, rows: list[dict[str, Any]], params: dict[str, str]) -> bool:
        cells = len(rows) * len(params["fields"].split(","))
        return (self.max_rows is not None and len(rows) > self.max_rows) or (
            self.max_cells is not None and cells > self.max_cells
        )

    def _status(self, run: Run) -> dict[str, Any]:
        elapsed = self.clock.now - run.created
        if elapsed < run.duration:
            return {
                "async_status": "Job Running",
                "async_percent_completion": int(100 * elapsed / run.duration),
            }
        status = run.outcome.get("status", "Job Completed")
        body = {"async_status": status, "async_percent_completion": 100}
        body.update({k: v for k, v in run.outcome.items() if k.startswith("error_")})
        return body

    def _count_open(self) -> None:
        open_runs = sum(
            1
            for run in self.runs.values()
            if not run.read_done
            and self._status(run)["async_status"] not in ("Job Failed", "Job Skipped")
        )
        self.max_open = max(self.max_open, open_runs)

    def _page(
        self, rows: list[dict[str, Any]], params: dict[str, str], path: str, *, stuck: bool = False
    ) -> dict[str, Any]:
        start = int(params.get("after") or 0)
        limit = min(int(params.get("limit") or 25), self.page_cap or 1_000_000)
        body: dict[str, Any] = {"data": rows[start : start + limit]}
        if start + limit < len(rows):
            after = str(start + limit)
            if stuck:
                after = str(limit)  # the second page's cursor, again and again
            body["paging"] = {
                "cursors": {"before": "MA", "after": after},
                "next": f"https://graph.example/v25.0{path}?access_token=SECRET&after={after}",
            }
        else:
            body["paging"] = {"cursors": {"before": "MA", "after": "END"}}
        return body

    # -- GraphCalls ----------------------------------------------------------------------------

    def post(
        self, account_id: str, path: str, params: dict[str, str], *, quota_limited: bool = False
    ) -> Any:
        with self.lock:
            self.calls.append((self.clock.now, "POST", account_id, path, dict(params)))
            assert path == f"/act_{account_id}/insights"
            if account_id in self.fatal_accounts:
                info = GraphErrorInfo(http_status=403, code=200, message="(#200) Permissions error")
                raise GraphFatalError(info, account_id, "creating an insights report run")
            rows = self.rows_for(account_id, params)
            outcome = dict(
                self.outcomes.get(account_id, [{}]).pop(0) if self.outcomes.get(account_id) else {}
            )
            if self._too_large(rows, params):
                if self.too_large_at == "post":
                    raise too_much_data(account_id)
                if self.too_large_at == "job":
                    outcome = {
                        "status": "Job Failed",
                        "error_code": -3,
                        "error_subcode": 1504045,
                        "error_message": "Report too large",
                    }
                if self.too_large_at == "read":
                    outcome["read_error"] = True
            run_id = str(next(self._ids))
            duration = outcome.get("duration", self.durations.get(account_id, 10.0))
            self.runs[run_id] = Run(account_id, rows, self.clock.now, duration, outcome)
            self._count_open()
            return {"report_run_id": int(run_id) if len(self.runs) % 2 else run_id}

    def get(self, account_id: str, path: str, params: dict[str, str]) -> Any:
        with self.lock:
            self.calls.append((self.clock.now, "GET", account_id, path, dict(params)))
            parts = path.strip("/").split("/")
            if parts[0] == f"act_{account_id}" and parts[1] == "insights":
                assert "time_range" not in params  # a throttle refresh, never a sync read
                return {"data": []}
            if parts[0] == f"act_{account_id}" or parts[1] in ("adsets", "ads"):
                return self._page(self._list(account_id, parts, params), params, path)
            run = self.runs[parts[0]]
            assert parts[1] == "insights"
            assert run.account == account_id
            assert self._status(run)["async_status"] == "Job Completed"
            body = self._page(run.rows, params, path, stuck=account_id in self.stuck)
            if run.outcome.get("read_error") and "next" not in body["paging"]:
                raise too_much_data(account_id)  # after the pages before it were read
            if "next" not in body["paging"]:
                run.read_done = True
            return body

    def _list(self, account: str, parts: list[str], params: dict[str, str]) -> list[dict]:
        """``/act_<id>/campaigns``, ``/<campaign_id>/adsets``, ``/<adset_id>/ads``."""
        parent, edge = parts
        kind = {"campaigns": "campaign", "adsets": "adset", "ads": "ad"}[edge]
        (only,) = json.loads(params["filtering"])  # filters on the edge's own object only
        assert only["field"] == f"{kind}.effective_status"
        assert "DELETED" in only["value"]
        seen: dict[str, dict[str, str]] = {}
        for campaign, adset, ad in self.accounts[account]:
            if campaign in self.hidden or parent not in (f"act_{account}", campaign, adset):
                continue
            item = {
                "campaign": {"id": campaign},
                "adset": {"id": adset, "campaign_id": campaign},
                "ad": {"id": ad, "adset_id": adset},
            }[kind]
            seen.setdefault(item["id"], item)
        return list(seen.values())

    def batch(self, account_id: str, requests: list[dict[str, str]]) -> list[dict[str, Any] | None]:
        with self.lock:
            assert len(requests) <= 50
            self.batches.append((self.clock.now, account_id, len(requests)))
            answers: list[dict[str, Any] | None] = []
            for item in requests:
                assert item["method"] == "GET"
                run_id, _, query = item["relative_url"].partition("?")
                assert "async_status" in query
                run = self.runs[run_id]
                assert run.account == account_id
                if len(run.polls) < self.unsupported_polls:
                    run.polls.append(self.clock.now)
                    answers.append(
                        {
                            "code": 400,
                            "headers": [],
                            "body": {
                                "error": {
                                    "code": 100,
                                    "error_subcode": 33,
                                    "message": "Unsupported get request",
                                }
                            },
                        }
                    )
                    continue
                if self.null_items:
                    self.null_items -= 1
                    answers.append(None)
                    continue
                run.polls.append(self.clock.now)
                answers.append(
                    {"code": 200, "headers": [], "body": {"id": run_id, **self._status(run)}}
                )
            return answers

    def insights_throttle(self, account_id: str) -> float | None:
        rule = self.throttle.get(account_id)
        return rule(self.clock.now) if rule else None

    # -- test helpers --------------------------------------------------------------------------

    def posts(self, account: str | None = None) -> list[tuple]:
        return [c for c in self.calls if c[1] == "POST" and account in (None, c[2])]


def query(
    account: str, level: str = "ad", days: int = 3, fields: tuple[str, ...] = METRICS, **kwargs: Any
) -> ReportQuery:
    return ReportQuery(
        account_id=account,
        level=level,
        since=DAY,
        until=DAY + dt.timedelta(days=days - 1),
        fields=(LEVEL_ID[level], "account_id", *fields)
        if level != "account"
        else ("account_id", *fields),
        **kwargs,
    )


def truth(fake: FakeGraph, q: ReportQuery) -> list[dict[str, Any]]:
    rows = fake.rows_for(q.account_id, with_key_fields(q, PK[q.level]).graph_params())
    return sorted(rows, key=row_key(PK[q.level]))
