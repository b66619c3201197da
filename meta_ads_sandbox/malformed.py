"""Malformed answers on demand: chosen calls get a 200 whose body breaks Meta's shapes.

A rule is `KIND[@GLOB][#WHICH]` (`--malform`, repeatable; ServerConfig.malformed). GLOB is an
fnmatch pattern over the path as requested (`/v25.0/act_1/campaigns`; batch items: their
relative_url's path with a leading `/`; a batch: `/` or `/v25.0/`), default `*`. WHICH picks
among the calls the rule can act on, counted per rule from 1 in arrival order: `N`, `N-M`, `N+`
(N and every later one) or `*` (all); default `1`. A call counts only when answered 200 with the
shape the kind needs (see KINDS), so faults and errors never use up a rule. Several rules may act
on one call, in the order given.

Run kinds (`job_stuck`, `job_garbage`) select the POST that creates a report run; the run then
answers every status poll (HTTP or batch) malformed, forever. Batch kinds act on the whole
answer of a batch request; the others on single calls and on batch items.
"""

from __future__ import annotations

import argparse
import copy
import fnmatch
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from meta_ads_sandbox import errors
from meta_ads_sandbox.messages import ApiRequest, Outcome, Reply, error_reply

# kind -> what it serves (the shape a call needs to count is in brackets)
KINDS = {
    "body_list": "the body is `[]` [any 200]",
    "body_string": 'the body is `"x"` [any 200]',
    "body_null": "the body is `null` [any 200]",
    "no_data": "the object without its `data` key [any 200; a non-object becomes `{}`]",
    "item_without_id": "the first item (of `data`, or the node) without `id` [an item]",
    "paging_not_object": "`paging` is a string: the next URL, or `` [a list page]",
    "empty_self_next": "`data: []` with `paging.next` = this very URL, both cursors the "
    "request's `after` [a list page]",
    "repeat_page": "the previous page of the same listing again, items and cursors (a first "
    "page is served as it is) [a list page]",
    "cursor_cycle": "the page's items, but `paging.cursors.after` and `paging.next` are the "
    "listing's first page's (a first page is served as it is) [a list page]",
    "job_stuck": "the report run stays `Job Running` at 50 % and its /insights answer 100/33, "
    "forever [the POST creating a run]",
    "job_garbage": 'every poll of the run answers `{"id": <run id>, "async_status": 42}` '
    "[the POST creating a run]",
    "batch_null": "the batch answer is `null` [a batch]",
    "batch_object": "the batch answer is `{}` [a batch]",
    "batch_html": "the batch answer is an HTML page (HTTP 200, text/html) [a batch]",
    "batch_short": "the batch answer lacks its last item [a batch]",
    "huge_int": 'the first item\'s `impressions` is "123456789012345678901234" (> 64 bits) '
    "[an item]",
    "big_int": 'the first item\'s `reach` is "123456789012" (> 32 bits, < 64) [an item]',
    "bad_time": 'the first item\'s `updated_time` is "yesterday" [an item]',
}
BATCH_KINDS = ("batch_null", "batch_object", "batch_html", "batch_short")
JOB_KINDS = ("job_stuck", "job_garbage")
STUCK_PERCENT = 50
HUGE_INT = "123456789012345678901234"
BIG_INT = "123456789012"
BAD_TIME = "yesterday"
LISTINGS_KEPT = 1000
_WHICH = re.compile(r"^(\*|(\d+)(\+|-(\d+))?)$")
_VERSION = re.compile(r"^/v\d+\.\d+(?=/|$)")
_ITEM_FIELDS = {"huge_int": ("impressions", HUGE_INT), "big_int": ("reach", BIG_INT)}
_ITEM_FIELDS["bad_time"] = ("updated_time", BAD_TIME)


@dataclass(frozen=True)
class MalformRule:
    """One `--malform KIND[@GLOB][#WHICH]`."""

    kind: str
    pattern: str = "*"
    which: str = "1"

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown malform kind {self.kind!r}; choose from {', '.join(KINDS)}")
        match = _WHICH.match(self.which)
        if match is None or (match.group(2) is not None and int(match.group(2)) < 1):
            raise ValueError(f"WHICH must be N, N-M, N+ or * (N >= 1), got {self.which!r}")
        if match.group(4) is not None and int(match.group(4)) < int(match.group(2)):
            raise ValueError(f"WHICH {self.which!r}: M is below N")

    @classmethod
    def parse(cls, text: str) -> MalformRule:
        head, hash_, which = text.partition("#")
        kind, at, pattern = head.partition("@")
        return cls(kind.strip(), pattern if at else "*", which if hash_ else "1")

    def picks(self, n: int) -> bool:
        """Whether the rule acts on its n-th (1-based) eligible call."""
        match = _WHICH.match(self.which)
        assert match is not None
        if match.group(1) == "*":
            return True
        first = int(match.group(2))
        if match.group(3) == "+":
            return n >= first
        last = int(match.group(4)) if match.group(4) is not None else first
        return first <= n <= last


