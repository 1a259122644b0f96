#!/usr/bin/env bash
# Hit ratio of cuttle and Squid on the same skewed trace with a scan in the middle, at the
# same cache size (issue 3: "Measure the hit ratio on a skewed trace against Squid at the
# same size"; eviction must resist scans). Results: docs/benchmarks-cache.md.
#
#   tools/hit_ratio.sh [--objects N] [--requests R] [--scan S] [--cache-mb M] [--alpha A]
#                      [--conns C] [--modes mem,disk] [--proxies cuttle,squid]
#                      [--squid-policy POLICY] [--cuttle BINARY] [--port-base P]
#                      [--timeout SECONDS] [--keep]
#
# Defaults: 10000 objects (1-256 KiB, ~450 MiB), 80000 requests, a scan of 8000 one-time
# objects (~360 MiB), 64 MB of cache, 4 connections: 3-5 minutes on 2 cores.
#
# Every run starts with an empty cache, on the same trace (tools/hit_ratio.py gen: fixed
# seed), from a local nginx origin whose files are sparse (only sizes matter). Two
# set-ups are compared, with the same directives for both proxies:
#   mem   cache_mem M MB and no cache_dir
#   disk  cache_dir M MB (cuttle: LMDB; Squid: ufs) with cache_mem M/4 MB in front: the
#         same memory + disk budget for both. Both copy objects into memory and evict memory
#         and disk independently, so mostly the disk's size counts. How much each keeps
#         inside its cache_dir differs (cuttle fills its LMDB file to 85% of M, Squid evicts
#         in the background between 90% and 95%): the objects and bytes each held at the
#         end are printed.
# Hits are counted at the origin (its access log), not from the proxies' own headers.
# Only 127.0.0.1 is used (ports P and P+1, default 18300); every process started here is
# stopped on exit, Ctrl-C or failure; each replay is bounded by --timeout (900) seconds.
# --squid-policy: Squid's memory and cache_dir replacement policy ("lru", the default, or
# "heap GDSF", "heap LFUDA", "heap LRU"). --keep keeps the scratch directory.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)

objects=10000 requests=80000 scan=8000 cache_mb=64 alpha=0.8 conns=4
modes=mem,disk proxies=cuttle,squid squid_policy=lru timeout_s=900 keep=0
cuttle=${CUTTLE:-$here/build/release/proxy/cuttle}
port_base=18300

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case $1 in
    --objects) objects=$2; shift 2 ;;
    --requests) requests=$2; shift 2 ;;
    --scan) scan=$2; shift 2 ;;
    --cache-mb) cache_mb=$2; shift 2 ;;
    --alpha) alpha=$2; shift 2 ;;
    --conns) conns=$2; shift 2 ;;
    --modes) modes=$2; shift 2 ;;
    --proxies) proxies=$2; shift 2 ;;
    --squid-policy) squid_policy=$2; shift 2 ;;
    --cuttle) cuttle=$2; shift 2 ;;
    --timeout) timeout_s=$2; shift 2 ;;
    --port-base) port_base=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "hit_ratio: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

origin_port=$port_base proxy_port=$((port_base + 1))
for tool in nginx squid python3 curl timeout setsid; do
  command -v "$tool" >/dev/null || { echo "hit_ratio: $tool is missing" >&2; exit 2; }
done
[[ $proxies != *cuttle* || -x $cuttle ]] || { echo "hit_ratio: no cuttle binary at $cuttle (--cuttle)" >&2; exit 2; }
# A version-manager shim costs ~0.1 s per call: resolve the interpreter once.
py=$(python3 -c 'import sys; print(sys.executable)')
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for p in "$origin_port" "$proxy_port"; do
  if port_open "$p"; then echo "hit_ratio: port $p is in use (--port-base)" >&2; exit 2; fi
done

work=$(mktemp -d "${TMPDIR:-/tmp}/hit-ratio.XXXXXX")
chmod 755 "$work"  # squid drops privileges and must reach its directory
pids=()            # servers, each the leader of its own process group
replay_pid=""      # the replay client running, if any

