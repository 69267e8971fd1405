#!/usr/bin/env bash
# Issue 5 benchmarks of the kefu release binary with 1,000,000 SERVQUAL responses (44 items each):
#
# 1. `kefu survey import` of bench/survey_data.py's 1,000,000-row file into a new SERVQUAL survey,
#    timed end to end (the command prints answers/s).
# 2. `kefu survey rebuild-stats` over those answers (kefu prints the seconds).
# 3. Over HTTP, `wrk --latency`:
#      GET  /api/v1/surveys/bench/report at 1 connection (the full JSON report from the statistics)
#      POST /api/v1/survey-answers/{token} at CONNS connections: a final answer of all 44 items, the
#           allocation and overall satisfaction, each request on a token of its own (answers/s)
#      POST /s/{token}   the same answer as the answer page's form posts it (CSRF cookie, 303)
#
# Prints Markdown tables. Targets (issue 5) are reported, not enforced.
# Usage: bench/issue5.sh   Knobs: KEFU_BIN, SKIP_BUILD=1, BACKENDS ["sqlite postgres"], ROWS [1000000],
#        DURATION [15s], CONNS [16], DATA (reuse an answer file), PG_HOST PG_PORT PG_USER [127.0.0.1 5432 postgres]
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BACKENDS=${BACKENDS:-"sqlite postgres"}
ROWS=${ROWS:-1000000}
DURATION=${DURATION:-15s}
CONNS=${CONNS:-16}
PG_HOST=${PG_HOST:-127.0.0.1}
PG_PORT=${PG_PORT:-5432}
PG_USER=${PG_USER:-postgres}

die() { echo "bench/issue5.sh: FAIL: $*" >&2; exit 1; }
log() { echo "# $*" >&2; }
for tool in wrk curl psql python3; do command -v "$tool" >/dev/null || die "$tool is not installed"; done

if [[ -z ${KEFU_BIN:-} ]]; then
    KEFU_BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release/kefu
    [[ ${SKIP_BUILD:-0} == 1 ]] || (cd "$ROOT" && cargo build --release -p kefu --quiet) || die "release build failed"
fi
[[ -x $KEFU_BIN ]] || die "no binary at $KEFU_BIN"

WORK=$(mktemp -d /tmp/kefu-bench5.XXXXXX)
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
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}'; }

DATA=${DATA:-$WORK/answers.csv}
if [[ ! -s $DATA ]]; then
    log "writing $ROWS answers to $DATA"
    python3 "$ROOT/bench/survey_data.py" "$DATA" "$ROWS"
fi
ROWS=$(($(wc -l <"$DATA") - 1))

SETUP=()   # backend|what|result|load
HTTP=()    # backend|what|req/s|p50|p99|non-2xx|load

