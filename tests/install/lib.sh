# shellcheck shell=bash
# Shared by install_test.sh and cluster_test.sh (sourced, not run): staging the image's
# files as docker/Dockerfile does, running them as the image's non-root user, a local
# origin, and bounded waits. Everything listens on 127.0.0.1 with kernel-chosen ports.
#
# The sourcing script sets ROOT (the checkout), BUILD_DIR (a built tree, or empty for the
# Dockerfile's full `tools/setup.sh install`) and calls setup_tmp first.

TESTS_INSTALL=$ROOT/tests/install
DOCKERFILE=$ROOT/docker/Dockerfile
PIDS=()

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

ok() {
  echo "ok: $*"
}

setup_tmp() {
  TMP=$(mktemp -d "${TMPDIR:-/tmp}/cuttle-install.XXXXXX")
  # The non-root user must reach the staged binary and its run directory.
  chmod 0755 "$TMP"
  trap cleanup EXIT
}

cleanup() {
  local status=$?
  local pid
  for pid in "${PIDS[@]}"; do
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if [ "$status" -ne 0 ]; then
    # What the processes said, for the failure's diagnosis.
    local f
    for f in "$TMP"/*.out "$TMP"/*.err; do
      [ -s "$f" ] || continue
      echo "---- ${f##*/} (last lines)" >&2
      tail -n 20 "$f" >&2
    done
  fi
  rm -rf "$TMP"
}

# wait_until SECONDS DESCRIPTION COMMAND...: polls COMMAND every 0.1 s until it succeeds.
wait_until() {
  local limit=$1 what=$2
  shift 2
  local tries=$((limit * 10))
  while ! "$@"; do
    tries=$((tries - 1))
    [ "$tries" -gt 0 ] || fail "timed out after ${limit}s waiting for $what"
    sleep 0.1
  done
}

# stage_image DESTDIR: the image's files, through the Dockerfile's own install script.
stage_image() {
  local dest=$1
  if [ -n "$BUILD_DIR" ]; then
    "$ROOT/tools/install.sh" "$BUILD_DIR" "$dest"
  else
    "$ROOT/tools/setup.sh" install "$dest"
  fi
}

# The image's user id (ARG CUTTLE_UID in the Dockerfile) when running as root; otherwise the
# tests run as whoever runs them.
image_uid() {
  local uid
  uid=$(sed -n 's/^ARG CUTTLE_UID=\([0-9][0-9]*\)$/\1/p' "$DOCKERFILE")
  [ -n "$uid" ] || fail "no ARG CUTTLE_UID=<number> in docker/Dockerfile"
  echo "$uid"
}

if [ "$(id -u)" -eq 0 ]; then
  RUN_UID=$(image_uid)
else
  RUN_UID=$(id -u)
fi

# "${AS_USER[@]}" COMMAND...: runs COMMAND as the image's user (uid and gid CUTTLE_UID, no
# supplementary groups), as `USER cuttle` does. A prefix rather than a function, so that a
# command started with & has its own pid in $!.
AS_USER=()
if [ "$(id -u)" -eq 0 ]; then
  AS_USER=(setpriv "--reuid=$RUN_UID" "--regid=$RUN_UID" --clear-groups --)
fi

# owned_file PATH: an empty file owned by the run user. cuttle's stdout and stderr are such
# files: a container runtime (runc) gives PID 1's standard streams to the container's user,
# and `access_log stdio:/dev/stdout` reopens them by path, which needs that ownership.
owned_file() {
  : >"$1"
  chown "$RUN_UID:$RUN_UID" "$1" 2>/dev/null || true
}

# owned_dir PATH: a directory as the image makes /var/cache/cuttle.
owned_dir() {
  install -d -m 0750 "$1"
  chown "$RUN_UID:$RUN_UID" "$1" 2>/dev/null || true
}

