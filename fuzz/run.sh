#!/usr/bin/env bash
# Fuzzes the HTTP API with schemathesis, from the OpenAPI document the daemon serves itself.
#
#   fuzz/run.sh BINARY [--quick]
#
# Starts BINARY (the openwa daemon) on the sandbox engine with a fresh data directory, raised rate
# limits and a random admin key; waits for /api/health/ready; makes the fixtures the operations
# need (a ready sandbox session, a session showing its QR, a webhook, a spare API key, a bulk batch,
# a failed delivery); then runs every schemathesis check against GET /api/docs-json, twice: over
# the examples, coverage, fuzzing and stateful phases with the resource ids pinned to the fixtures
# (schemathesis.toml, hooks.py), then over the coverage phase with generated ids. Exits with
# schemathesis' status (0: no failure in either pass).
#
# The daemon and schemathesis run in a network namespace of their own that has only loopback: the
# fuzzer makes up webhook URLs, media URLs and proxies, and the daemon would dial them otherwise.
# A DATABASE_URL (PostgreSQL) in the environment is passed through; its server is reached over a
# Unix socket that this script forwards to it from outside the namespace.
#
# --quick: fewer examples and a shorter time budget (the PostgreSQL run). Environment:
#   FUZZ_SEED (default 20260101), FUZZ_MAX_EXAMPLES, FUZZ_MAX_TIME (seconds), FUZZ_REPORT_DIR
#   (default target/fuzz: junit*.xml, schemathesis*.log, the daemon's and the hooks' logs, the
#   document fetched),
#   FUZZ_WORKERS (default 2), FUZZ_UNPINNED=0 (skip the second pass), FUZZ_PYTHON (interpreter
#   for a new venv), FUZZ_LOG_LEVEL (the daemon's, default warn), and ST_ARGS (extra `st run`
#   arguments, last so they win, e.g. "--include-path-regex /sessions --phases coverage").
# Schemathesis is installed, once, into ${XDG_CACHE_HOME:-$HOME/.cache}/openwa/schemathesis-venv.
set -euo pipefail
export PYTHONDONTWRITEBYTECODE=1

ST_VERSION=4.32.5
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)

usage() { echo "usage: fuzz/run.sh BINARY [--quick]" >&2; exit 2; }
[ $# -ge 1 ] || usage
bin=$(realpath "$1") || usage
shift
quick=0
for arg in "$@"; do
    case "$arg" in
        --quick) quick=1 ;;
        *) usage ;;
    esac
done
[ -x "$bin" ] || { echo "fuzz: $bin is not an executable" >&2; exit 2; }

venv="${XDG_CACHE_HOME:-$HOME/.cache}/openwa/schemathesis-venv"
st="$venv/bin/st"

# ---- outside the namespace: install, bridge PostgreSQL, then run the rest inside ----
if [ -z "${OPENWA_FUZZ_INSIDE:-}" ]; then
    if [ "$("$st" --version 2>/dev/null || true)" != "st, version $ST_VERSION" ]; then
        # CPython before 3.11.9 / 3.12.3 can fail ast.parse in concurrent threads ("AST constructor
        # recursion depth mismatch"), which hypothesis does while schemathesis runs two workers:
        # take an interpreter without that bug when the machine has one (run.sh then stays at
        # one worker on a buggy one).
        py=""
        for candidate in ${FUZZ_PYTHON:-} python3.13 python3.12 python3 \
                "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.1[3-9]*/bin/python3; do
            "$candidate" -c 'import sys, venv; v = sys.version_info[:3]; sys.exit(not (v >= (3, 12, 3) or (3, 11, 9) <= v < (3, 12)))' \
                2>/dev/null && { py=$candidate; break; }
        done
        py=${py:-python3}
        echo "== installing schemathesis $ST_VERSION into $venv ($("$py" --version))"
        "$py" -m venv --clear "$venv"
        "$venv/bin/pip" install -q --disable-pip-version-check "schemathesis==$ST_VERSION"
    fi
    work=$(mktemp -d "${TMPDIR:-/tmp}/openwa-fuzz.XXXXXX")
    bridge_pid=""
    cleanup() {
        [ -z "$bridge_pid" ] || kill "$bridge_pid" 2>/dev/null || true
        rm -rf "$work"
    }
    trap cleanup EXIT
    if ! unshare --net true 2>/dev/null; then
        echo "fuzz: cannot make a network namespace (unshare --net; needs root or user namespaces)." >&2
        echo "fuzz: refusing to fuzz a daemon that can reach the network." >&2
        exit 2
    fi
    # A URL that already names a socket directory (?host=/run/postgresql) works as it is.
    if [ -n "${DATABASE_URL:-}" ] && ! [[ "$DATABASE_URL" =~ [?\&]host=(/|%2[Ff]) ]]; then
        # A Unix socket in $work/pg, forwarded to the URL's host and port; the URL the daemon gets
        # names that directory as its host (libpq: ?host=/dir), the rest unchanged.
        mkdir -p "$work/pg"
        DATABASE_URL=$("$venv/bin/python" - "$DATABASE_URL" "$work/pg" <<'EOF'
import sys
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit
url, sockdir = sys.argv[1], sys.argv[2]
parts = urlsplit(url)
query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in ("host", "hostaddr", "port")]
with open(f"{sockdir}/target", "w") as fd:
    fd.write(f"{parts.hostname or '127.0.0.1'}:{parts.port or 5432}")
