"""Generate the sandbox's field catalogue of one Graph API version from Meta's Python SDK.

    python scripts/generate_graph_fields.py                      # v26 from facebook-business 26.0.3
    python scripts/generate_graph_fields.py --sdk-version 25.0.2 --out /tmp/v25.json
    python scripts/generate_graph_fields.py --sdk /path/to/site-packages/facebook_business

Without ``--sdk`` the script makes a throwaway virtual environment in a temporary folder,
installs ``facebook-business==<--sdk-version>`` into it (``pip install --no-deps``: only the
source files are read, nothing is imported), reads it and deletes the folder. The package is
never a dependency of the project. With ``--sdk`` it reads an already installed (or unpacked)
``facebook_business`` package folder instead.

How ``meta_ads_sandbox/graph_fields_v25.json`` maps to the SDK (facebook-business 25.0.2, whose
``apiconfig.py`` says API_VERSION v25.0) -- checked: run with ``--sdk-version 25.0.2`` this
script reproduces that file byte for byte:

- Each top-level key other than ``_about`` is an SDK object class of the same name, defined in
  ``facebook_business/adobjects/<name in lower case>.py`` (``AdAccount`` -> ``adaccount.py``,
  ``AdsInsights`` -> ``adsinsights.py``, ``AdCreativeObjectStorySpec`` ->
  ``adcreativeobjectstoryspec.py``, ...). The eighteen objects are the nodes the sandbox serves
  (AdAccount, Campaign, AdSet, Ad, AdCreative, AdImage, AdVideo, CustomAudience,
  CustomConversion, AdActivity, Business, User, AdsInsights, AdReportRun) and the nested types
  whose keys it validates or projects (AdsActionStats, AdsHistogramStats, Targeting,
  AdCreativeObjectStorySpec). The list is
  taken from the v25 file, so every version has the same objects.
- ``fields`` is the class's ``_field_types`` dictionary (field name -> the SDK's declared type:
  ``string``, ``int``, ``unsigned int``, ``float``, ``bool``, ``datetime``, ``list<X>``,
  ``map<...>`` or another object/enum name), sorted by field name. It is not the ``Field``
  inner class: ``Field`` can name a few more attributes that are upload parameters, not
  readable fields, and have no declared type (``AdVideo.Field.filepath`` in 25.0.2); those are
  left out. Like the SDK, ``_field_types`` also lists some write-only parameters of the node
  (``AdSet.date_format``, ``AdSet.execution_options``, ...); they are kept, as in v25.
- ``enums`` is every inner class of the object class other than ``Field`` (``Status``,
  ``EffectiveStatus``, ``Breakdowns``, ...), each mapped to the string values of its
  attributes in the SDK's own order (not sorted: ``TimezoneId`` runs 0, 1, 2, ... 10).
- ``_about`` is not in the SDK: it records the version, the source and a note on the types;
  this script writes it (``api_version`` from the SDK's ``apiconfig.py``).
- Nothing else in the v25 file lacks an SDK source, so nothing has to be carried over.

Output format: ``json.dumps(catalogue, indent=1)`` with no trailing newline, exactly as the v25
file is written.
"""

from __future__ import annotations

import argparse
import ast
import json
import subprocess
import sys
import tempfile
import venv
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
V25 = ROOT / "meta_ads_sandbox" / "graph_fields_v25.json"
DEFAULT_SDK_VERSION = "26.0.3"
NOTE = (
    "types are the SDK's: string, int, unsigned int, float, bool, datetime, list<X>, map<...>, "
    "or another object/enum name"
)


def object_names() -> list[str]:
    """The objects of the catalogue, in the v25 file's order."""
    raw = json.loads(V25.read_text(encoding="utf-8"))
    return [name for name in raw if not name.startswith("_")]


def _string_values(cls: ast.ClassDef) -> list[str]:
    values: list[str] = []
    for item in cls.body:
        if (
            isinstance(item, ast.Assign)
            and isinstance(item.value, ast.Constant)
            and isinstance(item.value.value, str)
        ):
            values.append(item.value.value)
    return values


