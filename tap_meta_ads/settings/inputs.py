"""Checks of the files a run starts from: config, catalog and state, before anything is written.

Each problem is one line naming the file, stream, partition or property and the fix; the
first line of an InputError is the one to print last. A catalog may select and deselect
streams and properties, but not drop or deselect a key property, or retype a property (the
target would build its table from types the records do not have). A state may hold
bookmarks of streams this tap no longer has (a removed custom report: a warning), but not
only those (another tap's state), and no bookmark that is not a date or lies in the future.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from singer_sdk.singerlib import Catalog

from tap_meta_ads.json_kinds import json_kind
from tap_meta_ads.secrets import quoted

#: How to start from no state, with Meltano and without.
START_FRESH = (
    "to start fresh: meltano state clear <state_id> (meltano state list shows it) or "
    "meltano run --full-refresh ...; without Meltano, run without --state"
)
REDISCOVER = (
    "rediscover it (tap-meta-ads --discover; with Meltano, meltano select and no schema "
    "override in meltano.yml for it)"
)
_STATE_KEYS = ("bookmarks", "currently_syncing")
#: A bookmark a little ahead of today in UTC is real: account time zones reach UTC+14.
_AHEAD = dt.timedelta(days=1)
_DEPTH = 32


class InputError(ValueError):
    """The config, catalog or state cannot be used; ``problems`` are one line each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(problems[0])
        self.problems = problems


@dataclass(frozen=True)
class StreamFacts:
    """What a stream emits, as the tap declares it (before any catalog is applied)."""

    name: str
    key_properties: tuple[str, ...]
    replication_key: str | None
    #: ``date`` or ``date-time``: the replication key's format.
    bookmark_format: str | None
    types: Mapping[str, tuple[frozenset[str], frozenset[str]]]

    @classmethod
    def of(cls, stream: Any) -> StreamFacts:
        """The facts of a stream object (``name``, ``primary_keys``, ``schema``...)."""
        properties = stream.schema.get("properties", {})
        key = stream.replication_key
        return cls(
            name=stream.name,
            key_properties=tuple(stream.primary_keys or ()),
            replication_key=key,
            bookmark_format=properties.get(key, {}).get("format") if key else None,
            types={name: type_signature(prop) for name, prop in properties.items()},
        )


# -- files -----------------------------------------------------------------------------------


def read_json_object(path: str, option: str, fix: str) -> dict[str, Any]:
    """The JSON object in the file at ``path``; otherwise InputError naming the file."""
    where = f"{option} {path}"
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError([f"{where}: no such file; check the path"]) from None
    except IsADirectoryError:
        raise InputError([f"{where}: is a folder, not a file; give the file's path"]) from None
    except UnicodeDecodeError:
        raise InputError([f"{where}: is not UTF-8 text; {fix}"]) from None
    except OSError as exc:
        raise InputError([f"{where}: cannot be read ({exc.strerror}); {fix}"]) from None
    return json_object(text, where, fix)


def json_object(text: str, where: str, fix: str) -> dict[str, Any]:
    """The JSON object ``text`` holds; otherwise InputError naming ``where`` and the fix."""
    if not text.strip():
        raise InputError([f"{where}: the file is empty, not a JSON object; {fix}"])
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        at = f"line {exc.lineno} column {exc.colno}"
        raise InputError([f"{where}: not valid JSON ({exc.msg} at {at}); {fix}"]) from None
    except RecursionError:
        raise InputError([f"{where}: nested too deeply; {fix}"]) from None
    if not isinstance(value, dict):
        raise InputError([f"{where}: holds {json_kind(value)}, not a JSON object; {fix}"])
    return value


# -- catalog ---------------------------------------------------------------------------------


def type_signature(schema: Any) -> tuple[frozenset[str], frozenset[str]]:
    """A property's JSON types and formats, through ``anyOf``/``oneOf`` branches."""
    types: set[str] = set()
    formats: set[str] = set()

    def collect(node: Any, depth: int) -> None:
        if not isinstance(node, Mapping) or depth > _DEPTH:
            return
        kind = node.get("type")
        types.update([kind] if isinstance(kind, str) else kind if isinstance(kind, list) else [])
        if isinstance(node.get("format"), str):
            formats.add(node["format"])
        for keyword in ("anyOf", "oneOf"):
            for branch in node.get(keyword) or []:
                collect(branch, depth + 1)

    collect(schema, 0)
    return frozenset(str(t) for t in types), frozenset(formats)


