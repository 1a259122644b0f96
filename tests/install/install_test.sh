#!/usr/bin/env bash
# The container image's install path, tested without a Docker engine (none runs on the
# development machines or in CI). It does what docker/Dockerfile does and runs the result
# the way the image runs it:
#
#   1. stages the image's files with the Dockerfile's own script (tools/install.sh; with no
#      --build-dir, the Dockerfile's exact command, `tools/setup.sh install DIR`);
#   2. checks the layout, that the image's config is valid with no warning, and that the
#      binaries need no library beyond the runtime stage's packages and the base image's
#      (both lists read from the Dockerfile; ldd, then dpkg for each library's package);
#   3. starts the staged binary as the image's user (uid ARG CUTTLE_UID, through setpriv
#      when run as root) with the image's config, changed only to listen on 127.0.0.1 with a
#      kernel-chosen port and to keep its cache and pid file in directories made as the
#      image makes /var/cache/cuttle and /run/cuttle;
#   4. checks /healthz, the image's HEALTHCHECK script, `cuttle -k check` and a reload
#      (`-k reconfigure`, SIGHUP), a proxied request to a local origin and a hit for the
#      second one, the access log on stdout and messages on stderr with no warning;
#   5. sends SIGTERM with a request in flight: the request completes and cuttle exits 0
#      within shutdown_lifetime; a second start on the same cache directory (a volume kept
#      across containers) serves the object without the origin.
#
#   install_test.sh [--build-dir=DIR] [--sanitize=ON|OFF]
#
# --sanitize=ON (a CUTTLE_SANITIZE tree) also allows the sanitizer runtimes in ldd.
# Loopback only, no fixed port, no internet; stops by itself.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD_DIR=
SANITIZE=OFF
for arg in "$@"; do
  case "$arg" in
    --build-dir=*) BUILD_DIR=${arg#*=} ;;
    --sanitize=*) SANITIZE=${arg#*=} ;;
    *) echo "usage: install_test.sh [--build-dir=DIR] [--sanitize=ON|OFF]" >&2; exit 2 ;;
  esac
done
# shellcheck source=tests/install/lib.sh
. "$ROOT/tests/install/lib.sh"
setup_tmp

# ---- 1. stage ------------------------------------------------------------------------------
STAGE=$TMP/staging
stage_image "$STAGE"
CUTTLE=$STAGE/usr/sbin/cuttle
IMAGE_CONF=$STAGE/etc/cuttle/cuttle.conf
HEALTHCHECK=$STAGE/usr/libexec/cuttle/healthcheck
ok "staged the image's files with tools/install.sh"

# ---- 2. layout, config, libraries ------------------------------------------------------------
[ -x "$CUTTLE" ] || fail "no executable usr/sbin/cuttle"
[ -x "$HEALTHCHECK" ] || fail "no executable usr/libexec/cuttle/healthcheck"
cmp -s "$IMAGE_CONF" "$ROOT/docker/cuttle.conf" || fail "etc/cuttle/cuttle.conf is not docker/cuttle.conf"
link=$STAGE/usr/etc/cuttle/cuttle.conf
if [ ! -L "$link" ] || [ "$(cd "$(dirname "$link")" && realpath -m "$(readlink "$link")")" != "$IMAGE_CONF" ]; then
  fail "usr/etc/cuttle/cuttle.conf (the binary's default path) does not lead to etc/cuttle/cuttle.conf"
fi
if [ -e "$STAGE/var" ] || [ -e "$STAGE/usr/local" ]; then
  fail "the staging tree has files outside usr/ and etc/: $(cd "$STAGE" && find var usr/local 2>/dev/null | head -n 3)"
fi
ok "layout: usr/sbin/cuttle, etc/cuttle/cuttle.conf, the default-path link, the healthcheck"

# `docker run IMAGE -k parse` runs cuttle without -f: its compiled-in default must lead to the
# image's config. That holds for a tree configured with prefix /usr, as the Dockerfile's is.
default_conf=$("$CUTTLE" -h | sed -n 's/.*configuration file (default \(.*\)).*/\1/p')
if [ "$(realpath -m "$STAGE$default_conf")" = "$IMAGE_CONF" ]; then
  ok "the binary's default config path ($default_conf) leads to the image's config"
elif [ -n "$BUILD_DIR" ]; then
  echo "note: $BUILD_DIR was configured with another prefix (default config $default_conf);" \
       "the image's tree, with prefix /usr, is checked by running this test without --build-dir"
else
  fail "the binary's default config path $default_conf is not the image's config"
fi

