"""Properties of the front door: any config, environment, catalog or state a user can hand the
command line ends either in a run or in one clear last line and a non-zero exit; never in a
traceback, never with a secret in the output, never with anything on stdout after a refusal.

A run that is accepted is checked too: a catalog taken keeps the tap's keys and types, a state
taken holds only bookmarks the streams can read. Each example runs the command line in this
process (``tests.unit.test_front_door.cli``, about 20 ms); a few run the installed command.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import json
import os
import string
import tempfile
from pathlib import Path
from typing import Any
from unittest import mock

from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from tap_meta_ads.settings.inputs import type_signature
from tap_meta_ads.settings.schema import CONFIG_SCHEMA
from tap_meta_ads.tap import TapMetaAds
from tests.unit.test_front_door import GOOD, NO_NETWORK, SECRETS, Result, cli, subprocess_cli
from tests.unit.test_properties import (
    JUNK,
    ODD_STRINGS,
    _configured_secrets,
    _strict_json,
    configs,
)

FAST = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
TODAY = dt.datetime.now(dt.UTC).date()


def _file(folder: str, name: str, content: str | bytes) -> str:
    path = Path(folder) / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return str(path)


def _clear(result: Result, secrets: list[str] | tuple[str, ...] = SECRETS) -> bool:
    """Accepted (True), or refused in one clear last line (False); never anything else."""
    everything = result.stdout + result.stderr
    assert "Traceback" not in everything, result.stderr[-3000:]
    for secret in secrets:
        assert secret not in everything
    event("accepted" if result.code == 0 else "refused")
    if result.code == 0:
        return True
    assert result.code == 1, result.stderr[-2000:]
    assert result.stdout == "", result.stdout[:500]
    message = result.last.split(" | ")[-1]
    assert message.strip(), result.stderr[-2000:]
    assert message != "Config validation failed"
    assert ": " in message, message  # "<the thing>: <what is wrong>; <the fix>"
    return False


@functools.cache
def _discovered() -> dict[str, Any]:
    return TapMetaAds(config=GOOD).catalog_dict


@functools.cache
def _declared() -> dict[str, Any]:
    return {n: s for n, s in TapMetaAds(config=GOOD).streams.items()}


def _run(*args: str) -> tuple[Result, list[TapMetaAds]]:
    """The command line with sync_all replaced: what the tap would sync, no request made."""
    seen: list[TapMetaAds] = []
    with mock.patch.object(TapMetaAds, "sync_all", lambda self: seen.append(self)):
        return cli(*args), seen


# -- configs and the environment -----------------------------------------------------------------


@FAST
@given(case=configs())
@example(case=({"access_token": "EAABsecretsecretsecret", "requests_per_second": 7e-09}, []))
@example(case=({"access_token": "EAABsecret\nsecretsecret", "acount_ids": ["1"]}, []))
def test_any_config_file_ends_in_schemas_or_one_clear_line(case):
    config, secrets = case
    with tempfile.TemporaryDirectory() as folder:
        text = json.dumps(_strict_json(config), allow_nan=False)
        result = cli("--config", _file(folder, "config.json", text), "--test=schema")
    if _clear(result, _configured_secrets(config, secrets)):
        assert all(json.loads(line)["type"] == "SCHEMA" for line in result.stdout.splitlines())


@FAST
@given(text=st.one_of(JUNK.map(lambda v: json.dumps(_strict_json(v))), st.text(max_size=40)))
@example(text="")
@example(text="[]")
@example(text='{"access_token": ')
def test_any_config_text_ends_in_one_clear_line(text):
    with tempfile.TemporaryDirectory() as folder:
        result = cli("--config", _file(folder, "config.json", text), "--test=schema")
    _clear(result)


ENV_TEXT = st.one_of(
    ODD_STRINGS,
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
        max_size=30,
    ),
    JUNK.map(lambda v: json.dumps(_strict_json(v))),
).filter(lambda text: "\x00" not in text)


@FAST
@given(name=st.sampled_from(sorted(CONFIG_SCHEMA["properties"])), value=ENV_TEXT)
@example(name="page_size", value="abc")
@example(name="include_deleted", value="flase")
@example(name="accounts", value='[{"account_id": "1", "access_token": "EAABsecretsecretsecret"')
def test_any_environment_value_ends_in_schemas_or_one_clear_line(name, value):
    variables = {**NO_NETWORK, f"TAP_META_ADS_{name.upper()}": value}
    if name != "access_token":
        variables["TAP_META_ADS_ACCESS_TOKEN"] = GOOD["access_token"]
    secret = name in ("access_token", "app_secret", "accounts") and len(value.strip()) >= 12
    with tempfile.TemporaryDirectory() as folder, mock.patch.dict(os.environ, variables):
        empty = _file(folder, "config.json", "{}")
        result = cli("--config", "ENV", "--config", empty, "--test=schema")
    _clear(result, [*SECRETS, value.strip()] if secret else SECRETS)


# -- catalogs ------------------------------------------------------------------------------------

TYPES = st.one_of(
    st.sampled_from(["string", "integer", "number", "boolean", "object", "array", "null"]),
    st.lists(st.sampled_from(["string", "integer", "number", "null"]), max_size=3, unique=True),
)


@st.composite
def catalogs(draw: st.DrawFn) -> Any:
    """The tap's catalog, changed a few ways a user or a tool might change it, or junk."""
    if draw(st.integers(0, 9)) == 0:
        return draw(JUNK)
    catalog = copy.deepcopy(_discovered())
    entries = catalog["streams"]
    for _ in range(draw(st.integers(0, 5), label="changes")):
        whole = [e for e in entries if isinstance(e.get("schema"), dict) and _has_root(e)]
        if not whole:
            break  # every entry junked already
        entry = draw(st.sampled_from(whole))
        properties = entry["schema"].get("properties") or {"id": {}}
        prop = draw(st.sampled_from(sorted(properties)))
        change = draw(
            st.sampled_from(
                ["select", "deselect", "property", "drop", "retype", "keys", "key", "junk", "new"]
            )
        )
        root = next(
            m["metadata"]
            for m in entry["metadata"]
            if isinstance(m, dict)
            and m.get("breadcrumb") == []
            and isinstance(m.get("metadata"), dict)
        )
        if change in ("select", "deselect"):
            root["selected"] = change == "select"
        elif change == "property":
            meta = next(
                (
                    m["metadata"]
                    for m in entry["metadata"]
                    if isinstance(m, dict)
                    and isinstance(m.get("breadcrumb"), list)
                    and m["breadcrumb"][-1:] == [prop]
                    and isinstance(m.get("metadata"), dict)
                ),
                {},
            )
            meta["selected"] = draw(st.booleans())
            meta["inclusion"] = draw(st.sampled_from(["available", "automatic", "unsupported"]))
        elif change == "drop":
            properties.pop(prop, None)
        elif change == "retype":
            properties[prop] = {"type": draw(TYPES)}
        elif change == "keys":
            entry["key_properties"] = draw(st.lists(st.sampled_from(sorted(properties))))
        elif change == "key":
            entry["replication_key"] = draw(
                st.one_of(st.none(), st.sampled_from(sorted(properties)))
            )
        elif change == "junk":
            field = draw(st.sampled_from(["schema", "metadata", "key_properties", "tap_stream_id"]))
            entry[field] = draw(JUNK)
        else:
            entries.append(
                {
                    "tap_stream_id": draw(st.text(string.ascii_lowercase + "_", max_size=12)),
                    "schema": {"properties": {}},
                    "metadata": [{"breadcrumb": [], "metadata": {"selected": draw(st.booleans())}}],
                }
            )
    return catalog


