#!/usr/bin/env bash
# cuttle's benchmarks.
#
#   tools/bench.sh quick [SECONDS]    the project's own: an nginx origin on loopback, cuttle
#                                     pinned to the last CPU, wrk on the others; the
#                                     uncacheable forwarding path (a new URL every request,
#                                     keep-alive) and cache hits of 1 KiB, 64 KiB and 1 MiB
#   tools/bench.sh acl [ARGS]         issue 4's ACL cost: cuttle without rules and cuttle with
#                                     1,000 dstdomain entries and 50 http_access lines, side
#                                     by side in the same rounds of compare.sh
#   tools/bench.sh compare [ARGS]     ../shared/bench/compare.sh with cuttle as the proxy
#                                     under test, side by side with Squid and Traffic Server
#                                     (ARGS go to compare.sh, e.g. --rounds 3)
#
# Needs wrk and nginx-light (apt-get install wrk nginx-light). Builds the release binary
# first. Only loopback addresses are used; every process started is stopped at the end.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
mode=${1:-quick}
shift || true

"$here/tools/setup.sh" build >/dev/null

if [ "$mode" = acl ]; then
  rules=$(mktemp /tmp/cuttle-acl-rules.XXXXXX)
  trap 'rm -f "$rules"' EXIT
  "$here/tools/bench-acl-rules.sh" > "$rules"
  "$here/../shared/bench/compare.sh" --anchors squid --idle-conns 0 --tunnel-mib 0 \
       --scenarios miss-1k@50,miss-1k@500,hit-1k@50 \
       --proxy-cmd "$here/tools/bench-proxy.sh" --proxy-name cuttle \
       --proxy-cmd "CUTTLE_BENCH_RULES=$rules $here/tools/bench-proxy.sh" --proxy-name cuttle-acl "$@"
  exit
fi

if [ "$mode" = compare ]; then
  exec "$here/../shared/bench/compare.sh" --proxy-cmd "$here/tools/bench-proxy.sh" \
       --proxy-name cuttle "$@"
fi

secs=${1:-5}
work=$(mktemp -d /tmp/cuttle-bench.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

ncpu=$(nproc)
proxy_cpu=$((ncpu - 1))
load_cpus=0
[ "$ncpu" -gt 2 ] && load_cpus="0-$((ncpu - 2))"
origin_port=18391
proxy_port=18392

mkdir -p "$work/www/no-store" "$work/www/cacheable"
head -c 1024 /dev/urandom > "$work/www/no-store/1k"
for s in 1k:1024 64k:65536 1m:1048576; do head -c "${s#*:}" /dev/urandom > "$work/www/cacheable/${s%%:*}"; done
cat > "$work/nginx.conf" <<CONF
worker_processes 1; daemon off; master_process off; pid $work/nginx.pid;
error_log $work/nginx.err; events { worker_connections 4096; }
http { access_log off; keepalive_requests 1000000;
  server { listen 127.0.0.1:$origin_port; root $work/www;
    location /no-store/ { add_header Cache-Control no-store; }
    location /cacheable/ { add_header Cache-Control "public, max-age=86400"; } } }
CONF
taskset -c "$load_cpus" nginx -c "$work/nginx.conf" & pids+=($!)
PROXY_PORT=$proxy_port PROXY_WORKDIR=$work PROXY_THREADS=1 PROXY_CACHE_MB=256 \
  taskset -c "$proxy_cpu" "$here/tools/bench-proxy.sh" & pids+=($!)
for _ in $(seq 50); do
  curl -s -o /dev/null "http://127.0.0.1:$origin_port/no-store/1k" && \
  curl -s -o /dev/null -x "127.0.0.1:$proxy_port" "http://127.0.0.1:$origin_port/no-store/1k" && break
  sleep 0.1
done

cat > "$work/miss.lua" <<'LUA'
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", "http://" .. origin .. "/no-store/1k?v=" .. n .. "-" .. math.random(1e9),
                    {["Host"] = origin})
end
LUA
sed -i "1i origin = \"127.0.0.1:$origin_port\"" "$work/miss.lua"

run() {  # name connections path-or-lua
  local name=$1 conns=$2 what=$3 out
  if [ "${what##*.}" = lua ]; then
    out=$(taskset -c "$load_cpus" wrk -t1 -c"$conns" -d"${secs}s" --latency -s "$what" "http://127.0.0.1:$proxy_port/")
  else
    for _ in 1 2; do curl -s -o /dev/null -x "127.0.0.1:$proxy_port" "http://127.0.0.1:$origin_port$what"; done
    cat > "$work/hit.lua" <<LUA
request = function() return wrk.format("GET", "http://127.0.0.1:$origin_port$what", {["Host"]="127.0.0.1:$origin_port"}) end
LUA
    out=$(taskset -c "$load_cpus" wrk -t1 -c"$conns" -d"${secs}s" --latency -s "$work/hit.lua" "http://127.0.0.1:$proxy_port/")
  fi
  local rps p99
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  printf "%-14s %5s conns  %12s req/s  p99 %s\n" "$name" "$conns" "$rps" "$p99"
}

echo "cuttle $(git -C "$here" rev-parse --short HEAD 2>/dev/null), ${secs}s per run, cuttle on CPU $proxy_cpu, wrk/nginx on $load_cpus"
run miss-1k 50 "$work/miss.lua"
run miss-1k 500 "$work/miss.lua"
run hit-1k 50 /cacheable/1k
run hit-1k 500 /cacheable/1k
run hit-64k 50 /cacheable/64k
run hit-1m 50 /cacheable/1m