stop_group() {  # stop_group PID: SIGTERM to its group, SIGKILL after 5 s
  local pid=$1
  kill -TERM -- "-$pid" 2>/dev/null || return 0
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL -- "-$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  local rc=$? pid
  trap - EXIT INT TERM HUP
  [ -n "$replay_pid" ] && kill -TERM "$replay_pid" 2>/dev/null
  for pid in "${pids[@]}"; do stop_group "$pid"; done
  if [ "$keep" = 1 ] || { [ "$rc" -ne 0 ] && [ "$rc" -ne 130 ]; }; then  # kept after a failure
    echo "hit_ratio: scratch directory kept: $work" >&2
  else
    rm -rf "$work"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

wait_port() {  # wait_port PORT PID LOG: at most 30 s
  for _ in $(seq 300); do
    port_open "$1" && return 0
    kill -0 "$2" 2>/dev/null || break
    sleep 0.1
  done
  echo "hit_ratio: nothing listens on $1; last lines of $3:" >&2
  tail -n 20 "$3" >&2
  return 1
}
start() {  # start LOG CMD...: in its own process group; sets pid
  setsid "${@:2}" >"$1" 2>&1 </dev/null &
  pid=$!
  pids+=("$pid")
}
forget() { local p keep_pids=(); for p in "${pids[@]}"; do [ "$p" = "$1" ] || keep_pids+=("$p"); done; pids=("${keep_pids[@]}"); }
peak_rss_mb() { awk '/^VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$1/status" 2>/dev/null || echo "?"; }

# ---- the trace and the origin
echo "hit_ratio: work directory $work"
"$py" "$here/tools/hit_ratio.py" gen --www "$work/www" --trace "$work/trace" --sim "$work/sim.json" \
  --objects "$objects" --requests "$requests" --scan "$scan" --alpha "$alpha" --cache-mb "$cache_mb"
chmod -R a+rX "$work/www"
mkdir -p "$work/origin"
cat >"$work/origin/nginx.conf" <<CONF
daemon off; master_process off; worker_processes 1;
pid $work/origin/nginx.pid; error_log $work/origin/error.log warn;
events { worker_connections 4096; }
http {
  log_format hit_ratio '\$request_uri \$body_bytes_sent \$status';
  access_log $work/origin/access.log hit_ratio;
  default_type application/octet-stream;
  sendfile on; keepalive_timeout 300s; keepalive_requests 1000000;
  client_body_temp_path $work/origin/tmp;
  server {
    listen 127.0.0.1:$origin_port backlog=4096;
    root $work/www;
    location / { add_header Cache-Control "public, max-age=86400"; }
  }
}
CONF
start "$work/origin/stdout.log" nginx -p "$work/origin" -c "$work/origin/nginx.conf"
wait_port "$origin_port" "$pid" "$work/origin/error.log"
curl -sf -o /dev/null "http://127.0.0.1:$origin_port/o/0" || { echo "hit_ratio: origin does not serve /o/0" >&2; exit 1; }

mem_mb() { [ "$1" = mem ] && echo "$cache_mb" || echo $((cache_mb / 4)); }

cuttle_conf() {  # cuttle_conf MODE DIR
  cat <<CONF
http_port 127.0.0.1:$proxy_port
workers 1
visible_hostname hit-ratio-cuttle
http_access allow localhost
http_access deny all
access_log none
cache_log $2/cache.log
cache_mem $(mem_mb "$1") MB
maximum_object_size_in_memory 1 MB
maximum_object_size 1 MB
client_idle_pconn_timeout 5 minutes
CONF
  [ "$1" = disk ] && echo "cache_dir lmdb $2/cache $cache_mb"
  return 0
}

squid_conf() {  # squid_conf MODE DIR
  cat <<CONF
http_port 127.0.0.1:$proxy_port
workers 1
$( [ "$(id -u)" = 0 ] && echo "cache_effective_user $squid_user" )
http_access allow localhost
http_access deny all
cache_mem $(mem_mb "$1") MB
memory_cache_mode always
maximum_object_size_in_memory 1 MB
maximum_object_size 1 MB
memory_replacement_policy $squid_policy
cache_replacement_policy $squid_policy
collapsed_forwarding on
access_log none
cache_store_log none
logfile_rotate 0
cache_log $2/cache.log
pid_filename $2/squid.pid
coredump_dir $2
netdb_filename none
pinger_enable off
icp_port 0
htcp_port 0
visible_hostname hit-ratio-squid
client_idle_pconn_timeout 5 minutes
shutdown_lifetime 1 seconds
CONF
  [ "$1" = disk ] && echo "cache_dir ufs $2/cache $cache_mb 16 256"
  return 0
}

# Squid refuses to run as root: it switches to the proxy user, which must own its files.
squid_user=proxy
id proxy >/dev/null 2>&1 || squid_user=nobody

# What the cache held at the end, from the proxy itself: Squid's cache manager, cuttle's
# cuttle-cache tool (read-only, next to the binary); cuttle has no memory-cache report.
held() {  # held PROXY MODE DIR
  local out="" mgr="http://127.0.0.1:$proxy_port/squid-internal-mgr"
  if [ "$1" = squid ]; then
    out=$(curl -s --max-time 5 "$mgr/info" | awk -F':\t*' '/Storage Mem size/ {printf ", memory %s", $2}')
    [ "$2" = disk ] && out+=$(curl -s --max-time 5 "$mgr/storedir" |
      awk -F': *' '/^Store Entries/ {n = $2} /^Current Store Swap Size/ {s = $2}
                   END {printf ", cache_dir %d objects, %s", n, s}')
  elif [ "$2" = disk ] && [ -x "$cuttle_cache" ]; then
    out=$("$cuttle_cache" -d "$3/cache" stats 2>/dev/null |
      awk '$1 == "objects" {n = $2} $1 == "bytes" {b = $2 " " $3} END {printf ", cache_dir %d objects, %s", n, b}')
  fi
  [ "$2" = disk ] && out+=", $(du -sm "$3/cache" | cut -f1) MB on disk (du)"
  echo "$out"
}
cuttle_cache=$(dirname "$cuttle")/../tools/cuttle-cache

run_one() {  # run_one PROXY MODE
  local name="$1-$2" d="$work/$1-$2"
  mkdir -p "$d"
  if [ "$1" = cuttle ]; then
    cuttle_conf "$2" "$d" >"$d/proxy.conf"
    start "$d/stdout.log" "$cuttle" -f "$d/proxy.conf"
  else
    squid_conf "$2" "$d" >"$d/proxy.conf"
    [ "$(id -u)" = 0 ] && chown "$squid_user" "$d"
    if [ "$2" = disk ]; then  # create the ufs directories first
      timeout 60 squid -N -z -f "$d/proxy.conf" >"$d/squid-z.log" 2>&1
    fi
    start "$d/stdout.log" squid -N -f "$d/proxy.conf"
  fi
  local server=$pid
  wait_port "$proxy_port" "$server" "$d/stdout.log"
  if [ "$1" = squid ] && [ "$2" = disk ]; then  # the store index must be loaded
    for _ in $(seq 300); do grep -q "Finished rebuilding storage" "$d/cache.log" && break; sleep 0.1; done
  fi
  echo "hit_ratio: $name"
  local rc=0
  # In the background: a signal runs the trap at once instead of after the replay.
  timeout --kill-after=10 "$timeout_s" "$py" "$here/tools/hit_ratio.py" replay --trace "$work/trace" \
    --proxy "127.0.0.1:$proxy_port" --origin "127.0.0.1:$origin_port" --conns "$conns" \
    --log "$work/origin/access.log" --name "$name" --out "$d/result.json" &
  replay_pid=$!
  wait "$replay_pid" || rc=$?
  replay_pid=""
  echo "$name: peak RSS $(peak_rss_mb "$server") MB$(held "$1" "$2" "$d")" | tee -a "$work/notes"
  stop_group "$server"
  forget "$server"
  if [ "$rc" -ne 0 ]; then
    echo "hit_ratio: $name: replay failed (exit $rc); last lines of its log:" | tee -a "$work/notes" >&2
    tail -n 5 "$d/cache.log" "$d/stdout.log" 2>/dev/null | tee -a "$work/notes" >&2
  fi
  [ -f "$d/result.json" ] && results+=("$d/result.json")
  return 0
}

results=()
IFS=, read -ra mode_list <<<"$modes"
IFS=, read -ra proxy_list <<<"$proxies"
for mode in "${mode_list[@]}"; do
  for proxy in "${proxy_list[@]}"; do
    run_one "$proxy" "$mode"
  done
done

echo
echo "$("$cuttle" -v 2>/dev/null | head -n1) ($cuttle), $(squid -v | head -n1), $(nginx -v 2>&1 | sed 's/.*: //') origin"
echo "$(nproc) CPUs, cache $cache_mb MB (disk runs: cache_dir $cache_mb MB + cache_mem $((cache_mb / 4)) MB), squid policy $squid_policy, $conns connections"
"$py" "$here/tools/hit_ratio.py" report --sim "$work/sim.json" "${results[@]}"
cat "$work/notes"
