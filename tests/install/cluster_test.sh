#!/usr/bin/env bash
# docker/cluster without a Docker engine: three cuttle instances behind HAProxy, with the
# shipped docker/cluster/haproxy.cfg and docker/cluster/cuttle.conf changed only to loopback
# addresses (HAProxy's listening socket, the servers' addresses, cuttle's http_port, a cache
# directory per instance, each instance's visible_hostname as compose's `hostname:` sets it).
# It shows that
#   - HAProxy's health checks (GET /readyz) find the three caches up;
#   - each URL always reaches the same cache, even over one client connection, so the origin
#     sees every object once however often it is requested (consistent hashing on the URI);
#   - different URLs spread over all three caches;
#   - HAProxy refuses origin-form requests, which would reach cuttle's own endpoints.
#
#   cluster_test.sh [--build-dir=DIR]
#
# Needs HAProxy (Debian's haproxy, one of tools/setup.sh's TEST_PACKAGES); without it the
# test is skipped (exit 77). Loopback only, no fixed port, no internet; stops by itself.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD_DIR=
for arg in "$@"; do
  case "$arg" in
    --build-dir=*) BUILD_DIR=${arg#*=} ;;
    *) echo "usage: cluster_test.sh [--build-dir=DIR]" >&2; exit 2 ;;
  esac
done
# shellcheck source=tests/install/lib.sh
. "$ROOT/tests/install/lib.sh"

HAPROXY=$(PATH=$PATH:/usr/sbin:/sbin command -v haproxy || true)
if [ -z "$HAPROXY" ]; then
  echo "SKIP: haproxy is not installed; tools/setup.sh test installs it (TEST_PACKAGES)," \
       "or: apt-get install haproxy"
  exit 77
fi
CLUSTER=$ROOT/docker/cluster
URLS=60  # with 3 caches, all three get some: each misses all 60 with odds (2/3)^60

setup_tmp
STAGE=$TMP/staging
stage_image "$STAGE"
CUTTLE=$STAGE/usr/sbin/cuttle

# ---- the shipped files, as they are --------------------------------------------------------
out=$("$HAPROXY" -c -f "$CLUSTER/haproxy.cfg" 2>&1) || fail "docker/cluster/haproxy.cfg: $out"
out=$("$CUTTLE" -k parse -f "$CLUSTER/cuttle.conf" 2>&1) || fail "docker/cluster/cuttle.conf: $out"
case "$out" in *"OK (0 warnings)"*) ;; *) fail "docker/cluster/cuttle.conf has warnings: $out" ;; esac
ok "docker/cluster: haproxy -c and cuttle -k parse accept the shipped files"

# ---- three caches, an origin, HAProxy ------------------------------------------------------
start_origin
declare -A PORT PID
for n in 1 2 3; do
  adapt_conf "$CLUSTER/cuttle.conf" "$TMP/cuttle$n.conf" "$TMP/state$n" "visible_hostname cuttle$n"
  start_cuttle "cuttle$n" "$CUTTLE" "$TMP/cuttle$n.conf"
  PORT[$n]=$CUTTLE_PORT
  PID[$n]=$CUTTLE_PID
done
ok "cuttle1..3 on 127.0.0.1:${PORT[1]}, ${PORT[2]}, ${PORT[3]}"

owned_dir "$TMP/run"
SOCK=$TMP/run/haproxy.sock
awk -v p1="${PORT[1]}" -v p2="${PORT[2]}" -v p3="${PORT[3]}" -v sock="$SOCK" '
  /^global/ { print; print "    stats socket " sock " mode 600 level user"; next }
  /^    bind :3128$/ { print "    bind \"fd@${FE_FD}\""; next }
  /^    server cuttle[123] cuttle[123]:3128$/ {
    n = substr($2, 7); port = (n == 1 ? p1 : n == 2 ? p2 : p3)
    print "    server " $2 " 127.0.0.1:" port; next }
  { print }' "$CLUSTER/haproxy.cfg" >"$TMP/haproxy.cfg"
# shellcheck disable=SC2016  # ${FE_FD} is HAProxy's, expanded by HAProxy
if [ "$(grep -c '^    server cuttle[123] 127\.0\.0\.1:' "$TMP/haproxy.cfg")" -ne 3 ] ||
  ! grep -q '^    bind "fd@${FE_FD}"$' "$TMP/haproxy.cfg"; then
  fail "docker/cluster/haproxy.cfg no longer has 'bind :3128' and servers cuttleN cuttleN:3128"
fi
chmod 0644 "$TMP/haproxy.cfg"
owned_file "$TMP/haproxy.out"
owned_file "$TMP/haproxy.err"
python3 "$ROOT/tests/install/listen_exec.py" "$TMP/haproxy.port" FE_FD \
  "${AS_USER[@]}" "$HAPROXY" -db -f "$TMP/haproxy.cfg" >"$TMP/haproxy.out" 2>"$TMP/haproxy.err" &
