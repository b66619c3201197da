"""Planning every selected insights stream of every account at the start of the engine.

Each account's recent query is submitted first, then every history pass (``insights_plan``)
stream by stream, so the engine starts the recent report runs of all accounts and streams
before any older days, in the order the streams write them; hourly reports are submitted as
one report run per day.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tap_meta_ads.graph.errors import GraphFatalError
from tap_meta_ads.insights import InsightsJobManager, ReportQuery
from tap_meta_ads.insights.breakdowns import opt_in_breakdowns
from tap_meta_ads.run import RunContext

if TYPE_CHECKING:
    from tap_meta_ads.streams.insights import InsightsStream


def plan_insights(
    run: RunContext, streams: list[InsightsStream], manager: InsightsJobManager
) -> list[str]:
    """Submit every selected insights stream of every account; returns the planned groups."""
    planned: list[str] = []
    later: list[tuple[InsightsStream, str, ReportQuery]] = []
    old_reach: set[str] = set()
    for stream in streams:
        opt_in = opt_in_breakdowns(stream.breakdowns)
        if opt_in:
            run.logger.warning(
                "%s: %s need the ad account's opt-in since 2026-08-03: without it Meta returns "
                "no rows for them and allows min(10, ad sets) report runs a day; once those "
                "are used the report is empty until the next day (ask Meta to opt the account in)",
                stream.name,
                ", ".join(opt_in),
            )
    for account_id in run.account_ids():
        if run.log.failed(account_id):
            continue
        try:
            timezone_name = run.accounts.timezone(account_id)
        except GraphFatalError as exc:
            run.fail(account_id, "insights", exc.line, exc.info)
            continue
        for stream in streams:
            recent, history = stream.plan(account_id, timezone_name)
            for query in (history, recent):
                if query is not None and query.reach_limited() and stream.name not in old_reach:
                    old_reach.add(stream.name)
                    run.logger.warning(
                        "%s: Meta omits reach, frequency and cpp for breakdown queries starting "
                        "more than 13 months ago (from %s) and allows 10 such report runs a day "
                        "per account (x-fb-ads-insights-reach-throttle); those columns stay "
                        "empty there",
                        stream.name,
                        query.since,
                    )
            if recent is not None:
                group = f"{stream.name}/{account_id}"
                for part in stream.report_runs(recent):
                    manager.submit(group, part, stream.engine_key())
                run.progress.note_window(group, recent.since, recent.until)
                planned.append(group)
            if history is not None:
                later.append((stream, stream.history_group(account_id), history))
    # Every account's recent report runs start before any history run (each account's runs
    # start in the order they were submitted), and history runs in the streams' order.
    later.sort(key=lambda item: streams.index(item[0]))
    for stream, group, query in later:
        for part in stream.report_runs(query):
            manager.submit(group, part, stream.engine_key())
        planned.append(group)
    return planned
