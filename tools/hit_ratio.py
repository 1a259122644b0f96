#!/usr/bin/env python3
"""Helpers of tools/hit_ratio.sh: the trace, its replay through a proxy, the report.

  hit_ratio.py gen    --www DIR --trace FILE --sim FILE [--objects N] [--requests R]
                      [--scan S] [--alpha A] [--cache-mb M] [--seed N]
  hit_ratio.py replay --trace FILE --proxy HOST:PORT --origin HOST:PORT --log FILE
                      --name NAME --out FILE [--conns C]
  hit_ratio.py report --sim FILE RESULT.json...

gen writes the origin's files (sparse: only their sizes matter), the trace and two
simulated references computed on the trace in its order: an unbounded cache (only the
first request of each object misses) and an LRU cache of M MB counted in body bytes.

The trace: R requests with a Zipf-like popularity (weight of the k-th most popular object
proportional to 1/k^A) over N objects, sizes log-uniform between 1 KiB and 256 KiB, drawn
independently of the popularity. In the middle, S objects requested once each (the scan),
interleaved one for one with S ordinary requests. Segments, in order:
  pre-1   the first R/4 ordinary requests (the caches fill up)
  pre-2   the next R/4
  scan    S ordinary requests interleaved with the S one-time objects
  post-1  the next S ordinary requests (right after the scan: is the hot set still there?)
  post-2  the rest
Everything is drawn from one seeded generator: the same arguments give the same trace.

replay sends the trace through the proxy on C keep-alive connections (segment after
segment; inside a segment the connections take the next request in trace order) and
counts, per segment, the requests and body bytes that reached the origin, from the
origin's access log ("$request_uri $body_bytes_sent $status" lines). Hit ratio = 1 -
origin / client, by requests and by bytes.
"""
import argparse
import bisect
import collections
import http.client
import json
import math
import os
import random
import sys
import threading
import time

SEGMENTS = ["pre-1", "pre-2", "scan", "post-1", "post-2"]
KINDS = ["o", "s"]  # ordinary objects (/o/N) and one-time scan objects (/s/N)


def log_uniform_sizes(rng, n, lo, hi):
    a, b = math.log(lo), math.log(hi)
    return [int(round(math.exp(rng.uniform(a, b)))) for _ in range(n)]


def build_trace(args):
    rng = random.Random(args.seed)
    n, r, s = args.objects, args.requests, args.scan
    if s * 4 >= r:
        sys.exit("hit_ratio: --scan must be below a quarter of --requests")
    sizes = log_uniform_sizes(rng, n, 1024, 256 * 1024)
    scan_sizes = log_uniform_sizes(rng, s, 1024, 256 * 1024)
    # Popularity rank -> object id: a fixed permutation, so that ids say nothing.
    ids = list(range(n))
    rng.shuffle(ids)
    cum, total = [], 0.0
    for k in range(1, n + 1):
        total += k ** -args.alpha
        cum.append(total)
    ordinary = [ids[bisect.bisect_left(cum, rng.random() * total)] for _ in range(r)]
    quarter = r // 4
    trace = []
    for i in range(quarter):
        trace.append(("pre-1", "o", ordinary[i]))
    for i in range(quarter, 2 * quarter):
        trace.append(("pre-2", "o", ordinary[i]))
    for j in range(s):
        trace.append(("scan", "o", ordinary[2 * quarter + j]))
        trace.append(("scan", "s", j))
    for i in range(2 * quarter + s, 2 * quarter + 2 * s):
        trace.append(("post-1", "o", ordinary[i]))
    for i in range(2 * quarter + 2 * s, r):
        trace.append(("post-2", "o", ordinary[i]))
    return sizes, scan_sizes, trace


def simulate(trace, size_of, capacity):
    """Per (segment, kind): requests, bytes, and hits/hit bytes of an unbounded cache and of
    an LRU cache of `capacity` body bytes."""
    seen = set()
    lru = collections.OrderedDict()
    used = 0
    out = {}
    for seg, kind, i in trace:
        key = (kind, i)
        size = size_of(kind, i)
        c = out.setdefault(f"{seg}/{kind}", dict.fromkeys(
            ["requests", "bytes", "inf_hits", "inf_hit_bytes", "lru_hits", "lru_hit_bytes"], 0))
        c["requests"] += 1
        c["bytes"] += size
        if key in seen:
            c["inf_hits"] += 1
            c["inf_hit_bytes"] += size
        seen.add(key)
        if key in lru:
            lru.move_to_end(key)
            c["lru_hits"] += 1
            c["lru_hit_bytes"] += size
        elif size <= capacity:
            lru[key] = size
            used += size
            while used > capacity:
                _, evicted = lru.popitem(last=False)
                used -= evicted
    return out


