"""Sharded runs of tap-meta-ads: state rebalancing (no Dagster needed) and Dagster definitions.

``dagster dev -m orchestrate`` loads ``defs`` (install the extra: ``pip install -e
'.[orchestrate]'``); ``orchestrate.state``, ``orchestrate.meltano`` and ``orchestrate.cli`` work
without Dagster, so the rebalance is usable from cron and tested in the fast tier.
"""

from __future__ import annotations

from importlib.util import find_spec

if find_spec("dagster") is not None:
    from orchestrate.definitions import defs

    __all__ = ["defs"]
