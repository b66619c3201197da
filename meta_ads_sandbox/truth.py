"""The ground truth: every object and every daily insights row the sandbox would serve.

`write_truth(out_dir, config)` writes JSON Lines (one object or row per line, keys in API order):

- me.jsonl (the /me user of each token, tokens in name order), businesses.jsonl, adaccounts.jsonl,
  campaigns.jsonl, adsets.jsonl, ads.jsonl, adcreatives.jsonl, adimages.jsonl, advideos.jsonl,
  customaudiences.jsonl, customconversions.jsonl: every object with every generated field, all
  statuses (DELETED and ARCHIVED included), after `config.advance` epochs.
- activities.jsonl: every account's change history (activities.py) after `config.advance`
  epochs, accounts in order, oldest first; like Meta's, the lines have no id and no account_id
  (the object's id names its account).
- insights_account.jsonl, insights_campaign.jsonl, insights_adset.jsonl, insights_ad.jsonl:
  daily rows (time_increment=1) over the whole history, every produced field, rows of deleted and
  archived objects included, action lists with `value` only (no window keys). Each level's
  `reach` (and so `frequency` and `cpp`) is that level's own deduplicated figure, as the API
  answers it: not the sum of the level below.
- tokens.json: {token: ["act_<n>", ...]}.

Rows are streamed account by account; only one account's per-day sums are held at a time.
Same config -> same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import ExitStack
from pathlib import Path
from typing import IO, Any

from meta_ads_sandbox.config import DatasetConfig
from meta_ads_sandbox.dataset import Dataset
from meta_ads_sandbox.insights import LEVELS, InsightsQuery
from meta_ads_sandbox.insights_data import REACH, Metrics
from meta_ads_sandbox.insights_rows import PRODUCED_FIELDS, InsightsEngine
from meta_ads_sandbox.node import Node
from meta_ads_sandbox.reach import ReachTree

OBJECT_FILES = (
    "me",
    "businesses",
    "adaccounts",
    "campaigns",
    "adsets",
    "ads",
    "adcreatives",
    "adimages",
    "advideos",
    "customaudiences",
    "customconversions",
    "activities",
)
INSIGHT_FILES = tuple(f"insights_{level}" for level in LEVELS)


def _line(value: dict[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")) + "\n"


def _objects(ds: Dataset, kind: str) -> Iterator[Node]:
    cfg = ds.config
    if kind == "me":
        yield from (ds.user(t) for t in sorted(ds.tokens))
    elif kind == "businesses":
        yield from (ds.business(b) for b in ds.business_indexes())
    for a in range(cfg.accounts):
        if kind == "adaccounts":
            yield ds.account(a)
        elif kind == "campaigns":
            yield from (ds.campaign(a, c) for (c,) in ds.campaign_keys(a))
        elif kind == "adsets":
            yield from (ds.adset(a, c, s) for c, s in ds.adset_keys(a))
        elif kind == "ads":
            yield from (ds.ad(a, c, s, d) for c, s, d in ds.ad_keys(a))
        elif kind == "adcreatives":
            gone = ds.vanished_creatives(a)
            yield from (
                ds.creative(a, c, s, d) for c, s, d in ds.ad_keys(a) if (c, s, d) not in gone
            )
        elif kind == "adimages":
            yield from ds.images(a)
        elif kind == "advideos":
            yield from ds.videos(a)
        elif kind == "customaudiences":
            yield from ds.audiences(a)
        elif kind == "customconversions":
            yield from ds.conversions(a)
        elif kind == "activities":  # no id and no account_id, as in Meta: a line per file order
            yield from ds.activities(a)


def _query(level: str) -> InsightsQuery:
    return InsightsQuery(
        level=level,
        fields=PRODUCED_FIELDS,
        ranges=(),
        increment="1",
        breakdowns=(),
        action_breakdowns=("action_type",),
        windows=(),
        filters=(),
    )


def _insights(ds: Dataset, engine: InsightsEngine, files: Mapping[str, IO[str]]) -> None:
    queries = {level: _query(level) for level in LEVELS}
    first, last = ds.history_start.toordinal(), ds.last_day.toordinal()
    epoch = ds.epoch

    def emit(level: str, level_key: tuple[int, ...], day: int, m: Metrics) -> None:
        row = engine.format(queries[level], level_key, (0, day, day), (), m)
        if row is not None:
            files[f"insights_{level}"].write(_line(row))

    for a in range(ds.config.accounts):
        sums: dict[tuple[int, ...], dict[int, Metrics]] = {}
        trees: dict[int, ReachTree] = {}  # day -> the account's ad reaches that day
        for c, s, d in ds.ad_keys(a):
            key = (a, c, s, d)
            profile = engine.profile(*key)
            if not profile.first:
                continue
            for day in range(max(first, profile.first), min(last, profile.last) + 1):
                m = engine.day(key, day, epoch)
                if m is None:
                    continue
                emit("ad", key, day, m)
                tree = trees.get(day)
                if tree is None:
                    tree = trees[day] = ReachTree()
                tree.add(key, m.scalars[REACH])
                uppers: tuple[tuple[int, ...], ...] = ((a,), (a, c), (a, c, s))
                for upper in uppers:
                    per_day = sums.setdefault(upper, {})
                    total = per_day.get(day)
                    if total is None:
                        total = per_day[day] = Metrics()
                    total.add(m)
        reach = {day: tree.levels(engine.keep) for day, tree in trees.items()}
        for upper in sorted(sums, key=lambda k: (len(k), k)):
            level = LEVELS[len(upper) - 1]
            for day, m in sorted(sums[upper].items()):
                m.scalars[REACH] = reach[day][upper]
                emit(level, upper, day, m)


def write_truth(out_dir: str | Path, config: DatasetConfig) -> dict[str, int]:
    """Write every truth file into `out_dir`; returns the number of lines per file."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    ds = Dataset(config)
    engine = InsightsEngine(ds)
    counts: dict[str, int] = {}
    for kind in OBJECT_FILES:
        n = 0
        with (out / f"{kind}.jsonl").open("w", encoding="utf-8", newline="\n") as fh:
            for node in _objects(ds, kind):
                fh.write(_line(node.data))
                n += 1
        counts[kind] = n
    with ExitStack() as stack:
        files = {
            name: stack.enter_context(
                (out / f"{name}.jsonl").open("w", encoding="utf-8", newline="\n")
            )
            for name in INSIGHT_FILES
        }
        _insights(ds, engine, files)
    for name in INSIGHT_FILES:
        with (out / f"{name}.jsonl").open(encoding="utf-8") as fh:
            counts[name] = sum(1 for _ in fh)
    tokens = {t: [ds.account(a).id for a in ds.token_accounts(t)] for t in sorted(ds.tokens)}
    (out / "tokens.json").write_text(json.dumps(tokens, indent=2) + "\n", encoding="utf-8")
    return counts
