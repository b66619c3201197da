#!/usr/bin/env bash
# make demo: the main job, `meltano run tap-meta-ads target-postgres`, against the local
# Marketing API sandbox and a throwaway PostgreSQL, then row counts next to the sandbox's truth.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
WORK=$(mktemp -d /tmp/tap-meta-ads-demo.XXXXXX)
chmod 755 "$WORK"
END_DATE=$(date -u -d yesterday +%F)
START_DATE=$(date -u -d "$END_DATE - 29 days" +%F)
DATASET=(--seed 7 --accounts 3 --campaigns 3 --adsets 2 --ads 2 --days 30 --end-date "$END_DATE")
SANDBOX_PID=""

cleanup() {
  [ -n "$SANDBOX_PID" ] && kill "$SANDBOX_PID" 2>/dev/null || true
  "$BIN/python" scripts/throwaway_postgres.py stop "$WORK/pg" || true
  rm -rf "$WORK"
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

export TAP_META_ADS_API_URL="$SANDBOX_URL"
export TAP_META_ADS_ACCESS_TOKEN="sandbox-token"
export TAP_META_ADS_START_DATE="$START_DATE"   # the sandbox's whole insights history
export TARGET_POSTGRES_HOST=127.0.0.1 TARGET_POSTGRES_PORT="$PG_PORT"
export TARGET_POSTGRES_USER=meltano TARGET_POSTGRES_PASSWORD=meltano TARGET_POSTGRES_DATABASE=warehouse
export MELTANO_DATABASE_URI="sqlite:///$WORK/meltano.db"

echo "== meltano install"
"$BIN/meltano" install --clean >/dev/null 2>"$WORK/install.log" || { cat "$WORK/install.log"; exit 1; }
echo "== meltano run tap-meta-ads target-postgres"
"$BIN/meltano" run tap-meta-ads target-postgres 2>&1 | tee "$WORK/run.log" | grep -E "Summary per account| [0-9]+ \| [0-9]+ \| |ERROR|FAILED" || true
[ "${PIPESTATUS[0]}" -eq 0 ] || { echo "meltano run failed; see the log above"; exit 1; }

echo "== Row counts in PostgreSQL (schema meta_ads) next to the sandbox's truth"
"$BIN/meta-ads-sandbox" truth --out "$WORK/truth" "${DATASET[@]}"
"$BIN/python" scripts/warehouse_check.py --truth "$WORK/truth" --port "$PG_PORT" --insights-since "$START_DATE"

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

cat <<TXT

== Pointing the same project at Meta and your own database
   export TAP_META_ADS_ACCESS_TOKEN=<System User token with ads_read>
   export TAP_META_ADS_ACCOUNT_IDS='["act_1234567890"]'      # or leave unset: every active account
   unset TAP_META_ADS_API_URL                                  # back to https://graph.facebook.com
   export TARGET_POSTGRES_HOST=... TARGET_POSTGRES_PORT=5432 TARGET_POSTGRES_USER=... \\
          TARGET_POSTGRES_PASSWORD=... TARGET_POSTGRES_DATABASE=...
   .venv/bin/meltano run tap-meta-ads target-postgres
TXT
