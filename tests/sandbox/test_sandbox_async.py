"""Async insights jobs: progression, completion, failure and skip, resubmission, results paging."""

from __future__ import annotations

import time

ORDER = ["Job Not Started", "Job Started", "Job Running", "Job Completed"]
QUERY = {
    "level": "ad",
    "time_increment": "1",
    "fields": '["ad_id","impressions","spend","actions"]',
    "date_preset": "last_30d",
}


def poll(c, run_id, timeout=10.0):
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = c.get(f"/{run_id}").body
        seen.append(body)
        if body["async_status"] in ("Job Completed", "Job Failed", "Job Skipped"):
            return seen
        time.sleep(0.03)
    raise AssertionError("job never ended")


def test_progression_and_results(start, client_for, accounts):
    c = client_for(start(job_seconds=0.8))
    act = accounts[0]["id"]
    created = c.post(f"/{act}/insights", **QUERY)
    assert created.status == 200
    run_id = created.body["report_run_id"]
    assert isinstance(run_id, str)
    assert run_id.isdigit()
    early = c.get(f"/{run_id}/insights")
    assert early.status == 400
    assert (early.error["code"], early.error["error_subcode"]) == (100, 33)
    seen = poll(c, run_id)
    statuses = [s["async_status"] for s in seen]
    assert statuses[0] in ("Job Not Started", "Job Started")
    assert statuses == sorted(statuses, key=ORDER.index)
    assert "Job Running" in statuses
    percents = [s["async_percent_completion"] for s in seen]
    assert percents == sorted(percents)
    final = seen[-1]
    assert final["async_status"] == "Job Completed"
    assert final["async_percent_completion"] == 100
    assert final["is_running"] is False
    assert final["account_id"] == accounts[0]["account_id"]
    assert isinstance(final["time_ref"], int)
    assert isinstance(final["time_completed"], int)
    rows = c.walk(f"/{run_id}/insights", limit=7)
    sync = c.walk(f"/{act}/insights", limit=500, **QUERY)
    assert rows == sync
    assert rows


def test_fields_on_report_run(start, client_for, accounts):
    c = client_for(start(job_seconds=0))
    run_id = c.post(f"/{accounts[0]['id']}/insights", **QUERY).body["report_run_id"]
    body = c.get(f"/{run_id}", fields="async_status,async_percent_completion").body
    assert body == {"async_status": "Job Completed", "async_percent_completion": 100, "id": run_id}
    assert c.get(f"/{run_id}", fields="bogus").error["message"].endswith("node type (AdReportRun)")


def test_failure_has_v25_error_fields(start, client_for, accounts):
    c = client_for(start(job_seconds=0, job_failure_rate=1.0))
    run_id = c.post(f"/{accounts[0]['id']}/insights", **QUERY).body["report_run_id"]
    body = c.get(f"/{run_id}").body
    assert body["async_status"] == "Job Failed"
    assert (body["error_code"], body["error_subcode"]) == (-2, 2490547)
    assert body["error_message"]
    assert body["error_user_title"]
    assert body["error_user_msg"]
    assert c.get(f"/{run_id}/insights").status == 400


def test_skip(start, client_for, accounts):
    c = client_for(start(job_seconds=0, job_skip_rate=1.0))
    run_id = c.post(f"/{accounts[0]['id']}/insights", **QUERY).body["report_run_id"]
    body = c.get(f"/{run_id}").body
    assert body["async_status"] == "Job Skipped"
    assert "error_code" not in body


def test_resubmitted_job_gets_a_fresh_draw(start, client_for, accounts):
    c = client_for(start(job_seconds=0, job_failure_rate=0.5))
    outcomes = []
    for _ in range(12):
        run_id = c.post(f"/{accounts[0]['id']}/insights", **QUERY).body["report_run_id"]
        outcomes.append(c.get(f"/{run_id}").body["async_status"])
    assert {"Job Completed", "Job Failed"} <= set(outcomes)
    again = client_for(start(job_seconds=0, job_failure_rate=0.5))
    replay = []
    for _ in range(12):
        run_id = again.post(f"/{accounts[0]['id']}/insights", **QUERY).body["report_run_id"]
        replay.append(again.get(f"/{run_id}").body["async_status"])
    assert replay == outcomes  # deterministic from the seed, the query and the attempt


def test_report_too_large(start, client_for, accounts):
    c = client_for(start(job_seconds=0, async_row_limit=5))
    run_id = c.post(f"/{accounts[0]['id']}/insights", **QUERY).body["report_run_id"]
    body = c.get(f"/{run_id}").body
    assert body["async_status"] == "Job Failed"
    assert (body["error_code"], body["error_subcode"]) == (-3, 1504045)


def test_jobs_in_stats_and_headers(start, client_for, accounts):
    running = start(job_seconds=30)
    c = client_for(running)
    c.post(f"/{accounts[0]['id']}/insights", **QUERY)
    resp = c.get(f"/{accounts[0]['id']}/insights")
    assert "X-FB-Ads-Insights-Throttle" in resp.headers
    stats = c.fetch(f"{running.base_url}/__admin/stats").body
    assert stats["jobs"]["created"] == 1
    assert stats["jobs"]["in_flight"] == 1
    assert stats["requests"]["POST insights"] == 1
