#!/usr/bin/env bash
# Issue 4 benchmarks of the kefu release binary with 1,000,000 tickets (`kefu demo --size large`):
#
# 1. `kefu demo --size large` on a fresh database, timed (100,000 customers, 1,000,000 purchases,
#    1,000,000 tickets).
# 2. `kefu sla sweep`: one escalation sweep, as the per-minute job runs it (the demo's open tickets
#    are due for their first check), timed by kefu itself.
#    After the HTTP part: 10,000 incidents filed through the API under a policy promising a first reply
#    within 1 minute of a 24/7 calendar (both set through the API), a 65 s wait, then `kefu sla sweep`:
#    10,000 tickets due among 1,000,000.
# 3. Over HTTP with a bearer token, `wrk --latency` at CONNS connections:
#      POST /api/v1/tickets                        (ticket creation; a Lua script posts one ticket a request)
#      GET  /api/v1/tickets?status=new,open,pending&limit=50 (the queue's first page, default filters)
#      GET  /api/v1/tickets?q=空调&limit=50        (search, a two-character Chinese word)
#      GET  /api/v1/tickets?q=compressor&limit=50  (search, an English word)
#
# Prints Markdown tables. Targets (issue 4) are reported, not enforced.
# Usage: bench/issue4.sh   Knobs: KEFU_BIN, SKIP_BUILD=1, BACKENDS ["sqlite postgres"], DURATION [15s], CONNS [16],
#        PG_HOST PG_PORT PG_USER [127.0.0.1 5432 postgres],
#        SQLITE_TEMPLATE (a SQLite file just made by `kefu demo --size large`, copied instead of running the demo),
#        BENCH_DIR [/tmp] (where the database is made or copied: /dev/shm takes the disk out of the figures),
#        ONLY_CREATE=1 (the creation row alone: no reads, no 10,000-incident sweep; for before/after runs side by side)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BACKENDS=${BACKENDS:-"sqlite postgres"}
DURATION=${DURATION:-15s}
CONNS=${CONNS:-16}
PG_HOST=${PG_HOST:-127.0.0.1}
PG_PORT=${PG_PORT:-5432}
PG_USER=${PG_USER:-postgres}

die() { echo "bench/issue4.sh: FAIL: $*" >&2; exit 1; }
log() { echo "# $*" >&2; }
for tool in wrk curl psql python3; do command -v "$tool" >/dev/null || die "$tool is not installed"; done

if [[ -z ${KEFU_BIN:-} ]]; then
    KEFU_BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release/kefu
    [[ ${SKIP_BUILD:-0} == 1 ]] || (cd "$ROOT" && cargo build --release -p kefu --quiet) || die "release build failed"
fi
[[ -x $KEFU_BIN ]] || die "no binary at $KEFU_BIN"

