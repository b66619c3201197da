"""The front door: a mistake in the config, catalog, state, environment, or a signal, ends in
one clear last line and a non-zero exit; never a traceback, a secret or a half-written output.

Most cases run the command line in this process (``cli``: ``tap_meta_ads.cli.run``, its logs
and output captured); the ones where the process matters (files as the shell gives them, the
environment, signals, the installed entry point) run ``tap-meta-ads`` as a subprocess.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import inspect
import io
import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from singer_sdk.plugin_base import PluginBase

from meta_ads_sandbox.config import DatasetConfig
from tap_meta_ads import cli as tap_cli
from tap_meta_ads.settings.inputs import InputError
from tap_meta_ads.settings.keys import oldest_insights_day
from tap_meta_ads.tap import TapMetaAds
from tests.conftest import DATASET

TAP = str(Path(sys.executable).parent / "tap-meta-ads")
TOKEN = "EAABfrontDOORtoken0123456789"
APP_SECRET = "front-door-app-secret-0123"
SECRETS = (TOKEN, APP_SECRET)
#: A config the tap accepts; no request is ever made with it (the proxy is unroutable).
GOOD = {"access_token": TOKEN, "app_secret": APP_SECRET, "account_ids": ["act_1"]}
START_FRESH = "to start fresh: meltano state clear"
#: An unroutable proxy: a run that should have been refused fails loudly instead of going out.
NO_NETWORK = {"HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9"}
TODAY = dt.datetime.now(dt.UTC).date()


# -- running the command line ------------------------------------------------------------------


class Result:
    """Exit status, stdout and stderr of one run of the command line."""

    def __init__(self, code: int, stdout: str, stderr: str) -> None:
        self.code, self.stdout, self.stderr = code, stdout, stderr

    @property
    def last(self) -> str:
        lines = self.stderr.strip().splitlines()
        return lines[-1] if lines else ""


@contextlib.contextmanager
def _isolated() -> Iterator[None]:
    """What the SDK's command changes in the process, put back (handlers, hooks)."""
    root = logging.getLogger()
    handlers, level, hook = root.handlers[:], root.level, sys.excepthook
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        sys.excepthook = hook
        logging.captureWarnings(False)


def cli(*args: str) -> Result:
    """``tap-meta-ads ARGS`` in this process."""
    out, err = io.StringIO(), io.StringIO()
    with _isolated(), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = tap_cli.run(list(args))
    return Result(code, out.getvalue(), err.getvalue())


