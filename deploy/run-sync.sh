#!/usr/bin/env bash
# Run a Meltano job of this project under a lock, so a long backfill and the next timer tick
# (or an on-demand run) never sync at once. The second one skips (default) or waits, and
# says which.
#
#   deploy/run-sync.sh [JOB] [meltano run options...]     e.g. deploy/run-sync.sh meta-ads-to-postgres --full-refresh
#
# Environment:
#   MELTANO                 the meltano executable. Default: `meltano` on PATH, else the
#                           project's .venv/bin/meltano (made by `make install`).
#   TAP_META_ADS_LOCK       lock file, default /tmp/tap-meta-ads.lock.
#   TAP_META_ADS_LOCK_WAIT  seconds to wait for a running sync; 0 (default) = skip at once.
set -euo pipefail
PROJECT="$(cd "$(dirname "$0")/.." && pwd)"
JOB="${1:-meta-ads-to-postgres}"
shift $(( $# > 0 ? 1 : 0 ))
LOCK="${TAP_META_ADS_LOCK:-/tmp/tap-meta-ads.lock}"
WAIT="${TAP_META_ADS_LOCK_WAIT:-0}"
if [ -z "${MELTANO:-}" ]; then
  if command -v meltano >/dev/null 2>&1; then
    MELTANO=meltano
  elif [ -x "$PROJECT/.venv/bin/meltano" ]; then
    MELTANO="$PROJECT/.venv/bin/meltano"
  else
    echo "run-sync: meltano not found on PATH nor in $PROJECT/.venv; set MELTANO to its path" >&2
    exit 127
  fi
fi
export MELTANO_CLI_DISABLE_VERSION_CHECK="${MELTANO_CLI_DISABLE_VERSION_CHECK:-true}"

exec 9>>"$LOCK"
if ! flock --wait "$WAIT" 9; then
  echo "run-sync: another sync holds $LOCK; skipping this run of $JOB (set TAP_META_ADS_LOCK_WAIT to wait)"
  exit 0
fi
echo "run-sync: lock $LOCK taken; running meltano job $JOB with $MELTANO"
cd "$PROJECT"
"$MELTANO" run "$JOB" "$@"
