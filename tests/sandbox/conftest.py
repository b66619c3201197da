"""Fixtures for the sandbox tests: real HTTP against servers started in threads.

``sandbox`` (the default dataset, for the whole session) and ``start`` (more servers, own
config) serve with the sandbox's own ``ServerConfig`` defaults: these tests check the sandbox as
it ships, whatever app the tap's tests (``tests/conftest.py``) make it play.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from meta_ads_sandbox.config import DatasetConfig, ServerConfig
from meta_ads_sandbox.server import RunningSandbox, start_in_thread
from meta_ads_sandbox.truth import write_truth
from tests.conftest import DATASET

TOKEN = "sandbox-token"


@dataclass
class Resp:
    status: int
    headers: dict[str, str]
    body: Any
    raw: bytes = b""

    @property
    def error(self) -> dict[str, Any]:
        return self.body["error"]


@dataclass
class Client:
    """A tiny Graph client: absolute or relative URLs, token as a query parameter by default."""

    base_url: str
    token: str | None = TOKEN
    version: str = "v25.0"
    headers: dict[str, str] = field(default_factory=dict)

    def url(self, path: str, params: dict[str, Any] | None = None, token: bool = True) -> str:
        query = dict(params or {})
        if token and self.token is not None and "access_token" not in query:
            query["access_token"] = self.token
        prefix = f"/{self.version}" if self.version and not path.startswith("/v") else ""
        encoded = {k: v if isinstance(v, str) else json.dumps(v) for k, v in query.items()}
        return f"{self.base_url}{prefix}{path}" + (f"?{urlencode(encoded)}" if encoded else "")

    def fetch(
        self,
        url: str,
        method: str = "GET",
        data: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Resp:
        body = None
        if data is not None:
            body = urlencode(
                {k: v if isinstance(v, str) else json.dumps(v) for k, v in data.items()}
            ).encode()
        req = urllib.request.Request(
            url, data=body, method=method, headers={**self.headers, **(headers or {})}
        )
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                raw = r.read()
                return Resp(r.status, dict(r.headers), _json(raw), raw)
        except urllib.error.HTTPError as e:
            raw = e.read()
            return Resp(e.code, dict(e.headers), _json(raw), raw)

    def get(self, path: str, **params: Any) -> Resp:
        return self.fetch(self.url(path, params))

    def post(self, path: str, **data: Any) -> Resp:
        return self.fetch(self.url(path, {}), "POST", data)

    def walk(self, path: str, **params: Any) -> list[dict[str, Any]]:
        """Every item of an edge, following paging.next until it disappears."""
        items: list[dict[str, Any]] = []
        resp = self.get(path, **params)
        for _ in range(10_000):
            assert resp.status == 200, resp.body
            items.extend(resp.body["data"])
            nxt = resp.body.get("paging", {}).get("next")
            if not nxt:
                return items
            resp = self.fetch(nxt)
        raise AssertionError("paging never ended")


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")


@pytest.fixture
def client(sandbox: RunningSandbox) -> Client:
    return Client(sandbox.base_url)


@pytest.fixture
def client_for() -> Callable[..., Client]:
    """A client for another server, or with another token or headers."""

    def make(target: RunningSandbox | str, **kw: Any) -> Client:
        base = target if isinstance(target, str) else target.base_url
        return Client(base, **kw)

    return make


def serve(dataset: DatasetConfig = DATASET, **server: Any) -> RunningSandbox:
    """A sandbox serving ``dataset`` in a thread; ``server``: ServerConfig fields over its
    defaults."""
    return start_in_thread(dataset, ServerConfig(**server))


@pytest.fixture(scope="session")
def sandbox() -> Iterator[RunningSandbox]:
    """The default dataset, served for the whole session (never mutated by tests)."""
    with serve(DATASET, job_seconds=0.0) as running:
        yield running


@pytest.fixture
def start() -> Iterator[Callable[..., RunningSandbox]]:
    """Start extra servers (own config, may be mutated); stopped after the test."""
    started: list[RunningSandbox] = []

    def make(dataset: DatasetConfig = DATASET, **server: Any) -> RunningSandbox:
        running = serve(dataset, **server)
        started.append(running)
        return running

    yield make
    for running in started:
        running.stop()


@pytest.fixture(scope="session")
def dataset() -> DatasetConfig:
    """The default dataset config (fixed end date)."""
    return DATASET


@pytest.fixture(scope="session")
def truth(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The truth files of the default dataset."""
    out = tmp_path_factory.mktemp("truth")
    write_truth(out, DATASET)
    return out


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def jsonl() -> Callable[[Path], list[dict[str, Any]]]:
    return read_jsonl


@pytest.fixture(scope="session")
def accounts(truth: Path) -> list[dict[str, Any]]:
    return read_jsonl(truth / "adaccounts.jsonl")