def subprocess_cli(*args: str, env: dict[str, str] | None = None, network: bool = False) -> Result:
    """``tap-meta-ads ARGS`` as a process (``network``: no unroutable proxy)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TAP_META_ADS_", "HTTP"))}
    if not network:
        clean.update(NO_NETWORK)
    result = subprocess.run(
        [TAP, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**clean, **(env or {})},
        check=False,
    )
    return Result(result.returncode, result.stdout, result.stderr)


@pytest.fixture(autouse=True)
def _no_tap_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in os.environ if n.startswith("TAP_META_ADS_")]:
        monkeypatch.delenv(name)
    for name, value in NO_NETWORK.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def write(tmp_path: Path):
    """``write(name, value)``: a file in tmp_path holding ``value`` (JSON unless text)."""

    def write(name: str, value: Any) -> str:
        path = tmp_path / name
        path.write_text(value if isinstance(value, str) else json.dumps(value))
        return str(path)

    return write


def refused(result: Result, *names: str) -> str:
    """The run was refused in one last line naming each of ``names``; nothing else leaked."""
    everything = result.stdout + result.stderr
    assert result.code != 0, result.stderr[-2000:]
    assert "Traceback" not in everything, result.stderr[-3000:]
    for secret in SECRETS:
        assert secret not in everything
    assert result.stdout == ""  # nothing half-written: no SCHEMA, RECORD or STATE
    for name in names:
        assert name in result.last, (name, result.last)
    assert "Config validation failed" not in result.last
    return result.last


# -- 1. secrets ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "setting"),
    [
        ({"access_token": "EAABfrontDOOR token0123456789"}, "access_token"),
        ({"access_token": "EAABfrontDOOR\ntoken0123456789"}, "access_token"),
        ({"access_token": "EAABfrontDOOR\x00token0123456789"}, "access_token"),
        ({"app_secret": "front-door\tapp-secret-0123"}, "app_secret"),
        (
            {"accounts": [{"account_id": "1", "access_token": "EAABown token0123456789"}]},
            "accounts[0].access_token",
        ),
    ],
)
def test_a_token_with_whitespace_inside_is_refused_without_showing_it(write, config, setting):
    path = write("config.json", {**GOOD, **config})
    last = refused(cli("--config", path), f"{setting}: has a space", "copy the value again")
    assert "token0123456789" not in last
    assert "app-secret-0123" not in last


def test_whitespace_around_every_token_is_trimmed():
    tap = TapMetaAds(
        config={
            "access_token": f"  {TOKEN}\n",
            "app_secret": f"{APP_SECRET}\r\n",
            "accounts": [{"account_id": "1", "access_token": f"\t{TOKEN}2 "}],
        }
    )
    assert tap.config["access_token"] == TOKEN
    assert tap.config["app_secret"] == APP_SECRET
    assert tap.config["accounts"][0]["access_token"] == f"{TOKEN}2"
    assert tap.run.settings.tokens() == (TOKEN, f"{TOKEN}2")


def test_a_pasted_newline_no_longer_reaches_the_header(tmp_path, sandbox):
    """Before: ``ValueError: Invalid header value b'Bearer sandbox-token\\n'`` and a traceback."""
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"access_token": "sandbox-token\n", "api_url": sandbox.base_url}))
    result = subprocess_cli("--config", str(path), "--test", network=True)
    assert result.code == 0, result.stderr[-3000:]
    assert "Connection test passed" in result.last
    assert "Invalid header" not in result.stderr


def test_the_last_resort_handler_redacts_what_an_exception_carries(write, monkeypatch):
    def explode(self: TapMetaAds) -> None:
        msg = f"Invalid header value b'Bearer {TOKEN}\\n' (appsecret_proof={APP_SECRET})"
        raise ValueError(msg)

    monkeypatch.setattr(TapMetaAds, "sync_all", explode)
    last = refused(cli("--config", write("config.json", GOOD)), "unexpected ValueError")
    assert "Bearer ***" in last
    assert "LOGLEVEL=DEBUG" in last


# -- 2. files that are not what they should be ---------------------------------------------------


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("{bad", "not valid JSON (Expecting property name enclosed in double quotes at line 1"),
        ("", "the file is empty"),
        ("  \n", "the file is empty"),
        ("null", "holds null, not a JSON object"),
        ("42", "holds a number, not a JSON object"),
        ('["access_token"]', "holds a list, not a JSON object"),
        ('"EAAB"', "holds a string, not a JSON object"),
    ],
)
def test_a_config_file_that_is_no_json_object_is_one_line(write, text, says):
    path = write("config.json", text)
    refused(cli("--config", path), f"--config {path}: {says}", "JSON object of settings")


def test_a_missing_config_file_or_a_folder_is_one_line(tmp_path):
    refused(cli("--config", str(tmp_path / "nope.json")), "nope.json: no such file; check")
    refused(cli("--config", str(tmp_path)), "is a folder, not a file")


@pytest.mark.parametrize("text", ["{bad", "", "null", "[1]"])
def test_the_installed_command_refuses_a_bad_config_file_in_one_line(tmp_path, text):
    path = tmp_path / "config.json"
    path.write_text(text)
    refused(subprocess_cli("--config", str(path)), f"--config {path}:", "JSON object")


@pytest.mark.parametrize(
    ("catalog", "says"),
    [
        ("garbage{", "not valid JSON"),
        ("[1, 2]", "holds a list, not a JSON object"),
        ({"streams": 5}, "catalog: has no streams list"),
        ({"streams": ["ads"]}, "catalog: streams[0]: must be an object"),
        ({"streams": [{"schema": {}}]}, "catalog: streams[0]: has no tap_stream_id"),
        (
            {"streams": [{"tap_stream_id": "ads", "schema": {"properties": {"id": 5}}}]},
            "catalog: stream ads: property id must be a JSON Schema object",
        ),
        (
            {"streams": [{"tap_stream_id": "ads", "schema": {"properties": []}}]},
            "catalog: stream ads: schema.properties must be an object",
        ),
        (
            {"streams": [{"tap_stream_id": "ads", "metadata": [{"breadcrumb": "x"}]}]},
            "catalog: stream ads: metadata must be a list of {breadcrumb, metadata}",
        ),
        (
            {"streams": [{"tap_stream_id": "ads", "key_properties": "id"}]},
            "catalog: stream ads: key_properties must be a list of names",
        ),
    ],
)
def test_a_catalog_that_is_garbage_or_of_the_wrong_shape_is_one_line(write, catalog, says):
    args = ("--config", write("config.json", GOOD), "--catalog", write("catalog.json", catalog))
    refused(cli(*args), says, "tap-meta-ads --discover")


@pytest.mark.parametrize(
    ("state", "says"),
    [
        ("{{", "not valid JSON"),
        ("[]", "holds a list, not a JSON object"),
        ({"bookmarks": [1]}, "state: bookmarks must be an object of streams"),
        ({"bookmarks": {"ads": 5}}, "state: stream ads: its bookmark must be an object"),
        (
            {"bookmarks": {"ads": {"partitions": {"a": 1}}}},
            "state: stream ads: partitions must be a list of {context, ...}",
        ),
        (
            {"bookmarks": {"ads": {"partitions": [{"replication_key_value": "x"}]}}},
            "state: stream ads: partitions must be a list of {context, ...}",
        ),
        ({"currently": "ads"}, "state: has no bookmarks (keys: 'currently')"),
        (
            {"singer_state": {"bookmarks": {}}},
            "state: this is Meltano's envelope (meltano state get); pass the object under "
            "singer_state as --state",
        ),
    ],
)
def test_a_state_that_is_garbage_or_of_the_wrong_shape_is_one_line(write, state, says):
    args = ("--config", write("config.json", GOOD), "--state", write("state.json", state))
    last = refused(cli(*args), says)
    assert "singer_state" in last or START_FRESH in last


def test_an_empty_state_file_is_no_state(write, monkeypatch):
    monkeypatch.setattr(TapMetaAds, "sync_all", lambda self: None)
    args = ("--config", write("config.json", GOOD), "--state", write("state.json", ""))
    result = cli(*args)
    assert result.code == 0, result.stderr
    assert "empty; starting without state" in result.stderr


@pytest.mark.parametrize(
    ("variable", "value", "line"),
    [
        (
            "TAP_META_ADS_PAGE_SIZE",
            "abc",
            "page_size: 'abc' is not an integer; fix it in the config or TAP_META_ADS_PAGE_SIZE",
        ),
        (
            "TAP_META_ADS_INCLUDE_DELETED",
            "flase",
            "include_deleted: 'flase' is not true or false; fix it in the config or "
            "TAP_META_ADS_INCLUDE_DELETED",
        ),
        (
            "TAP_META_ADS_INSIGHTS_REPORTS",
            "[{",
            "insights_reports: '[{' is not a list; fix it in the config or "
            "TAP_META_ADS_INSIGHTS_REPORTS",
        ),
        (
            "TAP_META_ADS_ACCOUNTS",
            f'[{{"account_id": "1", "access_token": "{TOKEN}"',
            "accounts: the value (not shown) is not a list; fix it in the config or "
            "TAP_META_ADS_ACCOUNTS",
        ),
    ],
)
def test_an_environment_variable_of_the_wrong_kind_is_one_line(write, variable, value, line):
    env = {"TAP_META_ADS_ACCESS_TOKEN": TOKEN, variable: value}
    result = subprocess_cli("--config", "ENV", "--config", write("c.json", {}), env=env)
    assert refused(result).endswith(line)


def test_environment_booleans_read_as_they_are_written(monkeypatch):
    for word, expected in (("true", True), (" No ", False), ("1", True), ("off", False)):
        monkeypatch.setenv("TAP_META_ADS_INCLUDE_DELETED", word)
        tap = TapMetaAds(config={"access_token": TOKEN}, parse_env_config=True)
        assert tap.config["include_deleted"] is expected, word


# -- 3. the last line is the most important problem ----------------------------------------------


def test_the_last_line_names_the_setting_and_the_fix_not_config_validation_failed(write):
    result = cli("--config", write("config.json", {**GOOD, "page_size": "ten"}))
    assert refused(result) == (
        result.last[: result.last.index("page_size")]
        + "page_size: 'ten' is not an integer; fix it in the config or TAP_META_ADS_PAGE_SIZE"
    )


def test_with_several_problems_the_first_is_last_and_the_others_above(write):
    config = {**GOOD, "acount_ids": ["1"], "page_size": 0, "lookback_days": 500}
    result = cli("--config", write("config.json", config))
    last = refused(result, "acount_ids: not a setting of tap-meta-ads; did you mean account_ids?")
    assert last.endswith("(and 2 more above)")
    assert "page_size: 0 is out of range" in result.stderr
    assert "lookback_days: 500 is out of range" in result.stderr


def test_the_connection_test_refuses_bad_settings_in_the_same_last_line(write):
    result = cli("--config", write("config.json", {**GOOD, "page_size": "ten"}), "--test")
    refused(result, "page_size: 'ten' is not an integer")


# -- 4. silent wrong results become errors -------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "line"),
    [
        ("acount_ids", "acount_ids: not a setting of tap-meta-ads; did you mean account_ids?"),
        ("start-date", "start-date: not a setting of tap-meta-ads; did you mean start_date?"),
        ("pagesize", "pagesize: not a setting of tap-meta-ads; did you mean page_size?"),
        ("flatening_enabled", "did you mean flattening_enabled?"),
        ("zzz", "zzz: not a setting of tap-meta-ads; see tap-meta-ads --about for the list"),
        ("a b\n", "'a b\\n': not a setting of tap-meta-ads; see tap-meta-ads --about"),
    ],
)
def test_an_unknown_setting_is_refused_with_the_closest_name(write, key, line):
    assert line in refused(cli("--config", write("config.json", {**GOOD, key: 1})))


def test_nested_unknown_fields_are_refused_too(write):
    accounts = [{"account_id": "1", "acess_token": TOKEN}]
    result = cli("--config", write("c.json", {**GOOD, "accounts": accounts}))
    refused(result, "accounts[0].acess_token: not a field of an account; did you mean access_")
    reports = [{"name": "r", "fields": ["spend"], "breakdown": ["age"]}]
    result = cli("--config", write("c.json", {**GOOD, "insights_reports": reports}))
    refused(result, "insights_reports[0].breakdown: not a field of a report; did you mean")


def test_the_sdks_settings_and_underscore_keys_are_not_unknown():
    built_in = {
        "stream_maps": {"ads": {"creative": "__NULL__"}},
        "stream_map_config": {},
        "faker_config": {"seed": 1},
        "flattening_enabled": False,
        "flattening_max_depth": 2,
        "batch_config": {"encoding": {"format": "jsonl"}, "storage": {"root": "file://x"}},
        "_comment": "keys starting with _ are Meltano's extras and comments",
    }
    tap = TapMetaAds(config={**GOOD, **built_in})
    names = set(tap.config_jsonschema["properties"])
    assert set(built_in) - {"_comment"} <= names


def test_the_config_meltano_writes_has_no_unknown_key():
    """Meltano 4.4 writes the non-null values of the declared settings and of the plugin's
    ``config:`` (extras, ``_``-prefixed, never): ``meltano invoke --dump=config`` shows it."""
    import yaml

    project = yaml.safe_load((Path(__file__).resolve().parents[2] / "meltano.yml").read_text())
    for extractor in project["plugins"]["extractors"]:
        written = {s["name"]: s["value"] for s in extractor.get("settings", []) if "value" in s}
        written |= {k: v for k, v in (extractor.get("config") or {}).items() if k[:1] != "_"}
        TapMetaAds(config={**written, "access_token": TOKEN})  # refused if a key were unknown


def _discovered() -> dict[str, Any]:
    return TapMetaAds(config=GOOD).catalog_dict


def _select(catalog: dict[str, Any], *names: str) -> dict[str, Any]:
    for entry in catalog["streams"]:
        for meta in entry["metadata"]:
            if meta["breadcrumb"] == []:
                meta["metadata"]["selected"] = entry["tap_stream_id"] in names
    return catalog


def _entry(catalog: dict[str, Any], name: str) -> dict[str, Any]:
    return next(e for e in catalog["streams"] if e["tap_stream_id"] == name)


def _property_meta(entry: dict[str, Any], name: str) -> dict[str, Any]:
    return next(m["metadata"] for m in entry["metadata"] if m["breadcrumb"][-1:] == [name])


def _deselect_key(catalog: dict[str, Any]) -> dict[str, Any]:
    meta = _property_meta(_entry(catalog, "ads"), "id")
    meta.update(inclusion="available", selected=False)
    return catalog


def _drop_key(catalog: dict[str, Any]) -> dict[str, Any]:
    del _entry(catalog, "ads")["schema"]["properties"]["id"]
    return catalog


def _retype(catalog: dict[str, Any]) -> dict[str, Any]:
    _entry(catalog, "ads")["schema"]["properties"]["name"] = {"type": ["integer", "null"]}
    return catalog


def _rekey(catalog: dict[str, Any]) -> dict[str, Any]:
    entry = _entry(catalog, "ads")
    entry["key_properties"] = ["name"]
    return catalog


def _unknown_stream(catalog: dict[str, Any]) -> dict[str, Any]:
    catalog["streams"].append(
        {
            "tap_stream_id": "ads_insights_country",
            "schema": {"properties": {}},
            "metadata": [{"breadcrumb": [], "metadata": {"selected": True}}],
        }
    )
    return catalog


def _deselect_replication_key(catalog: dict[str, Any]) -> dict[str, Any]:
    meta = _property_meta(_entry(catalog, "ads"), "updated_time")
    meta.update(inclusion="available", selected=False)
    return catalog


@pytest.mark.parametrize(
    ("change", "line"),
    [
        (
            _unknown_stream,
            "catalog: selects stream 'ads_insights_country', which tap-meta-ads does not have",
        ),
        (_deselect_key, "catalog: stream ads: key property id is deselected; select it"),
        (_deselect_replication_key, "catalog: stream ads: key property updated_time is deselected"),
        (_drop_key, "catalog: stream ads: key property id is missing from the schema"),
        (_rekey, "catalog: stream ads: key properties ['name'] are not the tap's ['id']"),
        (
            _retype,
            "catalog: stream ads: property name is integer or null in the catalog but the tap "
            "emits null or string",
        ),
    ],
)
def test_a_catalog_that_would_write_wrong_tables_is_refused(write, change, line):
    catalog = change(_select(_discovered(), "ads"))
    args = ("--config", write("config.json", GOOD), "--catalog", write("catalog.json", catalog))
    assert line in refused(cli(*args), "rediscover it (tap-meta-ads --discover")


def test_a_catalog_may_deselect_streams_and_properties(write, monkeypatch):
    """What Meltano's select does: unselected properties off, keys kept (automatic)."""
    catalog = _unknown_stream(_select(_discovered(), "ads", "campaigns"))
    catalog["streams"][-1]["metadata"][0]["metadata"]["selected"] = False  # a deselected stranger
    for entry in catalog["streams"]:
        for meta in entry["metadata"]:
            if meta["breadcrumb"] and meta["metadata"].get("inclusion") != "automatic":
                meta["metadata"]["selected"] = meta["breadcrumb"][-1] == "name"
    _deselect_key(catalog)
    _entry(catalog, "ads")["metadata"] = [  # a wrong key on a deselected stream is no matter
        m for m in _entry(catalog, "ads")["metadata"] if m["breadcrumb"] == []
    ]
    _entry(catalog, "ads")["metadata"][0]["metadata"]["selected"] = False
    monkeypatch.setattr(TapMetaAds, "sync_all", lambda self: None)
    args = ("--config", write("config.json", GOOD), "--catalog", write("catalog.json", catalog))
    result = cli(*args)
    assert result.code == 0, result.stderr[-2000:]