def _rule(text: str) -> MalformRule:
    try:
        return MalformRule.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register `--malform` (ServerConfig.malformed)."""
    g = parser.add_argument_group("malformed answers", "chosen calls answered with broken shapes")
    g.add_argument(
        "--malform",
        type=_rule,
        action="append",
        default=None,
        metavar="KIND[@GLOB][#WHICH]",
        help=f"serve KIND ({', '.join(KINDS)}) to the WHICH-th (N, N-M, N+ or *; default 1) "
        "call whose path matches GLOB (default *) (repeatable; default none)",
    )


def _is_page(body: Any) -> bool:
    return isinstance(body, dict) and isinstance(body.get("data"), list)


def _first_item(body: Any) -> dict[str, Any] | None:
    if _is_page(body):
        data = body["data"]
        return data[0] if data and isinstance(data[0], dict) else None
    return body if isinstance(body, dict) and body else None


class Malformer:
    """Applies the rules, counting eligible calls per rule (thread-safe, deterministic)."""

    def __init__(
        self, rules: tuple[MalformRule, ...], url: Callable[[ApiRequest, dict[str, str]], str]
    ) -> None:
        self._rules = rules
        self._url = url  # an absolute URL to the same call with other paging parameters
        self._lock = threading.Lock()
        self._seen = [0] * len(rules)
        self._jobs: dict[str, str] = {}  # report run id -> job kind
        self._listings: OrderedDict[tuple[Any, ...], tuple[str | None, Any]] = OrderedDict()
        self.counts = dict.fromkeys(KINDS, 0)

    # -- selection ---------------------------------------------------------------------------
    def _eligible(self, kind: str, req: ApiRequest, body: Any) -> bool:
        if kind in ("body_list", "body_string", "body_null", "no_data"):
            return True
        if kind in ("item_without_id", *_ITEM_FIELDS):
            return _first_item(body) is not None
        if kind in JOB_KINDS:
            return isinstance(body, dict) and isinstance(body.get("report_run_id"), str)
        if kind in BATCH_KINDS:
            return isinstance(body, list)
        return _is_page(body)

    def _picked(self, req: ApiRequest, body: Any, batch: bool) -> list[str]:
        """The kinds acting on this 200 answer (counting it for every rule it is eligible for)."""
        kinds = []
        for i, rule in enumerate(self._rules):
            if (rule.kind in BATCH_KINDS) != batch:
                continue
            if not fnmatch.fnmatchcase(req.path or "/", rule.pattern):
                continue
            if not self._eligible(rule.kind, req, body):
                continue
            self._seen[i] += 1
            if rule.picks(self._seen[i]):
                kinds.append(rule.kind)
                if rule.kind not in JOB_KINDS:  # counted when a poll is malformed
                    self.counts[rule.kind] += 1
        return kinds

    # -- single calls and batch items --------------------------------------------------------
    def apply(self, req: ApiRequest, outcome: Outcome) -> Outcome:
        """The outcome of one call (HTTP or batch item), malformed when a rule says so."""
        reply = outcome.reply
        if not self._rules or reply is None or outcome.fault is not None:
            return outcome
        with self._lock:
            job = self._job_poll(req, reply)
            if job is not None:
                return Outcome(job)
            if reply.status != 200 or reply.error is not None:
                return outcome
            kinds = self._picked(req, reply.body, batch=False)
            listing = self._listing(req)
            real = reply.body
            body = copy.deepcopy(real) if kinds else real
            for kind in kinds:
                body = self._malform(kind, req, body, listing)
            if _is_page(real):
                first_after = self._listings.get(listing, (None, None))[0]
                if not req.params.get("after") and not req.params.get("before"):
                    first_after = (real.get("paging") or {}).get("cursors", {}).get("after")
                self._listings[listing] = (first_after, real)
                self._listings.move_to_end(listing)
                while len(self._listings) > LISTINGS_KEPT:
                    self._listings.popitem(last=False)
        if body is real:
            return outcome
        new = Reply(200, body, dict(reply.headers), version=reply.version, trace=reply.trace)
        return Outcome(new, outcome.fault, outcome.delay)

    def _listing(self, req: ApiRequest) -> tuple[Any, ...]:
        """A listing's key: path without version, parameters but paging and credentials."""
        path = _VERSION.sub("", req.path if req.path.startswith("/") else "/" + req.path)
        skip = ("after", "before", "access_token", "appsecret_proof")
        params = tuple(sorted((k, v) for k, v in req.params.items() if k not in skip))
        return (req.authorization, req.params.get("access_token"), path, params)

    def _malform(self, kind: str, req: ApiRequest, body: Any, listing: tuple[Any, ...]) -> Any:
        if kind == "body_list":
            return []
        if kind == "body_string":
            return "x"
        if kind == "body_null":
            return None
        if kind == "no_data":
            return {k: v for k, v in body.items() if k != "data"} if isinstance(body, dict) else {}
        if kind in JOB_KINDS:
            if isinstance(body, dict) and isinstance(body.get("report_run_id"), str):
                self._jobs[body["report_run_id"]] = kind
            return body
        if not isinstance(body, dict):
            return body
        item = _first_item(body)
        if kind == "item_without_id" and item is not None:
            item.pop("id", None)
        elif kind in _ITEM_FIELDS and item is not None:
            name, value = _ITEM_FIELDS[kind]
            item[name] = value
        elif kind == "paging_not_object":
            paging = body.get("paging")  # already a string when an earlier rule broke it
            body["paging"] = str(
                paging.get("next", "") if isinstance(paging, dict) else paging or ""
            )
        elif kind == "empty_self_next":
            after = req.params.get("after") or "MAZDZD"
            extra = {"after": req.params["after"]} if req.params.get("after") else {}
            body = {
                "data": [],
                "paging": {"cursors": {"before": after, "after": after}},
            }
            body["paging"]["next"] = self._url(req, extra)
        elif kind in ("repeat_page", "cursor_cycle") and not req.params.get("after"):
            return body  # a first page: nothing earlier to repeat or cycle to
        elif kind == "repeat_page":
            previous = self._listings.get(listing, (None, None))[1]
            if previous is not None:
                body = copy.deepcopy(previous)
        elif kind == "cursor_cycle":
            first_after = self._listings.get(listing, (None, None))[0]
            if first_after:
                paging = body.setdefault("paging", {})
                paging.setdefault("cursors", {})["after"] = first_after
                paging["next"] = self._url(req, {"after": first_after})
        return body

    def _job_poll(self, req: ApiRequest, reply: Reply) -> Reply | None:
        """The malformed answer to a poll (or a results read) of a selected report run."""
        parts = [p for p in _VERSION.sub("", req.path).split("/") if p]
        kind = self._jobs.get(parts[0]) if parts else None
        if kind is None or len(parts) > 2 or req.method != "GET" or reply.status != 200:
            return None
        run_id = parts[0]
        if len(parts) == 2:  # /<run>/insights
            if kind != "job_stuck":
                return None
            self.counts[kind] += 1
            return error_reply(errors.unsupported_get(run_id), reply.trace, reply.version)
        if kind == "job_garbage":
            body: Any = {"id": run_id, "async_status": 42}
        else:
            body = {
                k: v
                for k, v in (reply.body if isinstance(reply.body, dict) else {}).items()
                if k != "time_completed" and not k.startswith("error_")
            }
            body.update(async_status="Job Running", async_percent_completion=STUCK_PERCENT)
            if "is_running" in body:
                body["is_running"] = True
        self.counts[kind] += 1
        return Reply(200, body, dict(reply.headers), version=reply.version, trace=reply.trace)

    # -- whole batch answers -----------------------------------------------------------------
    def apply_batch(self, req: ApiRequest, outcome: Outcome) -> Outcome:
        """The outcome of a batch request, malformed when a batch rule says so."""
        reply = outcome.reply
        if not self._rules or reply is None or outcome.fault is not None:
            return outcome
        if reply.status != 200 or not isinstance(reply.body, list):
            return outcome
        with self._lock:
            kinds = self._picked(req, reply.body, batch=True)
        body: Any = reply.body
        for kind in kinds:
            if kind == "batch_html":
                return Outcome(None, "html_200")
            body = {"batch_null": None, "batch_object": {}}.get(kind, body)
            if kind == "batch_short" and isinstance(body, list):
                body = body[:-1]
        if body is reply.body:
            return outcome
        new = Reply(200, body, dict(reply.headers), version=reply.version, trace=reply.trace)
        return Outcome(new, outcome.fault, outcome.delay)

    def stats(self) -> dict[str, int]:
        """Malformed answers served, by kind (kinds never served left out)."""
        with self._lock:
            return {k: n for k, n in self.counts.items() if n}
