"""How long the report runs of one submitted query may take, restarts and splits included.

``job_timeout_seconds`` bounds one report run; a run that never finishes is restarted once and
then split, and each piece can time out, restart and split again: left alone, a query Meta never
produces takes many hours. So every query gets ``RESTARTS_AND_SPLITS`` job timeouts from its
first report run, shared by its restart and every piece split from it; past that the account
fails with one line and the other accounts go on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

from tap_meta_ads.graph.errors import GraphErrorInfo, GraphFatalError

if TYPE_CHECKING:
    from tap_meta_ads.insights.runs import Part

#: Job timeouts one submitted query may take: its run, the restart, one round of splits.
RESTARTS_AND_SPLITS = 3


class Deadlines:
    """When each query's report runs began (pieces of a split inherit their query's)."""

    def __init__(self, job_timeout: float) -> None:
        self.budget = RESTARTS_AND_SPLITS * job_timeout
        self._began: WeakKeyDictionary[Part, float] = WeakKeyDictionary()

    def start(self, part: Part, now: float) -> None:
        """A report run of ``part`` starts (its first, a restart, or a split piece's)."""
        self._began.setdefault(part, now)

    def inherit(self, parent: Part, children: list[Part]) -> None:
        """Split pieces share the deadline of the part they replace."""
        began = self._began.get(parent)
        if began is not None:
            for child in children:
                self._began[child] = began

    def passed(self, part: Part, now: float) -> bool:
        began = self._began.get(part)
        return began is not None and now - began >= self.budget

    def error(self, part: Part, now: float) -> GraphFatalError:
        """The account's one line."""
        began = self._began.get(part, now)
        info = GraphErrorInfo(http_status=0, message="report runs never finished")
        line = (
            f"account {part.account}: insights report {part.group} ({part.query.describe()}) "
            f"not produced after {now - began:.0f} s of report runs, restarts and splits (at "
            f"most {RESTARTS_AND_SPLITS} x job_timeout_seconds = {self.budget:.0f} s); the "
            "account's other report runs are stopped. Fix: retry later; if it persists, "
            "narrow the report (fewer breakdowns or days) or raise job_timeout_seconds"
        )
        return GraphFatalError(info, part.account, "", line=line)
