"""plugin/tap-meta-ads.yml, the Hub-style definition, agrees with ``tap-meta-ads --about``.

The fast checks read the file; the end-to-end one (marked e2e: it builds and installs) adds the
plugin from the file to a new Meltano project, offline, the way a user of another project would:
a wheel built here in its dist/ folder, ``meltano add --from-ref``, ``meltano install``, then
``meltano invoke tap-meta-ads --about``.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DEFINITION = ROOT / "plugin" / "tap-meta-ads.yml"


@functools.cache
def about() -> dict[str, Any]:
    result = subprocess.run(
        [str(BIN / "tap-meta-ads"), "--about", "--format=json"],
        capture_output=True,
        text=True,
        check=True,
    )
    parsed: dict[str, Any] = json.loads(result.stdout)
    return parsed


def definition() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(DEFINITION.read_text())
    return loaded


def _secret(prop: dict[str, Any]) -> bool:
    """A setting --about marks secret (at any depth: ``accounts`` entries carry tokens)."""
    if prop.get("secret") or prop.get("writeOnly"):
        return True
    children = [*prop.get("properties", {}).values(), prop.get("items")]
    return any(_secret(child) for child in children if isinstance(child, dict))


def test_capabilities_are_the_ones_about_reports() -> None:
    reported = about()["capabilities"]
    assert sorted(definition()["capabilities"]) == sorted(reported)
    assert "structured-logging" in reported  # the SDK supports it, so the file lists it


def test_meltano_yml_declares_the_capabilities_about_reports() -> None:
    """structured-logging included: with it Meltano shows warnings and errors at their level."""
    project = yaml.safe_load((ROOT / "meltano.yml").read_text())
    extractor = next(e for e in project["plugins"]["extractors"] if e["name"] == "tap-meta-ads")
    assert sorted(extractor["capabilities"]) == sorted(about()["capabilities"])
    assert "structured-logging" in extractor["capabilities"]


def test_every_setting_is_declared_with_kind_label_and_description() -> None:
    properties = about()["settings"]["properties"]
    settings = definition()["settings"]
    names = [s["name"] for s in settings]
    assert names == list(properties)  # every one, once, in --about's order
    for entry in settings:
        assert entry.get("kind"), entry["name"]
        assert entry.get("label"), entry["name"]
        assert entry.get("description"), entry["name"]
        default = properties[entry["name"]].get("default")
        if default is not None:
            assert entry.get("value") == default, entry["name"]


def test_secrets_and_only_secrets_are_sensitive() -> None:
    properties = about()["settings"]["properties"]
    secret = {name for name, prop in properties.items() if _secret(prop)}
    sensitive = {s["name"] for s in definition()["settings"] if s.get("sensitive")}
    assert sensitive == secret
    assert {"access_token", "app_secret", "accounts"} <= sensitive  # not vacuous


def test_setting_groups_name_settings_and_the_wheel_is_this_version() -> None:
    plugin = definition()
    names = {s["name"] for s in plugin["settings"]}
    groups = plugin["settings_group_validation"]
    assert groups
    assert all(set(group) <= names for group in groups)
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert plugin["pip_url"] == f"./dist/tap_meta_ads-{version}-py3-none-any.whl"
    for key in ("name", "namespace", "variant", "label", "description", "docs", "repo"):
        assert plugin.get(key), key
    assert plugin["executable"] == "tap-meta-ads"


def test_the_file_is_what_plugin_generate_writes() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "plugin" / "generate.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout


def _meltano(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MELTANO_", "TAP_META_ADS_"))}
    env.update(
        {"MELTANO_CLI_DISABLE_VERSION_CHECK": "true", "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false"}
    )
    return subprocess.run(
        [str(BIN / "meltano"), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.mark.e2e
def test_a_new_project_adds_installs_and_invokes_the_plugin_from_the_file(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(wheels)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0, built.stderr[-3000:]
    (wheel,) = wheels.glob("tap_meta_ads-*.whl")

    init = _meltano(["init", "project", "--no_usage_stats"], tmp_path)
    assert init.returncode == 0, init.stderr[-3000:]
    project = tmp_path / "project"
    (project / "dist").mkdir()
    shutil.copy(wheel, project / "dist" / wheel.name)  # where the file's pip_url points

    add = ["add", "--plugin-type", "extractor", "tap-meta-ads", "--from-ref", str(DEFINITION)]
    added = _meltano([*add, "--no-install"], project)
    assert added.returncode == 0, added.stderr[-3000:]
    declared = yaml.safe_load((project / "meltano.yml").read_text())["plugins"]["extractors"]
    assert [p["name"] for p in declared] == ["tap-meta-ads"]
    assert declared[0]["pip_url"] == definition()["pip_url"]

    installed = _meltano(["install"], project)
    assert installed.returncode == 0, installed.stderr[-3000:]
    invoked = _meltano(["invoke", "tap-meta-ads", "--about", "--format=json"], project)
    assert invoked.returncode == 0, invoked.stderr[-3000:]
    reported = json.loads(invoked.stdout)
    assert reported["capabilities"] == about()["capabilities"]
    assert list(reported["settings"]["properties"]) == list(about()["settings"]["properties"])
    # the venv holds the wheel, not this checkout
    venv = project / ".meltano" / "extractors" / "tap-meta-ads" / "venv"
    assert not list(venv.glob("lib/python*/site-packages/__editable__*tap_meta_ads*"))
    assert list(venv.glob("lib/python*/site-packages/tap_meta_ads/tap.py"))
