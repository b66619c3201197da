"""The field catalogue of each served version, the `fields=` grammar (nesting, `.limit(n)`,
`.as(alias)`) and projection."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from meta_ads_sandbox import errors, versions
from meta_ads_sandbox.node import Node

CATALOGUE = Path(__file__).with_name(versions.catalogue_file(versions.DEFAULT))
# Cost weights of a list page (see max_page_cost): heavy nested specs weigh more.
HEAVY = {
    "object_story_spec": 5.0,
    "asset_feed_spec": 5.0,
    "targeting": 3.0,
    "tracking_specs": 1.0,
    "conversion_specs": 1.0,
    "creatives": 1.0,
    "format": 1.0,
}
EXPANSION_COST = 3.0
_CONTAINER = re.compile(r"^list<(.+)>$")


@lru_cache(maxsize=4)
def _raw(file: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(CATALOGUE.with_name(file).read_text(encoding="utf-8"))
    return loaded


def catalogue(version: str = versions.DEFAULT) -> dict[str, dict[str, str]]:
    """Node type -> {field name: declared type}, for one served version."""
    return _catalogue(versions.catalogue_file(version))


@lru_cache(maxsize=4)
def _catalogue(file: str) -> dict[str, dict[str, str]]:
    return {k: v["fields"] for k, v in _raw(file).items() if not k.startswith("_")}


def enum(node_type: str, name: str, version: str = versions.DEFAULT) -> tuple[str, ...]:
    """The values of one of a node type's enums (empty when it has no such enum)."""
    found = _raw(versions.catalogue_file(version)).get(node_type, {}).get("enums", {})
    return tuple(found.get(name, ()))


def field_type(node_type: str, name: str, version: str = versions.DEFAULT) -> str | None:
    """The declared type of a field, or None when the node type has no such field."""
    return catalogue(version).get(node_type, {}).get(name)


def element_type(declared: str) -> str:
    """`list<X>` -> X; anything else unchanged."""
    m = _CONTAINER.match(declared)
    return m.group(1) if m else declared


@dataclass(frozen=True)
class FieldSel:
    """One requested field: its name, `.limit(n)`, other modifiers, and nested selection."""

    name: str
    limit: int | None = None
    sub: tuple[FieldSel, ...] | None = None
    modifiers: tuple[str, ...] = field(default_factory=tuple)

    @property
    def alias(self) -> str | None:
        """The name given with `.as(alias)`, if any."""
        for modifier in self.modifiers:
            if modifier.startswith("as(") and modifier.endswith(")"):
                return modifier[3:-1] or None
        return None

    @property
    def key(self) -> str:
        """The key the field comes back under (its alias, or its name)."""
        return self.alias or self.name


def _normalise(text: str) -> str:
    text = text.strip()
    if text.startswith("[") and text.endswith("]"):
        try:
            items = json.loads(text)
        except ValueError:
            items = None
        if isinstance(items, list) and all(isinstance(i, str) for i in items):
            return ",".join(items)
        # Python-repr lists such as ['id', 'name'] (sent by some connectors).
        text = text[1:-1]
    return re.sub(r"[\s'\"]", "", text)


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def error(self) -> errors.GraphError:
        found = self.text[self.pos : self.pos + 1] or "end of string"
        return errors.GraphError(
            400,
            2500,
            f'Syntax error "Unexpected {found}" at character {self.pos}: {self.text}',
        )

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def parse_list(self, nested: bool) -> tuple[FieldSel, ...]:
        items: list[FieldSel] = []
        while True:
            ch = self.peek()
            if ch == "":
                if nested:
                    raise self.error()
                return tuple(items)
            if ch == "}":
                if not nested:
                    raise self.error()
                self.pos += 1
                return tuple(items)
            if ch == ",":
                self.pos += 1
                continue
            items.append(self.parse_item())

    def parse_item(self) -> FieldSel:
        m = re.compile(r"[A-Za-z0-9_]+").match(self.text, self.pos)
        if not m:
            raise self.error()
        name = m.group(0)
        self.pos = m.end()
        limit: int | None = None
        modifiers: list[str] = []
        while self.peek() == ".":
            self.pos += 1
            mm = re.compile(r"[A-Za-z_]+").match(self.text, self.pos)
            if not mm or self.text[mm.end() : mm.end() + 1] != "(":
                raise self.error()
            self.pos = mm.end() + 1
            depth, start = 1, self.pos
            while depth and self.pos < len(self.text):
                depth += {"(": 1, ")": -1}.get(self.text[self.pos], 0)
                self.pos += 1
            if depth:
                raise self.error()
            arg = self.text[start : self.pos - 1]
            if mm.group(0) == "limit":
                if not arg.isdigit():
                    raise self.error()
                limit = int(arg)
            else:
                modifiers.append(f"{mm.group(0)}({arg})")
        sub = None
        if self.peek() == "{":
            self.pos += 1
            sub = self.parse_list(nested=True)
        return FieldSel(name, limit, sub, tuple(modifiers))


