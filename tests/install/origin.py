#!/usr/bin/env python3
"""Origin server for the install and cluster tests, on 127.0.0.1 with a port the kernel picks.

    origin.py PORT_FILE

Writes its port to PORT_FILE once it listens. Every GET is answered 200 with a body naming
its path and `Cache-Control: max-age=3600`, so a cache keeps it, and is counted per path;
paths under /slow/ are answered after a second (a request in flight while the proxy drains).
`GET /__hits` answers the counts, one "COUNT PATH" line per path, and is not counted.
"""
import collections
import http.server
import os
import sys
import threading
import time

hits = collections.Counter()
lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        if self.path == "/__hits":
            with lock:
                body = "".join(f"{n} {p}\n" for p, n in sorted(hits.items()))
            self.answer(body, "no-store")
            return
        with lock:
            hits[self.path] += 1
        if self.path.startswith("/slow/"):
            time.sleep(1)
        self.answer(f"origin says {self.path}\n", "max-age=3600")

    def answer(self, body, cache_control):
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", cache_control)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, fmt, *args):
        pass


def main():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    tmp = sys.argv[1] + ".tmp"
    with open(tmp, "w") as f:
        f.write(f"{server.server_address[1]}\n")
    os.rename(tmp, sys.argv[1])
    server.serve_forever()


if __name__ == "__main__":
    main()
