#!/usr/bin/env bash
# One entry point for setting cuttle up on Debian 12, used by the README, CI and the Docker
# build alike:
#
#   tools/setup.sh run       install what is missing, build a release binary, run it in the
#                            foreground on 127.0.0.1:3128 with conf/cuttle.conf
#   tools/setup.sh test      the same set-up, then the whole test suite: a release build,
#                            then again under AddressSanitizer and UndefinedBehaviorSanitizer
#   tools/setup.sh build     the same set-up and build only
#   tools/setup.sh install DESTDIR
#                            build and install the image's files into a staging root
#                            (what docker/Dockerfile does; see tools/install.sh)
#
# apt-get runs only when a package is missing (quiet otherwise), through sudo when not root.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
MODE=${1:-run}
JOBS=$(nproc 2>/dev/null || echo 2)

BUILD_PACKAGES=(build-essential cmake pkg-config libuv1-dev liblmdb-dev libc-ares-dev
                node-llhttp libgtest-dev libgmock-dev libbenchmark-dev libcrypt-dev)
TEST_PACKAGES=(curl haproxy)

install_missing() {
  local missing=()
  for p in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$p")
    fi
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  echo "setup: installing ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

build() {  # build DIR [cmake args...]
  local dir=$1
  shift
  cmake -S "$ROOT" -B "$dir" -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
  cmake --build "$dir" -j "$JOBS"
}

cache_dir_ready() {
  # The default configuration keeps its cache under /var/cache/cuttle.
  local dir=/var/cache/cuttle
  if [ -w "$dir" ] || { [ ! -e "$dir" ] && [ -w "$(dirname "$dir")" ]; }; then return 0; fi
  sudo install -d -o "$(id -u)" -g "$(id -g)" "$dir"
}

squid_package() {  # squid_package DIR: Debian's squid.conf for the tests, Squid not installed
  local dir=$1
  export CUTTLE_SQUID_ROOT="$dir"
  [ -f "$dir/etc/squid/squid.conf" ] && return 0
  rm -rf "$dir" && mkdir -p "$dir"
  if ! (cd "$dir" && apt-get download -qq squid squid-common >/dev/null 2>&1 &&
        for deb in ./*.deb; do dpkg-deb -x "$deb" .; done); then
    echo "setup: could not download Debian's squid package; its squid.conf tests will skip" >&2
  fi
}

case "$MODE" in
  run)
    install_missing "${BUILD_PACKAGES[@]}"
    build "$ROOT/build/release" -DCUTTLE_TESTS=OFF
    cache_dir_ready
    exec "$ROOT/build/release/proxy/cuttle" -f "$ROOT/conf/cuttle.conf"
    ;;
  build)
    install_missing "${BUILD_PACKAGES[@]}"
    build "$ROOT/build/release"
    ;;
  test)
    install_missing "${BUILD_PACKAGES[@]}" "${TEST_PACKAGES[@]}"
    squid_package "$ROOT/build/squid-package"
    build "$ROOT/build/release"
    ctest --test-dir "$ROOT/build/release" -j "$JOBS" --output-on-failure --timeout 300
    # The same suite with the sanitizers: memory errors and undefined behaviour fail it.
    build "$ROOT/build/sanitize" -DCMAKE_BUILD_TYPE=Debug -DCUTTLE_SANITIZE=ON
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
      ctest --test-dir "$ROOT/build/sanitize" -j "$JOBS" --output-on-failure --timeout 600
    ;;
  install)
    dest=${2:?usage: tools/setup.sh install DESTDIR}
    install_missing "${BUILD_PACKAGES[@]}"
    # A tree of its own: the release tree keeps its tests and prefix for the other modes.
    build "$ROOT/build/install" -DCUTTLE_TESTS=OFF -DCMAKE_INSTALL_PREFIX=/usr
    "$ROOT/tools/install.sh" "$ROOT/build/install" "$dest"
    ;;
  *)
    echo "usage: tools/setup.sh run|test|build|install DESTDIR" >&2
    exit 2
    ;;
esac