def cmd_gen(args):
    sizes, scan_sizes, trace = build_trace(args)
    for sub, sz in (("o", sizes), ("s", scan_sizes)):
        d = os.path.join(args.www, sub)
        os.makedirs(d, exist_ok=True)
        for i, size in enumerate(sz):
            with open(os.path.join(d, str(i)), "wb") as f:
                f.truncate(size)  # sparse: nginx serves zeros, nothing is written to disk
    with open(args.trace, "w") as f:
        for seg, kind, i in trace:
            size = sizes[i] if kind == "o" else scan_sizes[i]
            f.write(f"{seg} {kind} {i} {size}\n")
    size_of = lambda kind, i: sizes[i] if kind == "o" else scan_sizes[i]
    sim = simulate(trace, size_of, args.cache_mb * 1024 * 1024)
    meta = {"objects": args.objects, "requests": args.requests, "scan": args.scan,
            "alpha": args.alpha, "seed": args.seed, "cache_mb": args.cache_mb,
            "object_bytes": sum(sizes), "scan_bytes": sum(scan_sizes),
            "trace_requests": len(trace)}
    with open(args.sim, "w") as f:
        json.dump({"meta": meta, "segments": sim}, f)
    print(f"trace: {len(trace)} requests, {args.objects} objects "
          f"({sum(sizes) / 2**20:.0f} MiB), scan of {args.scan} objects "
          f"({sum(scan_sizes) / 2**20:.0f} MiB), Zipf alpha {args.alpha}, seed {args.seed}")


def read_trace(path):
    trace = []
    with open(path) as f:
        for line in f:
            seg, kind, i, size = line.split()
            trace.append((seg, kind, int(i), int(size)))
    return trace


def origin_counts(log, offset):
    """Requests and bytes per kind logged by the origin after `offset`."""
    counts = {k: [0, 0] for k in KINDS}
    with open(log, "rb") as f:
        f.seek(offset)
        for line in f:
            parts = line.split()
            if len(parts) != 3 or not parts[0].startswith(b"/"):
                continue
            kind = parts[0].split(b"/")[1].decode()
            if kind in counts:
                counts[kind][0] += 1
                counts[kind][1] += int(parts[1])
    return counts


