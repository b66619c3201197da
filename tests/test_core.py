"""The SDK's standard tap tests, run against a sandbox in this process."""

from __future__ import annotations

import atexit

from singer_sdk.testing import get_tap_test_class

from meta_ads_sandbox.config import DatasetConfig, ServerConfig
from meta_ads_sandbox.server import start_in_thread
from tap_meta_ads.tap import TapMetaAds

_SANDBOX = start_in_thread(
    DatasetConfig(seed=3, accounts=2, campaigns=2, adsets=2, ads=2, days=5),
    ServerConfig(job_seconds=0.2),
)
atexit.register(_SANDBOX.stop)

CONFIG = {
    "api_url": _SANDBOX.base_url,
    "access_token": "sandbox-token",
    "requests_per_second": 100.0,
    "job_poll_seconds": 0.1,
}

TestTapMetaAds = get_tap_test_class(tap_class=TapMetaAds, config=CONFIG)