def test_the_tap_s_own_catalog_dict_is_taken_in_process():
    """``catalog_dict`` holds tuples (key properties, breadcrumbs): the SDK's standard tests
    hand it back as it is."""
    catalog = TapMetaAds(config=GOOD).catalog_dict
    assert isinstance(_entry(catalog, "ads")["key_properties"], tuple)
    assert TapMetaAds(config=GOOD, catalog=catalog).streams["ads"].selected


def _partitioned(stream: str, key: str, value: Any, account: str = "1") -> dict[str, Any]:
    partition = {
        "context": {"account_id": account},
        "replication_key": key,
        "replication_key_value": value,
    }
    return {"bookmarks": {stream: {"partitions": [partition]}}}


@pytest.mark.parametrize(
    ("state", "line"),
    [
        (
            {"bookmarks": {"ads_insights": {"date_start": "2026-01-01"}, "facebook_ads": {}}},
            "state: bookmarks only for streams tap-meta-ads does not have (ads_insights, "
            "facebook_ads; another tap's state?); to start fresh: meltano state clear",
        ),
        (
            _partitioned("account_insights", "date_start", "2999-01-01"),
            "state: stream account_insights, account 1: bookmark '2999-01-01' is in the future",
        ),
        (
            _partitioned("campaigns", "updated_time", "2999-01-01T00:00:00+0000", "77"),
            "state: stream campaigns, account 77: bookmark '2999-01-01T00:00:00+0000' is in the "
            "future",
        ),
        (
            _partitioned("campaigns", "updated_time", "last tuesday"),
            "state: stream campaigns, account 1: bookmark 'last tuesday' is not a date-time; "
            "correct it, or to start fresh",
        ),
        (
            _partitioned("ad_insights", "date_start", 20261101),
            "state: stream ad_insights, account 1: bookmark 20261101 is not a date (YYYY-MM-DD)",
        ),
        (
            _partitioned("ad_insights", "date_start", "2026-13-45"),
            "state: stream ad_insights, account 1: bookmark '2026-13-45' is not a date",
        ),
        (
            _partitioned("campaigns", "created_time", "2026-01-01T00:00:00+0000"),
            "state: stream campaigns, account 1: bookmark is on 'created_time', but this "
            "stream's is updated_time (another tap's state?)",
        ),
        (
            {"bookmarks": {"sync_log": {"replication_key_value": "x"}}},
            "state: stream sync_log: bookmark 'x' is not a date-time",
        ),
    ],
)
def test_a_state_this_tap_cannot_resume_from_is_refused(write, state, line):
    args = ("--config", write("config.json", GOOD), "--state", write("state.json", state))
    last = refused(cli(*args), line)
    assert "meltano run --full-refresh" in last
    assert "without Meltano, run without --state" in last


