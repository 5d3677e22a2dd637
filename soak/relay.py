#!/usr/bin/env python3
"""Userspace L2 relay for the soak: a software bridge between pairs of interfaces that can delay,
duplicate and reorder IPv4 UDP frames per direction (the kernels here have no netem qdisc).

Run inside the relay namespace (ip netns exec NS python3 soak/relay.py ...):

  relay.py --control PATH --link ctl:c0:c1 [--link fab:f0:f1 ...] [--seed N]

Each --link NAME:A:B joins interfaces A (side 0, towards node0) and B (side 1, towards node1).
Every frame received on one side (ARP, IPv6, anything) is sent out of the other; frames the
relay sent itself (pkttype PACKET_OUTGOING) are never forwarded again. NAME:A:B:C adds a hub
port C (the soak's attacker): it receives a copy of every frame from A and B (unimpaired, at
once), and a frame it sends goes out of the side whose node has its destination MAC (learned
from the frames of A and B), or out of both for broadcast and unknown destinations, never
impaired. Frames whose IP protocol is in the direction's `protocols` (default [17], UDP) get
that direction's impairments:

  delay_ms, jitter_ms  each frame leaves delay + uniform(0, jitter) later; a jitter larger than
                       the gap between frames reorders them (they leave in due-time order)
  dup                  probability of sending a frame twice, the copy 1-10 ms after the original
  reorder              probability of holding a frame back and releasing it right after the next
                       one of that direction (or after hold_ms, default 250, if none comes)

Control: JSON datagrams on the UNIX datagram socket PATH, one JSON reply to the sender (if it
bound an address):
  {"op": "set", "link": "ctl", "dir": "01"|"10"|"both", "delay_ms": 50, "jitter_ms": 10,
   "dup": 0.2, "reorder": 0.5, "hold_ms": 250, "protocols": [17]}
      replaces the settings of that direction ("01": frames from side 0 to side 1); fields left
      out are zero (hold_ms 250, protocols [17])
  {"op": "clear", "link": "ctl"|"all"}   all settings back to zero, a held frame goes out now
  {"op": "stats"}                        settings and counters of every direction
Replies are {"ok": true, ...} or {"ok": false, "error": "..."}. Each link's stats carry its hub
port's counters as "hub": frames in, sent to side 0, to side 1, copied out, send errors.

Errors sending a frame (the far side administratively down during a link cut: ENETDOWN,
ENOBUFS, ENXIO, ...) are counted and otherwise ignored. Standard library only.
"""
import argparse
import errno
import heapq
import itertools
import json
import os
import random
import select
import socket
import struct
import sys
import time
import traceback

ETH_P_ALL = 0x0003
ETH_P_IP = 0x0800
PACKET_OUTGOING = 4
SOL_PACKET = 263
PACKET_ADD_MEMBERSHIP = 1
PACKET_MR_PROMISC = 1
PACKET_AUXDATA = 8
TP_STATUS_CSUMNOTREADY = 0x8
AUXDATA = struct.Struct("IIIHHHH")
DEFAULT_HOLD_MS = 250
MAX_FRAME = 65600


