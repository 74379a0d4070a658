#!/usr/bin/env bash
# Runs drive.py once per SDK version, each in its own venv and against its own fresh daemon
# (sandbox engine, SQLite). Builds nothing: give it the daemon binary.
#
#   OPENWA_BIN=/path/to/openwa bash tests/sdk/run.sh
#
# SDK_VERSIONS overrides the versions (default below: 0.1.0, which follows OpenWA 0.7.x, and the
# newest release when this was written). Exits non-zero when any version has a failing step.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="${OPENWA_BIN:-${CARGO_TARGET_DIR:-$HOME/.cache/openwa/target}/debug/openwa}"
versions="${SDK_VERSIONS:-0.1.0 0.6.0}"
[ -x "$bin" ] || { echo "sdk: daemon binary $bin not found (set OPENWA_BIN)"; exit 1; }

work=$(mktemp -d)
pid=""
stop_daemon() {
    if [ -n "$pid" ]; then
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        pid=""
    fi
}
trap 'stop_daemon; rm -rf "$work"' EXIT

rc=0
for v in $versions; do
    venv="$work/venv-$v"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check "rmyndharis-openwa==$v"

    dir="$work/run-$v"
    mkdir -p "$dir"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    # Webhooks go to the driver's receiver on 127.0.0.1; the driver makes ~150 requests in a few
    # seconds, far past the default per-IP limits (10/s, 100/min).
    env ENGINE_TYPE=sandbox HOST=127.0.0.1 PORT="$port" DATA_DIR="$dir/data" SHUTDOWN_DELAY_MS=0 \
        SSRF_ALLOWED_HOSTS=127.0.0.1 \
        RATE_LIMIT_SHORT_LIMIT=100000 RATE_LIMIT_MEDIUM_LIMIT=100000 RATE_LIMIT_LONG_LIMIT=100000 \
        "$bin" serve >"$dir/openwa.log" 2>&1 &
    pid=$!
    for _ in $(seq 1 100); do
        curl -fsS "http://127.0.0.1:$port/api/health" >/dev/null 2>&1 && [ -s "$dir/data/.api-key" ] && break
        sleep 0.1
    done
    echo "== SDK rmyndharis-openwa $v"
    if ! "$venv/bin/python" "$here/drive.py" "http://127.0.0.1:$port" "$(cat "$dir/data/.api-key")"; then
        rc=1
        echo "-- daemon log (last 40 lines)"
        tail -n 40 "$dir/openwa.log"
    fi
    stop_daemon
done
exit $rc
