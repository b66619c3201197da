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
