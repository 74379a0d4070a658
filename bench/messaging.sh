#!/usr/bin/env bash
# Messaging benchmark of a release build, SQLite then PostgreSQL.
#   bench/messaging.sh <path to openwa binary>
# For each backend, a fresh daemon (sandbox engine, sessions auto-linked, BULK_MIN_DELAY_MS=0):
#   bulk:    for 1 and for SESSIONS sessions, BATCHES batches of 100 text messages each with a zero
#            delay, timed from the first send-bulk to the last batch completed; RUNS runs, messages
#            per second as median and range.
#   history: ROWS messages written straight into one session's table (20 chats, both directions),
#            then wrk (1 connection, DURATION) on history pages: the newest page (with its total),
#            one chat, the incoming ones, a page 90% deep by cursor and the same depth by offset;
#            mean and p99 latency.
# PostgreSQL is skipped when none answers at PG_URL (a database is created and dropped).
set -euo pipefail
bin=${1:?usage: bench/messaging.sh <openwa binary>}
RUNS=${RUNS:-3}
SESSIONS=${SESSIONS:-4}
BATCHES=${BATCHES:-5}
ROWS=${ROWS:-1000000}
# BULK=0 or HISTORY=0 leaves that part out; SQLITE=0 or POSTGRES=0 that backend.
BULK=${BULK:-1}
HISTORY=${HISTORY:-1}
SQLITE=${SQLITE:-1}
POSTGRES=${POSTGRES:-1}
DURATION=${DURATION:-10s}
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/daemon.sh"
command -v wrk >/dev/null || { echo "bench: wrk is not installed (apt-get install wrk)" >&2; exit 1; }

api() { curl -fsS -H "X-API-Key: $key" -H 'Content-Type: application/json' "$@"; }
json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }

ready_sessions() { # count -> ids on stdout, once all are ready
    local ids=()
    for i in $(seq 1 "$1"); do
        local id
        id=$(api -X POST "$base/api/sessions" -d "{\"name\":\"bench-$RANDOM-$i\"}" | json '["id"]')
        api -X POST "$base/api/sessions/$id/start" >/dev/null
        ids+=("$id")
    done
    for id in "${ids[@]}"; do
        for _ in $(seq 1 200); do
            [ "$(api "$base/api/sessions/$id" | json '["status"]')" = ready ] && break
            sleep 0.05
        done
    done
    printf '%s\n' "${ids[@]}"
}

