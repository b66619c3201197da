#!/usr/bin/env bash
# make demo: the main job, `meltano run tap-meta-ads target-postgres dbt-postgres:build`, against
# the local Marketing API sandbox and a throwaway PostgreSQL; then every table next to the
# sandbox's truth and a few rows of the dbt per-client report.
# KEEP=1 (make demo KEEP=1) leaves the PostgreSQL running to explore, and says how to stop it.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
KEEP=${KEEP:-}
WORK=$(mktemp -d /tmp/tap-meta-ads-demo.XXXXXX)
chmod 755 "$WORK"
END_DATE=$(date -u -d yesterday +%F)
START_DATE=$(date -u -d "$END_DATE - 29 days" +%F)
DATASET=(--seed 7 --accounts 3 --campaigns 3 --adsets 2 --ads 2 --days 30 --end-date "$END_DATE")
SANDBOX_PID=""
PG_PORT=""
LOADED=""   # set once the run loaded and the report printed: KEEP keeps the warehouse then

cleanup() {
  [ -n "$SANDBOX_PID" ] && kill "$SANDBOX_PID" 2>/dev/null || true
  if [ -n "$KEEP" ] && [ -n "$LOADED" ]; then
    find "$WORK" -mindepth 1 -maxdepth 1 ! -name pg -exec rm -rf {} +   # the warehouse stays
  else
    "$BIN/python" scripts/throwaway_postgres.py stop "$WORK/pg" || true
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT

echo "== Starting a throwaway PostgreSQL on loopback"
PG_PORT=$("$BIN/python" scripts/throwaway_postgres.py start "$WORK/pg")

echo "== Starting the Marketing API sandbox"
"$BIN/meta-ads-sandbox" serve --host 127.0.0.1 --port 0 "${DATASET[@]}" > "$WORK/sandbox.out" 2> "$WORK/sandbox.log" &
SANDBOX_PID=$!
for _ in $(seq 100); do [ -s "$WORK/sandbox.out" ] && break; sleep 0.1; done
SANDBOX_URL=$(head -n 1 "$WORK/sandbox.out")
echo "   sandbox at $SANDBOX_URL"
"$BIN/meta-ads-sandbox" truth --out "$WORK/truth" "${DATASET[@]}" > /dev/null

export TAP_META_ADS_API_URL="$SANDBOX_URL"
export TAP_META_ADS_ACCESS_TOKEN="sandbox-token"
export TAP_META_ADS_START_DATE="$START_DATE"   # the sandbox's whole insights history
# each account under a client label and id (two accounts share a client)
TAP_META_ADS_ACCOUNTS=$("$BIN/python" scripts/demo_warehouse.py accounts --truth "$WORK/truth")
export TAP_META_ADS_ACCOUNTS
export TARGET_POSTGRES_HOST=127.0.0.1 TARGET_POSTGRES_PORT="$PG_PORT"
export TARGET_POSTGRES_USER=meltano TARGET_POSTGRES_PASSWORD=meltano TARGET_POSTGRES_DATABASE=warehouse
export MELTANO_DATABASE_URI="sqlite:///$WORK/meltano.db"
export DBT_TARGET_PATH="$WORK/dbt/target" DBT_LOG_PATH="$WORK/dbt/logs"

echo "== meltano install"
"$BIN/meltano" install --clean >/dev/null 2>"$WORK/install.log" || { cat "$WORK/install.log"; exit 1; }
echo "== meltano run tap-meta-ads target-postgres dbt-postgres:build"
RUN=0
"$BIN/meltano" run tap-meta-ads target-postgres dbt-postgres:build > "$WORK/run.log" 2>&1 || RUN=$?
# the tap's warnings and errors show at their level (structured-logging), and each stream's end
grep -E "\[(warning|error) *\]|progress: .* finished: |Summary per account| [0-9]+ \| [0-9]+ \| |ERROR|FAILED|Finished running|Done\. PASS" \
  "$WORK/run.log" || true
[ "$RUN" -eq 0 ] || { tail -n 40 "$WORK/run.log"; echo "meltano run failed (exit $RUN)"; exit 1; }

echo "== Every table in PostgreSQL (schema meta_ads) next to the sandbox's truth"
CHECK=0
"$BIN/python" scripts/demo_warehouse.py check --truth "$WORK/truth" --port "$PG_PORT" \
  --insights-since "$START_DATE" || CHECK=1

echo "== What happened in this run (table sync_log, one row per account and stream)"
"$BIN/python" - "$PG_PORT" <<'PY'
import sys
import psycopg
with psycopg.connect(host="127.0.0.1", port=int(sys.argv[1]), user="meltano",
                     password="meltano", dbname="warehouse") as conn:
    rows = conn.execute(
        "SELECT account_id, count(*), sum(records), sum(api_requests), "
        "string_agg(DISTINCT status, ',') FROM meta_ads.sync_log GROUP BY 1 ORDER BY 1"
    ).fetchall()
print(f"{'account':<18}{'streams':>8}{'records':>9}{'requests':>9}  status")
for account, streams, records, requests, status in rows:
    print(f"{account:<18}{streams:>8}{records:>9}{requests:>9}  {status}")
PY

echo "== Spend and conversions per client and day, last 3 days (dbt: meta_ads_reporting.client_daily_performance)"
"$BIN/python" scripts/demo_warehouse.py report --port "$PG_PORT" --days 3

cat <<TXT

== Pointing the same project at Meta and your own database
   export TAP_META_ADS_ACCESS_TOKEN=<System User token with ads_read>
   export TAP_META_ADS_ACCOUNT_IDS='["act_1234567890"]'      # or leave unset: every active account
   unset TAP_META_ADS_API_URL                                  # back to https://graph.facebook.com
   export TARGET_POSTGRES_HOST=... TARGET_POSTGRES_PORT=5432 TARGET_POSTGRES_USER=... \\
          TARGET_POSTGRES_PASSWORD=... TARGET_POSTGRES_DATABASE=...
   .venv/bin/meltano run tap-meta-ads target-postgres dbt-postgres:build
TXT
LOADED=1
if [ -n "$KEEP" ]; then
  PSQL=$(command -v psql || echo "$(pg_config --bindir)/psql")
  cat <<TXT

== The warehouse keeps running (KEEP=1): raw tables in meta_ads, dbt models in
   meta_ads_staging and meta_ads_reporting. Connect with:
   PGPASSWORD=meltano $PSQL -h 127.0.0.1 -p $PG_PORT -U meltano -d warehouse
   Stop it (and remove its files) with:
   $PWD/$BIN/python $PWD/scripts/throwaway_postgres.py stop $WORK/pg && rm -rf $WORK
TXT
fi
exit "$CHECK"
