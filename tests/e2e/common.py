"""What the end-to-end tests share: the last day of their worlds, the settings of a short run."""

from __future__ import annotations

import datetime as dt

#: The sandboxes' last day of insights (``--end-date``): yesterday.
END = dt.date.today() - dt.timedelta(days=1)


def fast(start: dt.date, **more: str) -> dict[str, str]:
    """Settings that keep a run short: insights from ``start``, quick polls, a fast pacer.

    Every run re-reads the whole lookback window (``full_lookback_hours`` 0): the tests compare
    every row with the truth after Meta restates days (tests/integration/test_tiered_lookback.py
    covers the default, recent days with the whole window once a day).
    """
    return {
        "start_date": start.isoformat(),
        "job_poll_seconds": "0.2",
        "requests_per_second": "20",
        "full_lookback_hours": "0",
        **more,
    }