parse=$("$CUTTLE" -k parse -f "$IMAGE_CONF" 2>&1) || fail "the image's config does not load: $parse"
case "$parse" in
  *"OK (0 warnings)"*) ;;
  *) fail "the image's config loads with warnings: $parse" ;;
esac
ok "cuttle -k parse: the image's config is valid, no warning"

# The runtime stage's packages, from the Dockerfile's one apt-get install line.
runtime_packages=$(sed -n 's/.*apt-get install -y --no-install-recommends \([^\\]*\).*/\1/p' "$DOCKERFILE")
[ "$(printf '%s\n' "$runtime_packages" | grep -c .)" -eq 1 ] ||
  fail "expected one 'apt-get install -y --no-install-recommends' line in docker/Dockerfile"
read -r -a runtime_packages <<<"$runtime_packages"
# The base image's, from the Dockerfile's "# base libraries: ..." comment.
base_packages=$(sed -n 's/^# base libraries: \(.*\)$/\1/p' "$DOCKERFILE")
[ -n "$base_packages" ] || fail "no '# base libraries: ...' line in docker/Dockerfile"
allowed=" ${runtime_packages[*]} $base_packages "

package_of() {  # the Debian package that ships a library path (merged /usr or not)
  local path=$1 candidate
  for candidate in "$path" "/usr$path" "${path#/usr}" "$(realpath "$path")"; do
    if dpkg-query -S "$candidate" >/dev/null 2>&1; then
      dpkg-query -S "$candidate" | head -n 1 | cut -d: -f1
      return 0
    fi
  done
  return 1
}

used=" "
for binary in "$STAGE"/usr/sbin/*; do
  libs=$(ldd "$binary") || fail "ldd $binary failed"
  if grep -q 'not found' <<<"$libs"; then fail "${binary##*/}: missing libraries: $libs"; fi
  while read -r path; do
    pkg=$(package_of "$path") || fail "${binary##*/}: no Debian package ships $path"
    case "$allowed" in
      *" $pkg "*) ;;
      *)
        if [ "$SANITIZE" = ON ] && [[ $pkg == libasan* || $pkg == libubsan* ]]; then continue; fi
        fail "${binary##*/} needs $path from $pkg, which the runtime stage does not install"
        ;;
    esac
    case "$used" in *" $pkg "*) ;; *) used="$used$pkg " ;; esac
  done < <(awk '/=>/ { print $3 } /^[[:space:]]*\// { print $1 }' <<<"$libs")
done
for pkg in "${runtime_packages[@]}"; do
  case "$used" in
    *" $pkg "*) ;;
    *) fail "the runtime stage installs $pkg, which no binary needs" ;;
  esac
done
ok "libraries: only${used}(runtime stage: ${runtime_packages[*]})"

# ---- 3. run as the image runs --------------------------------------------------------------
CACHE=$TMP/state/cache
CONF=$TMP/cuttle.conf
adapt_conf "$IMAGE_CONF" "$CONF" "$TMP/state"
bound=$(shutdown_bound "$CONF")
start_origin
start_cuttle cuttle "$CUTTLE" "$CONF"
PORT=$CUTTLE_PORT
[ "$(ps -o uid= -p "$CUTTLE_PID" | tr -d ' ')" = "$RUN_UID" ] || fail "cuttle does not run as uid $RUN_UID"
ok "cuttle runs as uid $RUN_UID on 127.0.0.1:$PORT"

# ---- 4. health, a proxied request, logs ------------------------------------------------------
health=$(curl -sS --noproxy '*' --max-time 5 -w ' %{http_code}' "http://127.0.0.1:$PORT/healthz") ||
  fail "GET /healthz failed"
