#!/usr/bin/env bash
# Issue 15 benchmarks of the kefu release binary on the large demo (1,000,000 tickets, folded into the
# ticket facts by the load):
#
# 1. `kefu demo --size large` on a fresh database, timed (its last step counts every ticket into the facts).
# 2. `kefu stats rebuild`: the ticket facts emptied and every one of the 1,000,000 tickets counted again, timed.
# 3. Over HTTP with a bearer token (the ticket page: the demo manager's session), `wrk --latency` at CONNS connections:
#      GET /api/v1/dashboards/manager?from=<12 months ago>&to=<today>                (the manager's dashboard)
#      … &segment=tier:A, … &segment=channel:phone, … &segment=department:<id>      (one segment)
#      GET /api/v1/gaps, and GET /api/v1/gaps?from=<12 months ago>&to=<today>         (the five gaps)
#    wrk repeats one address, so after the first request the settled past's sums are kept (the
#    facts epoch: docs/statistics.md#ticket-facts); "cold" rows time single requests whose period
#    starts on a day not asked before, so nothing is kept for them (the median of COLD_RUNS).
#      GET /tickets/<random id>                                                        (the ticket page and its workspace)
#
# Prints Markdown tables. Targets (issue 15: dashboard p99 ≤ 50 ms on SQLite) are reported, not enforced.
# Usage: bench/issue15.sh   Knobs: KEFU_BIN, SKIP_BUILD=1, BACKENDS ["sqlite postgres"], DURATION [15s], CONNS [16],
#        PG_HOST PG_PORT PG_USER [127.0.0.1 5432 postgres], COLD_RUNS [7],
#        TICKET_IDS [100000] (the ticket page's random ids), ONLY_TICKET_PAGE=1 (that row alone),
#        SQLITE_DB=<a large demo's file> (sqlite only: measure on it, in place, instead of loading and rebuilding)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BACKENDS=${BACKENDS:-"sqlite postgres"}
DURATION=${DURATION:-15s}
CONNS=${CONNS:-16}
PG_HOST=${PG_HOST:-127.0.0.1}
PG_PORT=${PG_PORT:-5432}
PG_USER=${PG_USER:-postgres}
COLD_RUNS=${COLD_RUNS:-7}

die() { echo "bench/issue15.sh: FAIL: $*" >&2; exit 1; }
log() { echo "# $*" >&2; }
# Each result is logged as it comes too, so a run stopped half-way still says what it measured.
note() { SETUP+=("$1"); log "result: $1"; }
for tool in wrk curl psql python3; do command -v "$tool" >/dev/null || die "$tool is not installed"; done

if [[ -z ${KEFU_BIN:-} ]]; then
    KEFU_BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release/kefu
    [[ ${SKIP_BUILD:-0} == 1 ]] || (cd "$ROOT" && cargo build --release -p kefu --quiet) || die "release build failed"
fi
[[ -x $KEFU_BIN ]] || die "no binary at $KEFU_BIN"

WORK=$(mktemp -d /tmp/kefu-bench15.XXXXXX)
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
secs_since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}'; }

TO=$(TZ=Asia/Shanghai date +%F)
FROM=$(TZ=Asia/Shanghai date -d "$(TZ=Asia/Shanghai date +%Y-%m-01) -11 months" +%F)
SETUP=()   # backend|what|result|load
HTTP=()    # backend|what|req/s|p50|p99|non-2xx|load

