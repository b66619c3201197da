"""Contract: the sandbox's answers have the structure (keys and JSON types) of the hand-written
examples in contract/*.json, which follow Meta's documented shapes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

CONTRACTS = sorted((Path(__file__).parent / "contract").glob("*.json"))


def kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return {str: "string", list: "list", dict: "object"}[type(value)]


def check(actual: Any, example: Any, optional: set[str], path: str = "") -> None:
    assert kind(actual) == kind(example), f"{path or '<root>'}: {kind(actual)} != {kind(example)}"
    if isinstance(example, dict):
        for key, value in actual.items():
            spec_key = key if key in example else "*"
            assert spec_key in example, f"unexpected key {path}.{key}"
            check(value, example[spec_key], optional, f"{path}.{spec_key}".lstrip("."))
        for key in example:
            where = f"{path}.{key}".lstrip(".")
            if key != "*" and where not in optional:
                assert key in actual, f"missing key {where}"
    elif isinstance(example, list) and example:
        for item in actual:
            check(item, example[0], optional, path)


def fill(text: str, names: dict[str, str]) -> str:
    for name, value in names.items():
        text = text.replace("{" + name + "}", value)
    return text


@pytest.fixture(scope="module")
def names(sandbox, accounts):
    from urllib.parse import urlencode
    from urllib.request import Request, urlopen

    act = accounts[0]["id"]
    data = urlencode({"access_token": "sandbox-token", "level": "ad"}).encode()
    with urlopen(Request(f"{sandbox.base_url}/v25.0/{act}/insights", data=data), timeout=30) as r:
        run = json.loads(r.read())["report_run_id"]
    return {"account": act, "report_run": run}


@pytest.mark.parametrize("path", CONTRACTS, ids=lambda p: p.stem)
def test_contract(path, client, names):
    spec = json.loads(path.read_text())
    req = spec["request"]
    params = {k: fill(v, names) for k, v in req["params"].items()}
    params.setdefault("access_token", client.token)
    url = f"{client.base_url}{fill(req['path'], names)}"
    if req["method"] == "GET":
        resp = client.fetch(client.url(url.removeprefix(client.base_url), params))
    else:
        resp = client.fetch(url, "POST", params)
    assert resp.status == spec["status"], resp.body
    optional = set(spec["optional"])
    if "response" in spec:
        check(resp.body, spec["response"], optional)
    for name, example in spec.get("headers", {}).items():
        assert name in resp.headers, f"missing header {name}"
        check(
            json.loads(resp.headers[name]), example, {o.removeprefix(name + ".") for o in optional}
        )
