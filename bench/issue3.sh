#!/usr/bin/env bash
# Issue 3 benchmarks of the kefu release binary, on SQLite and PostgreSQL:
#
# 1. CSV import: `kefu import customers` of bench-customers.csv (10,101 rows), then
#    `kefu import purchases` of bench-purchases.csv (1,000,000 rows) under `/usr/bin/time -v`, on a
#    fresh database each run (files from bench/import_data.py): rows/s and peak RSS. Also the
#    100,000-customer file bench-customers-100k.csv (parents after children) once.
# 2. `kefu demo --size large` (100,000 customers in ten regional trees, 1,000,000 purchases, and
#    1,000,000 tickets), or with NETWORK=import the 100,000 customers of bench-customers-100k.csv
#    (ten agents with 9,999 beneath each; minutes faster), on a fresh database, then over HTTP with
#    a bearer token, `wrk --latency` on
#      GET /api/v1/customers?q=<a consumer's name that matches at most 50 customers>
#      GET /api/v1/customers/<agent>/tree            (its subtree counts by kind)
#      GET /api/v1/customers/<agent>/downstream?kind=end&limit=50   (first page of end customers)
#    where <agent> is 华东总代理 (the demo) or 总代理0 Agency 0 (the import), a top-level agent
#    with 9,999 customers beneath it.
#
# Prints Markdown tables (p50/p99 in ms, req/s, rows/s, peak RSS) and the load average before
# each measurement. Targets are reported, not enforced.
#
# Usage: bench/issue3.sh            (from anywhere inside the repository)
# Environment knobs (defaults in brackets):
#   KEFU_BIN        binary to test [$CARGO_TARGET_DIR or <repo>/target]/release/kefu
#   SKIP_BUILD=1    do not run `cargo build --release -p kefu` first
#   BACKENDS        ["sqlite postgres"]
#   PARTS           ["import http"]
#   NETWORK         the 100,000 customers of the http part: demo or import [demo]
#   IMPORT_RUNS     purchase imports per backend [3]
#   DURATION        wrk duration per endpoint and concurrency [15s]
#   CONNS_LIST      wrk connection counts to measure [1 16] (wrk -t is min(2, conns))
#   DATA_DIR        where the CSV files are (made there if missing) [/tmp/kefu-bench-data]
#   PG_HOST PG_PORT PG_USER   PostgreSQL server [127.0.0.1 5432 postgres]
#   PG_PARAMS       query string appended to the PostgreSQL URL [sslmode=disable]
#   OUT_DIR         if set, raw wrk and time outputs are copied there
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BACKENDS=${BACKENDS:-"sqlite postgres"}
PARTS=${PARTS:-"import http"}
NETWORK=${NETWORK:-demo}
IMPORT_RUNS=${IMPORT_RUNS:-3}
DURATION=${DURATION:-15s}
CONNS_LIST=${CONNS_LIST:-"1 16"}
DATA_DIR=${DATA_DIR:-/tmp/kefu-bench-data}
PG_HOST=${PG_HOST:-127.0.0.1}
PG_PORT=${PG_PORT:-5432}
PG_USER=${PG_USER:-postgres}
PG_PARAMS=${PG_PARAMS-sslmode=disable}
OUT_DIR=${OUT_DIR:-}
EMAIL=bench-admin@example.com
PASSWORD='correct horse battery staple'

die() { echo "bench/issue3.sh: FAIL: $*" >&2; exit 1; }
log() { echo "# $*" >&2; }

for tool in wrk curl psql awk python3 /usr/bin/time; do
    command -v "$tool" >/dev/null || die "$tool is not installed (apt-get install -y wrk curl postgresql-client time python3)"
done

if [[ -z ${KEFU_BIN:-} ]]; then
    KEFU_BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release/kefu
    if [[ ${SKIP_BUILD:-0} != 1 ]]; then
        log "cargo build --release -p kefu"
        (cd "$ROOT" && cargo build --release -p kefu --quiet) || die "release build failed"
    fi
fi
[[ -x $KEFU_BIN ]] || die "no binary at $KEFU_BIN"

WORK=$(mktemp -d /tmp/kefu-bench3.XXXXXX)
SERVER_PID=
DBS=()

