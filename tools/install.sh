#!/usr/bin/env bash
# Lays out the container image's files from a built tree: the one code path shared by the
# Docker build (docker/Dockerfile, through `tools/setup.sh install /staging`) and its CI test
# (tests/install/install_test.sh), since no Docker engine runs on the development machines.
#
#   tools/install.sh BUILD_DIR DESTDIR
#
# BUILD_DIR is a configured and built cuttle tree; DESTDIR receives, with prefix /usr:
#   usr/sbin/cuttle                  the binary (cmake --install, stripped)
#   etc/cuttle/cuttle.conf           the image's configuration (docker/cuttle.conf)
#   usr/etc/cuttle/cuttle.conf       a link to it: the default path of a binary built with
#                                    CMAKE_INSTALL_PREFIX=/usr, so `cuttle -k parse` finds it
#   usr/libexec/cuttle/healthcheck   the HEALTHCHECK command (docker/healthcheck.sh)
# DESTDIR's files are meant to be copied to / of the runtime stage as they are. The runtime
# libraries, the user and /var/cache/cuttle are the runtime stage's own (docker/Dockerfile).
set -euo pipefail

if [ $# -ne 2 ]; then
  echo "usage: tools/install.sh BUILD_DIR DESTDIR" >&2
  exit 2
fi
ROOT=$(cd "$(dirname "$0")/.." && pwd)
build_dir=$1
dest=$2
if [ "$(realpath -m "$dest")" = / ]; then
  echo "tools/install.sh: DESTDIR is a staging directory that the image copies to /, not /" >&2
  exit 2
fi

DESTDIR="$dest" cmake --install "$build_dir" --prefix /usr --strip >/dev/null
install -D -m 0644 "$ROOT/docker/cuttle.conf" "$dest/etc/cuttle/cuttle.conf"
# cmake installs the loopback-only conf/cuttle.conf there; the image has one configuration.
rm -f "$dest/usr/etc/cuttle/cuttle.conf"
mkdir -p "$dest/usr/etc/cuttle"
ln -s ../../../etc/cuttle/cuttle.conf "$dest/usr/etc/cuttle/cuttle.conf"
install -D -m 0755 "$ROOT/docker/healthcheck.sh" "$dest/usr/libexec/cuttle/healthcheck"
# Readable by all, writable by root alone, whatever the umask: COPY keeps these modes.
chmod -R u=rwX,go=rX "$dest"
