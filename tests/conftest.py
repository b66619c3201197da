"""The one way the tests start the sandbox: in this process, or as a subprocess for Meltano.

- ``sandbox``: the default dataset (fixed end date), served in a thread for the whole
  session; tests read it and never change it.
- ``start_sandbox``: more in-process servers with their own dataset and behaviour (tests may
  change them: advance epochs, revoke access); stopped after the test.
- ``tap_sandbox``: the small world of the SDK's standard tests (``tests/test_core.py``).
- ``sandbox_process``: ``meta-ads-sandbox serve`` as a subprocess, for the end-to-end tests,
  where Meltano, the tap and the target run as processes of their own.

Every server listens on a free loopback port chosen by the system, so pytest-xdist workers
never share one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import date
from typing import Any

import pytest

from meta_ads_sandbox.config import DatasetConfig, ServerConfig
from meta_ads_sandbox.server import RunningSandbox, start_in_thread

#: The default dataset of the in-process sandbox: its end date is fixed, so the data never
#: depends on the calendar.
DATASET = DatasetConfig(end_date=date(2026, 11, 21))
#: The world of the SDK's standard tests: small, with the same fixed end date (the tests give
#: the tap that window).
TAP_DATASET = DatasetConfig(
    seed=3, accounts=2, campaigns=2, adsets=2, ads=2, days=5, end_date=DATASET.end_date
)


#: The sandbox plays an app created today, as a new user's is: v27.0 only, and none of what v27
#: forbids new apps (multi-ID requests, date_format, aliases, method override, JSONP, async
#: batch). Tests of older apps say so with their own ``app_created_version``.
NEW_APP = {"new_app": True, "app_created_version": "v27.0"}


def serve(dataset: DatasetConfig = DATASET, **server: Any) -> RunningSandbox:
    """A sandbox serving ``dataset`` in a daemon thread; ``server``: ServerConfig fields."""
    return start_in_thread(dataset, ServerConfig(**{**NEW_APP, **server}))


@pytest.fixture(scope="session")
def sandbox() -> Iterator[RunningSandbox]:
    """The default dataset, served for the whole session (never mutated by tests)."""
    with serve(DATASET, job_seconds=0.0) as running:
        yield running


@pytest.fixture
def start_sandbox() -> Iterator[Callable[..., RunningSandbox]]:
    """Start extra in-process servers (own config, may be mutated); stopped after the test."""
    started: list[RunningSandbox] = []

    def start(dataset: DatasetConfig = DATASET, **server: Any) -> RunningSandbox:
        running = serve(dataset, **server)
        started.append(running)
        return running

    yield start
    for running in started:
        running.stop()


@pytest.fixture(scope="session")
def tap_sandbox() -> Iterator[RunningSandbox]:
    """The sandbox of the SDK's standard tap tests, started when they first need it."""
    with serve(TAP_DATASET, job_seconds=0.2) as running:
        yield running


@pytest.fixture
def sandbox_process(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[..., AbstractContextManager[Any]]]:
    """``sandbox_process(dataset_args, behaviour_args)``: a ``meta-ads-sandbox serve``
    subprocess as a context manager yielding a ``tests.support.Sandbox``.

    Its log and truth files go to a folder of their own, outside the test's ``tmp_path``: the
    end-to-end tests search what the runs wrote there for secrets, and the truth names the
    sandbox's tokens. Any process still running after the test is stopped.
    """
    from tests.support import Sandbox  # heavy imports only for the tests that use it

    started: list[Sandbox] = []

    @contextmanager
    def start(dataset: list[str], behaviour: list[str] | None = None) -> Iterator[Any]:
        process = Sandbox.start(dataset, behaviour, tmp_path_factory.mktemp("sandbox"))
        started.append(process)
        try:
            yield process
        finally:
            process.stop()

    yield start
    for process in started:
        process.stop()