cleanup() {
    local db
    if [[ -n $SERVER_PID ]]; then stop_server; fi
    for db in "${DBS[@]}"; do
        psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -qAtc "DROP DATABASE IF EXISTS $db WITH (FORCE)" postgres \
            >/dev/null 2>&1 || echo "bench/issue3.sh: could not drop database $db" >&2
    done
    if [[ -n $OUT_DIR ]]; then
        mkdir -p "$OUT_DIR" && cp "$WORK"/*.wrk "$WORK"/*.time "$WORK"/*.log "$OUT_DIR"/ 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

kefu() { (cd "$WORK" && RUST_LOG=warn "$KEFU_BIN" --database-url "$URL" "$@"); }

free_port() {
    local p
    for _ in $(seq 100); do
        p=$((20000 + RANDOM % 30000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
    done
    die "no free port found"
}

# Sets URL to a fresh, empty database for backend $1 ($2: a tag for names).
fresh_url() {
    case $1 in
        sqlite) mkdir -p "$WORK/$2"; rm -f "$WORK/$2"/kefu.db*; URL="sqlite://$WORK/$2/kefu.db" ;;
        postgres)
            PG_DB="kefu_bench3_$(date +%s)_$RANDOM"
            DBS+=("$PG_DB")
            psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -qAtc "CREATE DATABASE $PG_DB" postgres >/dev/null \
                || die "cannot create database $PG_DB"
            URL="postgres://$PG_USER@$PG_HOST:$PG_PORT/$PG_DB${PG_PARAMS:+?$PG_PARAMS}" ;;
        *) die "unknown backend $1" ;;
    esac
}

drop_db() {
    if [[ $1 == postgres ]]; then
        psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -qAtc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" postgres >/dev/null || true
    else
        rm -rf "${URL#sqlite://}" "${URL#sqlite://}"-wal "${URL#sqlite://}"-shm
    fi
}

start_server() {
    (cd "$WORK" && RUST_LOG=warn exec "$KEFU_BIN" --database-url "$URL" serve \
        --listen "127.0.0.1:$PORT" --no-scheduler --no-worker 2>>"$WORK/$1.log" >&2) &
    SERVER_PID=$!
    local deadline=$(($(date +%s) + 60))
    until [[ $(curl -s -o /dev/null -m 1 -w '%{http_code}' "http://127.0.0.1:$PORT/readyz" || true) == 200 ]]; do
        kill -0 "$SERVER_PID" 2>/dev/null || { tail -n 20 "$WORK/$1.log" >&2; die "server exited during startup"; }
        (($(date +%s) < deadline)) || die "server not ready after 60 s"
        sleep 0.1
    done
}

stop_server() {
    kill "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.05; done
    kill -9 "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=
}

# wrk time string (812.00us, 1.23ms, 2.00s) -> milliseconds
to_ms() {
    awk -v v="$1" 'BEGIN { n = v + 0
        if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n *= 1; else if (v ~ /m$/) n *= 60000; else if (v ~ /s$/) n *= 1000
        printf "%.2f", n }'
}

median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

# GET with the token; the body on stdout; dies unless 200.
api() {
    local code
    code=$(curl -s -o "$WORK/api.body" -m 30 -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT$1" || true)
    [[ $code == 200 ]] || { head -c 500 "$WORK/api.body" >&2; echo >&2; die "GET $1 answered $code"; }
    cat "$WORK/api.body"
}

json() { python3 -c "import json, sys; d = json.load(sys.stdin); print($1)"; }
urlencode() { python3 -c "import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))" "$1"; }

IMPORT_ROWS=()   # backend|file|rows|runs (s)|median s|rows/s|peak RSS MB|load
HTTP_ROWS=()     # backend|what|path|conns|req/s|p50|p99|max|load
SETUP_ROWS=()    # backend|what|seconds|peak RSS MB

# time_kefu <outfile> args...: runs kefu under /usr/bin/time -v; sets ELAPSED (s) and PEAK_MB.
time_kefu() {
    local out=$1; shift
    (cd "$WORK" && RUST_LOG=warn /usr/bin/time -v -o "$out" "$KEFU_BIN" --database-url "$URL" "$@" >"$out.stdout" 2>"$out.stderr") \
        || { cat "$out.stderr" "$out" >&2; die "kefu $* failed"; }
    ELAPSED=$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; printf "%.2f", s}' "$out")
    PEAK_MB=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2 / 1024}' "$out")
}

bench_import() {
    local be=$1 i runs=() peaks=() loads=() t
    for i in $(seq "$IMPORT_RUNS"); do
        fresh_url "$be" "$be-import$i"
        kefu import customers "$DATA_DIR/bench-customers.csv" >/dev/null
        sleep 2
        loads+=("$(loadavg)")
        log "[$be] import purchases, run $i (load $(loadavg))"
        time_kefu "$WORK/$be-import-purchases-$i.time" import purchases "$DATA_DIR/bench-purchases.csv"
        grep -q '1000000' "$WORK/$be-import-purchases-$i.time.stdout" \
            || { cat "$WORK/$be-import-purchases-$i.time.stdout" >&2; die "[$be] import did not report 1,000,000 rows"; }
        runs+=("$ELAPSED"); peaks+=("$PEAK_MB")
        log "[$be] 1,000,000 purchases in $ELAPSED s, peak RSS $PEAK_MB MB"
        drop_db "$be"
    done
    t=$(median "${runs[@]}")
    IMPORT_ROWS+=("$be|bench-purchases.csv|1,000,000|${runs[*]}|$t|$(awk -v t="$t" 'BEGIN {printf "%.0f", 1e6 / t}')|$(median "${peaks[@]}") (${peaks[*]})|${loads[0]}")

    fresh_url "$be" "$be-import-100k"
    local load
    load=$(loadavg)
    log "[$be] import 100,000 customers (load $load)"
    time_kefu "$WORK/$be-import-customers-100k.time" import customers "$DATA_DIR/bench-customers-100k.csv"
    IMPORT_ROWS+=("$be|bench-customers-100k.csv|100,000|$ELAPSED|$ELAPSED|$(awk -v t="$ELAPSED" 'BEGIN {printf "%.0f", 1e5 / t}')|$PEAK_MB|$load")
    drop_db "$be"
}

# measure <backend> <what> <path>
measure() {
    local be=$1 what=$2 path=$3 c t out load
    for c in $CONNS_LIST; do
        t=$((c < 2 ? 1 : 2))
        out="$WORK/$be-$what-c$c.wrk"
        wrk -t"$t" -c"$c" -d2s --timeout 5s -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT$path" >/dev/null 2>&1 || true
        sleep 1
        load=$(loadavg)
        log "[$be] wrk -t$t -c$c -d$DURATION --latency GET $path (load $load)"
        timeout 120 wrk -t"$t" -c"$c" -d"$DURATION" --timeout 5s --latency -H "Authorization: Bearer $TOKEN" \
            "http://127.0.0.1:$PORT$path" >"$out" 2>&1 || { cat "$out" >&2; die "wrk failed on $path"; }
        if grep -q 'Non-2xx or 3xx responses\|Socket errors' "$out"; then cat "$out" >&2; die "$path: not every response was a 200"; fi
        local rps p50 p99 max
        rps=$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' "$out")
        p50=$(to_ms "$(awk '$1 == "50%" {print $2}' "$out")")
        p99=$(to_ms "$(awk '$1 == "99%" {print $2}' "$out")")
        max=$(to_ms "$(awk '$1 == "Latency" && NF >= 4 {print $4; exit}' "$out")")
        HTTP_ROWS+=("$be|$what|$path|$c|$rps|$p50|$p99|$max|$load")
        log "[$be] $what c$c: $rps req/s, p50 $p50 ms, p99 $p99 ms, max $max ms"
    done
}

bench_http() {
    local be=$1
    fresh_url "$be" "$be-large"
    local agent_query agent_name
    if [[ $NETWORK == import ]]; then
        log "[$be] kefu import customers bench-customers-100k.csv (load $(loadavg))"
        time_kefu "$WORK/$be-network.time" import customers "$DATA_DIR/bench-customers-100k.csv"
        SETUP_ROWS+=("$be|kefu import customers bench-customers-100k.csv|$ELAPSED|$PEAK_MB")
        agent_query="Agency 0" agent_name="总代理0 Agency 0"
    else
        log "[$be] kefu demo --size large (load $(loadavg))"
        time_kefu "$WORK/$be-network.time" demo --size large
        SETUP_ROWS+=("$be|kefu demo --size large|$ELAPSED|$PEAK_MB")
        agent_query="华东总代理" agent_name="华东总代理"
    fi
    kefu user create --email "$EMAIL" --password "$PASSWORD" --role admin >/dev/null
    TOKEN=$(kefu token create --user "$EMAIL" | tail -n1 | tr -d '[:space:]')
    [[ -n $TOKEN ]] || die "[$be] empty token"
    PORT=$(free_port)
    start_server "$be-large"

    local agent counts first name n q
    agent=$(api "/api/v1/customers?q=$(urlencode "$agent_query")&limit=50" | json "next(c['id'] for c in d['items'] if c['name'] == '$agent_name')")
    counts=$(api "/api/v1/customers/$agent/tree" | json 'd["downstream_counts"]')
    log "[$be] agent $agent ($agent_name), beneath it: $counts"
    first=$(api "/api/v1/customers/$agent/downstream?kind=end&limit=50" | json 'len(d["items"])')
    [[ $first == 50 ]] || die "[$be] the first downstream page has $first rows, not 50"
    # A name matching at most 50 customers: the first consumer's beneath the agent that does.
    for id in $(api "/api/v1/customers/$agent/downstream?kind=end&limit=100" | json '" ".join(str(c["id"]) for c in d["items"])'); do
        name=$(api "/api/v1/customers/$id" | json 'd["name"]')
        q=$(urlencode "$name")
        n=$(api "/api/v1/customers?q=$q&limit=200" | json 'len(d["items"])')
        if ((n >= 1 && n <= 50)); then break; fi
        name=
    done
    [[ -n $name ]] || die "[$be] no consumer name matches at most 50 customers"
    log "[$be] search for $name: $n matches"
    SEARCH_NOTE+=("$be: q=$name ($n matches, limit 50); agent id $agent, beneath it $counts")

    measure "$be" search "/api/v1/customers?q=$q&limit=50"
    measure "$be" subtree-count "/api/v1/customers/$agent/tree"
    measure "$be" downstream "/api/v1/customers/$agent/downstream?kind=end&limit=50"
    stop_server
    drop_db "$be"
}

SEARCH_NOTE=()
cpu_model=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
mem_gib=$(awk '/^MemTotal:/ {printf "%.1f", $2/1024/1024}' /proc/meminfo)
echo "## kefu issue 3 benchmarks"
echo
echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); load average at the start: $(loadavg)"
echo "- machine: $(nproc) cores, ${mem_gib} GiB RAM, CPU \"$cpu_model\", kernel $(uname -r)"
echo "- kefu: repository at $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown), binary $KEFU_BIN built $(date -u -r "$KEFU_BIN" '+%Y-%m-%d %H:%M UTC')"
echo "- PostgreSQL: $(psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -qAtc 'SHOW server_version' postgres 2>/dev/null || echo unreachable) on $PG_HOST:$PG_PORT, URL parameters \"$PG_PARAMS\""
echo

if [[ " $PARTS " == *" import "* ]]; then
    mkdir -p "$DATA_DIR"
    if [[ ! -s $DATA_DIR/bench-purchases.csv || ! -s $DATA_DIR/bench-customers-100k.csv ]]; then
        log "writing the CSV files to $DATA_DIR"
        python3 "$ROOT/bench/import_data.py" "$DATA_DIR"
    fi
    for be in $BACKENDS; do bench_import "$be"; done
fi
if [[ " $PARTS " == *" http "* ]]; then
    for be in $BACKENDS; do bench_http "$be"; done
fi

verdict() { awk -v v="$1" -v t="$2" -v op="$3" 'BEGIN { ok = (op == "ge") ? v >= t : v <= t; print ok ? "met" : "MISSED" }'; }

if ((${#IMPORT_ROWS[@]})); then
    echo "### CSV import (\`/usr/bin/time -v kefu import ...\`, fresh database each run)"
    echo
    echo "| backend | file | rows | runs (s) | median s | rows/s | peak RSS MB (median (runs)) | load avg before |"
    echo "|---|---|---:|---|---:|---:|---:|---|"
    for r in "${IMPORT_ROWS[@]}"; do IFS='|' read -r a b c d e f g h <<<"$r"; echo "| $a | $b | $c | $d | $e | **$f** | $g | $h |"; done
    echo
fi
if ((${#SETUP_ROWS[@]})); then
    echo "### Loading the 100,000 customers"
    echo
    echo "| backend | command | elapsed s | peak RSS MB |"
    echo "|---|---|---:|---:|"
    for r in "${SETUP_ROWS[@]}"; do IFS='|' read -r a b c d <<<"$r"; echo "| $a | $b | $c | $d |"; done
    echo
fi
if ((${#HTTP_ROWS[@]})); then
    echo "### Over HTTP at 100,000 customers (\`wrk -d$DURATION --latency\`, bearer token, every response a 200)"
    echo
    for n in "${SEARCH_NOTE[@]}"; do echo "- $n"; done
    echo
    echo "| backend | what | path | conns | req/s | p50 ms | p99 ms | max ms | load avg before |"
    echo "|---|---|---|---:|---:|---:|---:|---:|---|"
    for r in "${HTTP_ROWS[@]}"; do IFS='|' read -r a b c d e f g h i <<<"$r"; echo "| $a | $b | \`GET $c\` | $d | $e | $f | **$g** | $h | $i |"; done
    echo
fi
echo "### Targets"
echo
echo "| target | measured | verdict |"
echo "|---|---|---|"
for r in "${IMPORT_ROWS[@]}"; do
    IFS='|' read -r a b c d e f g h <<<"$r"
    [[ $b == bench-purchases.csv ]] || continue
    echo "| $a: import 1,000,000 purchases >= 100,000 rows/s | $f rows/s | $(verdict "$f" 100000 ge) |"
done
for r in "${HTTP_ROWS[@]}"; do
    IFS='|' read -r a b c d e f g h i <<<"$r"
    echo "| $a: $b, $d connection(s), p99 <= 20 ms | $g ms | $(verdict "$g" 20 le) |"
done