for be in $BACKENDS; do
    case $be in
        sqlite) URL="sqlite://${SQLITE_DB:-$WORK/kefu.db}" ;;
        postgres)
            PG_DB="kefu_bench15_$(date +%s)_$RANDOM"
            psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -qAtc "CREATE DATABASE $PG_DB" postgres >/dev/null || die "create database"
            URL="postgres://$PG_USER@$PG_HOST:$PG_PORT/$PG_DB?sslmode=disable" ;;
        *) die "unknown backend $be" ;;
    esac
    if [[ $be == sqlite && -n ${SQLITE_DB:-} ]]; then
        note "$be|the large demo already loaded|$SQLITE_DB|"
    else
        load=$(cut -d' ' -f1-3 /proc/loadavg)
        log "[$be] kefu demo --size large (load $load)"
        start=$(date +%s.%N)
        kefu demo --size large >"$WORK/demo.out" 2>"$WORK/demo.err" || { tail "$WORK/demo.err" >&2; die "demo failed"; }
        note "$be|kefu demo --size large|$(secs_since "$start") s: $(tail -n1 "$WORK/demo.out" | cut -c1-120)|$load"
        load=$(cut -d' ' -f1-3 /proc/loadavg)
        log "[$be] kefu stats rebuild (load $load)"
        note "$be|kefu stats rebuild|$(kefu stats rebuild)|$load"
    fi
    case $be in
        sqlite) rows=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT COUNT(*) FROM ticket_facts").fetchone()[0])' "${SQLITE_DB:-$WORK/kefu.db}") ;;
        postgres) rows=$(psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -qAtc "SELECT COUNT(*) FROM ticket_facts" "$PG_DB") ;;
    esac
    note "$be|ticket_facts rows|$rows|"

    TOKEN=$(kefu token create --user admin@kefu.example)
    PORT=$((20000 + RANDOM % 30000))
    env -u KEFU_BIN RUST_LOG=warn "$KEFU_BIN" --database-url "$URL" serve --listen "127.0.0.1:$PORT" --no-worker --no-scheduler 2>"$WORK/serve.log" &
    SERVER_PID=$!
    for _ in $(seq 600); do [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/readyz") == 200 ]] && break; sleep 0.1; done
    DEPT=$(curl -s -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/api/v1/departments" | python3 -c 'import json,sys; d=json.load(sys.stdin); d=d if isinstance(d, list) else d["items"]; print(d[-1]["id"])')
    measure() { # what, wrk arguments (the address last)
        local what=$1 rps p50 p99 bad
        shift
        load=$(cut -d' ' -f1-3 /proc/loadavg)
        log "[$be] $what (load $load)"
        wrk -t2 -c"$CONNS" -d3s --timeout 5s "$@" >/dev/null
        wrk -t2 -c"$CONNS" -d"$DURATION" --latency --timeout 5s "$@" >"$WORK/wrk.out"
        rps=$(awk '/Requests\/sec/ {print $2}' "$WORK/wrk.out")
        p50=$(to_ms "$(awk '$1 == "50%" {print $2}' "$WORK/wrk.out")")
        p99=$(to_ms "$(awk '$1 == "99%" {print $2}' "$WORK/wrk.out")")
        bad=$(awk '/Non-2xx/ {print $NF}' "$WORK/wrk.out")
        HTTP+=("$be|$what|$rps|$p50|$p99|${bad:-0}|$load")
        log "result: $be|$what|$rps req/s|p50 $p50 ms|p99 $p99 ms|non-2xx ${bad:-0}"
    }
    run() { # what, path
        curl -sf -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT$2" >"$WORK/answer.json" || die "$1: $2 failed"
        measure "$1" -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT$2"
    }
    if [[ ${ONLY_TICKET_PAGE:-0} != 1 ]]; then
        base="/api/v1/dashboards/manager?from=$FROM&to=$TO"
        run "dashboard, $FROM to $TO" "$base"
        created=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["tickets"]["created"])' "$WORK/answer.json")
        note "$be|tickets filed $FROM to $TO (dashboard)|$created|"
        run "dashboard, segment tier:A" "$base&segment=tier:A"
        run "dashboard, segment channel:phone" "$base&segment=channel:phone"
        run "dashboard, segment department:$DEPT" "$base&segment=department:$DEPT"
        run "gaps, every answer and ticket" "/api/v1/gaps"
        run "gaps, $FROM to $TO" "/api/v1/gaps?from=$FROM&to=$TO"
        # Cold: a period starting on a day not asked before, one request at a time.
        for what in dashboard gaps; do
            times=()
            for i in $(seq "$COLD_RUNS"); do
                from=$(TZ=Asia/Shanghai date -d "$FROM + $((i + 1)) days" +%F)
                case $what in
                    dashboard) path="/api/v1/dashboards/manager?from=$from&to=$TO" ;;
                    gaps) path="/api/v1/gaps?from=$from&to=$TO" ;;
                esac
                t=$(curl -sf -o /dev/null -w '%{time_total}' -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT$path") || die "cold $what failed"
                times+=("$(awk -v t="$t" 'BEGIN {printf "%.1f", t * 1000}')")
            done
            median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}')
            note "$be|cold $what (a period not asked before), median of $COLD_RUNS|$median ms (each: ${times[*]})|"
        done
    fi
    # The ticket page with its workspace panel: an HTML page, read with the demo manager's session
    # cookie, each request a ticket chosen at random among the first TICKET_IDS.
    jar="$WORK/cookies"
    csrf=$(curl -sf -c "$jar" "http://127.0.0.1:$PORT/login" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -n1)
    curl -sf -b "$jar" -c "$jar" -o /dev/null --data-urlencode "csrf=$csrf" \
        --data-urlencode "email=manager@kefu.example" --data-urlencode "password=kefu-demo-2026" \
        "http://127.0.0.1:$PORT/login" || die "manager sign-in failed"
    session=$(awk '$6 == "kefu_session" {print $7}' "$jar")
    [[ -n $session ]] || die "no session cookie after signing in"
    cat >"$WORK/ticket.lua" <<LUA
math.randomseed(${RANDOM})
request = function()
  return wrk.format("GET", "/tickets/" .. math.random(1, ${TICKET_IDS:-100000}), { Cookie = "kefu_session=$session" })
end
LUA
    curl -sf -o /dev/null -H "Cookie: kefu_session=$session" "http://127.0.0.1:$PORT/tickets/1" || die "the ticket page failed"
    measure "ticket page with its workspace, random of ${TICKET_IDS:-100000}" -s "$WORK/ticket.lua" "http://127.0.0.1:$PORT"
    kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=
    [[ $be != postgres ]] || { psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -qAtc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" postgres >/dev/null; PG_DB=; }
    [[ $be != sqlite || -n ${SQLITE_DB:-} ]] || rm -f "$WORK"/kefu.db*
done

echo "| backend | setup | result | load |"
echo "|---|---|---|---|"
for r in "${SETUP[@]}"; do echo "| ${r//|/ | } |"; done
echo
echo "| backend | request ($CONNS connections, $DURATION) | req/s | p50 ms | p99 ms | non-2xx | load |"
echo "|---|---|---:|---:|---:|---:|---|"
for r in "${HTTP[@]}"; do echo "| ${r//|/ | } |"; done
