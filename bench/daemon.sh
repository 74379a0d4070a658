# Sourced by the bench scripts: one daemon under test, as each of them runs it.
#   start_daemon <openwa binary> [NAME=value ...]   sets dir, port, key, base and pid
#   stop_daemon                                     stops it and removes its data
# Sandbox engine, a fresh data dir, a random admin key, warnings only, rate limits out of reach;
# the extra NAME=value pairs add to or override that environment.

start_daemon() {
    local bin=$1; shift
    local big=1000000000
    dir=$(mktemp -d)
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    key="owa_k1_$(python3 -c 'import secrets; print(secrets.token_hex(32))')"
    base="http://127.0.0.1:$port"
    env ENGINE_TYPE=sandbox PORT="$port" HOST=127.0.0.1 DATA_DIR="$dir" API_MASTER_KEY="$key" LOG_LEVEL=warn \
        SHUTDOWN_DELAY_MS=0 RATE_LIMIT_SHORT_LIMIT=$big RATE_LIMIT_MEDIUM_LIMIT=$big RATE_LIMIT_LONG_LIMIT=$big \
        "$@" "$bin" serve >"$dir/openwa.log" 2>&1 &
    pid=$!
    for _ in $(seq 1 100); do
        curl -fsS "$base/api/health" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    echo "bench: the daemon did not answer on $base; its log:" >&2
    cat "$dir/openwa.log" >&2
    return 1
}

stop_daemon() {
    [ -n "${pid:-}" ] || return 0
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    rm -rf "$dir"
}