def test_bookmarks_of_removed_streams_beside_the_tap_s_own_are_a_warning(write, monkeypatch):
    state = _partitioned("campaigns", "updated_time", "2026-11-01T00:00:00+0000")
    state["bookmarks"]["by_country"] = {"partitions": []}  # a report removed from the config
    seen: list[dict[str, Any]] = []
    monkeypatch.setattr(TapMetaAds, "sync_all", lambda self: seen.append(dict(self.state)))
    args = ("--config", write("config.json", GOOD), "--state", write("state.json", state))
    result = cli(*args)
    assert result.code == 0, result.stderr[-2000:]
    assert (
        "state: bookmarks for streams tap-meta-ads does not have are kept but not used: "
        "by_country (removed insights_reports entries?)"
    ) in result.stderr
    assert "campaigns" in seen[0]["bookmarks"]


def test_a_bookmark_of_today_in_a_time_zone_ahead_of_utc_is_taken():
    tomorrow = (TODAY + dt.timedelta(days=1)).isoformat()
    tap = TapMetaAds(config=GOOD, state=_partitioned("ad_insights", "date_start", tomorrow))
    assert tap.state["bookmarks"]["ad_insights"]["partitions"]


def test_state_problems_raise_in_process_as_well():
    with pytest.raises(InputError) as raised:
        TapMetaAds(config=GOOD, state=_partitioned("campaigns", "updated_time", "soon"))
    assert raised.value.problems[0].startswith("state: stream campaigns, account 1: bookmark")