bulk_run() { # sessions -> messages/s
    local -a ids urls
    mapfile -t ids < <(ready_sessions "$1")
    local body
    body=$(python3 -c '
import json
msgs = [{"chatId": f"6281234{n:05d}@c.us", "type": "text", "content": {"text": "Hello {{n}}, your order shipped"}, "variables": {"n": n}} for n in range(100)]
print(json.dumps({"messages": msgs, "options": {"delayBetweenMessages": 0, "randomizeDelay": False}}))')
    local start end
    start=$(date +%s.%N)
    for id in "${ids[@]}"; do
        for _ in $(seq 1 "$BATCHES"); do
            urls+=("$(api -X POST "$base/api/sessions/$id/messages/send-bulk" -d "$body" | json '["statusUrl"]')")
        done
    done
    for url in "${urls[@]}"; do
        until [ "$(api "$base$url" | json '["status"]')" = completed ]; do sleep 0.02; done
    done
    end=$(date +%s.%N)
    python3 -c "print(f'{${#ids[@]} * $BATCHES * 100 / ($end - $start):.0f}')"
}

bulk() { # label
    for s in 1 "$SESSIONS"; do
        local results=()
        for _ in $(seq 1 "$RUNS"); do results+=("$(bulk_run "$s")"); done
        printf '%s\n' "${results[@]}" | python3 -c '
import sys, statistics
v = sorted(float(l) for l in sys.stdin if l.strip())
print(f"{sys.argv[1]} bulk, {sys.argv[2]} session(s) x {sys.argv[3]} batches of 100, zero delay: {statistics.median(v):.0f} messages/s (runs {v[0]:.0f}-{v[-1]:.0f})")' "$1" "$s" "$BATCHES"
    done
}

fill_sqlite() { # session id
    python3 - "$dir/openwa.sqlite" "$1" "$ROWS" <<'PY'
import sqlite3, sys, time, uuid
path, sid, rows = sys.argv[1], sys.argv[2], int(sys.argv[3])
db = sqlite3.connect(path, timeout=30)
now = int(time.time())
def gen():
    for i in range(rows):
        chat = f"62812000{i % 20:04d}@c.us"
        out = i % 2 == 0
        wa = f"{'true' if out else 'false'}_{chat}_3EB0{i:016X}"
        yield (str(uuid.uuid4()), sid, wa, chat, "628111@c.us" if out else chat, chat if out else "628111@c.us",
               f"message {i}", "text", "outgoing" if out else "incoming", now - rows + i, None,
               "sent" if out else "received", (now - rows + i) * 1_000_000)
db.executemany("INSERT INTO messages (id, session_id, wa_message_id, chat_id, from_jid, to_jid, body, msg_type, direction, timestamp, metadata, status, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", gen())
db.commit()
db.execute("ANALYZE")
PY
}

fill_postgres() { # database url, session id
    # One statement of a million rows would update each per-chat counter row 25000 times in one
    # transaction (PostgreSQL walks an ever longer version chain: quadratic), so the counting
    # triggers are off for the load and the counters are computed once after it.
    psql "$1" -q <<SQL
BEGIN;
SET LOCAL session_replication_role = replica;
INSERT INTO messages (id, session_id, wa_message_id, chat_id, from_jid, to_jid, body, msg_type, direction, timestamp, metadata, status, created_at)
SELECT md5(i::text || random()::text), '$2',
       (CASE WHEN i % 2 = 0 THEN 'true' ELSE 'false' END) || '_62812000' || lpad((i % 20)::text, 4, '0') || '@c.us_3EB0' || lpad(to_hex(i), 16, '0'),
       '62812000' || lpad((i % 20)::text, 4, '0') || '@c.us', '628111@c.us', '628111@c.us', 'message ' || i, 'text',
       CASE WHEN i % 2 = 0 THEN 'outgoing' ELSE 'incoming' END, extract(epoch from now())::bigint - $ROWS + i, NULL,
       CASE WHEN i % 2 = 0 THEN 'sent' ELSE 'received' END, (extract(epoch from now())::bigint - $ROWS + i) * 1000000
FROM generate_series(0, $ROWS - 1) AS i;
INSERT INTO message_counts (session_id, chat_id, direction, msg_type, n)
SELECT session_id, chat_id, direction, msg_type, COUNT(*) FROM messages WHERE session_id = '$2'
GROUP BY session_id, chat_id, direction, msg_type
ON CONFLICT (session_id, chat_id, direction, msg_type) DO UPDATE SET n = message_counts.n + EXCLUDED.n;
COMMIT;
ANALYZE messages;
SQL
}

history() { # label, fill command...
    local label=$1; shift
    local id
    id=$(ready_sessions 1)
    local t0
    t0=$(date +%s)
    "$@" "$id"
    echo "$label history: $ROWS rows written in $(( $(date +%s) - t0 )) s"
    # The row 90% of the way down, newest first: the cursor for a deep page.
    local deep
    deep=$(api "$base/api/sessions/$id/messages?limit=100&offset=$(( ROWS * 9 / 10 ))" | json '["messages"][0]["id"]')
    for q in "limit=50" "limit=50&chatId=628120000007@c.us" "limit=50&direction=incoming" \
             "limit=50&after=$deep" "limit=50&offset=$(( ROWS * 9 / 10 ))"; do
        wrk -t1 -c1 -d"$DURATION" --latency -H "X-API-Key: $key" "$base/api/sessions/$id/messages?$q" | python3 -c '
import re, sys
out = sys.stdin.read()
def ms(v, u): return float(v) * {"us": 0.001, "ms": 1, "s": 1000}[u]
avg = re.search(r"Latency\s+([\d.]+)(us|ms|s)", out)
p99 = re.search(r"\s99%\s+([\d.]+)(us|ms|s)", out)
rps = re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)
err = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
print(f"{sys.argv[1]} history ?{sys.argv[2]}: mean {ms(*avg.groups()):.2f} ms, p99 {ms(*p99.groups()):.2f} ms, {float(rps):.0f} pages/s, non-2xx {err.group(1) if err else 0}")' "$label" "${q/after=*/after=<cursor 90% deep>}"
    done
}

if [ "$SQLITE" != 0 ]; then
    start_daemon "$bin" SANDBOX_AUTO_LINK_MS=50 BULK_MIN_DELAY_MS=0
    [ "$BULK" = 0 ] || bulk sqlite
    [ "$HISTORY" = 0 ] || history sqlite fill_sqlite
    stop_daemon
fi

db="openwa_bench_$$"
if [ "$POSTGRES" != 0 ] && python3 - "$PG_URL" <<'PY' 2>/dev/null
import socket, sys, urllib.parse
u = urllib.parse.urlparse(sys.argv[1])
socket.create_connection((u.hostname, u.port or 5432), timeout=2).close()
PY
then
    psql "$PG_URL/postgres" -qc "CREATE DATABASE $db" >/dev/null
    trap 'stop_daemon; psql "$PG_URL/postgres" -qc "DROP DATABASE IF EXISTS $db" >/dev/null' EXIT
    start_daemon "$bin" SANDBOX_AUTO_LINK_MS=50 BULK_MIN_DELAY_MS=0 DATABASE_URL="$PG_URL/$db"
    [ "$BULK" = 0 ] || bulk postgres
    [ "$HISTORY" = 0 ] || history postgres fill_postgres "$PG_URL/$db"
    stop_daemon
else
    echo "postgres: skipped (nothing answers at $PG_URL)"
fi
