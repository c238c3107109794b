#!/usr/bin/env bash
# The `aiops serve` benchmark of issue #17 (`just bench-api`), on loopback with a release
# build; prints the figures.
#
# 1. API under load: AIOPS_BENCH_FINDINGS (100,000) open findings seeded into a fresh
#    SQLite store through the store's own API (host/state/examples/seed_findings.rs), then
#    AIOPS_BENCH_REQUESTS (10,000) requests at AIOPS_BENCH_CONCURRENCY (200) on
#    GET /api/v1/findings?severity=high&limit=100 with a read token, from `wrk` (Debian:
#    apt-get install wrk): p50, p99, errors, server RSS. The host runs on a config with
#    no `sources:` — `aiops serve` runs no cycle then, so the seeded findings stay as
#    seeded (a cycle would mark them stale: no source reports them); the seeder marks the
#    outbox routed, so the notifier has no backlog either.
# 2. Idle RSS of `aiops serve` with the built-in plugins on config/config.local.yaml
#    (a copy of the file and of local-dev/, so nothing in the tree is written), after its
#    first cycle.
# 3. The development loop: `serve --watch` on the same config; the severity override of
#    k8s.resources.cpu-limit-missing is edited (low → high) and the time to the API
#    showing those findings as high is taken (polled every 10 ms), AIOPS_BENCH_EDITS (5)
#    times, alternating.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
findings=${AIOPS_BENCH_FINDINGS:-100000}
requests=${AIOPS_BENCH_REQUESTS:-10000}
concurrency=${AIOPS_BENCH_CONCURRENCY:-200}
edits=${AIOPS_BENCH_EDITS:-5}
threads=2

command -v wrk >/dev/null || { echo "bench-api: wrk not found (apt-get install -y wrk)" >&2; exit 2; }
command -v curl >/dev/null || { echo "bench-api: curl not found" >&2; exit 2; }
cargo build --release -q -p aiops
bin=$root/target/release/aiops
# The seeder's speed is no figure: AIOPS_BENCH_SEEDER may name a debug build of it.
seed=${AIOPS_BENCH_SEEDER:-}
if [ -z "$seed" ]; then
  cargo build --release -q -p aiops-state --example seed_findings
  seed=$root/target/release/examples/seed_findings
