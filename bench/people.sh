#!/usr/bin/env bash
# Chat-list and group-list latency with CHATS chats (default 10,000, GROUP_CHATS of them groups, default
# 1,000) on one ready sandbox session of a release build, from a second process on loopback.
#   bench/people.sh <path to openwa binary>
# The chats are made as users make them: GROUP_CHATS groups this account is added to and one incoming
# message from each of CHATS-GROUP_CHATS contacts, through the API. Then, REQUESTS sequential requests per
# case: the first page of chats (limit 50), a deep page (offset CHATS-1,000), a whole page of 1,000, the
# group list (first page, and all of it). Prints p50/p95/p99 in ms. DATABASE_URL=postgres://...
# measures PostgreSQL instead of SQLite. Needs curl and python3.
set -euo pipefail
bin=${1:?usage: bench/people.sh <openwa binary>}
CHATS=${CHATS:-10000}
GROUP_CHATS=${GROUP_CHATS:-1000}
REQUESTS=${REQUESTS:-200}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/daemon.sh"
trap stop_daemon EXIT
start_daemon "$bin" ${DATABASE_URL:+DATABASE_URL=$DATABASE_URL} ${DAEMON_ENV:-}

api() { curl -fsS -H "X-API-Key: $key" -H 'Content-Type: application/json' "$@"; }
id=$(api -X POST "$base/api/sessions" -d '{"name":"bench-people","engine":"sandbox"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
api -X POST "$base/api/sessions/$id/start" >/dev/null
for _ in $(seq 1 100); do
    [ "$(api "$base/api/sessions/$id" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')" = qr_ready ] && break
    sleep 0.1
done
api -X POST "$base/api/sandbox/sessions/$id/scan" -d '{"phone":"628100000001"}' >/dev/null
for _ in $(seq 1 100); do
    [ "$(api "$base/api/sessions/$id" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')" = ready ] && break
    sleep 0.1
done

python3 - "$base" "$key" "$id" "$CHATS" "$GROUP_CHATS" "$REQUESTS" <<'PY'
import http.client, json, statistics, sys, time, urllib.parse
from concurrent.futures import ThreadPoolExecutor

base, key, sid, chats, groups, requests = sys.argv[1], sys.argv[2], sys.argv[3], *map(int, sys.argv[4:7])
host = urllib.parse.urlparse(base)
def conn():
    return http.client.HTTPConnection(host.hostname, host.port, timeout=60)
local = __import__("threading").local()
def call(method, path, body=None):
    c = getattr(local, "c", None) or conn()
    local.c = c
    data = json.dumps(body).encode() if body is not None else None
    c.request(method, path, body=data, headers={"X-API-Key": key, "Content-Type": "application/json"})
    r = c.getresponse()
    raw = r.read()
    if r.status >= 300:
        raise SystemExit(f"{method} {path}: {r.status} {raw[:200]!r}")
    return json.loads(raw) if raw else None

t0 = time.monotonic()
def group(i):
    call("POST", f"/api/sandbox/sessions/{sid}/groups",
         {"subject": f"Group {i:05d}", "by": "628199999999@c.us", "participants": [f"6281{i:08d}@c.us"]})
def message(i):
    call("POST", f"/api/sandbox/sessions/{sid}/incoming", {"from": f"6282{i:08d}@c.us", "text": f"hello {i}"})
with ThreadPoolExecutor(8) as pool:
    list(pool.map(group, range(groups)))
    list(pool.map(message, range(chats - groups)))
print(f"bench: seeded {chats} chats ({groups} groups) through the API in {time.monotonic() - t0:.1f} s")
deep = max(chats - 1000, 0)
listed = len(call("GET", f"/api/sessions/{sid}/chats?limit=1000&offset={deep}"))
print(f"bench: the page from offset {deep} lists {listed} chats")

def measure(label, path):
    times = []
    for _ in range(requests):
        t = time.perf_counter()
        call("GET", path)
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    q = lambda p: times[min(len(times) - 1, int(p * len(times)))]
    print(f"bench: {label}: p50 {q(0.5):.2f} ms, p95 {q(0.95):.2f} ms, p99 {q(0.99):.2f} ms ({requests} requests)")

measure("GET chats?limit=50 (first page)", f"/api/sessions/{sid}/chats?limit=50")
measure(f"GET chats?limit=50&offset={deep} (deep page)", f"/api/sessions/{sid}/chats?limit=50&offset={deep}")
measure("GET chats?limit=1000", f"/api/sessions/{sid}/chats?limit=1000")
measure("GET groups?limit=50", f"/api/sessions/{sid}/groups?limit=50")
measure(f"GET groups (all {groups})", f"/api/sessions/{sid}/groups?limit=1000")
PY
echo "daemon RSS after: $(awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$pid/status") MB"