# adapt_conf SRC DST STATE_DIR [EXTRA_LINE...]: a container config for this machine: its
# http_port becomes 127.0.0.1:0 (loopback, a port the kernel picks), /var/cache/cuttle
# becomes STATE_DIR/cache and /run/cuttle STATE_DIR/run, both made as the image makes them;
# EXTRA_LINEs are appended.
adapt_conf() {
  local src=$1 dst=$2 state=$3
  shift 3
  grep -q '^http_port ' "$src" || fail "$src has no http_port line"
  grep -q '/var/cache/cuttle' "$src" || fail "$src has no cache_dir under /var/cache/cuttle"
  mkdir -p "$state"
  chmod 0755 "$state"
  owned_dir "$state/cache"
  owned_dir "$state/run"
  awk -v state="$state" '
    /^http_port / { if (!done) print "http_port 127.0.0.1:0"; done = 1; next }
    { gsub("/var/cache/cuttle", state "/cache"); gsub("/run/cuttle/", state "/run/"); print }' \
    "$src" >"$dst"
  local line
  for line in "$@"; do echo "$line" >>"$dst"; done
  chmod 0644 "$dst"
}

# start_cuttle NAME BINARY CONF: starts cuttle as the image's user, its stdout in NAME.out and
# stderr in NAME.err; sets CUTTLE_PID and CUTTLE_PORT (read from its "listening on" line).
start_cuttle() {
  local name=$1 binary=$2 conf=$3
  owned_file "$TMP/$name.out"
  owned_file "$TMP/$name.err"
  "${AS_USER[@]}" "$binary" -f "$conf" >"$TMP/$name.out" 2>"$TMP/$name.err" &
  CUTTLE_PID=$!
  PIDS+=("$CUTTLE_PID")
  local tries=100
  CUTTLE_PORT=
  while [ -z "$CUTTLE_PORT" ]; do
    kill -0 "$CUTTLE_PID" 2>/dev/null || fail "$name exited at start: $(cat "$TMP/$name.err")"
    CUTTLE_PORT=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$TMP/$name.err" | head -n 1)
    [ -n "$CUTTLE_PORT" ] && break
    tries=$((tries - 1))
    [ "$tries" -gt 0 ] || fail "$name did not report its port within 10s"
    sleep 0.1
  done
}

# stop_process PID BOUND_SECONDS: SIGTERM, then the exit status within the bound.
stop_process() {
  local pid=$1 bound=$2
  kill -TERM "$pid"
  local tries=$((bound * 10))
  while kill -0 "$pid" 2>/dev/null; do
    # A zombie still answers kill -0; wait reaps it below.
    [ "$(ps -o stat= -p "$pid" 2>/dev/null)" = Z ] && break
    tries=$((tries - 1))
    [ "$tries" -gt 0 ] || fail "pid $pid still running ${bound}s after SIGTERM"
    sleep 0.1
  done
  local status=0
  wait "$pid" || status=$?
  return "$status"
}

# start_origin: the test origin (origin.py); sets ORIGIN_PORT.
start_origin() {
  python3 "$TESTS_INSTALL/origin.py" "$TMP/origin.port" >"$TMP/origin.out" 2>"$TMP/origin.err" &
  PIDS+=("$!")
  wait_until 10 "the origin's port" test -s "$TMP/origin.port"
  ORIGIN_PORT=$(cat "$TMP/origin.port")
}

# origin_hits PATH: how many requests for PATH reached the origin.
origin_hits() {
  local n
  n=$(curl -sS --noproxy '*' --max-time 5 "http://127.0.0.1:$ORIGIN_PORT/__hits" |
      awk -v p="$1" '$2 == p { print $1 }')
  echo "${n:-0}"
}

# seconds_of "N unit": a squid duration in whole seconds (seconds, minutes, hours).
seconds_of() {
  local n=$1 unit=${2:-seconds}
  case "$unit" in
    sec* | s) echo "$n" ;;
    min*) echo $((n * 60)) ;;
    hour* | h) echo $((n * 3600)) ;;
    *) fail "unknown duration unit $unit" ;;
  esac
}

# shutdown_bound CONF: shutdown_lifetime in seconds (squid's default, 30, when absent).
shutdown_bound() {
  local value
  value=$(awk '$1 == "shutdown_lifetime" { print $2, $3 }' "$1" | tail -n 1)
  if [ -z "$value" ]; then
    echo 30
  else
    # shellcheck disable=SC2086  # "N unit" splits into two arguments on purpose
    seconds_of $value
  fi
}
