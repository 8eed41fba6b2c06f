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
# AMPSCOPE (an ampscope binary to measure instead of the one just built),
# BODY ("compact", the default, about 7.0 KB per 10-event body, the shape of the earlier figures;
# "realistic": about 13.8 KB, 10 browser-SDK events of about 1.4 KB each; see bench-proxy.lua).
# For the proxy's modes it also prints the store writer's counters from /ampscope/status (captures
# per commit, time and CPU per capture in commits).
# Peers (issue 16), measured with the same load in the same run:
#   nginx     Debian's nginx answering a constant (`return 200`), one worker, config in the run's
#             temp dir; installed with apt-get when missing (as root)
#   mitmdump  PyPI's mitmproxy in a venv made here (.venv-bench-mitm/, MITM_VENV to move it), in
#             reverse mode with an addon that json.loads every body, counts its events and
#             answers itself (no upstream is contacted)
#   BODY=realistic CONNS=16 MODES="baseline nginx mitmdump quiet" Scripts/bench-proxy.sh
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
BODY=${BODY:-compact}
MITM_VENV=${MITM_VENV:-.venv-bench-mitm}
case $BODY in compact|realistic) ;; *) echo "bench-proxy: BODY is compact or realistic, not $BODY" >&2; exit 2 ;; esac

if ! command -v wrk >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "bench-proxy: installing wrk" >&2
        apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }
    else
        echo "bench-proxy: wrk is needed (apt-get install wrk)" >&2
        exit 2
    fi
fi

apt_install() {   # apt_install COMMAND PACKAGE
    command -v "$1" >/dev/null 2>&1 && return 0
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "bench-proxy: installing $2" >&2
        apt-get install -y "$2" >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y "$2" >/dev/null; }
    else
        echo "bench-proxy: $1 is needed (apt-get install $2)" >&2
        exit 2
    fi
}
case " $MODES " in *" nginx "*) apt_install nginx nginx ;; esac
case " $MODES " in
    *" mitmdump "*)
        if [ ! -x "$MITM_VENV/bin/mitmdump" ]; then
            echo "bench-proxy: installing mitmproxy into $MITM_VENV" >&2
            python3 -m venv "$MITM_VENV"
            "$MITM_VENV/bin/pip" install -q --disable-pip-version-check mitmproxy >&2
        fi
        ;;
esac

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
    timeout $((WARMUP + 30)) wrk -t"$WRK_THREADS" -c"$CONNS" -d"${WARMUP}s" -s Scripts/bench-proxy.lua "$url" -- "$BODY" >/dev/null
    timeout $((DURATION + 30)) wrk -t"$WRK_THREADS" -c"$CONNS" -d"${DURATION}s" --latency -s Scripts/bench-proxy.lua "$url" -- "$BODY" \
        | tee -a "$TMP/wrk.log" | grep '^RESULT'
}

