#!/bin/bash
# The image's HEALTHCHECK: asks cuttle's own liveness endpoint, `GET /healthz` in origin form
# on the proxy port, and succeeds on a 200. Needs nothing but bash (its /dev/tcp), which
# debian:bookworm-slim has, so the image carries no HTTP client.
#
#   healthcheck [HOST:PORT | PORT]
#
# Without an argument it asks the first `http_port` of $CUTTLE_CONFIG
# (/etc/cuttle/cuttle.conf by default), on loopback when that port listens on every address,
# so a mounted configuration with another port needs no change here. Exit 0 healthy,
# 1 otherwise (Docker's convention). cuttle answers /healthz to any address, whatever its
# access rules.
set -u

target=${1:-}
if [ -z "$target" ]; then
  target=3128
  while read -r directive value _; do
    if [ "$directive" = http_port ]; then
      target=$value
      break
    fi
  done < "${CUTTLE_CONFIG:-/etc/cuttle/cuttle.conf}"
fi

port=${target##*:}
host=127.0.0.1
if [ "$port" != "$target" ]; then
  host=${target%:*}
  host=${host#[}
  host=${host%]}
  case "$host" in
    0.0.0.0 | '') host=127.0.0.1 ;;
    ::) host=::1 ;;
  esac
fi

# A refused connection fails at once; read -t bounds a listener that accepts and never answers.
exec 3<>"/dev/tcp/$host/$port" || exit 1
printf 'GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' >&3
IFS= read -r -t "${CUTTLE_HEALTH_TIMEOUT:-5}" status <&3 || exit 1
case "$status" in
  "HTTP/1."?" 200 "*) exit 0 ;;
  *)
    echo "cuttle health: ${status%$'\r'}" >&2
    exit 1
    ;;
esac
