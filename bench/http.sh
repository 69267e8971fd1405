#!/usr/bin/env bash
# HTTP benchmark of the kefu release binary on SQLite and PostgreSQL.
#
# For each backend: a fresh database, an admin user and an API token; the release server is
# started, warmed up, its idle RSS read from /proc, then `wrk --latency` is run against
#   GET /healthz, GET /api/v1/me (Bearer token), GET /login
# and one row per (backend, endpoint) is printed: req/s, p50, p99, plus CPU use.
# Cold start (process start -> first 200 from /readyz on an EMPTY database) is measured
# COLD_RUNS times per backend and the median reported.
#
# Usage: bench/http.sh            (from anywhere inside the repository)
# Environment knobs (defaults in brackets):
#   KEFU_BIN        binary to test [$CARGO_TARGET_DIR or <repo>/target]/release/kefu
#   SKIP_BUILD=1    do not run `cargo build --release -p kefu` first
#   BACKENDS        "sqlite postgres"
#   DURATION        wrk duration per endpoint [20s]
#   THREADS, CONNS  wrk -t / -c [2 / 16]
#   WARMUP          wrk duration of the warm-up per endpoint [3s]
#   COLD_RUNS       cold-start repetitions per backend [5]
#   PG_HOST PG_PORT PG_USER   PostgreSQL server [127.0.0.1 5432 postgres]
#   PG_PARAMS       query string appended to the PostgreSQL URL [empty: sqlx default sslmode=prefer]
#   PG_COLD_EXTRA   extra PostgreSQL URL query strings to also measure cold start with
#                   ["sslmode=disable"; set to "" to skip]
#   QUIET_MAX       before each measurement, wait until the machine is at most this % busy
#                   (1 s sample, server idle) [10] ...
#   QUIET_WAIT      ... but at most this many seconds [300]; then measure anyway and flag it
#   OUT_DIR         if set, raw wrk outputs and server logs are copied there
# Exits non-zero if any request is not a 200 (wrk "Non-2xx or 3xx responses", socket errors,
# or the curl pre-check). Targets are reported, not enforced.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BACKENDS=${BACKENDS:-"sqlite postgres"}
DURATION=${DURATION:-20s}
THREADS=${THREADS:-2}
CONNS=${CONNS:-16}
WARMUP=${WARMUP:-3s}
COLD_RUNS=${COLD_RUNS:-5}
PG_HOST=${PG_HOST:-127.0.0.1}
PG_PORT=${PG_PORT:-5432}
PG_USER=${PG_USER:-postgres}
PG_PARAMS=${PG_PARAMS:-}
PG_COLD_EXTRA=${PG_COLD_EXTRA-sslmode=disable}
OUT_DIR=${OUT_DIR:-}
QUIET_MAX=${QUIET_MAX:-10}
QUIET_WAIT=${QUIET_WAIT:-300}
NOISY=0
EMAIL=bench-admin@example.com
PASSWORD='correct horse battery staple'
CLK_TCK=$(getconf CLK_TCK)

die() { echo "bench/http.sh: FAIL: $*" >&2; exit 1; }
log() { echo "# $*" >&2; }

for tool in wrk curl psql awk; do
    command -v "$tool" >/dev/null || die "$tool is not installed (apt-get install -y wrk curl postgresql-client)"
done

if [[ -z ${KEFU_BIN:-} ]]; then
    KEFU_BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release/kefu
    if [[ ${SKIP_BUILD:-0} != 1 ]]; then
        log "cargo build --release -p kefu"
        (cd "$ROOT" && cargo build --release -p kefu --quiet) || die "release build failed"
    fi
fi
[[ -x $KEFU_BIN ]] || die "no binary at $KEFU_BIN"

WORK=$(mktemp -d /tmp/kefu-bench.XXXXXX)
SERVER_PID=
DBS=()