HAPROXY_PID=$!
PIDS+=("$HAPROXY_PID")
wait_until 10 "HAProxy's port" test -s "$TMP/haproxy.port"
HP=$(cat "$TMP/haproxy.port")

servers_state() {  # "cuttleN STATUS CHECK_STATUS" lines from HAProxy's `show stat`
  python3 - "$SOCK" <<'EOF'
import csv, io, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"show stat\n")
data = b""
while chunk := s.recv(65536):
    data += chunk
for row in csv.DictReader(io.StringIO(data.decode().lstrip("# "))):
    if row["pxname"] == "caches" and row["svname"].startswith("cuttle"):
        print(row["svname"], row["status"], row["check_status"])
EOF
}
all_checked_up() {
  [ -S "$SOCK" ] || return 1
  [ "$(servers_state 2>/dev/null | grep -c ' UP L7OK$')" -eq 3 ]
}
# HAProxy spreads the first checks over one interval (5 s).
wait_until 20 "HAProxy's health checks to pass on all three caches" all_checked_up
ok "HAProxy on 127.0.0.1:$HP: the /readyz checks pass on cuttle1..3"

# ---- one URL, one cache; URLs spread ---------------------------------------------------------
requests=()  # "-o /dev/null URL" for each URL: curl's -o applies to one URL
for i in $(seq 1 "$URLS"); do requests+=(-o /dev/null "http://127.0.0.1:$ORIGIN_PORT/obj/$i"); done
for round in 1 2 3; do
  # One curl, one client connection, every URL: HAProxy hashes each request on its own.
  curl -sS --max-time 60 -x "http://127.0.0.1:$HP" \
    -w '%{url_effective} %{http_code} %header{via}\n' "${requests[@]}" >"$TMP/round$round.txt" ||
    fail "round $round of requests through HAProxy failed"
done
awk '$2 != 200 { bad = 1; print "not 200: " $0 > "/dev/stderr" } END { exit bad }' \
  "$TMP"/round[123].txt || fail "requests through HAProxy did not all answer 200"
# url -> the cache named in Via ("1.1 cuttleN ..."), per round.
for round in 1 2 3; do
  awk '{ print $1, $4 }' "$TMP/round$round.txt" | sort >"$TMP/route$round.txt"
done
[ "$(wc -l <"$TMP/route1.txt")" -eq "$URLS" ] || fail "round 1 answered $(wc -l <"$TMP/route1.txt") of $URLS URLs"
if ! cmp -s "$TMP/route1.txt" "$TMP/route2.txt" || ! cmp -s "$TMP/route1.txt" "$TMP/route3.txt"; then
  fail "some URL reached different caches: $(diff "$TMP/route1.txt" "$TMP/route2.txt"; diff "$TMP/route1.txt" "$TMP/route3.txt")"
fi
ok "each of $URLS URLs reached the same cache in all 3 rounds"

curl -sS --noproxy '*' --max-time 5 "http://127.0.0.1:$ORIGIN_PORT/__hits" >"$TMP/hits.txt"
for i in $(seq 1 "$URLS"); do
  n=$(awk -v p="/obj/$i" '$2 == p { print $1 }' "$TMP/hits.txt")
  [ "${n:-0}" -eq 1 ] || fail "the origin saw /obj/$i ${n:-0} times: it should be cached once in the cluster"
done
ok "the origin saw each URL once for $((URLS * 3)) requests: each object is cached once"

spread=$(awk '{ print $2 }' "$TMP/route1.txt" | sort | uniq -c | awk '{ printf "%s:%s ", $2, $1 }')
for n in 1 2 3; do
  case " $spread" in *" cuttle$n:"*) ;; *) fail "cuttle$n received no URL: $spread" ;; esac
done
ok "the URLs spread over the three caches: $spread"

status=$(curl -sS --noproxy '*' --max-time 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HP/healthz")
[ "$status" = 400 ] || fail "an origin-form request through HAProxy answered $status, not 400"
ok "HAProxy refuses origin-form requests (cuttle's own endpoints) with 400"

# ---- stop; each cache's access log holds exactly its URLs ---------------------------------------
bound=$(shutdown_bound "$TMP/cuttle1.conf")
for n in 1 2 3; do
  stop_process "${PID[$n]}" $((bound + 5)) || fail "cuttle$n exited $? on SIGTERM"
  expected=$(awk -v c="cuttle$n" '$2 == c { print $1 }' "$TMP/route1.txt")
  logged=$(grep -o "http://127\.0\.0\.1:$ORIGIN_PORT/obj/[0-9]*" "$TMP/cuttle$n.out" | sort -u || true)
  [ "$expected" = "$logged" ] || fail "cuttle$n's access log does not hold exactly the URLs routed to it"
done
ok "SIGTERM: the three caches exited 0; each access log holds exactly the URLs HAProxy sent it"
kill -TERM "$HAPROXY_PID" 2>/dev/null || true

echo "cluster test: all checks passed"
