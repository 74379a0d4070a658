#!/usr/bin/env bash
# Full-text search latency with MESSAGES stored messages (default 1,000,000) in one ready sandbox
# session of a release build, from a second process on loopback.
#   bench/search.sh <path to openwa binary>
# A few hundred messages go through the API first (sends and incoming, as users make them); the
# bulk is then written straight into the `messages` table in batches, with the same column values
# as those rows, so the database's own index upkeep (SQLite's FTS5 triggers, PostgreSQL's generated
# tsvector and its GIN index) runs for every row as it would for live traffic. Bodies are 6 to 14
# words drawn from a 5,000-word vocabulary with a Zipf-like skew (the top word is in about a fifth
# of the messages), and one message in 10,000 carries a rare marker word.
# Then REQUESTS sequential requests per case (default 100) and p50/p95/p99 in ms:
# a rare word, a common word, two words, a common word in one chat, a deep page.
# On SQLite, then PostgreSQL (a database created and dropped at PG_URL, skipped when none answers
# there; needs psql). SQLITE=0 or POSTGRES=0 leaves that backend out. Needs curl and python3.
set -euo pipefail
bin=${1:?usage: bench/search.sh <openwa binary>}
MESSAGES=${MESSAGES:-1000000}
REQUESTS=${REQUESTS:-100}
SQLITE=${SQLITE:-1}
POSTGRES=${POSTGRES:-1}
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/daemon.sh"
trap stop_daemon EXIT

measure() { # label, [database url]

api() { curl -fsS -H "X-API-Key: $key" -H 'Content-Type: application/json' "$@"; }
status_of() { api "$base/api/sessions/$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])'; }
id=$(api -X POST "$base/api/sessions" -d '{"name":"bench-search","engine":"sandbox"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
api -X POST "$base/api/sessions/$id/start" >/dev/null
for _ in $(seq 1 100); do [ "$(status_of "$id")" = qr_ready ] && break; sleep 0.1; done
api -X POST "$base/api/sandbox/sessions/$id/scan" -d '{"phone":"628100000001"}' >/dev/null
for _ in $(seq 1 100); do [ "$(status_of "$id")" = ready ] && break; sleep 0.1; done

python3 - "$base" "$key" "$id" "$MESSAGES" "$REQUESTS" "$dir" "${2:-}" "$1" <<'PY'
import http.client, json, random, sqlite3, subprocess, sys, time, urllib.parse

base, key, sid, total, requests, data_dir, database_url, label = sys.argv[1:9]
total, requests = int(total), int(requests)
host = urllib.parse.urlparse(base)
conn = http.client.HTTPConnection(host.hostname, host.port, timeout=120)

def call(method, path, body=None):
    global conn
    data = json.dumps(body).encode() if body is not None else None
    try:
        conn.request(method, path, body=data, headers={"X-API-Key": key, "Content-Type": "application/json"})
        r = conn.getresponse()
    except (http.client.RemoteDisconnected, ConnectionError):
        # The daemon closes a keep-alive connection left idle through the load.
        conn = http.client.HTTPConnection(host.hostname, host.port, timeout=120)
        conn.request(method, path, body=data, headers={"X-API-Key": key, "Content-Type": "application/json"})
        r = conn.getresponse()
    raw = r.read()
    if r.status >= 300:
        raise SystemExit(f"{method} {path}: {r.status} {raw[:300]!r}")
    return json.loads(raw) if raw else None

rng = random.Random(20261206)
syllables = ["ka", "lo", "mi", "ne", "ru", "ta", "vo", "si", "pe", "da", "go", "hu", "ji", "ba", "ze"]
vocab = sorted({"".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))) for _ in range(6000)})[:5000]
rng.shuffle(vocab)
weights = [1 / (i + 1) for i in range(len(vocab))]
MARKER = "zebracrossing"

def body(i):
    words = rng.choices(vocab, weights, k=rng.randint(6, 14))
    if i % 10000 == 0:
        words.insert(rng.randrange(len(words)), MARKER)
    return " ".join(words)

chats = [f"62821{n:07d}@c.us" for n in range(2000)]
live = 200
t0 = time.monotonic()
for i in range(live):
    chat = chats[i % len(chats)]
    if i % 2:
        call("POST", f"/api/sessions/{sid}/messages/send-text", {"chatId": chat, "text": body(i)})
    else:
        call("POST", f"/api/sandbox/sessions/{sid}/incoming", {"from": chat, "text": body(i)})
print(f"bench: {live} messages through the API in {time.monotonic() - t0:.1f} s")

# The bulk copies the columns of the rows the API wrote, one of each direction.
columns = ["id", "session_id", "wa_message_id", "chat_id", "from_jid", "to_jid", "body", "msg_type",
           "direction", "timestamp", "metadata", "status", "created_at"]
template_sql = ("SELECT direction, msg_type, status, from_jid, to_jid, chat_id, timestamp, created_at "
                f"FROM messages WHERE session_id = '{sid}' AND body IS NOT NULL ORDER BY seq")

def rows(n, templates, own):
    now_s, now_us = int(time.time()), int(time.time() * 1_000_000)
    for i in range(live, live + n):
        chat = chats[i % len(chats)]
        t = templates[i % 2]
        outgoing = t["from_jid"] != t["chat_id"]
        wa = f"BENCH{i:010d}"
        yield [f"{'true' if outgoing else 'false'}_{chat}_{wa}", sid, wa, chat,
               own if outgoing else chat, chat if outgoing else own, body(i), t["msg_type"],
               t["direction"], now_s - (live + n - i), None, t["status"], now_us - (live + n - i)]

