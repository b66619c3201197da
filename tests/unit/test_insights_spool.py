"""The insights spool: sorted runs on disk, merged per group on the primary key."""

from __future__ import annotations

import time

import pytest

from tap_meta_ads.insights import spool as spool_module
from tap_meta_ads.insights.ledger import Ledger
from tap_meta_ads.insights.spool import Spool, merged_rows, row_key

KEY = ("account_id", "ad_id", "date_start")


def rows(*specs: tuple[str, str, dict[str, str]]) -> list[dict[str, str]]:
    return [
        {"account_id": "1", "ad_id": ad, "date_start": day, **extra} for day, ad, extra in specs
    ]


def test_row_key_orders_by_day_then_ids_numerically_missing_last():
    unordered = [
        {"date_start": "2024-03-02", "ad_id": "9"},
        {"date_start": "2024-03-01", "ad_id": "10"},
        {"date_start": "2024-03-01", "ad_id": None},
        {"date_start": "2024-03-01", "ad_id": "9"},
        {"date_start": "2024-03-01", "ad_id": "x"},
    ]
    ordered = sorted(unordered, key=row_key(("ad_id",)))
    assert [(r["date_start"], r["ad_id"]) for r in ordered] == [
        ("2024-03-01", "9"),
        ("2024-03-01", "10"),
        ("2024-03-01", "x"),
        ("2024-03-01", None),
        ("2024-03-02", "9"),
    ]


def test_runs_merge_sorted_with_field_halves_combined(tmp_path):
    spool = Spool(tmp_path)
    left = spool.writer(row_key(KEY), run_rows=2)
    left.add(
        rows(
            ("2024-03-02", "5", {"spend": "1"}),
            ("2024-03-01", "7", {"spend": "2"}),
            ("2024-03-01", "5", {"spend": "3"}),
        )
    )
    right = spool.writer(row_key(KEY), run_rows=10)
    right.add(rows(("2024-03-01", "5", {"reach": "4"}), ("2024-03-02", "5", {"reach": "5"})))
    paths = left.finish() + right.finish()
    assert len(paths) == 3
    merged = list(merged_rows(spool, paths, row_key(KEY)))
    assert merged == rows(
        ("2024-03-01", "5", {"spend": "3", "reach": "4"}),
        ("2024-03-01", "7", {"spend": "2"}),
        ("2024-03-02", "5", {"spend": "1", "reach": "5"}),
    )
    assert list(tmp_path.iterdir()) == []


def test_many_runs_are_merged_in_passes(tmp_path, monkeypatch):
    monkeypatch.setattr(spool_module, "MAX_OPEN_RUNS", 3)
    spool = Spool(tmp_path)
    writer = spool.writer(row_key(KEY), run_rows=1)
    writer.add(rows(*((f"2024-03-{d:02d}", str(ad), {}) for d in (3, 1, 2) for ad in (2, 1))))
    paths = writer.finish()
    assert len(paths) == 6
    merged = list(merged_rows(spool, paths, row_key(KEY)))
    assert [(r["date_start"][-2:], r["ad_id"]) for r in merged] == [
        ("01", "1"),
        ("01", "2"),
        ("02", "1"),
        ("02", "2"),
        ("03", "1"),
        ("03", "2"),
    ]
    assert list(tmp_path.iterdir()) == []


def test_discarded_writer_leaves_no_files(tmp_path):
    writer = Spool(tmp_path).writer(row_key(KEY), run_rows=1)
    writer.add(rows(("2024-03-01", "1", {}), ("2024-03-01", "2", {})))
    writer.discard()
    assert list(tmp_path.iterdir()) == []


def test_ledger_failure_drops_files_and_is_raised(tmp_path):
    spool = Spool(tmp_path)
    ledger = Ledger(spool, time.monotonic)
    ledger.open_parts("g", KEY, 2)
    writer = spool.writer(row_key(KEY), run_rows=10)
    writer.add(rows(("2024-03-01", "1", {})))
    ledger.close_part("g", writer.finish())
    assert ledger.fail("g", RuntimeError("boom"))
    assert not ledger.fail("g", RuntimeError("second"))
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(RuntimeError, match="boom"):
        list(ledger.rows("g"))
    ledger.open_parts("h", KEY, 1)
    with pytest.raises(ValueError, match="primary key"):
        ledger.open_parts("h", ("id",), 1)