def parse_fields(text: str) -> tuple[FieldSel, ...]:
    """Parse a `fields` parameter: comma list, JSON array or Python-repr list, with nesting."""
    return _Parser(_normalise(text)).parse_list(nested=False)


def names(sels: tuple[FieldSel, ...]) -> list[str]:
    """The top-level names, in order, without duplicates."""
    return list(dict.fromkeys(s.name for s in sels))


def has_alias(sels: tuple[FieldSel, ...]) -> bool:
    """Whether any field (at any depth) is renamed with `.as(alias)`."""
    return any(s.alias is not None or (s.sub is not None and has_alias(s.sub)) for s in sels)


def validate(
    node_type: str,
    sels: tuple[FieldSel, ...],
    edges_of: Callable[[str], Mapping[str, str]] | None = None,
    version: str = versions.DEFAULT,
) -> None:
    """Raise Meta's #100 error for the first field the node type does not have (in `version`).

    `edges_of(type)` names the edges that may be expanded like fields ({edge: child type}).
    """
    known = catalogue(version).get(node_type)
    edges = edges_of(node_type) if edges_of else {}
    for sel in sels:
        if sel.name in edges:
            if sel.sub:
                validate(edges[sel.name], sel.sub, edges_of, version)
            continue
        if known is None:
            return
        declared = known.get(sel.name)
        if declared is None:
            raise errors.nonexisting_field(sel.name, node_type)
        if sel.sub:
            inner = element_type(declared)
            if inner in catalogue(version):
                validate(inner, sel.sub, edges_of, version)


def item_cost(sels: tuple[FieldSel, ...]) -> float:
    """Estimated weight of one listed object with this selection."""
    cost = 1.0 + 0.05 * len(sels)
    for sel in sels:
        cost += HEAVY.get(sel.name, 0.0)
        if sel.sub is not None:
            nested = item_cost(sel.sub)
            cost += EXPANSION_COST + nested * (sel.limit or 1)
    return cost


def project_value(value: Any, sub: tuple[FieldSel, ...]) -> Any:
    """Keep only the selected keys of a plain nested object (or of each item of a list)."""
    if isinstance(value, list):
        return [project_value(v, sub) for v in value]
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for sel in sub:
            if sel.name in value:
                inner = value[sel.name]
                out[sel.key] = project_value(inner, sel.sub) if sel.sub else inner
        return out
    return value


# resolver(node, sel) -> the expanded value for node-typed fields and edges, or a sentinel
Resolver = Callable[[Node, FieldSel], Any]
MISSING = object()


def project(
    node: Node, sels: tuple[FieldSel, ...], resolver: Resolver | None = None
) -> dict[str, Any]:
    """The node's JSON with only the selected fields (and `id`), in the order asked."""
    out: dict[str, Any] = {}
    data = node.data
    for sel in sels:
        if sel.key in out:
            continue
        if resolver is not None:
            resolved = resolver(node, sel)
            if resolved is not MISSING:
                if resolved is not None:
                    out[sel.key] = resolved
                continue
        if sel.name in data:
            value = data[sel.name]
            out[sel.key] = project_value(value, sel.sub) if sel.sub else value
    if "id" in data and "id" not in out:
        out["id"] = data["id"]
    return out


def render(sels: tuple[FieldSel, ...]) -> str:
    """A selection back as `fields=` text (for the `next` links of expanded edges)."""
    parts = []
    for sel in sels:
        text = sel.name
        if sel.limit is not None:
            text += f".limit({sel.limit})"
        for modifier in sel.modifiers:
            text += "." + modifier
        if sel.sub is not None:
            text += "{" + render(sel.sub) + "}"
        parts.append(text)
    return ",".join(parts)


def plain(names_: tuple[str, ...]) -> tuple[FieldSel, ...]:
    """A flat selection of these field names."""
    return tuple(FieldSel(n) for n in names_)