cleanup() {
    local db
    [[ -n $SERVER_PID ]] && stop_server
    for db in "${DBS[@]}"; do
        psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -qAtc "DROP DATABASE IF EXISTS $db WITH (FORCE)" postgres \
            >/dev/null 2>&1 || echo "bench/http.sh: could not drop database $db" >&2
    done
    if [[ -n $OUT_DIR ]]; then
        mkdir -p "$OUT_DIR" && cp "$WORK"/*.wrk "$WORK"/*.log "$OUT_DIR"/ 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- helpers

kefu() { (cd "$WORK" && RUST_LOG=warn timeout 60 "$KEFU_BIN" --database-url "$URL" "$@"); }

# A TCP port nobody listens on (best effort; the server fails loudly if it is taken).
free_port() {
    local p
    for _ in $(seq 100); do
        p=$((20000 + RANDOM % 30000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && ! ss -Htan "( sport = :$p )" 2>/dev/null | grep -q .; then
            echo "$p"; return
        fi
    done
    die "no free port found"
}

# Creates an empty database; its name in PG_DB (not in a subshell: DBS must be kept for cleanup).
new_pg_db() {
    PG_DB="kefu_bench_$(date +%s)_$RANDOM"
    DBS+=("$PG_DB")
    psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -qAtc "CREATE DATABASE $PG_DB" postgres >/dev/null \
        || die "cannot create database $PG_DB on $PG_HOST:$PG_PORT"
}

drop_pg_db() {
    psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -qAtc "DROP DATABASE IF EXISTS $1 WITH (FORCE)" postgres >/dev/null || true
}

# Sets URL (and PG_DB) to a fresh, empty (not migrated) database for backend $1; $2 is a tag
# for names, $3 a query string for PostgreSQL (default $PG_PARAMS).
fresh_url() {
    case $1 in
        sqlite) mkdir -p "$WORK/$2"; rm -f "$WORK/$2"/kefu.db*; URL="sqlite://$WORK/$2/kefu.db" ;;
        postgres)
            new_pg_db
            local q=${3-$PG_PARAMS}
            URL="postgres://$PG_USER@$PG_HOST:$PG_PORT/$PG_DB${q:+?$q}" ;;
        *) die "unknown backend $1" ;;
    esac
}

# Starts the server on URL/PORT in the background; sets SERVER_PID. Log in $WORK/$1.log.
start_server() {
    (cd "$WORK" && RUST_LOG=warn exec "$KEFU_BIN" --database-url "$URL" serve \
        --listen "127.0.0.1:$PORT" --no-scheduler 2>>"$WORK/$1.log" >&2) &
    SERVER_PID=$!
}

stop_server() {
    kill "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.05; done
    kill -9 "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=
}

# Waits (at most $1 seconds) until /readyz answers 200.
wait_ready() {
    local deadline=$(($(date +%s) + $1))
    until [[ $(curl -s -o /dev/null -m 1 -w '%{http_code}' "http://127.0.0.1:$PORT/readyz" || true) == 200 ]]; do
        kill -0 "$SERVER_PID" 2>/dev/null || { tail -n 20 "$WORK"/*.log >&2; die "server exited during startup"; }
        (($(date +%s) < deadline)) || die "server not ready after $1 s"
        sleep 0.05
    done
}

rss_mb() { awk '/^VmRSS:/ {printf "%.1f", $2/1024}' "/proc/$1/status"; }
hwm_mb() { awk '/^VmHWM:/ {printf "%.1f", $2/1024}' "/proc/$1/status"; }
proc_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# "pid ticks" of every PostgreSQL server process (its backends serve kefu's pool)
pg_ticks() {
    local f=() p
    for p in $(pgrep -x postgres || true); do f+=("/proc/$p/stat"); done
    ((${#f[@]})) || return 0
    awk '{print $1, $14 + $15}' "${f[@]}" 2>/dev/null || true
}
# busy and total jiffies of the whole machine
sys_ticks() { awk '/^cpu / {t=0; for (i=2;i<=NF;i++) t+=$i; print t-$5-$6, t; exit}' /proc/stat; }

# wrk time string (e.g. 812.00us, 1.23ms, 2.00s) -> milliseconds
to_ms() {
    awk -v v="$1" 'BEGIN {
        n = v + 0
        if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n *= 1; else if (v ~ /m$/) n *= 60000; else if (v ~ /s$/) n *= 1000
        printf "%.2f", n }'
}

# % of all cores busy over a 1 s sample
busy_now() {
    local s0 t0 s1 t1
    read -r s0 t0 < <(sys_ticks); sleep 1; read -r s1 t1 < <(sys_ticks)
    awk -v b=$((s1 - s0)) -v t=$((t1 - t0)) 'BEGIN {printf "%.0f", t ? 100 * b / t : 0}'
}

# Waits until other work on the machine (e.g. a concurrent cargo build) has calmed down;
# sets BG to the last sample, and NOISY=1 if it never got below QUIET_MAX.
wait_quiet() {
    local deadline=$(($(date +%s) + QUIET_WAIT)) warned=0
    while :; do
        BG=$(busy_now)
        ((BG <= QUIET_MAX)) && return
        if (($(date +%s) >= deadline)); then
            NOISY=1; log "WARNING: machine still ${BG}% busy with other work; measuring anyway"; return
        fi
        ((warned)) || { log "machine ${BG}% busy with other work; waiting (up to ${QUIET_WAIT}s)"; warned=1; }
        sleep 4
    done
}

median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

# ---------------------------------------------------------------- checks and load

# curl pre-check: exactly 200, not merely 2xx/3xx (wrk counts 3xx as success).
check_200() {
    local name=$1 path=$2; shift 2
    local code
    code=$(curl -s -o "$WORK/check.body" -m 5 -w '%{http_code}' "$@" "http://127.0.0.1:$PORT$path" || true)
    [[ $code == 200 ]] || { head -c 500 "$WORK/check.body" >&2; echo >&2; die "$name: GET $path answered $code, not 200"; }
}

# run_wrk <file> <duration> <path> [wrk -H args...]: runs wrk, fails on non-2xx/3xx or socket errors.
run_wrk() {
    local out=$1 dur=$2 path=$3; shift 3
    local secs=${dur%s}
    local timer=()
    [[ -x /usr/bin/time ]] && timer=(/usr/bin/time -f '%U %S' -o "$out.cpu")
    "${timer[@]}" timeout $((secs + 30)) wrk -t"$THREADS" -c"$CONNS" -d"$dur" --timeout 5s --latency "$@" \
        "http://127.0.0.1:$PORT$path" >"$out" 2>&1 || { cat "$out" >&2; die "wrk failed on $path"; }
    if grep -q 'Non-2xx or 3xx responses' "$out"; then
        cat "$out" >&2
        die "$path: $(grep 'Non-2xx or 3xx responses' "$out" | xargs) — not every response was a 200"
    fi
    if grep -q 'Socket errors' "$out"; then
        cat "$out" >&2
        die "$path: $(grep 'Socket errors' "$out" | xargs)"
    fi
    grep -q 'Requests/sec' "$out" || { cat "$out" >&2; die "$path: no Requests/sec in wrk output"; }
}

COLDLABELS=()
ROWS=()      # backend|endpoint|rps|p50|p99|kefu|wrk|pg|other|idle|busy_before
MEMROWS=()   # backend|rss_start|rss_idle|rss_after_load|hwm
COLDROWS=()  # backend|median|runs
declare -A RESULT

bench_backend() {
    local be=$1
    log "[$be] preparing a fresh database, admin and token"
    fresh_url "$be" "$be-load"
    kefu migrate >/dev/null
    kefu user create --email "$EMAIL" --password "$PASSWORD" --role admin >/dev/null
    TOKEN=$(kefu token create --user "$EMAIL" | tail -n1 | tr -d '[:space:]')
    [[ -n $TOKEN ]] || die "[$be] empty token"

    PORT=$(free_port)
    start_server "$be-load"
    wait_ready 30
    local rss_start
    rss_start=$(rss_mb "$SERVER_PID")

    local auth=(-H "Authorization: Bearer $TOKEN")
    check_200 "[$be] healthz" /healthz
    check_200 "[$be] me" /api/v1/me "${auth[@]}"
    check_200 "[$be] login" /login

    log "[$be] warm-up ($WARMUP per endpoint)"
    run_wrk "$WORK/$be-warmup-healthz.wrk" "$WARMUP" /healthz
    run_wrk "$WORK/$be-warmup-me.wrk" "$WARMUP" /api/v1/me "${auth[@]}"
    run_wrk "$WORK/$be-warmup-login.wrk" "$WARMUP" /login
    wait_quiet
    sleep 2
    local rss_idle
    rss_idle=$(rss_mb "$SERVER_PID")
    log "[$be] RSS after startup ${rss_start} MB, idle after warm-up ${rss_idle} MB"

    local ep path
    for ep in healthz me login; do
        case $ep in
            healthz) path=/healthz; set -- ;;
            me) path=/api/v1/me; set -- "${auth[@]}" ;;
            login) path=/login; set -- ;;
        esac
        log "[$be] wrk -t$THREADS -c$CONNS -d$DURATION GET $path"
        local p0 s0 t0 p1 s1 t1 out="$WORK/$be-$ep.wrk"
        wait_quiet
        local w0 w1
        pg_ticks >"$WORK/pg0"
        w0=$(date +%s%N); p0=$(proc_ticks "$SERVER_PID"); read -r s0 t0 < <(sys_ticks)
        run_wrk "$out" "$DURATION" "$path" "$@"
        p1=$(proc_ticks "$SERVER_PID"); read -r s1 t1 < <(sys_ticks); w1=$(date +%s%N)
        pg_ticks >"$WORK/pg1"
        local rps p50 p99
        rps=$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' "$out")
        p50=$(to_ms "$(awk '$1 == "50%" {print $2}' "$out")")
        p99=$(to_ms "$(awk '$1 == "99%" {print $2}' "$out")")
        # CPU in % of one core over the wall time of the run: kefu, wrk, PostgreSQL, the rest
        local wall pgd wrkcpu cpus
        wall=$(awk -v a="$w0" -v b="$w1" 'BEGIN {printf "%.3f", (b - a) / 1e9}')
        pgd=$(awk 'NR == FNR {a[$1] = $2; next} {d += $2 - ($1 in a ? a[$1] : 0)} END {print d + 0}' "$WORK/pg0" "$WORK/pg1")
        wrkcpu=$(awk '{print $1 + $2; exit}' "$out.cpu" 2>/dev/null || echo 0)
        cpus=$(awk -v k=$((p1 - p0)) -v g="$pgd" -v m=$((s1 - s0)) -v w="$wrkcpu" -v hz="$CLK_TCK" -v t="$wall" -v n="$(nproc)" 'BEGIN {
            k = 100 * k / hz / t; g = 100 * g / hz / t; m = 100 * m / hz / t; w = 100 * w / t
            o = m - k - g - w; if (o < 0) o = 0; idle = 100 * n - m; if (idle < 0) idle = 0
            printf "%.0f|%.0f|%.0f|%.0f|%.0f", k, w, g, o, idle }')
        ROWS+=("$be|$path|$rps|$p50|$p99|$cpus|$BG")
        RESULT[$be,$ep,rps]=$rps; RESULT[$be,$ep,p99]=$p99
        log "[$be] $path: $rps req/s, p50 $p50 ms, p99 $p99 ms, CPU % of a core (kefu|wrk|postgres|other|idle): $cpus"
    done
    local rss_after hwm
    sleep 3
    rss_after=$(rss_mb "$SERVER_PID"); hwm=$(hwm_mb "$SERVER_PID")
    MEMROWS+=("$be|$rss_start|$rss_idle|$rss_after|$hwm")
    RESULT[$be,rss]=$rss_idle
    stop_server
}

# cold_start <backend> [postgres query string]
cold_start() {
    local be=$1 q=${2-$PG_PARAMS} i runs=() t0 t1 code label=$1
    [[ $be == postgres && -n $q ]] && label="$be ($q)"
    for i in $(seq "$COLD_RUNS"); do
        wait_quiet
        fresh_url "$be" "$be-cold$i" "$q"
        PORT=$(free_port)
        t0=$(date +%s%N)
        start_server "$be-cold"
        while :; do
            code=$(curl -s -o /dev/null -m 1 -w '%{http_code}' "http://127.0.0.1:$PORT/readyz" || true)
            [[ $code == 200 ]] && break
            kill -0 "$SERVER_PID" 2>/dev/null || { tail -n 20 "$WORK/$be-cold.log" >&2; die "[$be] server exited during cold start"; }
            (($(date +%s%N) - t0 < 20000000000)) || die "[$be] cold start: no 200 from /readyz after 20 s"
        done
        t1=$(date +%s%N)
        runs+=($(((t1 - t0) / 1000000)))
        stop_server
        if [[ $be == postgres ]]; then drop_pg_db "$PG_DB"; fi
    done
    local med
    med=$(median "${runs[@]}")
    COLDROWS+=("$label|$med|${runs[*]}")
    RESULT[$label,cold]=$med
    COLDLABELS+=("$label")
    log "[$label] cold start runs (ms): ${runs[*]}; median $med"
}

# ---------------------------------------------------------------- run

cpu_model=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
mem_gib=$(awk '/^MemTotal:/ {printf "%.1f", $2/1024/1024}' /proc/meminfo)
echo "## kefu HTTP benchmark"
echo
echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "- machine: $(nproc) cores, ${mem_gib} GiB RAM, CPU \"$cpu_model\", kernel $(uname -r)"
echo "- kefu: repository at $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown), binary $KEFU_BIN built $(date -u -r "$KEFU_BIN" '+%Y-%m-%d %H:%M UTC')"
echo "- load: $(wrk --version 2>&1 | head -1 | awk '{print $1, $2}') -t$THREADS -c$CONNS -d$DURATION --latency, on the same machine as the server"
echo "- PostgreSQL: $(psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -qAtc 'SHOW server_version' postgres 2>/dev/null || echo unreachable) on $PG_HOST:$PG_PORT"
echo

for be in $BACKENDS; do
    bench_backend "$be"
    log "[$be] cold start x$COLD_RUNS"
    cold_start "$be"
    if [[ $be == postgres ]]; then
        for q in $PG_COLD_EXTRA; do
            log "[$be ($q)] cold start x$COLD_RUNS"
            cold_start "$be" "$q"
        done
    fi
done

echo "### Throughput and latency (all responses 200)"
echo
echo "CPU columns: % of one core during the run ($(nproc) cores = $(nproc)00%); \"other\" is everything else on the"
echo "machine; \"before\" is % of all cores busy in the second before the run, with the server idle."
echo
echo "| backend | endpoint | req/s | p50 ms | p99 ms | CPU kefu | CPU wrk | CPU postgres | CPU other | CPU idle | busy before |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for r in "${ROWS[@]}"; do IFS='|' read -r a b c d e f g h i j k <<<"$r"; echo "| $a | GET $b | $c | $d | $e | $f | $g | $h | $i | $j | $k |"; done
echo
echo "### Memory (VmRSS / VmHWM of the serve process, MB)"
echo
echo "| backend | after startup | idle after warm-up | idle after the load runs | peak (VmHWM) |"
echo "|---|---:|---:|---:|---:|"
for r in "${MEMROWS[@]}"; do IFS='|' read -r a b c d e <<<"$r"; echo "| $a | $b | $c | $d | $e |"; done
echo
echo "### Cold start (process start -> first 200 from /readyz, empty database, ms)"
echo
echo "| backend | median | runs |"
echo "|---|---:|---|"
for r in "${COLDROWS[@]}"; do IFS='|' read -r a b c <<<"$r"; echo "| $a | $b | $c |"; done
echo

verdict() { awk -v v="$1" -v t="$2" -v op="$3" 'BEGIN { ok = (op == "ge") ? v >= t : v <= t; print ok ? "met" : "MISSED" }'; }
echo "### Targets"
echo
echo "| target | measured | verdict |"
echo "|---|---|---|"
if [[ -n ${RESULT[sqlite,me,rps]:-} ]]; then
    echo "| SQLite authenticated GET /api/v1/me >= 15000 req/s | ${RESULT[sqlite,me,rps]} req/s | $(verdict "${RESULT[sqlite,me,rps]}" 15000 ge) |"
    echo "| SQLite authenticated GET /api/v1/me p99 <= 10 ms | ${RESULT[sqlite,me,p99]} ms | $(verdict "${RESULT[sqlite,me,p99]}" 10 le) |"
fi
for be in $BACKENDS; do
    echo "| $be idle RSS <= 40 MB | ${RESULT[$be,rss]} MB | $(verdict "${RESULT[$be,rss]}" 40 le) |"
done
for be in "${COLDLABELS[@]}"; do
    echo "| $be cold start <= 300 ms | ${RESULT[$be,cold]} ms | $(verdict "${RESULT[$be,cold]}" 300 le) |"
done
if ((NOISY)); then
    echo
    echo "WARNING: other work kept the machine above ${QUIET_MAX}% busy before some measurements; figures are not clean."
fi