def test_a_start_date_beyond_meta_s_37_months_is_a_warning_naming_the_first_day(caplog):
    oldest = oldest_insights_day(TODAY)
    with caplog.at_level(logging.WARNING, logger="tap-meta-ads"):
        TapMetaAds(config={**GOOD, "start_date": "2020-01-01"})
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING] == [
        f"start_date: 2020-01-01 is more than 37 months ago; Meta keeps 37 months of "
        f"insights, so they are read from {oldest} (set start_date to {oldest} or later to "
        "silence this)"
    ]
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="tap-meta-ads"):
        TapMetaAds(config={**GOOD, "start_date": oldest.isoformat()})
    assert not [r for r in caplog.records if r.levelno == logging.WARNING]


def test_the_first_day_named_is_the_one_the_insights_streams_read_from():
    from tap_meta_ads.streams import insights

    for today in (TODAY, dt.date(2024, 3, 31), dt.date(2026, 1, 1), dt.date(2025, 2, 28)):
        clamp = insights.months_before(today, insights.HISTORY_MONTHS) + dt.timedelta(days=1)
        assert oldest_insights_day(today) == clamp


def test_an_end_date_before_meta_s_history_is_refused(write):
    config = {**GOOD, "start_date": "2019-01-01", "end_date": "2020-01-01"}
    refused(cli("--config", write("c.json", config)), "end_date: 2020-01-01 is before")