[ "$health" = "ok
 200" ] || fail "GET /healthz answered: $health"
ok "GET /healthz: 200 ok"

"${AS_USER[@]}" "$HEALTHCHECK" "127.0.0.1:$PORT" || fail "the HEALTHCHECK script reports unhealthy"
echo "http_port $PORT" >"$TMP/health.conf"
chmod 0644 "$TMP/health.conf"
CUTTLE_CONFIG=$TMP/health.conf "${AS_USER[@]}" "$HEALTHCHECK" ||
  fail "the HEALTHCHECK script did not find the port in its config"
ok "HEALTHCHECK script: healthy, with the port given and with the port read from the config"

# cuttle -k as `docker exec CONTAINER cuttle -k ...` runs it, through pid_filename; then a
# reload (SIGHUP, what `docker kill -s HUP` sends) that keeps cuttle serving.
out=$("${AS_USER[@]}" "$CUTTLE" -k check -f "$CONF" 2>&1) || fail "cuttle -k check: $out"
[ "$out" = "cuttle is running as process $CUTTLE_PID" ] || fail "cuttle -k check answered: $out"
out=$("${AS_USER[@]}" "$CUTTLE" -k reconfigure -f "$CONF" 2>&1) || fail "cuttle -k reconfigure: $out"
reloaded() { grep -q "reconfigured" "$TMP/cuttle.err"; }
wait_until 10 "cuttle to log its reload" reloaded
[ "$(curl -sS --noproxy '*' --max-time 5 "http://127.0.0.1:$PORT/healthz")" = ok ] ||
  fail "cuttle does not answer after its reload"
ok "cuttle -k check and -k reconfigure find cuttle through pid_filename; the reload keeps it serving"

url=http://127.0.0.1:$ORIGIN_PORT/object/1
for i in 1 2; do
  body=$(curl -sS --max-time 10 -x "http://127.0.0.1:$PORT" "$url") || fail "proxied GET #$i failed"
  [ "$body" = "origin says /object/1" ] || fail "proxied GET #$i answered: $body"
done
[ "$(origin_hits /object/1)" -eq 1 ] || fail "the origin saw /object/1 $(origin_hits /object/1) times, not once"
ok "two proxied GETs of one URL: the origin saw one (the second was a hit)"

# ---- 5. graceful stop with a request in flight, then a restart on the same cache ----------------
curl -sS --max-time 30 -x "http://127.0.0.1:$PORT" -o "$TMP/slow.body" -w '%{http_code}' \
  "http://127.0.0.1:$ORIGIN_PORT/slow/1" >"$TMP/slow.status" 2>"$TMP/slow.curlerr" &
slow_pid=$!
PIDS+=("$slow_pid")
slow_at_origin() { [ "$(origin_hits /slow/1)" -eq 1 ]; }
wait_until 10 "the slow request to reach the origin" slow_at_origin
started=$SECONDS
stop_process "$CUTTLE_PID" $((bound + 5)) || fail "cuttle exited $? on SIGTERM (0 expected)"
elapsed=$((SECONDS - started))
[ "$elapsed" -le "$bound" ] || fail "cuttle took ${elapsed}s to stop, beyond shutdown_lifetime (${bound}s)"
wait "$slow_pid" || fail "the request in flight failed during the drain: $(cat "$TMP/slow.curlerr")"
if [ "$(cat "$TMP/slow.status")" != 200 ] || [ "$(cat "$TMP/slow.body")" != "origin says /slow/1" ]; then
  fail "the request in flight got $(cat "$TMP/slow.status"): $(cat "$TMP/slow.body")"
fi
ok "SIGTERM: the request in flight completed, cuttle exited 0 in ${elapsed}s (shutdown_lifetime ${bound}s)"

if "${AS_USER[@]}" "$HEALTHCHECK" "127.0.0.1:$PORT" 2>/dev/null; then
  fail "the HEALTHCHECK script reports healthy with cuttle stopped"
fi
ok "HEALTHCHECK script: unhealthy once cuttle is gone"

grep -q "http://127.0.0.1:$ORIGIN_PORT/object/1" "$TMP/cuttle.out" ||
  fail "no access log line on stdout for /object/1"
grep -q "cuttle stopped" "$TMP/cuttle.err" || fail "no 'cuttle stopped' on stderr"
if grep -E -q "ERROR|WARNING" "$TMP/cuttle.err"; then
  fail "errors or warnings on stderr: $(grep -E "ERROR|WARNING" "$TMP/cuttle.err")"
fi
ok "logs: access log on stdout, cuttle's messages on stderr, no error or warning"

[ -n "$(find "$CACHE" -mindepth 1 -user "$RUN_UID" -print -quit)" ] ||
  fail "nothing in the cache directory owned by uid $RUN_UID"
start_cuttle cuttle-again "$CUTTLE" "$CONF"
body=$(curl -sS --max-time 10 -x "http://127.0.0.1:$CUTTLE_PORT" "$url") || fail "GET after restart failed"
[ "$body" = "origin says /object/1" ] || fail "GET after restart answered: $body"
[ "$(origin_hits /object/1)" -eq 1 ] || fail "after a restart the origin saw /object/1 again: the cache did not persist"
stop_process "$CUTTLE_PID" $((bound + 5)) || fail "cuttle exited $? on the second SIGTERM"
ok "restart on the same cache directory: served from the cache, exit 0 on SIGTERM"

echo "install test: all checks passed"
