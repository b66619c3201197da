"""API versions: v27.0 by default, v25.0 to v27.0 accepted, expired ones refused in one line."""

from __future__ import annotations

import pytest

from tap_meta_ads.graph.errors import GraphErrorInfo, remedy
from tap_meta_ads.graph.versions import EXPIRED, NEWEST, SUPPORTED
from tap_meta_ads.settings.checks import check_settings
from tap_meta_ads.settings.model import Settings
from tap_meta_ads.settings.schema import CONFIG_SCHEMA

BASE = {"access_token": "token-for-version-tests"}


def test_the_default_is_the_newest_version_meta_serves():
    assert NEWEST == "v27.0"
    assert CONFIG_SCHEMA["properties"]["api_version"]["default"] == "v27.0"
    assert Settings.from_config(BASE).api_version == "v27.0"


@pytest.mark.parametrize("version", sorted(SUPPORTED))
def test_supported_versions_are_accepted(version):
    assert set(SUPPORTED) == {"v25.0", "v26.0", "v27.0"}
    assert check_settings({**BASE, "api_version": version}, reserved=()) == []


@pytest.mark.parametrize(("version", "expired"), sorted(EXPIRED.items()))
def test_an_expired_version_is_one_line_naming_its_date_and_the_version_to_set(version, expired):
    problems = check_settings({**BASE, "api_version": version}, reserved=())
    assert problems == [
        f"api_version: {version} expired for the Marketing API on {expired}; "
        "set api_version to v27.0"
    ]


def test_a_version_the_tap_does_not_know_names_the_supported_ones():
    (problem,) = check_settings({**BASE, "api_version": "v28.0"}, reserved=())
    assert "v25.0, v26.0, v27.0" in problem
    assert problem.endswith("set api_version to v27.0")


def test_meta_refusing_the_version_2635_names_the_version_to_set():
    info = GraphErrorInfo(http_status=400, code=2635, message="deprecated version")
    assert remedy(info).endswith("set api_version to v27.0")


REPORT = {"name": "by_device", "level": "ad", "fields": ["impressions"]}


def _report_problems(version: str, **changes: object) -> list[str]:
    config = {**BASE, "api_version": version, "insights_reports": [{**REPORT, **changes}]}
    return check_settings(config, reserved=())


def test_a_report_is_checked_against_its_versions_fields():
    removed = "marketing_messages_website_purchase"  # declared in v25.0, gone from v26.0
    added = "mmp_credited_install"  # new in v26.0
    assert _report_problems("v25.0", fields=[removed]) == []
    assert _report_problems("v27.0", fields=[added]) == []
    (problem,) = _report_problems("v27.0", fields=[removed])
    assert problem.startswith(f"insights_reports[0].fields: '{removed}' is not a v27.0 field")
    (problem,) = _report_problems("v25.0", fields=[added])
    assert "is not a v25.0 field" in problem


def test_breakdowns_meta_does_not_combine_are_refused_before_any_request():
    assert _report_problems("v27.0", breakdowns=["age", "gender"]) == []
    assert _report_problems("v27.0", breakdowns=["publisher_platform", "impression_device"]) == []
    (alone,) = _report_problems("v27.0", breakdowns=["impression_device"])
    assert alone == (
        "insights_reports[0].breakdowns: impression_device needs publisher_platform with it; "
        "use breakdowns Meta combines"
    )
    (mixed,) = _report_problems("v27.0", breakdowns=["age", "country"])
    assert "Meta does not combine age, country" in mixed


def test_wish_bid_is_never_requested_and_action_breakdowns_need_actions():
    (dead,) = _report_problems("v27.0", fields=["impressions", "wish_bid"])
    assert dead.startswith("insights_reports[0].fields: wish_bid: Meta returns null")
    (needs,) = _report_problems("v27.0", action_breakdowns=["action_type"])
    assert "add actions to fields" in needs
    assert _report_problems("v27.0", fields=["actions"], action_breakdowns=["action_type"]) == []


def test_discover_refuses_a_report_meta_would_reject_in_one_line(tmp_path):
    import json
    import subprocess
    import sys
    from pathlib import Path

    config = {"insights_reports": [{**REPORT, "breakdowns": ["impression_device"]}]}
    (tmp_path / "config.json").write_text(json.dumps(config))
    tap = str(Path(sys.executable).parent / "tap-meta-ads")
    result = subprocess.run(
        [tap, "--config", str(tmp_path / "config.json"), "--discover"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert result.stdout == ""
    last = result.stderr.strip().splitlines()[-1]
    assert last.endswith(
        "insights_reports[0].breakdowns: impression_device needs publisher_platform with it; "
        "use breakdowns Meta combines"
    )
    assert "Traceback" not in result.stderr


def test_a_reports_retired_window_is_refused_with_the_retirement_date():
    (problem,) = _report_problems("v27.0", action_attribution_windows=["1d_click", "7d_view"])
    assert problem == (
        "insights_reports[0].action_attribution_windows: 7d_view was retired by Meta on "
        "2026-01-12 and returns no data; remove it"
    )
