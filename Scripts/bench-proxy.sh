#!/usr/bin/env bash
# Benchmarks `ampscope proxy` in sink mode (decode + validate + emulated answer + SQLite commit
# before every answer) against a constant-answer NIO server (`ampscope-bench proxy-baseline`),
# with the same wrk load in the same run, on loopback. Bounded in time.
#
#   Scripts/bench-proxy.sh                  # release build in .build-proxy-rel, 10 s per run
#   DURATION=20 CONNS=64 Scripts/bench-proxy.sh
#
# Environment: DURATION (s per measured run, default 10), WARMUP (s, default 2), CONNS (default 32),
# WRK_THREADS (default 1), THREADS (event loops of both servers, default 1), SCRATCH (default
# .build-proxy-rel), NO_BUILD=1 (use the existing build), MODES (default "baseline quiet output";
# also "json", "memory": the same proxy with an in-memory store, to split out SQLite's cost, and
# "https": the same proxy as "quiet" measured on its --tls port, certificate from a CA made for
# the run and cached; reported as the ratio https/quiet),
# AMPSCOPE (an ampscope binary to measure instead of the one just built).
# The machine's cores are shared by wrk and the server: figures are loopback, not network, figures.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
CONNS=${CONNS:-32}
WRK_THREADS=${WRK_THREADS:-1}
THREADS=${THREADS:-1}
SCRATCH=${SCRATCH:-.build-proxy-rel}
MODES=${MODES:-baseline quiet output}

if ! command -v wrk >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "bench-proxy: installing wrk" >&2
        apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }
    else
        echo "bench-proxy: wrk is needed (apt-get install wrk)" >&2
        exit 2
    fi
fi

if [ -z "${NO_BUILD:-}" ]; then
    echo "bench-proxy: building release in $SCRATCH" >&2
    swift build -c release --scratch-path "$SCRATCH" --product ampscope >&2
    swift build -c release --scratch-path "$SCRATCH" --product ampscope-bench >&2
fi
BIN="$SCRATCH/release"
AMPSCOPE=${AMPSCOPE:-$BIN/ampscope}     # another ampscope binary to compare (before/after)

