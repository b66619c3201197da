"""README, meltano.yml, --about and Meta's field catalogue agree with the code."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tap_meta_ads.settings.schema import CONFIG_SCHEMA
from tap_meta_ads.tap import TapMetaAds

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = json.loads((ROOT / "meta_ads_sandbox/graph_fields_v25.json").read_text())
NODE_TYPES = {
    "ad_account": "AdAccount",
    "campaigns": "Campaign",
    "adsets": "AdSet",
    "ads": "Ad",
    "me": "User",
    "businesses": "Business",
    "adaccounts": "AdAccount",
    "adcreatives": "AdCreative",
    "adimages": "AdImage",
    "advideos": "AdVideo",
    "custom_audiences": "CustomAudience",
    "custom_conversions": "CustomConversion",
    "activities": "AdActivity",
    "account_insights": "AdsInsights",
    "campaign_insights": "AdsInsights",
    "adset_insights": "AdsInsights",
    "ad_insights": "AdsInsights",
    "insights_actions": "AdsInsights",
}


def test_readme_settings_table_is_current():
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts/readme_settings.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout


def test_meltano_yml_declares_every_setting_with_kind_description_and_secrets():
    project = yaml.safe_load((ROOT / "meltano.yml").read_text())
    extractor = project["plugins"]["extractors"][0]
    declared = {s["name"]: s for s in extractor["settings"]}
    properties = CONFIG_SCHEMA["properties"]
    assert set(declared) == set(properties)
    for name, prop in properties.items():
        assert declared[name].get("description"), name
        assert declared[name].get("kind"), name
        if prop.get("secret") or name == "accounts":
            assert declared[name].get("sensitive") is True, name
        if "default" in prop:
            assert declared[name].get("value") == prop["default"], name


def _holds_a_secret(prop: dict[str, Any]) -> bool:
    """Whether a setting is secret, or holds one (an array of objects with a secret field)."""
    if prop.get("secret"):
        return True
    children = [*prop.get("properties", {}).values(), prop.get("items")]
    return any(_holds_a_secret(child) for child in children if isinstance(child, dict))


def test_no_setting_is_secret_in_one_place_only():
    """The tap's secret settings (``secret=True``, at any depth) are meltano.yml's sensitive ones.

    Meltano marks whole settings only: ``accounts`` is sensitive because its entries may carry
    their own ``access_token``.
    """
    project = yaml.safe_load((ROOT / "meltano.yml").read_text())
    extractor = project["plugins"]["extractors"][0]
    sensitive = {s["name"] for s in extractor["settings"] if s.get("sensitive")}
    properties = TapMetaAds.config_jsonschema["properties"]
    secret = {name for name, prop in properties.items() if _holds_a_secret(prop)}
    assert secret == sensitive
    assert {"access_token", "app_secret", "accounts"} <= secret  # the comparison is not vacuous


@pytest.mark.parametrize("stream_name", sorted(NODE_TYPES))
def test_schema_fields_exist_in_graph_v25(stream_name):
    tap = TapMetaAds(config={}, validate_config=False)
    stream = tap.streams[stream_name]
    fields = CATALOGUE[NODE_TYPES[stream_name]]["fields"]
    requested = [f.split("{")[0] for f in stream.graph_fields()]
    unknown = [name for name in requested if name not in fields]
    assert unknown == []


def test_every_stream_is_checked_against_the_catalogue():
    tap = TapMetaAds(config={}, validate_config=False)
    assert set(tap.streams) == {*NODE_TYPES, "sync_log"}  # sync_log makes no API call