for be in $BACKENDS; do
    case $be in
        sqlite) URL="sqlite://$WORK/kefu-$RANDOM.db" ;;
        postgres)
            PG_DB="kefu_bench5_$(date +%s)_$RANDOM"
            psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -qAtc "CREATE DATABASE $PG_DB" postgres >/dev/null || die "create database"
            URL="postgres://$PG_USER@$PG_HOST:$PG_PORT/$PG_DB?sslmode=disable" ;;
        *) die "unknown backend $be" ;;
    esac
    kefu migrate >/dev/null
    kefu survey create --slug bench --name "基准 SERVQUAL" \
        --weights tangibles=10,reliability=30,responsiveness=20,assurance=20,empathy=20 >/dev/null
    load=$(cut -d' ' -f1-3 /proc/loadavg)
    log "[$be] kefu survey import of $ROWS answers (load $load)"
    start=$(date +%s.%N)
    kefu survey import bench "$DATA" >"$WORK/import.out" 2>"$WORK/import.err" || { tail "$WORK/import.err" >&2; die "import failed"; }
    secs=$(elapsed "$start")
    SETUP+=("$be|kefu survey import ($ROWS answers)|$secs s, $(awk -v n="$ROWS" -v s="$secs" 'BEGIN {printf "%.0f", n / s}') answers/s ($(tr '\n' ' ' <"$WORK/import.out"))|$load")
    load=$(cut -d' ' -f1-3 /proc/loadavg)
    log "[$be] kefu survey rebuild-stats (load $load)"
    start=$(date +%s.%N)
    out=$(kefu survey rebuild-stats bench)
    SETUP+=("$be|kefu survey rebuild-stats|$(elapsed "$start") s ($out)|$load")

    kefu user create --email bench@kefu.example --password "bench-password-2026" --role admin >/dev/null
    TOKEN=$(kefu token create --user bench@kefu.example)
    PORT=$((20000 + RANDOM % 30000))
    env -u KEFU_BIN RUST_LOG=warn "$KEFU_BIN" --database-url "$URL" serve --listen "127.0.0.1:$PORT" --no-worker --no-scheduler 2>"$WORK/serve.log" &
    SERVER_PID=$!
    for _ in $(seq 600); do [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/readyz") == 200 ]] && break; sleep 0.1; done
    api() { curl -sf -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" "$@"; }
    n=$(api "http://127.0.0.1:$PORT/api/v1/surveys/bench/report" | python3 -c 'import json,sys; print(json.load(sys.stdin)["n_responses"])')
    [[ $n == "$ROWS" ]] || die "the report counts $n answers, not $ROWS"

    run() { # what, connections, path, extra wrk args...
        local what=$1 conns=$2 path=$3; shift 3
        load=$(cut -d' ' -f1-3 /proc/loadavg)
        log "[$be] $what (load $load)"
        wrk -t"$((conns < 2 ? 1 : 2))" -c"$conns" -d"$DURATION" --latency --timeout 5s "$@" "http://127.0.0.1:$PORT$path" >"$WORK/wrk.out"
        local rps p50 p99 bad
        rps=$(awk '/Requests\/sec/ {print $2}' "$WORK/wrk.out")
        p50=$(to_ms "$(awk '$1 == "50%" {print $2}' "$WORK/wrk.out")")
        p99=$(to_ms "$(awk '$1 == "99%" {print $2}' "$WORK/wrk.out")")
        bad=$(awk '/Non-2xx/ {print $NF}' "$WORK/wrk.out")
        HTTP+=("$be|$what|$rps|$p50|$p99|${bad:-0}|$load")
        [[ -z $bad ]] || log "[$be] $what: $bad responses were not 2xx: the figures of that row do not count"
    }
    run "full JSON report, $ROWS answers (1 connection)" 1 /api/v1/surveys/bench/report -H "Authorization: Bearer $TOKEN"

    # A live survey (slug $1) with 100,000 tokens in file $2: one for every request wrk can make.
    live_survey() {
        api -X POST "http://127.0.0.1:$PORT/api/v1/surveys" -d "{\"slug\": \"$1\", \"title\": \"在线答卷 $1\", \"importance\": true, \"overall\": true}" >/dev/null
        : >"$2"
        for _ in $(seq 10); do
            api -X POST "http://127.0.0.1:$PORT/api/v1/surveys/$1/links" -d '{"count": 10000, "expires_in_days": 1}' |
                python3 -c 'import json,sys; print("\n".join(l["token"] for l in json.load(sys.stdin)["links"]))' >>"$2"
        done
    }
    # Answers through the API.
    live_survey live "$WORK/tokens"
    python3 - "$WORK/answer.json" <<'PY'
import json, sys
codes = [f"Q{i}" for i in range(1, 23)]
body = {"answers": {"expectation": {c: 6 + i % 2 for i, c in enumerate(codes)},
                    "perception": {c: 3 + i % 5 for i, c in enumerate(codes)},
                    "allocation": {"tangibles": 10, "reliability": 30, "responsiveness": 25, "assurance": 15, "empathy": 20},
                    "overall": 5},
        "comment": "师傅准时上门，服务很好"}
open(sys.argv[1], "w").write(json.dumps(body, ensure_ascii=False))
PY
    cat >"$WORK/answer.lua" <<EOF
local tokens = {}
for line in io.lines("$WORK/tokens") do tokens[#tokens + 1] = line end
local f = io.open("$WORK/answer.json"); local body = f:read("*a"); f:close()
local threads = 0
function setup(thread) thread:set("tid", threads); threads = threads + 1 end
local next_token = nil
function request()
    next_token = (next_token or tid) + 2
    local t = tokens[next_token - 1]
    return wrk.format("POST", "/api/v1/survey-answers/" .. t, {["Content-Type"] = "application/json"}, body)
end
EOF
    run "answer a survey (POST, a token each)" "$CONNS" / -s "$WORK/answer.lua"

    # The same answers through the mobile answer page's form (/s/{token}, CSRF double-submit
    # cookie, 303 to the thank-you page), on tokens of their own.
    live_survey live-page "$WORK/page-tokens"
    python3 - "$WORK/answer.form" <<'PY'
import sys, urllib.parse
dims = ["tangibles", "reliability", "responsiveness", "assurance", "empathy"]
fields = [("csrf", "b" * 40), ("action", "submit")]
for i in range(22):
    fields += [(f"e_Q{i + 1}", 6 + i % 2), (f"p_Q{i + 1}", 3 + i % 5)]
fields += [(f"w_{d}", w) for d, w in zip(dims, [10, 30, 25, 15, 20])]
fields += [("overall", 5), ("comment", "师傅准时上门，服务很好")]
open(sys.argv[1], "w").write(urllib.parse.urlencode(fields))
PY
    cat >"$WORK/answer-page.lua" <<EOF
local tokens = {}
for line in io.lines("$WORK/page-tokens") do tokens[#tokens + 1] = line end
local f = io.open("$WORK/answer.form"); local body = f:read("*a"); f:close()
local headers = {["Content-Type"] = "application/x-www-form-urlencoded", ["Cookie"] = "kefu_csrf=" .. string.rep("b", 40)}
local threads = 0
function setup(thread) thread:set("tid", threads); threads = threads + 1 end
local next_token = nil
function request()
    next_token = (next_token or tid) + 2
    return wrk.format("POST", "/s/" .. tokens[next_token - 1], headers, body)
end
EOF
    run "answer a survey on the page (form POST, a token each)" "$CONNS" / -s "$WORK/answer-page.lua"
    # A form the page refused would be shown again with a 4xx; count what the report has too.
    for s in live live-page; do
        log "[$be] survey $s counts $(api "http://127.0.0.1:$PORT/api/v1/surveys/$s/report" | python3 -c 'import json,sys; print(json.load(sys.stdin)["n_responses"])') answers"
    done
    kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=
    [[ $be != postgres ]] || { psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -qAtc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" postgres >/dev/null; PG_DB=; }
done

echo "| backend | setup | result | load |"
echo "|---|---|---|---|"
for r in "${SETUP[@]}"; do echo "| ${r//|/ | } |"; done
echo
echo "| backend | request ($DURATION) | req/s | p50 ms | p99 ms | non-2xx | load |"
echo "|---|---|---:|---:|---:|---:|---|"
for r in "${HTTP[@]}"; do echo "| ${r//|/ | } |"; done