fi
work=$root/target/tmp/bench-api
rm -rf "$work"
mkdir -p "$work"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
rss_kib() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }
mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }
wait_ready() { # PORT PID
  for _ in $(seq 1 600); do
    kill -0 "$2" 2>/dev/null || { echo "bench-api: aiops serve exited; its log:" >&2; cat "$work"/*.log >&2; exit 1; }
    curl -fs "http://127.0.0.1:$1/readyz" >/dev/null && return 0
    sleep 0.1
  done
  echo "bench-api: aiops serve not ready in 60 s" >&2; exit 1
}
token=bench-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
export AIOPS_BENCH_TOKEN=$token AIOPS_LOG_FORMAT=json

echo "== 1. GET /api/v1/findings?severity=high&limit=100: $findings findings, $requests requests at $concurrency concurrent"
export AIOPS_DATA_DIR=$work/api-data
mkdir -p "$AIOPS_DATA_DIR"
"$seed" "$AIOPS_DATA_DIR/state.db" "$findings"
port=$(free_port)
cat > "$work/api.yaml" <<YAML
# No sources: aiops serve runs no cycle, the seeded findings stay as they are.
sources: []
api:
  listen: 127.0.0.1:$port
  tokens: [{name: bench, role: read, token_env: AIOPS_BENCH_TOKEN}]
YAML
"$bin" serve --config "$work/api.yaml" >"$work/api.log" 2>&1 &
pids+=($!); server=$!
wait_ready "$port" "$server"
url="http://127.0.0.1:$port/api/v1/findings?severity=high&limit=100"
page=$(curl -fs -H "Authorization: Bearer $token" "$url")
echo "one page: $(printf '%s' "$page" | python3 -c 'import json,sys; p=json.load(sys.stdin); print(len(p["findings"]), "findings,", sum(f["severity"]=="high" for f in p["findings"]), "high, next", p["next"])'), $(printf '%s' "$page" | wc -c) bytes"
rss_before=$(rss_kib "$server" VmRSS)
load() { # THREADS CONNECTIONS REQUESTS: wrk's output
  wrk -t"$1" -c"$2" -d300s --timeout 10s -s "$root/tests/bench/fixed-count.lua" \
    "$url" -- "$token" $(($3 / $1)) >"$work/wrk.out" 2>&1 &
  local pid=$!
  until [ "$(grep -c '^THREAD_DONE' "$work/wrk.out")" -ge "$1" ]; do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  kill -INT "$pid" 2>/dev/null || true
  wait "$pid" || true
  cat "$work/wrk.out"
}
out=$(load "$threads" "$concurrency" "$requests")
echo "$out" | grep -v '^FIGURES' | sed 's/^/  wrk: /' | grep -E 'Latency|Req/Sec|requests in|Non-2xx|Socket errors' || true
figures=$(echo "$out" | grep '^FIGURES' | sed 's/^FIGURES //')
rss_after=$(rss_kib "$server" VmRSS)
rss_peak=$(rss_kib "$server" VmHWM)
echo "RESULT api: $figures server_rss_before_mib=$(mib "$rss_before") server_rss_after_mib=$(mib "$rss_after") server_rss_peak_mib=$(mib "$rss_peak")"
single=$(load 1 1 500 | grep '^FIGURES' | sed 's/^FIGURES //')
echo "RESULT api, one connection (500 requests, unloaded): $single"
kill "$server"; wait "$server" 2>/dev/null || true

echo "== 2. idle RSS of aiops serve on config/config.local.yaml (built-in plugins)"
mkdir -p "$work/local/config"
cp -r local-dev "$work/local/local-dev"
rm -rf "$work/local/local-dev/iac-remote.git"
cp config/config.local.yaml "$work/local/config/config.local.yaml"
export AIOPS_DATA_DIR=$work/local-data
port=$(free_port)
cycles() { curl -fs -H "Authorization: Bearer $token" "http://127.0.0.1:$port/api/v1/cycles" | python3 -c 'import json,sys; print(sum(c["status"]=="completed" for c in json.load(sys.stdin)))' 2>/dev/null || echo 0; }
# A read token for the bench, in the config's own `api:` section (or a new one).
tokens='  tokens: [{name: bench, role: read, token_env: AIOPS_BENCH_TOKEN}]'
if grep -q '^api:$' "$work/local/config/config.local.yaml"; then
  sed -i "s/^api:\$/api:\n$tokens/" "$work/local/config/config.local.yaml"
else
  printf 'api:\n%s\n' "$tokens" >> "$work/local/config/config.local.yaml"
fi
"$bin" serve --config "$work/local/config/config.local.yaml" --listen "127.0.0.1:$port" >"$work/local.log" 2>&1 &
pids+=($!); server=$!
wait_ready "$port" "$server"
for _ in $(seq 1 600); do [ "$(cycles)" -ge 1 ] && break; sleep 0.1; done
sleep 3
echo "RESULT idle: first_cycles=$(cycles) server_rss_mib=$(mib "$(rss_kib "$server" VmRSS)") server_rss_peak_mib=$(mib "$(rss_kib "$server" VmHWM)")"
kill "$server"; wait "$server" 2>/dev/null || true

echo "== 3. serve --watch: a config edit to its effect on the next cycle ($edits edits)"
config=$work/local/config/config.local.yaml
port=$(free_port)
"$bin" serve --watch --config "$config" --listen "127.0.0.1:$port" >"$work/watch.log" 2>&1 &
pids+=($!); server=$!
wait_ready "$port" "$server"
for _ in $(seq 1 600); do [ "$(cycles)" -ge 1 ] && break; sleep 0.1; done
sleep 2
severity_now() {
  curl -fs -H "Authorization: Bearer $token" \
    "http://127.0.0.1:$port/api/v1/findings?rule=k8s.resources.cpu-limit-missing&limit=1" |
    python3 -c 'import json,sys; f=json.load(sys.stdin)["findings"]; print(f[0]["severity"] if f else "none")' 2>/dev/null || echo none
}
from=low
times=()
for i in $(seq 1 "$edits"); do
  to=$([ "$from" = low ] && echo high || echo low)
  [ "$(severity_now)" = "$from" ] || { echo "bench-api: expected $from findings before edit $i, got $(severity_now)" >&2; exit 1; }
  start=$(date +%s%N)
  # Written in place (an editor's save): `sed -i` renames a new file over the old, and
  # the watcher then sees only the first such edit.
  edited=$(sed "s/k8s.resources.cpu-limit-missing: $from/k8s.resources.cpu-limit-missing: $to/" "$config")
  printf '%s\n' "$edited" >"$config"
  until [ "$(severity_now)" = "$to" ]; do
    [ $(( ($(date +%s%N) - start) / 1000000 )) -lt 30000 ] || { echo "bench-api: edit $i not in effect after 30 s" >&2; exit 1; }
    sleep 0.01
  done
  times+=($(( ($(date +%s%N) - start) / 1000000 )))
  from=$to
  sleep 1.5
done
echo "RESULT watch: config_edit_to_effect_ms=$(IFS=,; echo "${times[*]}")"