userinfo = parts.netloc.rpartition("@")[0]
query = [("host", sockdir), ("port", "5432"), *query]
print(urlunsplit((parts.scheme, f"{userinfo}@" if userinfo else "", parts.path, urlencode(query, quote_via=quote), "")))
EOF
        )
        export DATABASE_URL
        "$venv/bin/python" - "$work/pg/.s.PGSQL.5432" "$(cat "$work/pg/target")" <<'EOF' &
import asyncio, sys
path, target = sys.argv[1], sys.argv[2]
host, port = target.rsplit(":", 1)
async def pipe(reader, writer):
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    finally:
        writer.close()
async def serve(reader, writer):
    try:
        up_reader, up_writer = await asyncio.open_connection(host, int(port))
    except OSError:
        writer.close()
        return
    await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer), return_exceptions=True)
async def main():
    server = await asyncio.start_unix_server(serve, path)
    async with server:
        await server.serve_forever()
asyncio.run(main())
EOF
        bridge_pid=$!
        for _ in $(seq 1 50); do [ -S "$work/pg/.s.PGSQL.5432" ] && break; sleep 0.1; done
    fi
    rc=0
    OPENWA_FUZZ_INSIDE=1 OPENWA_FUZZ_WORK="$work" unshare --net -- bash "$0" "$bin" "$@" || rc=$?
    exit $rc
fi

# ---- inside the namespace ----
work="$OPENWA_FUZZ_WORK"
python="$venv/bin/python"
# The namespace's loopback starts down.
if command -v ip >/dev/null 2>&1; then
    ip link set lo up
else
    "$python" -c '
