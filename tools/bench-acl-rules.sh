#!/usr/bin/env bash
# Writes the access rules of issue 4's ACL benchmark to stdout: 1,000 dstdomain entries
# and 50 http_access lines, arranged so that a request to the benchmark's origin
# (127.0.0.1) is checked against every line before the last one allows it (the worst case).
set -euo pipefail
for i in $(seq 1 1000); do echo "acl blocked dstdomain .blocked-$i.example"; done
echo "acl bench_src src 127.0.0.1/32"
echo "acl bench_port port 18000-18999"
for i in $(seq 1 48); do
  echo "acl rule$i dstdomain .rule-$i.example"
  echo "http_access deny rule$i"
done
echo "http_access deny blocked"
echo "http_access allow bench_src bench_port"