t0 = time.monotonic()
n = total - live
if database_url:
    out = subprocess.run(["psql", "-qAtX", "-F", "\t", database_url, "-c", template_sql],
                         check=True, capture_output=True, text=True).stdout.strip().splitlines()
    found = [dict(zip(["direction", "msg_type", "status", "from_jid", "to_jid", "chat_id"], l.split("\t"))) for l in out]
    templates = [next(t for t in found if t["direction"] == d) for d in sorted({t["direction"] for t in found})]
    own = next(t["from_jid"] if t["from_jid"] != t["chat_id"] else t["to_jid"] for t in templates)
    # The per-chat counting triggers would update each counter row thousands of times in one
    # transaction (quadratic on PostgreSQL): they are off for the load and the counters computed
    # once after it, as bench/messaging.sh does. The tsvector is a generated column and the GIN
    # index an index, so both are still kept row by row.
    copy = subprocess.Popen(["psql", "-qX", "-v", "ON_ERROR_STOP=1", database_url], stdin=subprocess.PIPE, text=True)
    copy.stdin.write("BEGIN;\nSET LOCAL session_replication_role = replica;\n"
                     f"COPY messages ({', '.join(columns)}) FROM STDIN;\n")
    esc = lambda v: r"\N" if v is None else str(v).replace("\\", "\\\\").replace("\t", " ").replace("\n", " ")
    for r in rows(n, templates, own):
        copy.stdin.write("\t".join(esc(v) for v in r) + "\n")
    copy.stdin.write("\\.\n")
    copy.stdin.write("INSERT INTO message_counts (session_id, chat_id, direction, msg_type, n) "
                     f"SELECT session_id, chat_id, direction, msg_type, COUNT(*) FROM messages WHERE session_id = '{sid}' "
                     f"AND id LIKE '%BENCH%' GROUP BY session_id, chat_id, direction, msg_type "
                     "ON CONFLICT (session_id, chat_id, direction, msg_type) DO UPDATE SET n = message_counts.n + EXCLUDED.n;\n"
                     "COMMIT;\nANALYZE messages;\n")
    copy.stdin.close()
    if copy.wait() != 0:
        raise SystemExit("psql COPY failed")
else:
    db = sqlite3.connect(f"{data_dir}/openwa.sqlite", timeout=60)
    db.row_factory = sqlite3.Row
    found = [dict(r) for r in db.execute(template_sql)]
    templates = [next(t for t in found if t["direction"] == d) for d in sorted({t["direction"] for t in found})]
    own = next(t["from_jid"] if t["from_jid"] != t["chat_id"] else t["to_jid"] for t in templates)
    sql = f"INSERT INTO messages ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    batch = []
    for r in rows(n, templates, own):
        batch.append(r)
        if len(batch) == 10000:
            db.executemany(sql, batch)
            db.commit()
            batch.clear()
    db.executemany(sql, batch)
    db.commit()
    db.execute("ANALYZE")
    db.close()
print(f"bench: {label}: {n} more rows written and indexed in {time.monotonic() - t0:.1f} s ({total} in all)")

common, second = vocab[0], vocab[1]
found = call("GET", f"/api/sessions/{sid}/search?q={MARKER}&limit=50")
print(f"bench: '{MARKER}' finds {found['total']} messages; '{common}' finds "
      f"{call('GET', f'/api/sessions/{sid}/search?q={common}&limit=1')['total']} (the count stops at 1000)")

backend = label
def measure(label, path):
    times = []
    for _ in range(requests):
        t = time.perf_counter()
        call("GET", path)
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    q = lambda p: times[min(len(times) - 1, int(p * len(times)))]
    print(f"bench: {backend}: {label}: p50 {q(0.5):.1f} ms, p95 {q(0.95):.1f} ms, p99 {q(0.99):.1f} ms ({requests} requests)")

s = f"/api/sessions/{sid}/search"
measure(f"rare word ({MARKER})", f"{s}?q={MARKER}&limit=20")
measure(f"common word ({common})", f"{s}?q={common}&limit=20")
measure(f"two words ({common} {second})", f"{s}?q={common}%20{second}&limit=20")
measure(f"common word in one chat", f"{s}?q={common}&chatId={urllib.parse.quote(chats[7])}&limit=20")
measure(f"common word, page at offset 500", f"{s}?q={common}&limit=20&offset=500")
PY
echo "$1 daemon RSS after: $(awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$pid/status") MB"
}

if [ "$SQLITE" != 0 ]; then
    start_daemon "$bin"
    measure sqlite
    stop_daemon
fi

db="openwa_bench_search_$$"
if [ "$POSTGRES" != 0 ] && python3 - "$PG_URL" <<'PY' 2>/dev/null
import socket, sys, urllib.parse
u = urllib.parse.urlparse(sys.argv[1])
socket.create_connection((u.hostname, u.port or 5432), timeout=2).close()
PY
then
    psql "$PG_URL/postgres" -qc "CREATE DATABASE $db" >/dev/null
    trap 'stop_daemon; psql "$PG_URL/postgres" -qc "DROP DATABASE IF EXISTS $db" >/dev/null' EXIT
    start_daemon "$bin" DATABASE_URL="$PG_URL/$db"
    measure postgres "$PG_URL/$db"
    stop_daemon
else
    echo "postgres: skipped (nothing answers at $PG_URL)"
fi