def log(msg):
    print(f"[relay {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def fix_l4_checksum(frame):
    """A frame from a local socket on the far veth may carry a partial checksum (offload):
    complete it, as the NIC would have, for IPv4 UDP and TCP. Returns the frame (maybe new)."""
    if len(frame) < 34 or frame[12:14] != b"\x08\x00":
        return frame
    ihl = (frame[14] & 15) * 4
    total = struct.unpack_from("!H", frame, 16)[0]
    proto = frame[23]
    frag = struct.unpack_from("!H", frame, 20)[0]
    if frag & 0x3FFF or proto not in (6, 17):      # fragments: leave alone
        return frame
    l4 = 14 + ihl
    end = 14 + total
    if end > len(frame) or end - l4 < (8 if proto == 17 else 20):
        return frame
    off = l4 + (6 if proto == 17 else 16)
    seg = bytearray(frame[l4:end])
    seg[off - l4:off - l4 + 2] = b"\0\0"
    pseudo = frame[26:34] + struct.pack("!BBH", 0, proto, end - l4)
    c = checksum(pseudo + bytes(seg))
    if proto == 17 and c == 0:
        c = 0xFFFF
    out = bytearray(frame)
    struct.pack_into("!H", out, off, c)
    return bytes(out)


class Direction:
    """One direction of one link: settings, a held frame, counters."""

    def __init__(self, link, name, out_sock):
        self.link, self.name, self.out = link, name, out_sock
        self.hub = None                     # the link's Hub, if it has one
        self.held = None                    # (token, frame)
        self.reset()
        self.stats = dict(forwarded=0, impaired=0, delayed=0, duplicated=0, held=0,
                          reordered=0, hold_timeouts=0, send_errors=0, csum_fixed=0)

    def reset(self):
        self.delay = 0.0
        self.jitter = 0.0
        self.dup = 0.0
        self.reorder = 0.0
        self.hold = DEFAULT_HOLD_MS / 1000.0
        self.protocols = {17}

    def active(self):
        return bool(self.delay or self.jitter or self.dup or self.reorder)

    def settings(self):
        return dict(delay_ms=round(self.delay * 1000, 3), jitter_ms=round(self.jitter * 1000, 3),
                    dup=self.dup, reorder=self.reorder, hold_ms=round(self.hold * 1000, 3),
                    protocols=sorted(self.protocols))


class Hub:
    """The hub port of one link: copies of both directions out, its own frames in (unimpaired),
    switched to the side that has the destination MAC."""

    def __init__(self, link, sock, side_a, side_b):
        self.link, self.sock, self.sides = link, sock, (side_a, side_b)
        self.learned = {}                   # MAC -> 0 or 1 (the side its frames came from)
        self.stats = dict(received=0, to0=0, to1=0, copied=0, send_errors=0)

    def learn(self, side, frame):
        if len(frame) >= 14 and not frame[6] & 1:
            self.learned[frame[6:12]] = side

    def copy(self, frame):
        try:
            self.sock.send(frame)
            self.stats["copied"] += 1
        except OSError:
            self.stats["send_errors"] += 1

    def forward(self, frame):
        """A frame from the hub port: to the side that has its destination, or to both."""
        self.stats["received"] += 1
        side = self.learned.get(frame[0:6]) if len(frame) >= 14 and not frame[0] & 1 else None
        for n in ((0, 1) if side is None else (side,)):
            try:
                self.sides[n].send(frame)
                self.stats[f"to{n}"] += 1
            except OSError:
                self.stats["send_errors"] += 1


class Relay:
    def __init__(self, control_path, links, seed):
        self.rng = random.Random(seed)
        self.heap = []                      # (due, counter, kind, direction, payload)
        self.counter = itertools.count()
        self.poll = select.poll()
        self.by_fd = {}                     # fd -> (socket, Direction for frames read there)
        self.links = {}                     # name -> {"01": Direction, "10": Direction}
        self.hubs = {}                      # name -> Hub
        for name, a, b, *hub in links:
            sa, sb = self.open(a), self.open(b)
            d01, d10 = Direction(name, "01", sb), Direction(name, "10", sa)
            self.links[name] = {"01": d01, "10": d10}
            if hub:
                sc = self.open(hub[0])
                self.hubs[name] = d01.hub = d10.hub = Hub(name, sc, sa, sb)
                self.by_fd[sc.fileno()] = (sc, self.hubs[name])
            self.by_fd[sa.fileno()] = (sa, d01)
            self.by_fd[sb.fileno()] = (sb, d10)
        try:
            os.unlink(control_path)
        except FileNotFoundError:
            pass
        self.control = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.control.bind(control_path)
        self.control.setblocking(False)
        self.poll.register(self.control.fileno(), select.POLLIN)

    def open(self, ifname):
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        s.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
        s.bind((ifname, 0))
        ifindex = socket.if_nametoindex(ifname)
        s.setsockopt(SOL_PACKET, PACKET_ADD_MEMBERSHIP,
                     struct.pack("iHH8s", ifindex, PACKET_MR_PROMISC, 0, b""))
        s.setblocking(False)
        self.poll.register(s.fileno(), select.POLLIN)
        return s

    # --- data path -----------------------------------------------------------------------------
    def push(self, due, kind, d, payload):
        heapq.heappush(self.heap, (due, next(self.counter), kind, d, payload))

    def send(self, d, frame):
        try:
            d.out.send(frame)
            d.stats["forwarded"] += 1
        except OSError:
            # ENETDOWN/ENXIO/ENOBUFS/EMSGSIZE...: the far side is down or the frame cannot go.
            d.stats["send_errors"] += 1

    def drain(self, sock, d):
        for _ in range(256):
            try:
                frame, anc, _flags, addr = sock.recvmsg(MAX_FRAME, socket.CMSG_SPACE(AUXDATA.size))
            except (BlockingIOError, InterruptedError):
                return
            except OSError as e:
                # ENETDOWN once when the interface goes down; nothing to forward.
                if e.errno not in (errno.ENETDOWN, errno.ENXIO, errno.ENODEV):
                    log(f"recv on {d.link}/{d.name}: {e}")
                return
            if addr[2] == PACKET_OUTGOING:
                continue
            for level, typ, data in anc:
                if level == SOL_PACKET and typ == PACKET_AUXDATA and len(data) >= AUXDATA.size:
                    if AUXDATA.unpack_from(data)[0] & TP_STATUS_CSUMNOTREADY:
                        frame = fix_l4_checksum(frame)
                        d.stats["csum_fixed"] += 1
            if isinstance(d, Hub):
                d.forward(frame)
                continue
            if d.hub is not None:
                d.hub.learn(0 if d.name == "01" else 1, frame)
                d.hub.copy(frame)
            self.frame(d, frame)

    def frame(self, d, frame):
        impaired = (d.active() or d.held is not None) and len(frame) >= 34 and \
            frame[12:14] == b"\x08\x00" and frame[23] in d.protocols
        if not impaired:
            self.send(d, frame)
            return
        d.stats["impaired"] += 1
        now = time.monotonic()
        if d.reorder and d.held is None and self.rng.random() < d.reorder:
            token = next(self.counter)
            d.held = (token, frame)
            d.stats["held"] += 1
            self.push(now + d.hold, "release", d, token)
            return
        delay = d.delay + (self.rng.uniform(0, d.jitter) if d.jitter else 0.0)
        due = now + delay
        if delay > 0:
            d.stats["delayed"] += 1
            self.push(due, "send", d, frame)
        else:
            self.send(d, frame)
        if d.held is not None:
            # The held frame goes right after this one: the two swap places.
            self.push(due + 0.0005, "send", d, d.held[1])
            d.held = None
            d.stats["reordered"] += 1
        if d.dup and self.rng.random() < d.dup:
            d.stats["duplicated"] += 1
            self.push(due + self.rng.uniform(0.001, 0.010), "send", d, frame)

    def timers(self):
        now = time.monotonic()
        while self.heap and self.heap[0][0] <= now:
            _, _, kind, d, payload = heapq.heappop(self.heap)
            if kind == "send":
                self.send(d, payload)
            elif d.held is not None and d.held[0] == payload:     # hold expired, no successor
                frame = d.held[1]
                d.held = None
                d.stats["hold_timeouts"] += 1
                self.send(d, frame)

    # --- control -------------------------------------------------------------------------------
    def directions(self, link, which):
        names = list(self.links) if link == "all" else [link]
        for name in names:
            if name not in self.links:
                raise ValueError(f"unknown link {name!r} (have {sorted(self.links)})")
        dirs = ["01", "10"] if which in ("both", None) else [which]
        for w in dirs:
            if w not in ("01", "10"):
                raise ValueError(f"unknown direction {w!r} (01, 10 or both)")
        return [self.links[n][w] for n in names for w in dirs]

    def release_held(self, d):
        if d.held is not None:
            frame = d.held[1]
            d.held = None
            self.send(d, frame)

    def command(self, req):
        op = req.get("op")
        if op == "set":
            def num(key, default=0.0, top=None):
                v = float(req.get(key, default))
                if v != v or v < 0 or (top is not None and v > top):
                    raise ValueError(f"{key} out of range: {req.get(key)!r}")
                return v
            delay, jitter = num("delay_ms", top=10000) / 1000, num("jitter_ms", top=10000) / 1000
            dup, reorder = num("dup", top=1), num("reorder", top=1)
            hold = num("hold_ms", DEFAULT_HOLD_MS, top=10000) / 1000
            protocols = {int(p) for p in req.get("protocols", [17])}
            for d in self.directions(req.get("link"), req.get("dir", "both")):
                d.delay, d.jitter, d.dup, d.reorder, d.hold = delay, jitter, dup, reorder, hold
                d.protocols = protocols
                if not reorder:
                    self.release_held(d)
            return {"ok": True}
        if op == "clear":
            for d in self.directions(req.get("link", "all"), "both"):
                d.reset()
                self.release_held(d)
            return {"ok": True}
        if op == "stats":
            return {"ok": True, "pid": os.getpid(), "queued": len(self.heap), "links": {
                name: {**{w: dict(settings=d.settings(), **d.stats) for w, d in dirs.items()},
                       **({"hub": dict(self.hubs[name].stats)} if name in self.hubs else {})}
                for name, dirs in self.links.items()}}
        raise ValueError(f"unknown op {op!r}")

    def control_input(self):
        for _ in range(64):
            try:
                data, addr = self.control.recvfrom(65536)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as e:
                log(f"control recv: {e}")
                return
            try:
                req = json.loads(data)
                if not isinstance(req, dict):
                    raise ValueError("request is not a JSON object")
                reply = self.command(req)
            except (ValueError, TypeError, KeyError) as e:
                reply = {"ok": False, "error": str(e)}
            if not reply.get("ok"):
                log(f"refused {data[:200].decode(errors='replace')}: {reply['error']}")
            if addr:
                try:
                    self.control.sendto(json.dumps(reply).encode(), addr)
                except OSError:
                    pass                     # the client gave up waiting

    # --- main loop -----------------------------------------------------------------------------
    def run(self):
        while True:
            timeout = None
            if self.heap:
                timeout = max(0.0, (self.heap[0][0] - time.monotonic()) * 1000)
            try:
                events = self.poll.poll(timeout)
                for fd, _ev in events:
                    if fd == self.control.fileno():
                        self.control_input()
                    else:
                        sock, d = self.by_fd[fd]
                        self.drain(sock, d)
                self.timers()
            except InterruptedError:
                continue
            except Exception:               # a bug must not take both links down with it
                log("unexpected error, continuing:\n" + traceback.format_exc())
                time.sleep(0.01)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--control", required=True, help="UNIX datagram control socket path")
    p.add_argument("--link", action="append", required=True, metavar="NAME:IF0:IF1[:HUB]")
    p.add_argument("--seed", type=int, default=None)
    args = p.parse_args()
    links = []
    for spec in args.link:
        parts = spec.split(":")
        if len(parts) not in (3, 4) or not all(parts):
            p.error(f"--link {spec!r}: expected NAME:IF0:IF1 or NAME:IF0:IF1:HUB")
        links.append(tuple(parts))
    relay = Relay(args.control, links, args.seed)
    log(f"pid {os.getpid()} relaying {', '.join(f'{n}: {a}<->{b}' + (f' hub {h[0]}' if h else '') for n, a, b, *h in links)}; "
        f"control {args.control}")
    try:
        relay.run()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
