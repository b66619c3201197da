"""What happened in this run, per account and stream: the source of progress lines, the
closing summary, the exit status and the ``sync_log`` stream. It holds counts, failures and
Meta's error codes, never a secret (failure lines are built without them and redacted again
on the way in)."""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class StreamRun:
    """One stream of one account (or token) in this run."""

    subject: str  # numeric account id, or "token #N" for token-level streams, or "" for none
    stream: str
    started_at: dt.datetime = field(default_factory=_now)
    finished_at: dt.datetime | None = None
    status: str = "running"  # running, success, failed, skipped
    records: int = 0
    requests: int = 0
    retries: int = 0
    throttles: int = 0
    rate_limit_wait: float = 0.0
    error_code: int | None = None
    error_subcode: int | None = None
    error: str | None = None
    api_version: str | None = None  # the version Meta answered with (facebook-api-version)
    token_expires_at: str | None = None  # from debug_token: an ISO time, or "never"


class RunLog:
    """Thread-safe registry of StreamRun entries for one tap run."""

    def __init__(self, run_id: str | None = None, shard: str | None = None) -> None:
        self.run_id = run_id or os.environ.get("MELTANO_RUN_ID") or str(uuid.uuid4())
        self.shard = shard  # ``shard-<i>-of-<n>`` when the accounts are sharded
        self.started_at = _now()
        self._entries: dict[tuple[str, str], StreamRun] = {}
        self._failed: dict[str, list[str]] = {}
        self._lock = threading.Lock()
        self._on_finish: list[Callable[[StreamRun], None]] = []

    def on_finish(self, listener: Callable[[StreamRun], None]) -> None:
        """Call ``listener`` with each entry that finishes (success, skipped or failed)."""
        self._on_finish.append(listener)

    def entry(self, subject: str | None, stream: str) -> StreamRun:
        key = (subject or "", stream)
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                found = self._entries[key] = StreamRun(subject or "", stream)
            return found

    def count(self, subject: str, stream: str, **counts: float) -> None:
        """Add to an entry's counters (``requests=1``, ``rate_limit_wait=2.5``...)."""
        run = self.entry(subject, stream)
        with self._lock:
            for name, value in counts.items():
                setattr(run, name, getattr(run, name) + value)

    def note(self, subject: str, stream: str, **values: str) -> None:
        """Set an entry's text fields (``api_version="v27.0"``)."""
        run = self.entry(subject, stream)
        with self._lock:
            for name, value in values.items():
                setattr(run, name, value)

    def finish(self, subject: str | None, stream: str, status: str) -> None:
        run = self.entry(subject, stream)
        with self._lock:
            if run.status in ("running", "success"):
                run.status = status
            run.finished_at = _now()
        self._finished(run)

    def fail(
        self, subject: str, stream: str, line: str, code: int | None, subcode: int | None
    ) -> None:
        """Record that ``stream`` failed for ``subject``; the subject's later streams skip."""
        run = self.entry(subject, stream)
        with self._lock:
            run.status, run.error, run.error_code, run.error_subcode = (
                "failed",
                line,
                code,
                subcode,
            )
            run.finished_at = _now()
            self._failed.setdefault(subject, []).append(line)
        self._finished(run)

    def _finished(self, run: StreamRun) -> None:
        for listener in self._on_finish:  # outside the lock: a listener may read the log
            listener(run)

    def failed(self, subject: str | None) -> bool:
        with self._lock:
            return (subject or "") in self._failed

    def failures(self) -> dict[str, list[str]]:
        """Failure lines per subject, in the order they happened."""
        with self._lock:
            return {subject: list(lines) for subject, lines in self._failed.items()}

    def entries(self) -> list[StreamRun]:
        with self._lock:
            return sorted(self._entries.values(), key=lambda r: (r.subject, r.started_at))

    def totals(self) -> dict[str, StreamRun]:
        """Per subject, the sums over its streams (status failed if any stream failed)."""
        result: dict[str, StreamRun] = {}
        for run in self.entries():
            if not run.subject:
                continue
            total = result.setdefault(
                run.subject, StreamRun(run.subject, "*", run.started_at, status="success")
            )
            total.records += run.records
            total.requests += run.requests
            total.retries += run.retries
            total.throttles += run.throttles
            total.rate_limit_wait += run.rate_limit_wait
            if run.status == "failed":
                total.status = "failed"
        return result

    def sync_log_rows(self) -> list[dict[str, Any]]:
        """Rows of the ``sync_log`` stream."""
        rows = []
        for run in self.entries():
            rows.append(
                {
                    "run_id": self.run_id,
                    "account_id": run.subject,
                    "stream": run.stream,
                    "started_at": run.started_at.isoformat(),
                    "finished_at": (run.finished_at or _now()).isoformat(),
                    "status": "success" if run.status == "running" else run.status,
                    "records": run.records,
                    "api_requests": run.requests,
                    "retries": run.retries,
                    "throttles": run.throttles,
                    "rate_limit_wait_seconds": round(run.rate_limit_wait, 3),
                    "error_code": run.error_code,
                    "error_subcode": run.error_subcode,
                    "error": run.error,
                    "api_version": run.api_version,
                    "token_expires_at": run.token_expires_at,
                    "shard": self.shard,
                }
            )
        return rows

    def log_summary(self, logger: logging.Logger) -> None:
        totals = self.totals()
        if not totals:
            return
        logger.info(
            "Summary per account: account | status | records | requests | retries | "
            "throttles | rate-limit wait"
        )
        for subject, total in sorted(totals.items()):
            logger.info(
                "  %s | %s | %d | %d | %d | %d | %.1fs",
                subject,
                total.status,
                total.records,
                total.requests,
                total.retries,
                total.throttles,
                total.rate_limit_wait,
            )