def read_class(sdk: Path, name: str) -> dict[str, Any]:
    """`{"fields": {...}, "enums": {...}}` of one SDK object class, read without importing it."""
    source = sdk / "adobjects" / f"{name.lower()}.py"
    tree = ast.parse(source.read_text(encoding="utf-8"), filename=str(source))
    found = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == name]
    if not found:
        raise SystemExit(f"{source}: no class {name}")
    cls = found[0]
    field_types: dict[str, str] | None = None
    enums: dict[str, list[str]] = {}
    for item in cls.body:
        if isinstance(item, ast.ClassDef) and item.name != "Field":
            enums[item.name] = _string_values(item)
        elif isinstance(item, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "_field_types" for t in item.targets
        ):
            value = ast.literal_eval(item.value)
            if not isinstance(value, dict):
                raise SystemExit(f"{source}: {name}._field_types is not a dict")
            field_types = {str(k): str(v) for k, v in value.items()}
    if field_types is None:
        raise SystemExit(f"{source}: {name} has no _field_types")
    return {"fields": dict(sorted(field_types.items())), "enums": enums}


def api_version(sdk: Path) -> tuple[str, str]:
    """(API_VERSION, SDK_VERSION) from the package's apiconfig.py."""
    tree = ast.parse((sdk / "apiconfig.py").read_text(encoding="utf-8"))
    for item in tree.body:
        if isinstance(item, ast.Assign) and isinstance(item.value, ast.Dict):
            config = ast.literal_eval(item.value)
            return str(config["API_VERSION"]), str(config["SDK_VERSION"]).lstrip("v")
    raise SystemExit(f"{sdk}/apiconfig.py: no ads_api_config")


def build(sdk: Path) -> dict[str, Any]:
    """The whole catalogue read from an SDK package folder."""
    version, sdk_version = api_version(sdk)
    out: dict[str, Any] = {
        "_about": {
            "api_version": version,
            "source": "field names and declared types of the facebook-business Python SDK "
            f"{sdk_version} (generated by Meta from its API schema), adobjects/*.py",
            "note": NOTE,
        }
    }
    for name in object_names():
        out[name] = read_class(sdk, name)
    return out


def render(catalogue: dict[str, Any]) -> str:
    """The file text, formatted like graph_fields_v25.json."""
    return json.dumps(catalogue, indent=1)


def install_sdk(version: str, where: Path) -> Path:
    """A throwaway venv under `where` with facebook-business==version; its package folder."""
    env = where / "venv"
    venv.EnvBuilder(with_pip=True).create(env)
    python = env / ("Scripts" if sys.platform == "win32" else "bin") / "python"
    requirement = f"facebook-business=={version}"
    pip = [str(python), "-m", "pip", "install", "--quiet", "--no-deps", requirement]
    subprocess.run(pip, check=True)
    found = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    )
    package = Path(found.stdout.strip()) / "facebook_business"
    if not (package / "adobjects").is_dir():
        raise SystemExit(f"facebook-business {version} installed no adobjects/ at {package}")
    return package


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--sdk", type=Path, help="an installed or unpacked facebook_business package folder"
    )
    parser.add_argument(
        "--sdk-version",
        default=DEFAULT_SDK_VERSION,
        help=f"facebook-business version to install when --sdk is not given "
        f"(default {DEFAULT_SDK_VERSION})",
    )
    parser.add_argument(
        "--out",
        type=Path,
        help="file to write (default meta_ads_sandbox/graph_fields_v<major>.json)",
    )
    args = parser.parse_args(argv)
    if args.sdk is not None:
        catalogue = build(args.sdk)
    else:
        with tempfile.TemporaryDirectory(prefix="graph-fields-") as tmp:
            catalogue = build(install_sdk(args.sdk_version, Path(tmp)))
    version = catalogue["_about"]["api_version"]
    out = args.out or ROOT / "meta_ads_sandbox" / f"graph_fields_{version.split('.')[0]}.json"
    out.write_text(render(catalogue), encoding="utf-8")
    objects = [k for k in catalogue if not k.startswith("_")]
    fields = sum(len(catalogue[k]["fields"]) for k in objects)
    print(f"{out}: {version}, {len(objects)} objects, {fields} fields")
    return 0


if __name__ == "__main__":
    sys.exit(main())