class Replayer:
    def __init__(self, proxy, origin, conns):
        self.proxy_host, port = proxy.rsplit(":", 1)
        self.proxy_port = int(port)
        self.origin = origin
        self.conns = conns
        self.lock = threading.Lock()

    def run(self, items):
        """Sends items (kind, id, size) on self.conns connections; returns per-kind
        proxy-reported hits and the errors."""
        self.items, self.next = items, 0
        self.reported = collections.Counter()
        self.errors = []
        threads = [threading.Thread(target=self.worker, daemon=True) for _ in range(self.conns)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return self.reported, self.errors

    def take(self):
        with self.lock:
            if self.next >= len(self.items) or len(self.errors) > 20:
                return None
            item = self.items[self.next]
            self.next += 1
            return item

    def worker(self):
        conn = None
        while (item := self.take()) is not None:
            kind, i, size = item
            url = f"http://{self.origin}/{kind}/{i}"
            for attempt in (1, 2):
                try:
                    if conn is None:
                        conn = http.client.HTTPConnection(self.proxy_host, self.proxy_port,
                                                          timeout=30)
                    conn.request("GET", url, headers={"Host": self.origin})
                    resp = conn.getresponse()
                    body = resp.read()
                    status = resp.status
                    cache_status = resp.getheader("Cache-Status", "")
                    x_cache = resp.getheader("X-Cache", "")
                    if resp.will_close:
                        conn.close()
                        conn = None
                    break
                except (OSError, http.client.HTTPException) as e:
                    if conn is not None:
                        conn.close()
                    conn = None
                    if attempt == 2:
                        with self.lock:
                            self.errors.append(f"{url}: {e!r}")
                        status, body = None, b""
            if status is None:
                continue
            if status != 200 or len(body) != size:
                with self.lock:
                    self.errors.append(f"{url}: status {status}, {len(body)} bytes, {size} expected")
                continue
            hit = "; hit" in cache_status or x_cache.startswith("HIT")
            if hit:
                with self.lock:
                    self.reported[kind] += 1
        if conn is not None:
            conn.close()


def cmd_replay(args):
    trace = read_trace(args.trace)
    rep = Replayer(args.proxy, args.origin, args.conns)
    result = {"name": args.name, "conns": args.conns, "segments": {}, "errors": []}
    start = time.monotonic()
    for seg in SEGMENTS:
        items = [(k, i, size) for s, k, i, size in trace if s == seg]
        if not items:
            continue
        offset = os.path.getsize(args.log)
        t0 = time.monotonic()
        reported, errors = rep.run(items)
        elapsed = time.monotonic() - t0
        time.sleep(0.3)  # nginx logs a request when its last byte is sent; be generous
        origin = origin_counts(args.log, offset)
        for kind in KINDS:
            req = sum(1 for k, _, _ in items if k == kind)
            if req == 0:
                continue
            result["segments"][f"{seg}/{kind}"] = {
                "requests": req, "bytes": sum(sz for k, _, sz in items if k == kind),
                "origin_requests": origin[kind][0], "origin_bytes": origin[kind][1],
                "reported_hits": reported[kind]}
        result["errors"] += errors
        print(f"  {args.name} {seg}: {len(items)} requests in {elapsed:.1f} s "
              f"({len(items) / elapsed:.0f}/s), {len(errors)} errors", file=sys.stderr)
        if len(errors) > 20:
            print(f"  {args.name}: too many errors, stopping; first: {errors[0]}", file=sys.stderr)
            break
    result["seconds"] = time.monotonic() - start
    with open(args.out, "w") as f:
        json.dump(result, f)
    return 1 if result["errors"] else 0


def ratio(hit, total):
    return f"{100.0 * hit / total:5.1f}" if total else "    -"


ROWS = [("pre-1/o", "pre-scan, first quarter (filling)"),
        ("pre-2/o", "pre-scan, second quarter"),
        ("scan/o", "during the scan: ordinary requests"),
        ("scan/s", "during the scan: one-time objects"),
        ("post-1/o", "after the scan: first S requests"),
        ("post-2/o", "after the scan: the rest"),
        ("all/o", "all ordinary requests")]


def with_total(segments):
    total = collections.Counter()
    for key, c in segments.items():
        if key.endswith("/o"):
            total.update(c)
    return dict(segments, **{"all/o": dict(total)})


def cmd_report(args):
    with open(args.sim) as f:
        sim = json.load(f)
    results = []
    for path in args.results:
        with open(path) as f:
            results.append(json.load(f))
    sims = with_total(sim["segments"])
    reals = [with_total(r["segments"]) for r in results]
    names = ["unbounded", f"LRU {sim['meta']['cache_mb']}M"] + [r["name"] for r in results]
    width = max(12, max(len(n) for n in names) + 1)
    for title, req_key, hit in (("requests", "requests", 0), ("bytes", "bytes", 1)):
        print(f"\nhit ratio by {title} (%): 1 - origin {title} / client {title}")
        print(f"{'segment':<36}" + "".join(f"{n:>{width}}" for n in names))
        for key, label in ROWS:
            if key not in sims:
                continue
            s = sims[key]
            cells = [ratio(s["inf_hit_bytes" if hit else "inf_hits"], s[req_key]),
                     ratio(s["lru_hit_bytes" if hit else "lru_hits"], s[req_key])]
            for r in reals:
                c = r.get(key)
                if not c:
                    cells.append("    -")
                    continue
                origin = c["origin_bytes" if hit else "origin_requests"]
                cells.append(ratio(c[req_key] - origin, c[req_key]))
            print(f"{label:<36}" + "".join(f"{x:>{width}}" for x in cells))
    print()
    for r, real in zip(results, reals):
        total = real["all/o"]
        scan = real.get("scan/s", {})
        reported = total.get("reported_hits", 0) + scan.get("reported_hits", 0)
        counted = (total.get("requests", 0) - total.get("origin_requests", 0) +
                   scan.get("requests", 0) - scan.get("origin_requests", 0))
        print(f"{r['name']}: {r['seconds']:.0f} s, {len(r['errors'])} errors; hits the proxy "
              f"reported (Cache-Status/X-Cache) {reported}, counted at the origin {counted}")
        for e in r["errors"][:3]:
            print(f"  error: {e}")
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("gen")
    g.add_argument("--www", required=True)
    g.add_argument("--trace", required=True)
    g.add_argument("--sim", required=True)
    g.add_argument("--objects", type=int, default=10000)
    g.add_argument("--requests", type=int, default=80000)
    g.add_argument("--scan", type=int, default=8000)
    g.add_argument("--alpha", type=float, default=0.8)
    g.add_argument("--cache-mb", type=int, default=64)
    g.add_argument("--seed", type=int, default=1)
    r = sub.add_parser("replay")
    for a in ("--trace", "--proxy", "--origin", "--log", "--name", "--out"):
        r.add_argument(a, required=True)
    r.add_argument("--conns", type=int, default=4)
    rp = sub.add_parser("report")
    rp.add_argument("--sim", required=True)
    rp.add_argument("results", nargs="+")
    args = p.parse_args()
    return {"gen": cmd_gen, "replay": cmd_replay, "report": cmd_report}[args.cmd](args) or 0


if __name__ == "__main__":
    sys.exit(main())