WORK=$(mktemp -d "${BENCH_DIR:-/tmp}/kefu-bench4.XXXXXX")
SERVER_PID=
PG_DB=
cleanup() {
    [[ -z $SERVER_PID ]] || { kill "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null || true; }
    [[ -z $PG_DB ]] || psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -qAtc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" postgres >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

kefu() { env -u KEFU_BIN RUST_LOG=warn "$KEFU_BIN" --database-url "$URL" "$@"; }
to_ms() {
    awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n *= 1; else if (v ~ /s$/) n *= 1000; printf "%.2f", n }'
}
urlencode() { python3 -c "import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))" "$1"; }

SETUP=()   # backend|what|result|load
HTTP=()    # backend|what|req/s|p50|p99|non-2xx|load

for be in $BACKENDS; do
    case $be in
        sqlite) URL="sqlite://$WORK/kefu.db" ;;
        postgres)
            PG_DB="kefu_bench4_$(date +%s)_$RANDOM"
            psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -qAtc "CREATE DATABASE $PG_DB" postgres >/dev/null || die "create database"
            URL="postgres://$PG_USER@$PG_HOST:$PG_PORT/$PG_DB?sslmode=disable" ;;
        *) die "unknown backend $be" ;;
    esac
    load=$(cut -d' ' -f1-3 /proc/loadavg)
    if [[ $be == sqlite && -n ${SQLITE_TEMPLATE:-} ]]; then
        # A large demo database made earlier (kefu demo --size large, nothing else run on it).
        log "[$be] copying $SQLITE_TEMPLATE"
        cp "$SQLITE_TEMPLATE" "$WORK/kefu.db"
        # The copy's dirty pages written back before anything is measured, not during it.
        sync
        SETUP+=("$be|kefu demo --size large|copied from $SQLITE_TEMPLATE|$load")
    else
        log "[$be] kefu demo --size large (load $load)"
        start=$(date +%s.%N)
        kefu demo --size large >"$WORK/demo.out" 2>"$WORK/demo.err" || { tail "$WORK/demo.err" >&2; die "demo failed"; }
        secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN {printf "%.0f", b - a}')
        SETUP+=("$be|kefu demo --size large|$secs s: $(tail -n1 "$WORK/demo.out" | cut -c1-160)|$load")
    fi
    load=$(cut -d' ' -f1-3 /proc/loadavg)
    SETUP+=("$be|kefu sla sweep (first)|$(kefu sla sweep)|$load")
    SETUP+=("$be|kefu sla sweep (again)|$(kefu sla sweep)|$load")

    TOKEN=$(kefu token create --user admin@kefu.example)
    PORT=$((20000 + RANDOM % 30000))
    env -u KEFU_BIN RUST_LOG=warn "$KEFU_BIN" --database-url "$URL" serve --listen "127.0.0.1:$PORT" --no-worker --no-scheduler 2>"$WORK/serve.log" &
    SERVER_PID=$!
    for _ in $(seq 600); do [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/readyz") == 200 ]] && break; sleep 0.1; done
    CUSTOMER=$(curl -s -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/api/v1/customers?limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])')
    cat >"$WORK/post.lua" <<EOF
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer $TOKEN"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"customer_id": $CUSTOMER, "kind": "complaint", "subject": "空调不制冷 bench", "body": "新买的空调用了三天就不制冷了。The compressor is silent."}'
EOF
    run() { # what, path, extra wrk args...
        local what=$1 path=$2; shift 2
        load=$(cut -d' ' -f1-3 /proc/loadavg)
        log "[$be] $what (load $load)"
        # 3 s to warm the server's caches and SQLite's page cache first, not counted.
        wrk -t2 -c"$CONNS" -d3s --timeout 5s -H "Authorization: Bearer $TOKEN" "$@" "http://127.0.0.1:$PORT$path" >/dev/null
        wrk -t2 -c"$CONNS" -d"$DURATION" --latency --timeout 5s -H "Authorization: Bearer $TOKEN" "$@" "http://127.0.0.1:$PORT$path" >"$WORK/wrk.out"
        local rps p50 p99 bad
        rps=$(awk '/Requests\/sec/ {print $2}' "$WORK/wrk.out")
        p50=$(to_ms "$(awk '$1 == "50%" {print $2}' "$WORK/wrk.out")")
        p99=$(to_ms "$(awk '$1 == "99%" {print $2}' "$WORK/wrk.out")")
        bad=$(awk '/Non-2xx/ {print $NF}' "$WORK/wrk.out")
        HTTP+=("$be|$what|$rps|$p50|$p99|${bad:-0}|$load")
        [[ -z $bad ]] || log "[$be] $what: $bad responses were not 2xx: the figures of that row do not count"
    }
    if [[ ${ONLY_CREATE:-0} == 1 ]]; then
        run "create a ticket (POST)" /api/v1/tickets -s "$WORK/post.lua"
        kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=
        [[ $be != postgres ]] || { psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -qAtc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" postgres >/dev/null; PG_DB=; }
        continue
    fi
    run "queue, first 50 active" "/api/v1/tickets?status=new,open,pending&limit=50"
    # Deep in the million by the keyset cursor (c + hex of the last id seen): all tickets below id
    # 500,000, and the active ones below it (there are none that old: the whole rest is looked at).
    run "queue, 50 of all, below id 500,000" "/api/v1/tickets?limit=50&cursor=c$(printf %x 500000)"
    run "queue, 50 active, below id 500,000" "/api/v1/tickets?status=new,open,pending&limit=50&cursor=c$(printf %x 500000)"
    run "search 空调" "/api/v1/tickets?q=$(urlencode 空调)&limit=50"
    run "search compressor" "/api/v1/tickets?q=compressor&limit=50"
    # Writes last: the reads above see the demo's million as it was written, not the write burst's
    # search-index segments while the background merge is still catching up with them.
    run "create a ticket (POST)" /api/v1/tickets -s "$WORK/post.lua"

    # The sweep with 10,000 tickets due: a policy promising incidents a first reply within one
    # minute of a round-the-clock calendar (set through the API), 10,000 incidents filed through
    # the API, a minute's wait, then one sweep as the per-minute job runs it.
    curl -sf -X PUT -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/toml" \
        --data-binary $'time_zone = "UTC"\n[week]\nmon = ["00:00-24:00"]\ntue = ["00:00-24:00"]\nwed = ["00:00-24:00"]\nthu = ["00:00-24:00"]\nfri = ["00:00-24:00"]\nsat = ["00:00-24:00"]\nsun = ["00:00-24:00"]\n' \
        "http://127.0.0.1:$PORT/api/v1/calendars/round-the-clock" >"$WORK/calendar.json" || die "calendar"
    CAL=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$WORK/calendar.json")
    curl -sf -X POST -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" \
        -d "{\"name\": \"bench incidents\", \"scope\": {\"kind\": \"incident\"}, \"targets\": {\"first_response_minutes\": 1}, \"calendar_id\": $CAL, \"raise_priority_on_breach\": true}" \
        "http://127.0.0.1:$PORT/api/v1/sla-policies" >/dev/null || die "policy"
    log "[$be] filing 10,000 incidents"
    python3 - "$PORT" "$TOKEN" "$CUSTOMER" <<'PY' || die "filing incidents failed"
import http.client, json, sys, threading
port, token, customer = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
body = json.dumps({"customer_id": customer, "kind": "incident", "subject": "停电 outage", "body": "整栋楼停电"})
def worker(n):
    c = http.client.HTTPConnection("127.0.0.1", port)
    for _ in range(n):
        c.request("POST", "/api/v1/tickets", body, {"Authorization": "Bearer " + token, "Content-Type": "application/json"})
        r = c.getresponse(); r.read()
        if r.status != 201:
            raise SystemExit(f"POST answered {r.status}")
threads = [threading.Thread(target=worker, args=(2500,)) for _ in range(4)]
[t.start() for t in threads]; [t.join() for t in threads]
PY
    sleep 65
    kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=
    load=$(cut -d' ' -f1-3 /proc/loadavg)
    SETUP+=("$be|kefu sla sweep, 10,000 incidents due|$(kefu sla sweep)|$load")
    SETUP+=("$be|kefu sla sweep (the rest)|$(kefu sla sweep)|$load")
    [[ $be != postgres ]] || { psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -qAtc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" postgres >/dev/null; PG_DB=; }
done

echo "| backend | setup | result | load |"
echo "|---|---|---|---|"
for r in "${SETUP[@]}"; do echo "| ${r//|/ | } |"; done
echo
echo "| backend | request ($CONNS connections, $DURATION) | req/s | p50 ms | p99 ms | non-2xx | load |"
echo "|---|---|---:|---:|---:|---:|---|"
for r in "${HTTP[@]}"; do echo "| ${r//|/ | } |"; done
