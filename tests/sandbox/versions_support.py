"""Helpers shared by the tests of versions, new-app mode and the 2026 insights rules."""

from __future__ import annotations

import json
import time
from typing import Any

VERSIONS = ("v25.0", "v26.0", "v27.0")
DONE = ("Job Completed", "Job Failed", "Job Skipped")


def batch(
    client: Any, items: list[dict[str, Any]], version: str | None = "v25.0", **extra: Any
) -> Any:
    """POST a batch to `/<version>/` (or `/`) with the client's token."""
    url = f"{client.base_url}/{version}/" if version else f"{client.base_url}/"
    data = {"access_token": client.token, "batch": json.dumps(items), **extra}
    return client.fetch(url, "POST", data)


def poll(client: Any, run_id: str, timeout: float = 10.0) -> dict[str, Any]:
    """The report run once it has ended."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = client.get(f"/{run_id}").body
        if body["async_status"] in DONE:
            return body
        time.sleep(0.02)
    raise AssertionError("job never ended")


def refused_as_new_app(resp: Any, param: str) -> None:
    """The new-app refusal: HTTP 400, (#100) Invalid parameter, the parameter blamed."""
    assert resp.status == 400, resp.body
    err = resp.error
    assert err["code"] == 100
    assert err["message"] == "(#100) Invalid parameter"
    assert err["type"] == "OAuthException"
    assert err["error_data"] == {"blame_field_specs": [[param]]}
    assert "November 4, 2026" in err["error_user_msg"]
    assert err["is_transient"] is False
