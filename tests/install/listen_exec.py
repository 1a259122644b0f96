#!/usr/bin/env python3
"""Runs a server on a listening socket made here, so that no port is fixed or guessed.

    listen_exec.py PORT_FILE VAR COMMAND [ARG...]

Listens on 127.0.0.1 with a port the kernel picks, writes that port to PORT_FILE, and
replaces itself with COMMAND, which inherits the socket and finds its descriptor in the
environment variable VAR (HAProxy: `bind "fd@${VAR}"`).
"""
import os
import socket
import sys


def main():
    port_file, var, command = sys.argv[1], sys.argv[2], sys.argv[3:]
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    os.set_inheritable(sock.fileno(), True)
    tmp = port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(f"{sock.getsockname()[1]}\n")
    os.rename(tmp, port_file)
    os.environ[var] = str(sock.fileno())
    os.execvp(command[0], command)


if __name__ == "__main__":
    main()
