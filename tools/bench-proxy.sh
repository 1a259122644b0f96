#!/usr/bin/env bash
# cuttle as the proxy under test of ../shared/bench/compare.sh (its --proxy-cmd): writes a
# config from the harness's variables into $PROXY_WORKDIR and runs cuttle in the foreground.
#   PROXY_PORT, PROXY_WORKDIR, PROXY_CACHE_MB, PROXY_THREADS: set by the harness.
#   CUTTLE: the binary (default: build/release/proxy/cuttle next to this script).
#   CUTTLE_BENCH_RULES: a file of acl/http_access lines to use instead of "allow all".
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${CUTTLE:-$here/build/release/proxy/cuttle}
dir=${PROXY_WORKDIR:?}
cat > "$dir/cuttle.conf" <<CONF
http_port 127.0.0.1:${PROXY_PORT:?}
workers ${PROXY_THREADS:-1}
visible_hostname cuttle-bench
access_log none
cache_log $dir/cache.log
cache_mem ${PROXY_CACHE_MB:-256} MB
maximum_object_size_in_memory 4 MB
maximum_object_size 64 MB
cache_dir lmdb $dir/cache 1024
client_idle_pconn_timeout 5 minutes
CONF
if [ -n "${CUTTLE_BENCH_RULES:-}" ]; then
  cat "$CUTTLE_BENCH_RULES" >> "$dir/cuttle.conf"
else
  echo "http_access allow all" >> "$dir/cuttle.conf"
fi
exec "$bin" -f "$dir/cuttle.conf"
