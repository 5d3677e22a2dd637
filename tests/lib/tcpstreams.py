"""Long-lived TCP streams for the session-sync tests: an echo server, and a client that keeps
COUNT streams busy (a small message every 50 ms on each, echoed back) and reports, per stream,
the longest time without an echo and how it ended. Standard library only; run it inside a
namespace:

  python3 tcpstreams.py server PORT [nodelay]
  python3 tcpstreams.py client HOST PORT COUNT DURATION_S   (JSON result on stdout)
"""
import json
import selectors
import socket
import sys
import time

INTERVAL = 0.05
MESSAGE = b"ccagent!"


def server(port, nodelay=False):
    """Echoes every stream. nodelay: TCP_NODELAY on each stream, as the client has; without it
    Nagle holds an echo while the previous one is unacknowledged, so one lost echo waits for
    its loss probe (about 200 ms with one segment in flight) instead of being SACKed by the
    next."""
    sel = selectors.DefaultSelector()
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("0.0.0.0", port))
    listener.listen(1024)
    listener.setblocking(False)
    sel.register(listener, selectors.EVENT_READ)
    while True:
        for key, _ in sel.select():
            if key.fileobj is listener:
                conn, _ = listener.accept()
                conn.setblocking(False)
                if nodelay:
                    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                sel.register(conn, selectors.EVENT_READ)
                continue
            conn = key.fileobj
            try:
                data = conn.recv(65536)
            except OSError:
                data = b""
            if not data:
                sel.unregister(conn)
                conn.close()
                continue
            try:
                conn.sendall(data)
            except OSError:
                sel.unregister(conn)
                conn.close()


def client(host, port, count, duration):
    streams = []
    for _ in range(count):
        s = socket.create_connection((host, port), timeout=5)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.setblocking(False)
        streams.append({"sock": s, "last": time.time(), "max_gap": 0.0, "gap_at": 0.0, "echoes": 0,
                        "error": None, "pending": 0, "port": s.getsockname()[1]})
    start = time.time()
    print(json.dumps({"ready": True}), file=sys.stderr, flush=True)
    sel = selectors.DefaultSelector()
    for i, st in enumerate(streams):
        sel.register(st["sock"], selectors.EVENT_READ, i)
    next_send = start
    while time.time() - start < duration:
        now = time.time()
        if now >= next_send:
            for st in streams:
                if st["error"]:
                    continue
                try:
                    st["sock"].send(MESSAGE)
                except BlockingIOError:
                    pass
                except OSError as e:
                    st["error"] = type(e).__name__
            next_send += INTERVAL
        for key, _ in sel.select(timeout=max(0.0, next_send - time.time())):
            st = streams[key.data]
            try:
                data = key.fileobj.recv(65536)
            except BlockingIOError:
                continue
            except OSError as e:
                st["error"] = type(e).__name__
                sel.unregister(key.fileobj)
                continue
            if not data:
                st["error"] = "closed"
                sel.unregister(key.fileobj)
                continue
            now = time.time()
            if now - st["last"] > st["max_gap"]:
                st["max_gap"], st["gap_at"] = now - st["last"], st["last"]
            st["last"] = now
            st["echoes"] += 1
    end = time.time()
    result = []
    for st in streams:
        gap, gap_at = max((st["max_gap"], st.get("gap_at", start)), (end - st["last"], st["last"]))
        result.append({"max_gap": round(gap, 3), "gap_at": round(gap_at, 4), "echoes": st["echoes"],
                       "error": st["error"], "port": st["port"]})
        st["sock"].close()
    print(json.dumps(result))


if __name__ == "__main__":
    if sys.argv[1] == "server":
        server(int(sys.argv[2]), sys.argv[3:] == ["nodelay"])
    else:
        client(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]))