def _has_root(entry: dict[str, Any]) -> bool:
    metadata = entry.get("metadata")
    return isinstance(metadata, list) and any(
        isinstance(m, dict) and m.get("breadcrumb") == [] and isinstance(m.get("metadata"), dict)
        for m in metadata
    )


def _honest(tap: TapMetaAds) -> None:
    """A catalog the tap took keeps, for each selected stream, the tap's keys and types."""
    declared = _declared()
    for name, stream in tap.streams.items():
        if not stream.selected:
            continue
        own = declared[name]
        assert tuple(stream.primary_keys) == tuple(own.primary_keys), name
        for key in own.primary_keys:
            assert stream.mask[("properties", key)], (name, key)
        given_props = stream.effective_schema.get("properties", {})
        for prop, schema in given_props.items():
            if prop in own.schema["properties"]:
                assert type_signature(schema) == type_signature(own.schema["properties"][prop])


@FAST
@given(catalog=catalogs())
def test_any_catalog_ends_in_an_honest_run_or_one_clear_line(catalog):
    with tempfile.TemporaryDirectory() as folder:
        config = _file(folder, "config.json", json.dumps(GOOD))
        path = _file(folder, "catalog.json", json.dumps(_strict_json(catalog)))
        result, seen = _run("--config", config, "--catalog", path)
    if _clear(result):
        _honest(seen[0])