@pytest.mark.parametrize(
    ("name", "value", "line"),
    [
        ("requests_per_second", 7e-09, "requests_per_second: 7e-09 is out of range; use 0.05 to"),
        ("requests_per_second", 1e6, "requests_per_second: 1e+06 is out of range; use 0.05 to"),
        ("progress_seconds", 0, "progress_seconds: 0 is out of range; use 0.5 to 86400"),
        ("job_timeout_seconds", 5, "job_timeout_seconds: 5 is out of range; use 60 to 86400"),
        ("max_retries", 1000, "max_retries: 1000 is out of range; use 1 to 50"),
    ],
)
def test_numeric_settings_have_bounds_a_deployment_needs(write, name, value, line):
    assert line in refused(cli("--config", write("c.json", {**GOOD, name: value})))


# -- 5. signals ----------------------------------------------------------------------------------


def test_making_a_tap_installs_no_signal_handler():
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    TapMetaAds(config=GOOD)
    TapMetaAds(config={}, validate_config=False)
    assert {s: signal.getsignal(s) for s in before} == before


def test_the_sdk_still_installs_its_handlers_from_the_hook_the_tap_overrides():
    """singer-sdk 0.54: PluginBase.__init__ calls _setup_signal_handlers (SIGINT, SIGTERM)."""
    assert "self._setup_signal_handlers()" in inspect.getsource(PluginBase.__init__)
    assert "signal.SIGTERM" in inspect.getsource(PluginBase._setup_signal_handlers)