def catalog_shape_problems(catalog: Any) -> list[str]:
    """What keeps ``catalog`` from being a Singer catalog the SDK can read."""
    fix = "regenerate it with tap-meta-ads --discover"
    if not isinstance(catalog, Mapping):
        return [f"catalog: must be a JSON object with a streams list; {fix}"]
    streams = catalog.get("streams")
    if not isinstance(streams, (list, tuple)):
        return [f"catalog: has no streams list; {fix}"]
    problems = []
    for index, entry in enumerate(streams):
        where = f"catalog: streams[{index}]"
        if not isinstance(entry, Mapping):
            problems.append(f"{where}: must be an object with tap_stream_id; {fix}")
            continue
        if not isinstance(entry.get("tap_stream_id"), str):
            problems.append(f"{where}: has no tap_stream_id; {fix}")
            continue
        where = f"catalog: stream {quoted(entry['tap_stream_id'], 40)[1:-1]}"
        problem = _schema_shape(entry.get("schema", {}), "schema", 0)
        if problem:
            problems.append(f"{where}: {problem}; {fix}")
        metadata = entry.get("metadata", [])
        if not isinstance(metadata, (list, tuple)) or not all(
            isinstance(item, Mapping)
            and isinstance(item.get("breadcrumb"), (list, tuple))
            and isinstance(item.get("metadata"), Mapping)
            for item in metadata
        ):
            problems.append(f"{where}: metadata must be a list of {{breadcrumb, metadata}}; {fix}")
        keys = entry.get("key_properties")
        if keys is not None and not (
            isinstance(keys, (list, tuple)) and all(isinstance(k, str) for k in keys)
        ):
            problems.append(f"{where}: key_properties must be a list of names; {fix}")
        if not isinstance(entry.get("replication_key"), (str, type(None))):
            problems.append(f"{where}: replication_key must be a name; {fix}")
    return problems


def _schema_shape(schema: Any, where: str, depth: int) -> str | None:
    if not isinstance(schema, Mapping):
        return f"{where} must be a JSON Schema object"
    if depth > _DEPTH:
        return f"{where} is nested too deeply"
    properties = schema.get("properties")
    if properties is not None and not isinstance(properties, Mapping):
        return f"{where}.properties must be an object"
    for name, prop in (properties or {}).items():
        problem = _schema_shape(prop, f"property {name}", depth + 1)
        if problem:
            return problem
    if schema.get("items") is not None:
        return _schema_shape(schema["items"], f"{where}.items", depth + 1)
    return None


def parse_catalog(catalog: Mapping[str, Any]) -> Catalog:
    """The SDK's Catalog of a catalog whose shape was checked; InputError if still unreadable."""
    problems = catalog_shape_problems(catalog)
    if problems:
        raise InputError(problems)
    try:
        return Catalog.from_dict(dict(catalog))
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        line = f"catalog: not a Singer catalog ({type(exc).__name__}); regenerate it"
        raise InputError([f"{line} with tap-meta-ads --discover"]) from None


def catalog_problems(
    catalog: Catalog, streams: Mapping[str, Any], declared: Mapping[str, StreamFacts]
) -> list[str]:
    """Selected streams the tap lacks; key properties dropped, deselected or changed; types
    changed from the tap's. ``streams``: the tap's streams with the catalog applied."""
    problems = []
    for name, entry in catalog.items():
        stream, facts = streams.get(name), declared.get(name)
        if stream is None or facts is None:
            if _selected(entry):
                problems.append(
                    f"catalog: selects stream {quoted(name, 60)}, which tap-meta-ads does not "
                    "have (a removed insights_reports entry, or another tap's catalog); "
                    f"deselect it or {REDISCOVER}"
                )
            continue
        if stream.selected:
            problems += _entry_problems(name, entry, stream, facts)
    return problems


def _selected(entry: Any) -> bool:
    """Whether a catalog entry selects its stream, as the SDK reads its metadata."""
    if not entry.metadata:
        return True
    root = entry.metadata.get(())
    if root is None:
        return False
    if root.selected is not None:
        return bool(root.selected)
    return bool(root.selected_by_default)


def _entry_problems(name: str, entry: Any, stream: Any, facts: StreamFacts) -> list[str]:
    where = f"catalog: stream {name}"
    problems = []
    if tuple(stream.primary_keys or ()) != facts.key_properties:
        problems.append(
            f"{where}: key properties {list(stream.primary_keys or ())} are not the tap's "
            f"{list(facts.key_properties)}; keep them as discovered or {REDISCOVER}"
        )
    if stream.replication_key and stream.replication_key != facts.replication_key:
        problems.append(
            f"{where}: replication key {stream.replication_key} is not the tap's "
            f"{facts.replication_key}; {REDISCOVER}"
        )
    properties = entry.schema.properties
    required = [*facts.key_properties]
    if facts.replication_key and facts.replication_key not in required:
        required.append(facts.replication_key)
    for key in required:
        if properties is not None and key not in properties:
            problems.append(f"{where}: key property {key} is missing from the schema; {REDISCOVER}")
        elif not stream.mask[("properties", key)]:
            problems.append(
                f"{where}: key property {key} is deselected; select it (key properties are "
                f"always read) or {REDISCOVER}"
            )
    for prop, schema in (properties or {}).items():
        if prop not in facts.types:
            continue
        given, emitted = type_signature(schema.to_dict()), facts.types[prop]
        if given != emitted:
            problems.append(
                f"{where}: property {prop} is {_show(given)} in the catalog but the tap emits "
                f"{_show(emitted)}; {REDISCOVER}"
            )
    return problems


