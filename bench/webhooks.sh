#!/usr/bin/env bash
# Webhook delivery benchmark of a release build, SQLite then PostgreSQL.
#   bench/webhooks.sh <path to openwa binary>
# For each backend: a fresh daemon (sandbox engine, rate limits raised, the receiver's 127.0.0.1
# allowed past the SSRF guard), then bench/webhook-load against it:
#   saturation: as many events as CONCURRENCY clients can make for SECONDS, into one session and
#               then spread over SESSIONS_MANY sessions (a webhook each); every one must be
#               delivered; reports events made per second, deliveries per second and the delays;
#   latency:    a fixed RATE events/s for LATENCY_SECONDS; reports the event-to-delivery delays;
#   drain:      BACKLOG_SECONDS of events queued while the receiver holds its answers, then the
#               outbox drained: deliveries per second of the dispatcher alone (1 and SESSIONS_MANY
#               webhooks).
# PostgreSQL is skipped when none answers at PG_URL (a database is created and dropped).
set -euo pipefail
bin=${1:?usage: bench/webhooks.sh <openwa binary>}
SECONDS_RUN=${SECONDS_RUN:-60}
LATENCY_SECONDS=${LATENCY_SECONDS:-30}
RATE=${RATE:-200}
BACKLOG_SECONDS=${BACKLOG_SECONDS:-10}
CONCURRENCY=${CONCURRENCY:-32}
# Sessions the saturation load spreads over: one session's events are stored in order, one at a time.
SESSIONS_MANY=${SESSIONS_MANY:-8}
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/daemon.sh"
cargo build --release --quiet --manifest-path "$here/webhook-load/Cargo.toml"
load="${CARGO_TARGET_DIR:-$here/webhook-load/target}/release/webhook-load"

run_backend() { # label, extra env...
    local label=$1; shift
    # WEBHOOK_TIMEOUT outlasts the drain phase's hold; the receiver answers at once otherwise.
    start_daemon "$bin" SSRF_ALLOWED_HOSTS=127.0.0.1 WEBHOOK_TIMEOUT=120000 "$@"
    "$load" --base "$base" --key "$key" --seconds "$SECONDS_RUN" --concurrency "$CONCURRENCY" --label "$label saturation, 1 session ($CONCURRENCY clients, ${SECONDS_RUN}s)"
    "$load" --base "$base" --key "$key" --seconds "$SECONDS_RUN" --concurrency "$CONCURRENCY" --sessions "$SESSIONS_MANY" --label "$label saturation, $SESSIONS_MANY sessions ($CONCURRENCY clients, ${SECONDS_RUN}s)"
    "$load" --base "$base" --key "$key" --seconds "$LATENCY_SECONDS" --rate "$RATE" --concurrency 8 --label "$label latency ($RATE events/s, ${LATENCY_SECONDS}s)"
    # The dispatcher alone: the receiver holds its answers while BACKLOG_SECONDS of events pile up
    # in the outbox, then the drain is timed.
    "$load" --base "$base" --key "$key" --seconds "$BACKLOG_SECONDS" --concurrency "$CONCURRENCY" --backlog --label "$label drain, 1 webhook (${BACKLOG_SECONDS}s of events)"
    "$load" --base "$base" --key "$key" --seconds "$BACKLOG_SECONDS" --concurrency "$CONCURRENCY" --sessions "$SESSIONS_MANY" --backlog --label "$label drain, $SESSIONS_MANY webhooks (${BACKLOG_SECONDS}s of events)"
    stop_daemon
}

run_backend sqlite
db="openwa_bench_$$"
if python3 - "$PG_URL" "$db" create <<'PY' 2>/dev/null
import socket, sys, urllib.parse
u = urllib.parse.urlparse(sys.argv[1])
socket.create_connection((u.hostname, u.port or 5432), timeout=2).close()
PY
then
    psql "$PG_URL/postgres" -qc "CREATE DATABASE $db" >/dev/null
    trap 'psql "$PG_URL/postgres" -qc "DROP DATABASE IF EXISTS $db" >/dev/null' EXIT
    run_backend postgres DATABASE_URL="$PG_URL/$db"
else
    echo "postgres: skipped (nothing answers at $PG_URL)"
fi