# -- states --------------------------------------------------------------------------------------

BOOKMARK_VALUES = st.one_of(
    ODD_STRINGS,
    st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(3000, 1, 1)).map(str),
    st.datetimes().map(lambda moment: moment.isoformat()),
    JUNK,
)


@st.composite
def states(draw: st.DrawFn) -> Any:
    """A state with bookmarks of the tap's streams and others, of any shape, or junk."""
    if draw(st.integers(0, 9)) == 0:
        return draw(JUNK)
    names = st.one_of(st.sampled_from(sorted(_declared())), st.text(max_size=8))
    partition = st.fixed_dictionaries(
        {"context": st.one_of(st.fixed_dictionaries({"account_id": st.text(max_size=6)}), JUNK)},
        optional={
            "replication_key": st.sampled_from(["date_start", "updated_time", "finished_at", "x"]),
            "replication_key_value": BOOKMARK_VALUES,
            "progress_markers": JUNK,
        },
    )
    bookmark = st.one_of(
        st.fixed_dictionaries({"partitions": st.one_of(st.lists(partition, max_size=3), JUNK)}),
        st.fixed_dictionaries({}, optional={"replication_key_value": BOOKMARK_VALUES}),
        JUNK,
    )
    state: dict[str, Any] = {"bookmarks": draw(st.dictionaries(names, bookmark, max_size=4))}
    if draw(st.integers(0, 9)) == 0:
        state = {"singer_state": state}
    return state


def _readable(tap: TapMetaAds) -> None:
    """A state the tap took holds, for its streams, only bookmarks they can read."""
    for name, stream_state in tap.state.get("bookmarks", {}).items():
        stream = tap.streams.get(name)
        if stream is None or not stream.replication_key:
            continue
        for place in [stream_state, *stream_state.get("partitions", [])]:
            value = place.get("replication_key_value")
            if value is None:
                continue
            day = dt.date.fromisoformat(value[:10])
            assert day <= TODAY + dt.timedelta(days=1), (name, value)


@FAST
@given(state=states())
@example(state={"bookmarks": {"campaigns": {"partitions": [{"context": {}}]}}})
def test_any_state_ends_in_a_readable_run_or_one_clear_line(state):
    with tempfile.TemporaryDirectory() as folder:
        config = _file(folder, "config.json", json.dumps(GOOD))
        path = _file(folder, "state.json", json.dumps(_strict_json(state)))
        result, seen = _run("--config", config, "--state", path)
    if _clear(result):
        _readable(seen[0])


# -- the installed command -----------------------------------------------------------------------


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(content=st.binary(max_size=64), option=st.sampled_from(["--config", "--state", "--catalog"]))
def test_any_bytes_as_a_file_end_in_one_clear_line_from_the_installed_command(content, option):
    with tempfile.TemporaryDirectory() as folder:
        path = _file(folder, "file.json", content)
        args = [option, path] if option == "--config" else ["--config", path, option, path]
        result = subprocess_cli(*args)
    assert not _clear(result)