import fcntl, socket, struct
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
ifreq = struct.pack("16sh", b"lo", 0)
flags = struct.unpack("16sh", fcntl.ioctl(s, 0x8913, ifreq))[1]  # SIOCGIFFLAGS
fcntl.ioctl(s, 0x8914, struct.pack("16sh", b"lo", flags | 1))  # SIOCSIFFLAGS, IFF_UP
'
fi
free_port() { "$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
json() { "$python" -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

report_dir="${FUZZ_REPORT_DIR:-$root/target/fuzz}"
mkdir -p "$report_dir"
report_dir=$(realpath "$report_dir")
rm -f "$report_dir"/junit*.xml "$report_dir"/schemathesis*.log
if [ $quick -eq 1 ]; then
    max_examples="${FUZZ_MAX_EXAMPLES:-10}"
    max_time="${FUZZ_MAX_TIME:-90}"
else
    max_examples="${FUZZ_MAX_EXAMPLES:-40}"
    max_time="${FUZZ_MAX_TIME:-300}"
fi
seed="${FUZZ_SEED:-20260101}"
if "$python" -c 'import sys; v = sys.version_info[:3]; sys.exit(not (v >= (3, 12, 3) or (3, 11, 9) <= v < (3, 12)))'; then
    workers="${FUZZ_WORKERS:-2}"
else
    workers=1  # see the interpreter choice above
fi

port=$(free_port)
media_port=$(free_port)
base="http://127.0.0.1:$port"
api="$base/api"
data="$work/data"
log="$report_dir/openwa.log"
key="owa_k1_$("$python" -c 'import secrets; print(secrets.token_hex(32))')"
metrics_token=$("$python" -c 'import secrets; print(secrets.token_hex(24))')
big=1000000000

# A file for the media sends to download (application/octet-stream: the send's own mimetype wins).
mkdir -p "$work/media"
printf '\x89PNG\r\n\x1a\n fuzz media sample' >"$work/media/sample.bin"
# Profile and group pictures must be JPEGs (by their bytes).
printf '\xff\xd8\xff\xe0 fuzz picture sample' >"$work/media/sample.jpg"
"$python" -m http.server --bind 127.0.0.1 --directory "$work/media" "$media_port" >/dev/null 2>&1 &
media_pid=$!

# SSRF guard off: inside the namespace nothing but loopback is reachable, and with it on, a valid
# webhook or media URL naming a private address would be refused (which no schema can state).
# Retries wait an hour, so the fuzzer's webhooks on unreachable URLs fail once each, not again and
# again. The QR of a started sandbox session never expires during the run.
env ENGINE_TYPE=sandbox PORT="$port" HOST=127.0.0.1 DATA_DIR="$data" API_MASTER_KEY="$key" \
    LOG_LEVEL="${FUZZ_LOG_LEVEL:-warn}" SHUTDOWN_DELAY_MS=0 DOCS_ENABLED=true METRICS_TOKEN="$metrics_token" \
    RATE_LIMIT_SHORT_LIMIT=$big RATE_LIMIT_MEDIUM_LIMIT=$big RATE_LIMIT_LONG_LIMIT=$big \
    WEBHOOK_SSRF_PROTECT=false WEBHOOK_TIMEOUT=2000 WEBHOOK_RETRY_DELAY=3600000 MEDIA_DOWNLOAD_TIMEOUT_MS=5000 \
    SANDBOX_QR_ROTATE_MS=3600000 SANDBOX_QR_ROTATIONS=1000000 SANDBOX_AUTO_LINK_MS=0 \
    "$bin" serve >"$log" 2>&1 &
pid=$!
stop() {
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    kill "$media_pid" 2>/dev/null || true
}
trap stop EXIT
die() {
    echo "fuzz: $*" >&2
    echo "fuzz: the daemon's log ($log), last lines:" >&2
    tail -n 40 "$log" >&2 || true
    exit 2
}

deadline=$((SECONDS + 90))
until curl -fsS -o /dev/null "$api/health/ready" 2>/dev/null; do
    kill -0 "$pid" 2>/dev/null || die "the daemon exited before it was ready"
    [ $SECONDS -lt $deadline ] || die "not ready within 90 s on $base"
    sleep 0.2
done

# The admin key: the one seeded from API_MASTER_KEY on a new database, else the one an earlier run
# of this database left in .api-key, else a new one made with the operator command.
if ! [ -s "$data/.api-key" ] || [ "$(tr -d '[:space:]' <"$data/.api-key")" != "$key" ]; then
    if [ -s "$data/.api-key" ]; then
        key=$(tr -d '[:space:]' <"$data/.api-key")
    else
        key=$(env DATA_DIR="$data" "$bin" keys create --name fuzz-admin --role admin 2>/dev/null) \
            || die "no admin key: none seeded and 'keys create' failed"
    fi
fi
call() { # METHOD PATH [BODY]: prints the body; fails on a status outside 2xx
    local method=$1 path=$2 body=${3:-}
    if [ -n "$body" ]; then
        curl -fsS -X "$method" "$api$path" -H "X-API-Key: $key" -H 'Content-Type: application/json' -d "$body"
    else
        curl -fsS -X "$method" "$api$path" -H "X-API-Key: $key"
    fi
}
[ "$(call POST /auth/validate | json 'd.get("role")')" = admin ] || die "the admin key is not accepted as admin"

wait_status() { # SESSION STATUS
    local until=$((SECONDS + 20))
    while [ "$(call GET "/sessions/$1" | json 'd.get("status")')" != "$2" ]; do
        [ $SECONDS -lt $until ] || die "session $1 never reached $2"
        sleep 0.1
    done
}
new_session() { # NAME STATE(created|started|ready): prints the id
    local id
    id=$(call POST /sessions "{\"name\":\"$1\",\"engine\":\"sandbox\"}" | json 'd["id"]')
    if [ "$2" != created ]; then
        call POST "/sessions/$id/start" >/dev/null
        wait_status "$id" qr_ready
    fi
    if [ "$2" = ready ]; then
        # A Business account: labels (and catalogs) answer a plain one with the contract's 400.
        call POST "/sandbox/sessions/$id/scan" '{"phone":"628123456789","pushName":"Fuzz","business":true}' >/dev/null
        wait_status "$id" ready
    fi
    echo "$id"
}

echo "== fixtures"
admin_key_id=$(call GET /auth/api-keys | "$python" -c '
import json, sys
key = sys.argv[1]
listing = json.load(sys.stdin)
items = listing if isinstance(listing, list) else next((v for v in listing.values() if isinstance(v, list)), [])
print(next((k["id"] for k in items if key.startswith(k.get("keyPrefix", "\0").rstrip(".").rstrip("*"))), ""))
' "$key")
[ -n "$admin_key_id" ] || die "the admin key is not in GET /auth/api-keys"
session_id=$(new_session fuzz-main ready)
qr_session_id=$(new_session fuzz-qr started)
webhook_id=$(call POST "/sessions/$session_id/webhooks" \
    '{"url":"http://127.0.0.1:9/fuzz","events":["*"],"retryCount":0}' | json 'd["id"]')
spare_key_id=$(call POST /auth/api-keys '{"name":"fuzz-spare","role":"viewer"}' | json 'd["id"]')
batch_id=$(call POST "/sessions/$session_id/messages/send-bulk" \
    '{"messages":[{"chatId":"628123456789@c.us","type":"text","content":{"text":"fuzz"}},{"chatId":"628123456789@c.us","type":"text","content":{"text":"fuzz"}}],"options":{"delayBetweenMessages":60000}}' \
    | json 'd["batchId"]')
call POST "/sessions/$session_id/messages/send-text" '{"chatId":"628123456789@c.us","text":"fuzz"}' >/dev/null
contact_id=628123450011@c.us
call POST "/sandbox/sessions/$session_id/contacts" \
    "{\"contacts\":[{\"id\":\"$contact_id\",\"name\":\"Fuzz Contact\",\"pushName\":\"Fuzz\"}]}" >/dev/null
group_id=$(call POST "/sessions/$session_id/groups" \
    "{\"name\":\"fuzz group\",\"participants\":[\"$contact_id\"]}" | json 'd["id"]')
status_id=$(call POST "/sessions/$session_id/status/send-text" '{"text":"fuzz status"}' | json 'd["statusId"]')
channel_id=$(call POST "/sessions/$session_id/channels" '{"name":"fuzz channel"}' | json 'd["id"]')
label_id=$(call POST "/sessions/$session_id/labels" '{"name":"fuzz label","color":3}' | json 'd["id"]')
template_id=$(call POST "/sessions/$session_id/templates" \
    '{"name":"fuzz-template","body":"Hello {{name}}"}' | json 'd["id"]')
delivery_id=""
until_delivery=$((SECONDS + 15))
while [ -z "$delivery_id" ] && [ $SECONDS -lt $until_delivery ]; do
    delivery_id=$(call GET "/webhooks/delivery-failures?limit=1" \
        | json '(d if isinstance(d, list) else d.get("data", [{}]) or [{}])[0].get("id", "")' 2>/dev/null || true)
    [ -n "$delivery_id" ] || sleep 0.2
done
[ -n "$delivery_id" ] || { echo "fuzz: no failed delivery appeared; retry is fuzzed on an unknown id"; \
    delivery_id="dlv_$("$python" -c 'import uuid; print(uuid.uuid4())')"; }
curl -fsS "$api/docs-json" -o "$report_dir/openapi.json" || die "GET /api/docs-json failed"
echo "session $session_id (ready), qr $qr_session_id, webhook $webhook_id, spare key $spare_key_id,"
echo "batch $batch_id, delivery $delivery_id, admin key $admin_key_id, group $group_id, contact $contact_id,"
echo "label $label_id, template $template_id, status $status_id, channel $channel_id"

export OPENWA_FUZZ_API="$api" OPENWA_FUZZ_KEY="$key" OPENWA_FUZZ_ADMIN_KEY_ID="$admin_key_id" \
    OPENWA_FUZZ_SESSION_ID="$session_id" OPENWA_FUZZ_QR_SESSION_ID="$qr_session_id" \
    OPENWA_FUZZ_WEBHOOK_ID="$webhook_id" OPENWA_FUZZ_KEY_ID="$spare_key_id" \
    OPENWA_FUZZ_BATCH_ID="$batch_id" OPENWA_FUZZ_DELIVERY_ID="$delivery_id" \
    OPENWA_FUZZ_GROUP_ID="$group_id" OPENWA_FUZZ_CONTACT_ID="$contact_id" \
    OPENWA_FUZZ_LABEL_ID="$label_id" OPENWA_FUZZ_TEMPLATE_ID="$template_id" OPENWA_FUZZ_STATUS_ID="$status_id" \
    OPENWA_FUZZ_CHANNEL_ID="$channel_id" \
    OPENWA_FUZZ_MEDIA_URL="http://127.0.0.1:$media_port/sample.bin" OPENWA_FUZZ_METRICS_TOKEN="$metrics_token" \
    OPENWA_FUZZ_PICTURE_URL="http://127.0.0.1:$media_port/sample.jpg" \
    OPENWA_FUZZ_HOOKS="$here/hooks.py" OPENWA_FUZZ_LOG="$report_dir/hooks.log"
rm -f "$report_dir/hooks.log"

# Pass 1, pinned: every phase against the fixtures. Pass 2, unpinned: the coverage phase alone with
# generated ids, the only place malformed path parameters are sent (a pinned one never is); hooks.py
# still turns any request that names a fixture into one on a fresh resource.
pinned_config="$here/schemathesis.toml"
unpinned_config="$work/unpinned.toml"
sed '/^# ==== pins:/,$d' "$pinned_config" >"$unpinned_config"
# Unpinned, ids are generated or taken from earlier answers, so a session may be in any state: a
# well-formed send to one that is not ready gets the contract's 400 ("Session '<id>' is not
# ready", API.md §5), which is the right answer there. The pinned pass judges 400s strictly.
cat >>"$unpinned_config" <<'EOF'

[checks.positive_data_acceptance]
expected-statuses = ["2xx", "3xx", "400", "401", "403", "404", "409", "429", "5xx"]
EOF
grep -q '^# ==== pins:' "$pinned_config" || die "$pinned_config has no pins marker"

# Every check runs (schemathesis' default) but those the config file turns off: a `--checks` here
# would be explicit, and an explicit command-line choice outranks a per-operation `enabled = false`.
run_st() { # CONFIG JUNIT LOG PHASES
    local rc=0
    # shellcheck disable=SC2086 # ST_ARGS is a list of arguments
    "$st" --config-file "$1" run "$api/docs-json" \
        --origin "$base" \
        --phases "$4" \
        --mode all \
        --seed "$seed" \
        --max-examples "$max_examples" \
        --max-time "$max_time" \
        --workers "$workers" \
        --generation-database none \
        --report junit \
        --report-dir "$report_dir" \
        --report-junit-path "$2" \
        ${ST_ARGS:-} 2>&1 | tee "$3" || rc=${PIPESTATUS[0]}
    return $rc
}

echo "== schemathesis $ST_VERSION, pinned: seed $seed, at most $max_examples examples per operation, ${max_time}s"
started=$SECONDS
rc=0
run_st "$pinned_config" "$report_dir/junit.xml" "$report_dir/schemathesis.log" \
    examples,coverage,fuzzing,stateful || rc=$?
elapsed=$((SECONDS - started))
rc2=0
elapsed2=0
if [ "${FUZZ_UNPINNED:-1}" = 1 ]; then
    echo "== schemathesis $ST_VERSION, unpinned: coverage phase"
    started=$SECONDS
    run_st "$unpinned_config" "$report_dir/junit-unpinned.xml" "$report_dir/schemathesis-unpinned.log" \
        coverage || rc2=$?
    elapsed2=$((SECONDS - started))
fi

summary() { # LABEL JUNIT LOG ELAPSED RC
"$python" - "$@" <<'EOF' || true
import re, sys
import xml.etree.ElementTree as ET
label, junit, log, elapsed, rc = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
try:
    suites = ET.parse(junit).getroot().attrib
    operations = f"{suites.get('tests')} operations, {suites.get('failures')} failed, {suites.get('errors')} errored"
except (OSError, ET.ParseError):
    operations = "no junit report"
text = re.sub(r"\x1b\[[0-9;]*m", "", open(log, encoding="utf-8", errors="replace").read())
cases = re.search(r"Test cases:\s*\n\s*(.+)", text)
print(f"fuzz ({label}): {operations}; test cases: {cases.group(1).strip() if cases else '?'}; "
      f"{elapsed}s; schemathesis exit status {rc}")
EOF
}
summary pinned "$report_dir/junit.xml" "$report_dir/schemathesis.log" "$elapsed" "$rc"
[ "${FUZZ_UNPINNED:-1}" != 1 ] || \
    summary unpinned "$report_dir/junit-unpinned.xml" "$report_dir/schemathesis-unpinned.log" "$elapsed2" "$rc2"
echo "fuzz: reports in $report_dir (junit*.xml, schemathesis*.log, openwa.log, hooks.log, openapi.json)"
[ "$rc" -ne 0 ] || rc=$rc2
exit "$rc"
