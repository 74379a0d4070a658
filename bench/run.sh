#!/usr/bin/env bash
# Load benchmark of a release build, from a second process (wrk) on loopback.
#   bench/run.sh <path to openwa binary>
# Measures, each over RUNS runs of DURATION: requests/s and p99 latency of GET /api/sessions/:id and
# of send-text on a ready sandbox session (SQLite, rate limits raised); then the daemon's resident
# memory idle and with SESSIONS ready sandbox sessions. Needs wrk (apt-get install wrk), curl, python3.
set -euo pipefail
bin=${1:?usage: bench/run.sh <openwa binary>}
RUNS=${RUNS:-3}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-32}
SESSIONS=${SESSIONS:-1000}
here=$(cd "$(dirname "$0")" && pwd)
command -v wrk >/dev/null || { echo "bench: wrk is not installed (apt-get install wrk)" >&2; exit 1; }

source "$here/daemon.sh"
trap stop_daemon EXIT
# DAEMON_ENV adds settings, e.g. DAEMON_ENV="LOG_LEVEL=info" to pay for the access log.
start_daemon "$bin" SANDBOX_AUTO_LINK_MS=50 ${DAEMON_ENV:-}

api() { curl -fsS -H "X-API-Key: $key" -H 'Content-Type: application/json' "$@"; }
rss_mb() { awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$pid/status"; }
wait_ready() { # $1 = expected number of ready sessions
    for _ in $(seq 1 600); do
        n=$(api "$base/api/sessions/stats/overview" | python3 -c 'import json,sys; print(json.load(sys.stdin)["ready"])')
        [ "$n" -ge "$1" ] && return 0
        sleep 0.1
    done
    echo "bench: sessions did not become ready" >&2; exit 1
}

echo "idle RSS: $(rss_mb) MB"
id=$(api -X POST "$base/api/sessions" -d '{"name":"bench-main"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
api -X POST "$base/api/sessions/$id/start" >/dev/null
wait_ready 1

summarise() { # wrk output on stdin -> "req/s p99"
    python3 -c '
import re, sys
out = sys.stdin.read()
rps = re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)
p99 = re.search(r"\s99%\s+([\d.]+)(us|ms|s)", out)
scale = {"us": 0.001, "ms": 1, "s": 1000}[p99.group(2)]
errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
print(f"{float(rps):.0f} {float(p99.group(1))*scale:.2f} {errors.group(1) if errors else 0}")'
}

bench() { # label, wrk args...
    local label=$1; shift
    local results=()
    for run in $(seq 1 "$RUNS"); do
        results+=("$(wrk -t1 -c"$CONNECTIONS" -d"$DURATION" --latency "$@" | summarise)")
    done
    printf '%s\n' "${results[@]}" | python3 -c '
import sys, statistics
label = sys.argv[1]
rows = [tuple(map(float, l.split())) for l in sys.stdin if l.strip()]
rps = sorted(r[0] for r in rows); p99 = sorted(r[1] for r in rows); errs = sum(r[2] for r in rows)
print(f"{label}: {statistics.median(rps):.0f} req/s (runs {rps[0]:.0f}-{rps[-1]:.0f}), p99 {statistics.median(p99):.2f} ms (runs {p99[0]:.2f}-{p99[-1]:.2f}), non-2xx {errs:.0f}")' "$label"
}

echo "wrk: 1 thread, $CONNECTIONS connections, $DURATION per run, median of $RUNS runs"
bench "GET /api/sessions/:id" -H "X-API-Key: $key" "$base/api/sessions/$id"
OPENWA_KEY=$key bench "POST send-text" -s "$here/send-text.lua" "$base/api/sessions/$id/messages/send-text"

echo "creating and linking $SESSIONS sandbox sessions..."
python3 - "$base" "$key" "$SESSIONS" <<'PY'
import json, sys, urllib.request
from concurrent.futures import ThreadPoolExecutor
base, key, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
def call(method, path, body=None):
    req = urllib.request.Request(base + path, data=json.dumps(body).encode() if body is not None else None, method=method)
    req.add_header("X-API-Key", key); req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read() or b"null")
def one(i):
    sid = call("POST", "/api/sessions", {"name": f"bench-{i:05d}"})["id"]
    call("POST", f"/api/sessions/{sid}/start")
with ThreadPoolExecutor(8) as pool:
    list(pool.map(one, range(n)))
PY
wait_ready $((SESSIONS + 1))
echo "RSS with $((SESSIONS + 1)) ready sessions: $(rss_mb) MB"