def test_the_command_line_handles_signals_only_while_it_runs(write):
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    assert refused(cli("--config", write("c.json", {**GOOD, "page_size": 0})))
    assert {s: signal.getsignal(s) for s in before} == before


@pytest.mark.parametrize(("signum", "status"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_stops_the_run_in_one_line_without_another_state(
    tmp_path, start_sandbox, signum, status
):
    api = start_sandbox(DatasetConfig(end_date=DATASET.end_date), latency_ms=50, job_seconds=3)
    config = {
        "access_token": "sandbox-token",
        "api_url": api.base_url,
        "start_date": "2026-11-01",
        "end_date": "2026-11-21",
        "requests_per_second": 50,
        "job_poll_seconds": 0.2,
    }
    (tmp_path / "config.json").write_text(json.dumps(config))
    out, err = tmp_path / "out.jsonl", tmp_path / "err.txt"
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TAP_META_ADS_", "HTTP"))}
    with out.open("w") as stdout, err.open("w") as stderr:
        process = subprocess.Popen(
            [TAP, "--config", str(tmp_path / "config.json")],
            stdout=stdout,
            stderr=stderr,
            env=clean,
        )
        deadline = time.monotonic() + 60
        while '"type":"RECORD"' not in out.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)  # stop it once it has written records: mid-run
        assert process.poll() is None, err.read_text()[-2000:]
        process.send_signal(signum)
        stopped = time.monotonic()
        process.wait(timeout=30)
    took = time.monotonic() - stopped
    result = Result(process.returncode, out.read_text(), err.read_text())
    assert result.code == status, result.stderr[-3000:]
    assert took < 10
    assert "Traceback" not in result.stderr
    name = signal.Signals(signum).name
    assert result.last.endswith(
        f"stopped by {name} before the run finished: nothing more was written, and the next "
        "run resumes from the last STATE message written"
    )
    messages = [json.loads(line) for line in result.stdout.splitlines()]  # each line whole
    assert any(m["type"] == "RECORD" for m in messages)
    # The SDK's own handler would end the output with a STATE of everything in memory.
    assert not (messages[-1]["type"] == "STATE" and "Gracefully" in result.stderr)


def test_a_target_that_stops_reading_ends_the_run_in_one_line(tmp_path, sandbox):
    """Before: click ended it with exit 1 and not a word."""
    config = {"access_token": "sandbox-token", "api_url": sandbox.base_url}
    (tmp_path / "config.json").write_text(json.dumps(config))
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TAP_META_ADS_", "HTTP"))}
    err = tmp_path / "err.txt"
    with err.open("w") as stderr:
        process = subprocess.Popen(
            [TAP, "--config", str(tmp_path / "config.json")],
            stdout=subprocess.PIPE,
            stderr=stderr,
            env=clean,
            text=True,
        )
        assert process.stdout is not None
        for _ in range(3):
            process.stdout.readline()
        process.stdout.close()  # the target went away
        process.wait(timeout=60)
    result = Result(process.returncode, "", err.read_text())
    assert result.code == 1
    assert "Traceback" not in result.stderr
    assert "Exception ignored" not in result.stderr
    assert "stdout was closed while the run wrote to it (the target stopped reading)" in result.last


# -- the rest of the command line is as it was ----------------------------------------------------


def test_about_version_and_discover_behave_as_before():
    about = subprocess_cli("--about", "--format=json")
    assert about.code == 0
    assert json.loads(about.stdout)["name"] == "tap-meta-ads"
    version = subprocess_cli("--version")
    assert version.code == 0
    assert version.stdout.startswith("tap-meta-ads v")
    discovered = cli("--discover")
    assert discovered.code == 0
    assert {s["tap_stream_id"] for s in json.loads(discovered.stdout)["streams"]} >= {"ads"}


def test_a_usage_error_is_clicks_one_line(tmp_path):
    result = cli("--catalog", str(tmp_path / "missing.json"))
    assert result.code == 2
    assert "Invalid value for '--catalog'" in result.last


def test_a_good_config_runs_with_catalog_and_state(write, monkeypatch):
    seen: list[TapMetaAds] = []
    monkeypatch.setattr(TapMetaAds, "sync_all", lambda self: seen.append(self))
    catalog = _select(_discovered(), "campaigns")
    state = _partitioned("campaigns", "updated_time", "2026-11-01T10:00:00+0000")
    args = ["--config", write("c.json", GOOD), "--catalog", write("cat.json", catalog)]
    result = cli(*args, "--state", write("state.json", copy.deepcopy(state)))
    assert result.code == 0, result.stderr[-2000:]
    assert seen[0].streams["campaigns"].selected
    assert not seen[0].streams["ads"].selected
    partition = seen[0].state["bookmarks"]["campaigns"]["partitions"][0]
    assert partition["replication_key_value"] == "2026-11-01T10:00:00+0000"