def _show(signature: tuple[frozenset[str], frozenset[str]]) -> str:
    types, formats = signature
    text = " or ".join(sorted(types)) or "untyped"
    return f"{text} ({', '.join(sorted(formats))})" if formats else text


# -- state -----------------------------------------------------------------------------------


def state_problems(
    state: Any, declared: Mapping[str, StreamFacts], today: dt.date
) -> tuple[list[str], list[str]]:
    """Problems (refused) and warnings of a state: its shape, streams and bookmark values."""
    if not isinstance(state, Mapping):
        return [f"state: must be a JSON object with bookmarks; {START_FRESH}"], []
    if "singer_state" in state and "bookmarks" not in state:
        return [
            "state: this is Meltano's envelope (meltano state get); pass the object under "
            "singer_state as --state"
        ], []
    others = sorted(str(key) for key in state if key not in _STATE_KEYS)
    if "bookmarks" not in state and others:
        return [
            f"state: has no bookmarks (keys: {quoted(', '.join(others), 60)}), so it is not a "
            f"Singer state; {START_FRESH}"
        ], []
    bookmarks = state.get("bookmarks") or {}
    if not isinstance(bookmarks, Mapping):
        return [f"state: bookmarks must be an object of streams; {START_FRESH}"], []
    unknown = sorted(str(name) for name in bookmarks if name not in declared)
    if unknown and len(unknown) == len(bookmarks):
        return [
            f"state: bookmarks only for streams tap-meta-ads does not have "
            f"({quoted(', '.join(unknown), 80)[1:-1]}; another tap's state?); {START_FRESH}"
        ], []
    warnings = (
        [
            f"state: bookmarks for streams tap-meta-ads does not have are kept but not used: "
            f"{quoted(', '.join(unknown), 80)[1:-1]} (removed insights_reports entries?)"
        ]
        if unknown
        else []
    )
    problems = []
    for name, facts in declared.items():
        if name in bookmarks:
            problems += _stream_state_problems(facts, bookmarks[name], today)
    return problems, warnings


def _stream_state_problems(facts: StreamFacts, bookmark: Any, today: dt.date) -> list[str]:
    where = f"state: stream {facts.name}"
    if not isinstance(bookmark, Mapping):
        return [f"{where}: its bookmark must be an object; {START_FRESH}"]
    partitions = bookmark.get("partitions", [])
    if not isinstance(partitions, (list, tuple)) or not all(
        isinstance(p, Mapping) and isinstance(p.get("context"), Mapping) for p in partitions
    ):
        return [f"{where}: partitions must be a list of {{context, ...}}; {START_FRESH}"]
    places = [(where, bookmark), *((f"{where}, {_partition(p)}", p) for p in partitions)]
    problems = []
    for place, values in places:
        problem = _bookmark_problem(facts, place, values, today)
        if problem:
            problems.append(problem)
    return problems


def _bookmark_problem(
    facts: StreamFacts, where: str, values: Mapping[str, Any], today: dt.date
) -> str | None:
    key, value = values.get("replication_key"), values.get("replication_key_value")
    if facts.replication_key is None or value is None:
        return None
    if key is not None and key != facts.replication_key:
        return (
            f"{where}: bookmark is on {quoted(key, 40)}, but this stream's is "
            f"{facts.replication_key} (another tap's state?); {START_FRESH}"
        )
    day = _bookmark_day(value, facts.bookmark_format)
    noun = "date (YYYY-MM-DD)" if facts.bookmark_format == "date" else "date-time"
    if day is None:
        shown = quoted(value, 40) if isinstance(value, str) else json.dumps(value, default=str)
        return f"{where}: bookmark {shown[:40]} is not a {noun}; correct it, or {START_FRESH}"
    if day > today + _AHEAD:
        return (
            f"{where}: bookmark {quoted(value, 40)} is in the future (today is {today}): not "
            f"written by this tap for this account; {START_FRESH}"
        )
    return None


def _bookmark_day(value: Any, kind: str | None) -> dt.date | None:
    """The day of a bookmark, read as the streams read it; None when it is not one."""
    if not isinstance(value, str):
        return None
    try:
        if kind == "date":
            return dt.date.fromisoformat(value[:10])
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC)
    return moment.date()


def _partition(partition: Mapping[str, Any]) -> str:
    context = partition["context"]
    if set(context) == {"account_id"}:
        return f"account {quoted(context['account_id'], 30)[1:-1]}"
    return f"partition {quoted(json.dumps(context, sort_keys=True, default=str), 60)}"
