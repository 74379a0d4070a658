#!/usr/bin/env bash
# WebSocket cost and fan-out of a release build (bench/ws_fanout.py does the measuring).
#   bench/ws.sh <path to openwa binary>
# SOCKETS (1000), EVENTS (50) and RUNS (3) override the defaults. Needs curl and python3.
set -euo pipefail
bin=${1:?usage: bench/ws.sh <openwa binary>}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/daemon.sh"
trap stop_daemon EXIT
start_daemon "$bin"
python3 "$here/ws_fanout.py" "$port" "$pid" "$key" "${SOCKETS:-1000}" "${EVENTS:-50}" "${RUNS:-3}"