TMP=$(mktemp -d)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
    rm -rf "$TMP"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_port() {
    for _ in $(seq 1 300); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
        if ! kill -0 "$2" 2>/dev/null; then
            echo "bench-proxy: the server for port $1 exited:" >&2
            cat "$TMP"/*.err >&2 2>/dev/null || true
            return 1
        fi
        sleep 0.1
    done
    echo "bench-proxy: nothing listens on port $1 after 30 s" >&2
    return 1
}

# One measured wrk run after a warm-up; prints the RESULT line.
measure() {
    local url=$1
    timeout $((WARMUP + 30)) wrk -t"$WRK_THREADS" -c"$CONNS" -d"${WARMUP}s" -s Scripts/bench-proxy.lua "$url" >/dev/null
    timeout $((DURATION + 30)) wrk -t"$WRK_THREADS" -c"$CONNS" -d"${DURATION}s" --latency -s Scripts/bench-proxy.lua "$url" \
        | tee -a "$TMP/wrk.log" | grep '^RESULT'
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

RESULTS="$TMP/results"
: > "$RESULTS"
for mode in $MODES; do
    port=$(free_port)
    case $mode in
        baseline)
            "$BIN/ampscope-bench" proxy-baseline --listen "127.0.0.1:$port" --threads "$THREADS" >/dev/null 2>"$TMP/baseline.err" &
            ;;
        memory)
            "$BIN/ampscope-bench" proxy-server --listen "127.0.0.1:$port" --threads "$THREADS" --store memory >/dev/null 2>"$TMP/memory.err" &
            ;;
        quiet)
            "$AMPSCOPE" proxy --listen "127.0.0.1:$port" --store "$TMP/quiet.sqlite" --threads "$THREADS" --quiet 2>"$TMP/quiet.err" &
            ;;
        output)
            "$AMPSCOPE" proxy --listen "127.0.0.1:$port" --store "$TMP/output.sqlite" --threads "$THREADS" >/dev/null 2>"$TMP/output.err" &
            ;;
        https)
            tls_port=$(free_port)
            "$AMPSCOPE" proxy --listen "127.0.0.1:$port" --store "$TMP/https.sqlite" --threads "$THREADS" --quiet \
                --ca-dir "$TMP/ca" --tls --tls-port "$tls_port" 2>"$TMP/https.err" &
            ;;
        json)
            "$AMPSCOPE" proxy --listen "127.0.0.1:$port" --store "$TMP/json.sqlite" --threads "$THREADS" --json >/dev/null 2>"$TMP/json.err" &
            ;;
        *) echo "bench-proxy: unknown mode $mode" >&2; exit 2 ;;
    esac
    pid=$!
    PIDS+=("$pid")
    wait_port "$port" "$pid"
    url="http://127.0.0.1:$port"
    if [ "$mode" = https ]; then wait_port "$tls_port" "$pid"; url="https://127.0.0.1:$tls_port"; fi
    t0=$(cpu_ticks "$pid")
    line=$(measure "$url")
    t1=$(cpu_ticks "$pid")
    rss=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
    echo "$mode $line cpu_ticks=$((t1 - t0)) rss_kb=$rss" >> "$RESULTS"
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    if [ "$mode" != baseline ] && [ "$mode" != memory ]; then
        stored=$(sqlite3 "$TMP/$mode.sqlite" 'SELECT count(*) FROM capture' 2>/dev/null || echo "?")
        echo "$mode stored=$stored" >> "$TMP/stored"
    fi
done

python3 - "$RESULTS" "$TMP/stored" "$DURATION" "$WARMUP" "$CONNS" "$WRK_THREADS" "$THREADS" "$(getconf CLK_TCK)" <<'PY'
import sys
results, stored_file, duration, warmup, conns, wrk_threads, threads, clk = sys.argv[1:]
rows = []
for line in open(results):
    parts = line.split()
    mode = parts[0]
    kv = dict(p.split("=", 1) for p in parts[1:] if "=" in p)
    rows.append((mode, kv))
stored = {}
try:
    for line in open(stored_file):
        m, kv = line.split()
        stored[m] = kv.split("=")[1]
except FileNotFoundError:
    pass
labels = {"baseline": "baseline (constant answer, no decode/store)",
          "memory": "proxy, in-memory store (decode+validate, no SQLite)",
          "quiet": "ampscope proxy --quiet (decode+validate+store)",
          "output": "ampscope proxy (+ one line per request)",
          "json": "ampscope proxy --json (+ NDJSON per request)",
          "https": "ampscope proxy --quiet over HTTPS (--tls)"}
print(f"\nbench-proxy: wrk -t{wrk_threads} -c{conns}, {duration} s after a {warmup} s warm-up, 10-event bodies, "
      f"{threads} event loop(s), loopback, 2 shared cores")
print(f"{'mode':48} {'req/s':>9} {'events/s':>10} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} {'non-2xx':>7} {'errors':>6} {'cpu %':>6} {'rss MB':>6} {'stored':>8}")
base = None
out = {}
for mode, kv in rows:
    secs = int(kv["duration_us"]) / 1e6
    rps = int(kv["requests"]) / secs
    errs = sum(int(kv[k]) for k in ("connect_errors", "read_errors", "write_errors", "timeouts"))
    cpu = int(kv["cpu_ticks"]) / int(clk) / (secs + int(warmup)) * 100
    out[mode] = rps
    if mode == "baseline":
        base = rps
    print(f"{labels.get(mode, mode):48} {rps:9.0f} {rps*10:10.0f} {int(kv['p50_us'])/1000:7.2f} {int(kv['p99_us'])/1000:7.2f} "
          f"{int(kv['max_us'])/1000:7.2f} {kv['non2xx']:>7} {errs:6d} {cpu:6.0f} {int(kv['rss_kb'])/1024:6.0f} {stored.get(mode, '-'):>8}")
if base:
    for mode, rps in out.items():
        if mode != "baseline":
            print(f"ratio {mode}/baseline: {rps / base:.2f}")
if "https" in out and "quiet" in out:
    print(f"ratio https/quiet (TLS cost on the same capture pipeline): {out['https'] / out['quiet']:.2f}")
PY