# The server and its children (nginx's worker): CPU ticks and peak RSS summed over them.
tree() { echo "$1"; pgrep -P "$1" 2>/dev/null || true; }
cpu_ticks() { local t=0 p; for p in $(tree "$1"); do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0))); done; echo "$t"; }
peak_rss_kb() { local t=0 p; for p in $(tree "$1"); do t=$((t + $(awk '/VmHWM/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0))); done; echo "$t"; }

nginx_conf() {   # nginx_conf PORT: one worker answering a constant, everything inside $TMP
    mkdir -p "$TMP/nginx"
    cat > "$TMP/nginx/nginx.conf" <<EOF
worker_processes 1;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx.err warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $TMP/nginx/body;
    proxy_temp_path $TMP/nginx/proxy;
    fastcgi_temp_path $TMP/nginx/fastcgi;
    uwsgi_temp_path $TMP/nginx/uwsgi;
    scgi_temp_path $TMP/nginx/scgi;
    client_body_buffer_size 64k;
    client_max_body_size 1m;
    keepalive_requests 100000000;
    keepalive_timeout 75s;
    server {
        listen 127.0.0.1:$1;
        location / {
            default_type application/json;
            return 200 '{"code":200}';
        }
    }
}
EOF
}

mitm_addon() {
    cat > "$TMP/mitm_addon.py" <<'EOF'
# bench-proxy.sh's mitmdump peer: parse every body like a capture would, answer without upstream.
import json
from mitmproxy import http

def request(flow: http.HTTPFlow) -> None:
    events = json.loads(flow.request.content)["events"]
    flow.response = http.Response.make(
        200, b'{"code":200,"events_ingested":%d}' % len(events), {"Content-Type": "application/json"})
EOF
}

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
        nginx)
            nginx_conf "$port"
            echo "nginx $(nginx -v 2>&1 | sed 's/^nginx version: //')" >> "$TMP/versions"
            nginx -e "$TMP/nginx.err" -c "$TMP/nginx/nginx.conf" -g 'daemon off;' >/dev/null 2>>"$TMP/nginx.err" &
            ;;
        mitmdump)
            mitm_addon
            echo "mitmdump: mitmproxy $("$MITM_VENV/bin/python" -c 'import mitmproxy.version as v; print(v.VERSION)'), $("$MITM_VENV/bin/python" -V)" >> "$TMP/versions"
            upstream=$(free_port)   # nothing listens there: the addon answers every request
            "$MITM_VENV/bin/mitmdump" --mode "reverse:http://127.0.0.1:$upstream" \
                --listen-host 127.0.0.1 --listen-port "$port" -s "$TMP/mitm_addon.py" -q \
                --set confdir="$TMP/mitm-conf" --set connection_strategy=lazy \
                >/dev/null 2>"$TMP/mitmdump.err" &
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
    rss=$(peak_rss_kb "$pid")
    echo "$mode $line cpu_ticks=$((t1 - t0)) rss_kb=$rss" >> "$RESULTS"
    case $mode in quiet|output|json|https)
        # The store writer's own counters (group commit), over the warm-up and the run.
        python3 -c 'import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())' \
            "http://127.0.0.1:$port/ampscope/status" > "$TMP/$mode.status" 2>/dev/null || rm -f "$TMP/$mode.status" ;;
    esac
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    if [ -f "$TMP/$mode.sqlite" ]; then
        stored=$(sqlite3 "$TMP/$mode.sqlite" 'SELECT count(*) FROM capture' 2>/dev/null || echo "?")
        echo "$mode stored=$stored" >> "$TMP/stored"
    fi
done

python3 - "$RESULTS" "$TMP/stored" "$DURATION" "$WARMUP" "$CONNS" "$WRK_THREADS" "$THREADS" "$(getconf CLK_TCK)" "$TMP/versions" "$TMP" <<'PY'
import json, os, sys
results, stored_file, duration, warmup, conns, wrk_threads, threads, clk, versions_file, tmp = sys.argv[1:]
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
          "https": "ampscope proxy --quiet over HTTPS (--tls)",
          "nginx": "nginx, constant answer (peer)",
          "mitmdump": "mitmdump + json.loads addon (peer)"}
body = next((f"{kv.get('body', '?')} 10-event bodies of {int(kv.get('body_bytes', 0)) / 1000:.1f} KB" for _, kv in rows), "")
print(f"\nbench-proxy: wrk -t{wrk_threads} -c{conns}, {duration} s after a {warmup} s warm-up, {body}, "
      f"{threads} event loop(s), loopback, 2 shared cores")
try:
    for line in open(versions_file):
        print("  " + line.strip())
except FileNotFoundError:
    pass
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
for mode, _ in rows:
    try:
        w = json.load(open(os.path.join(tmp, f"{mode}.status"))).get("writer")
    except (OSError, ValueError):
        w = None
    if w and w.get("captures"):
        n = w["captures"]
        print(f"writer ({mode}): {n} captures in {w['commits']} commits ({n / max(w['commits'], 1):.1f} a commit, "
              f"largest {w['largest_batch']}); per capture {1000 * w['commit_ms'] / n:.0f} µs in commits, "
              f"{1000 * w['commit_cpu_ms'] / n:.0f} µs of the writer's CPU; longest commit {w['longest_commit_ms']:.1f} ms")
if base:
    for mode, rps in out.items():
        if mode != "baseline":
            print(f"ratio {mode}/baseline: {rps / base:.2f}")
for peer in ("mitmdump", "nginx"):
    if peer in out and "quiet" in out:
        print(f"ratio quiet/{peer}: {out['quiet'] / out[peer]:.2f}")
if "quiet" in out:
    q = int(dict(rows)["quiet"]["p99_us"]) / 1000
    checks = []
    if "mitmdump" in out:
        checks.append(("quiet >= 10x mitmdump", out["quiet"] / out["mitmdump"] >= 10))
    if base:
        checks.append(("quiet >= 0.25x baseline", out["quiet"] / base >= 0.25))
    checks.append(("quiet p99 < 10 ms", q < 10))
    print("issue 16 targets: " + "; ".join(f"{name}: {'met' if ok else 'NOT met'}" for name, ok in checks))
if "https" in out and "quiet" in out:
    print(f"ratio https/quiet (TLS cost on the same capture pipeline): {out['https'] / out['quiet']:.2f}")
PY
