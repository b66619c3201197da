"""Dagster definitions: one asset partitioned by shard, a 15-minute schedule, per-shard retries.

Each partition (``shard-<i>-of-<n>``, n from ``TAP_META_ADS_SHARD_COUNT``, default 4) is one
``meltano run`` of that shard, after its state is rebalanced (orchestrate.state). The schedule
asks for one run per partition every 15 minutes, so a failed shard is retried (RetryPolicy)
and shown on its own, and the others are neither rerun nor held back. The job runs on
Dagster's multiprocess executor: each shard's step in a process of its own, so the run
launcher can start several shards' runs side by side (Kubernetes or Celery executors take the
same definitions in production).
"""

# No ``from __future__ import annotations``: Dagster reads the asset's parameter annotations
# (context, resources) at definition time and refuses them as strings.
import os
from pathlib import Path

import dagster as dg

from orchestrate.meltano import MeltanoProject, default_meltano
from tap_meta_ads.shards import state_suffix

ROOT = Path(__file__).resolve().parents[1]
SHARD_COUNT = int(os.environ.get("TAP_META_ADS_SHARD_COUNT") or 4)
JOB_NAME = "meta_ads_shards"


class MeltanoShards(dg.ConfigurableResource):  # type: ignore[type-arg]
    """The Meltano project the shards run in (the environment gives the tap and the target)."""

    project_dir: str = str(ROOT)
    meltano: str = ""
    environment: str = "dev"

    def project(self) -> MeltanoProject:
        return MeltanoProject(
            Path(self.project_dir),
            meltano=self.meltano or default_meltano(),
            environment=self.environment,
        )


def shard_of_key(key: str) -> tuple[int, int]:
    """``shard-1-of-4`` -> ``(1, 4)``."""
    _, index, _, count = key.split("-")
    return int(index), int(count)


def shard_asset(count: int) -> dg.AssetsDefinition:
    """The asset of ``count`` shards: one partition per shard."""
    partitions = dg.StaticPartitionsDefinition([state_suffix(i, count) for i in range(count)])

    @dg.asset(
        name="meta_ads_shard",
        partitions_def=partitions,
        retry_policy=dg.RetryPolicy(max_retries=2, delay=30, backoff=dg.Backoff.EXPONENTIAL),
        group_name="meta_ads",
        kinds={"meltano", "postgres"},
    )
    def meta_ads_shard(
        context: dg.AssetExecutionContext, meltano: MeltanoShards
    ) -> dg.MaterializeResult:  # type: ignore[type-arg]
        """One shard's sync: its state rebalanced, then ``meltano run`` of tap and target."""
        index, shards = shard_of_key(context.partition_key)
        run = meltano.project().run_shard(index, shards)
        for stream, account, source in run.taken:
            context.log.info("bookmark of account %s (%s) taken from %s", account, stream, source)
        if run.returncode != 0:
            context.log.error("%s", run.stderr_tail)
            raise dg.Failure(
                description=f"{run.suffix}: meltano run exited {run.returncode}",
                metadata={"stderr": dg.MetadataValue.text(run.stderr_tail)},
            )
        return dg.MaterializeResult(
            metadata={
                "shard": run.suffix,
                "seconds": round(run.seconds, 1),
                "bookmarks_taken": len(run.taken),
            }
        )

    return meta_ads_shard


def build_defs(count: int) -> dg.Definitions:
    """The asset of ``count`` shards, its job and its 15-minute schedule."""
    asset = shard_asset(count)
    job = dg.define_asset_job(JOB_NAME, selection=[asset], executor_def=dg.multiprocess_executor)
    keys = [state_suffix(i, count) for i in range(count)]

    @dg.schedule(cron_schedule="*/15 * * * *", job=job, execution_timezone="UTC")
    def every_15_minutes(context: dg.ScheduleEvaluationContext) -> list[dg.RunRequest]:
        """One run per shard every 15 minutes (each retried and recorded on its own)."""
        when = context.scheduled_execution_time
        tick = when.isoformat() if when else ""
        return [dg.RunRequest(run_key=f"{key}@{tick}", partition_key=key) for key in keys]

    return dg.Definitions(
        assets=[asset],
        jobs=[job],
        schedules=[every_15_minutes],
        resources={"meltano": MeltanoShards()},
    )


defs = build_defs(SHARD_COUNT)


def shards_job() -> dg.JobDefinition:
    """The job of ``defs``, for ``dg.reconstructable`` (a process re-imports this module)."""
    return defs.resolve_job_def(JOB_NAME)
