#!/usr/bin/env python3
"""registry_proxy.py: an HTTP forwarder on 127.0.0.1 in front of a real
registry, that misbehaves on purpose, for tests/e2e_cache_registry_faults.sh.

Usage: registry_proxy.py MODE UPSTREAM_PORT READY LOG [ARG]

It listens on a port of the kernel's choice, written into READY once it
listens, and logs one line per request as it comes, "METHOD PATH", and one
as it is answered, "= STATUS METHOD PATH". MODE:

  slow     every request answered after ARG seconds (a registry that hangs)
  cut      the first PUT whose body is over ARG bytes: after ARG bytes the
           connection is cut and the proxy dies (a registry dying mid-push:
           every later connection refused); its line "cut PUT PATH" logged
  deny     GET and HEAD forwarded; POST, PUT, PATCH, DELETE answered 403
           DENIED (a token or account without write access)

Everything else is passed on as it is (the client's Host header included,
so that the registry's Location headers name the proxy).
"""
import http.client
import http.server
import os
import sys
import threading
import time

mode, upstream, ready, log = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
arg = float(sys.argv[5]) if len(sys.argv) > 5 else 0
lock = threading.Lock()
HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "te", "upgrade", "content-length"}


def note(line):
    with lock, open(log, "a") as f:
        f.write(line + "\n")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def answer(self, status, headers, body):
        self.send_response(status)
        for k, v in headers:
            if k.lower() not in HOP:
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        note(f"= {status} {self.command} {self.path}")

    def handle_one(self):
        note(f"{self.command} {self.path}")
        n = int(self.headers.get("Content-Length") or 0)
        if mode == "cut" and self.command == "PUT" and n > arg:
            self.rfile.read(int(arg))
            note(f"cut PUT {self.path}")
            os._exit(0)  # the registry dies: this connection cut, every later one refused
        body = self.rfile.read(n) if n else b""
        if mode == "slow":
            time.sleep(arg)
        if mode == "deny" and self.command not in ("GET", "HEAD"):
            return self.answer(403, [("Content-Type", "application/json")],
                               b'{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}')
        c = http.client.HTTPConnection("127.0.0.1", upstream, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
        headers["Content-Length"] = str(len(body))
        c.request(self.command, self.path, body=body, headers=headers)
        r = c.getresponse()
        data = r.read()
        c.close()
        self.answer(r.status, r.getheaders(), data)

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = handle_one

    def log_message(self, *args):
        pass


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


s = Server(("127.0.0.1", 0), Handler)
with open(ready + ".tmp", "w") as f:
    f.write(f"{s.server_address[1]}\n")
os.rename(ready + ".tmp", ready)
s.serve_forever()
