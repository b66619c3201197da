"""The Marketing API versions the tap supports, and those Meta has retired (Meta's version table).

An app can call only the version current when it was created, or a newer one; older ones answer
``(#2635)``. Versions expire for the Marketing API on the dates below.
"""

from __future__ import annotations

import datetime as dt

#: Newest first; each with its Marketing API expiry when Meta has announced it.
SUPPORTED: dict[str, dt.date | None] = {
    "v27.0": None,
    "v26.0": None,
    "v25.0": dt.date(2027, 2, 23),
}
NEWEST = next(iter(SUPPORTED))
#: Versions whose Marketing API calls have expired.
EXPIRED: dict[str, dt.date] = {
    "v22.0": dt.date(2026, 2, 19),
    "v23.0": dt.date(2026, 6, 9),
    "v24.0": dt.date(2026, 11, 10),
}
