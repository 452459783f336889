#!/usr/bin/env python3
"""engine_proxy.py: a byte-for-byte forwarder to a real engine's socket that
can stop answering, for the fault tests (an engine that takes connections and
never answers). Usage:

  engine_proxy.py LISTEN UPSTREAM READY FREEZE [ANSWER]

LISTEN is unix:PATH or tcp:PORT (on 127.0.0.1; 0: the kernel's choice, written
into READY); UPSTREAM the engine's unix socket. READY is written once it
listens. From when the file FREEZE exists, or after ANSWER connections were
taken, it answers nothing more: new connections are taken and held, bytes of
open ones are no longer passed on (the connections stay open).
"""
import os, socket, sys, threading, time

listen, upstream, ready, freeze = sys.argv[1:5]
answer = int(sys.argv[5]) if len(sys.argv) > 5 else -1
frozen = threading.Event()
held = []

def watch_freeze():
    while not frozen.is_set():
        if os.path.exists(freeze):
            frozen.set()
        time.sleep(0.05)

def pump(src, dst):
    try:
        while True:
            data = src.recv(65536)
            while frozen.is_set():
                time.sleep(3600)  # hold: neither passed on nor closed
            if not data:
                dst.shutdown(socket.SHUT_WR)
                return
            dst.sendall(data)
    except OSError:
        for s in (src, dst):
            try:
                s.close()
            except OSError:
                pass

def serve(c):
    if frozen.is_set():
        held.append(c)
        return
    u = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    u.connect(upstream)
    threading.Thread(target=pump, args=(c, u), daemon=True).start()
    threading.Thread(target=pump, args=(u, c), daemon=True).start()

if listen.startswith("unix:"):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    if os.path.exists(listen[5:]):
        os.unlink(listen[5:])  # a stopped proxy's
    s.bind(listen[5:])
    name = listen[5:]
else:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", int(listen[4:])))
    name = str(s.getsockname()[1])
s.listen(128)
with open(ready + ".tmp", "w") as f:
    f.write(name + "\n")
os.rename(ready + ".tmp", ready)
threading.Thread(target=watch_freeze, daemon=True).start()
taken = 0
while True:
    c = s.accept()[0]
    if answer >= 0 and taken >= answer:
        frozen.set()
    taken += 1
    serve(c)
