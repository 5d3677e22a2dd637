"""What a host on a reth's LAN sees, for the reth tests: pings from a client, TCP answers from
the nodes, the frames on the switch, and which node holds an address. Standard library only.

  Pinger        an ICMP echo to an address every `interval` s from a namespace (raw socket, no
                iputils needed); replies with their send and receive times
  FrameCapture  every frame with a given source MAC that a switch port receives from its node
                (one AF_PACKET socket in the switch namespace), GARPs and NAs decoded
  serve_name    a TCP server in a node namespace that answers each connection with its name
  tcp_answer    the name a TCP connection from the client to ADDRESS:PORT is answered with
  HolderSampler `ip -j addr` on two nodes in turn, recording every sample where both hold it
  neighbour_mac the MAC a host's neighbour entry for an address holds
  fdb_ports     the switch ports a bridge has learned a MAC on
  garp_bursts   GARPs of one address grouped into bursts (gaps over `gap` s start a new one)

Run as a script inside a namespace (`ip netns exec NS python3 lanprobe.py ping|capture|serve
...`) it does the namespace-side part; the classes start those and read their output files.
"""
import json
import os
import socket
import struct
import subprocess
import sys
import threading
import time

HERE = os.path.abspath(__file__)
PACKET_OUTGOING = 4
ETH_P_ALL = 0x0003


# --------------------------------------------------------------------------------- test side

class Pinger:
    """Pings `address` from namespace `ns` every `interval` s until the lab closes."""

    def __init__(self, lab, ns, address, name="ping", interval=0.02):
        self.out = lab.path(f"{name}.replies")
        self.proc = lab.spawn(["ip", "netns", "exec", ns, sys.executable, HERE, "ping", address,
                               str(interval), self.out], log=f"{name}.log")

    def replies(self):
        """[(sequence, sent, received)] so far (times: time.time())."""
        rows = []
        try:
            with open(self.out) as f:
                for line in f:
                    parts = line.split()
                    if len(parts) == 3:
                        rows.append((int(parts[0]), float(parts[1]), float(parts[2])))
        except OSError:
            pass
        return rows

    def answered_after(self, instant):
        """The first reply to a probe sent after `instant`, or None."""
        return next(((s, sent, got) for s, sent, got in self.replies() if sent > instant), None)

    def loss(self, start, end, late=0.1):
        """(probes lost, outage in s) between the last probe answered in time before `start` and
        the first after `end`: lost ones had no reply within `late` s (a reply queued behind an
        ARP resolution still cost its wait); the outage is the longest gap between two probes
        answered in time. None while no probe sent after `end` is answered."""
        timely = sorted((s, sent) for s, sent, got in self.replies() if got - sent <= late)
        before = [r for r in timely if r[1] <= start]
        after = [r for r in timely if r[1] >= end]
        if not before or not after:
            return None
        window = [r for r in timely if before[-1][1] <= r[1] <= after[0][1]]
        lost = (window[-1][0] - window[0][0] + 1) - len(window)
        outage = max(b[1] - a[1] for a, b in zip(window, window[1:]))
        return lost, outage


class FrameCapture:
    """Frames with source `mac` that the switch ports `ports` receive from their nodes, from
    now until the lab closes, as (time, port, kind, sender address) with kind garp, na or
    other (sender: the ARP sender or NA target address; '' for other frames)."""

    def __init__(self, lab, switch, ports, mac, name="frames"):
        self.out = lab.path(f"{name}.frames")
        self.proc = lab.spawn(["ip", "netns", "exec", switch, sys.executable, HERE, "capture",
                               mac, self.out, *ports], log=f"{name}.log")
        ready = self.out + ".ready"
        deadline = time.time() + 10
        while not os.path.exists(ready) and time.time() < deadline:
            time.sleep(0.02)
        if not os.path.exists(ready):
            raise RuntimeError(f"frame capture in {switch} did not start")

    def frames(self, after=0.0):
        rows = []
        try:
            with open(self.out) as f:
                for line in f:
                    parts = line.split()
                    if len(parts) >= 3 and float(parts[0]) > after:
                        rows.append((float(parts[0]), parts[1], parts[2],
                                     parts[3] if len(parts) > 3 else ""))
        except OSError:
            pass
        return rows


def garp_bursts(frames, address, port, gap=0.5):
    """The GARPs for `address` from `port`, grouped into bursts: [[time, ...], ...]."""
    bursts = []
    for t, p, kind, sender in frames:
        if kind != "garp" or p != port or sender != address:
            continue
        if bursts and t - bursts[-1][-1] <= gap:
            bursts[-1].append(t)
        else:
            bursts.append([t])
    return bursts


def serve_name(lab, ns, port, name):
    """A TCP server on 0.0.0.0:port in ns answering every connection with `name`."""
    return lab.spawn(["ip", "netns", "exec", ns, sys.executable, HERE, "serve", str(port), name],
                     log=f"serve-{name}.log")


def tcp_answer(client, address, port, timeout=2.0):
    """What a new TCP connection from namespace `client` to address:port reads; None if the
    connection fails."""
    code = ("import socket,sys\n"
            f"s=socket.create_connection(({address!r},{port}),timeout={timeout})\n"
            "sys.stdout.write(s.recv(64).decode())\n")
    r = subprocess.run(["ip", "netns", "exec", client, sys.executable, "-c", code],
                       capture_output=True, text=True, timeout=timeout + 10)
    return r.stdout.strip() if r.returncode == 0 else None


def holds(ns, address):
    """Whether any interface in ns carries `address` (`ip -j addr`), not deprecated: a reth
    handing over keeps its addresses for its grace period, deprecated, and sends through the
    peer's port only, so it does not own them on the LAN."""
    r = subprocess.run(["ip", "-j", "-n", ns, "addr", "show"], capture_output=True, text=True,
                       timeout=10)
    try:
        links = json.loads(r.stdout or "[]")
    except ValueError:
        return False
    return any(a.get("local") == address and not a.get("deprecated")
               for link in links for a in link.get("addr_info", []))


def neighbour_mac(ns, address):
    """The lladdr of ns's neighbour entry for address, None without one."""
    out = subprocess.run(["ip", "-n", ns, "neigh", "show", address], capture_output=True,
                         text=True, timeout=10).stdout.split()
    return out[out.index("lladdr") + 1] if "lladdr" in out else None


def fdb_ports(switch, bridge, mac):
    """The ports of `bridge` (in namespace switch) that have learned `mac`."""
    out = subprocess.run(["bridge", "-n", switch, "-j", "fdb", "show", "br", bridge],
                         capture_output=True, text=True, timeout=10).stdout
    return {e.get("ifname") for e in json.loads(out or "[]") if e.get("mac") == mac}


class HolderSampler:
    """Samples `ip -j addr` of `first` then `second` in a loop on its own thread and records
    each time both held `address`. Read the node that takes the address over first: the one
    giving it up does so before the other takes it, so the old holder still seen with it after
    the new one was is a real overlap, never a reading race."""

    def __init__(self, first, second, address):
        self.first, self.second, self.address = first, second, address
        self.both, self.samples = [], 0
        self.halt = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.halt.is_set():
            if holds(self.first, self.address) and holds(self.second, self.address):
                self.both.append(time.time())
            self.samples += 1
            time.sleep(0.01)

    def stop(self):
        self.halt.set()
        self.thread.join()
        return self.both


# --------------------------------------------------------------------------------- namespace side

def _checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    total = (total >> 16) + (total & 0xFFFF)
    total += total >> 16
    return ~total & 0xFFFF


def _ping(address, interval, out):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    s.setblocking(False)
    ident = os.getpid() & 0xFFFF
    sent = {}
    sequence = 0
    following = time.time()
    with open(out, "a") as f:
        while True:
            now = time.time()
            if now >= following:
                sequence = (sequence + 1) & 0xFFFF
                header = struct.pack("!BBHHH", 8, 0, 0, ident, sequence)
                packet = struct.pack("!BBHHH", 8, 0, _checksum(header), ident, sequence)
                sent[sequence] = now
                try:
                    s.sendto(packet, (address, 0))
                except OSError:
                    pass  # no route or neighbour yet: the probe is lost
                following += interval
            try:
                data = s.recv(2048)
            except BlockingIOError:
                time.sleep(min(0.002, max(0.0, following - time.time())))
                continue
            icmp = data[(data[0] & 15) * 4:]
            if len(icmp) >= 8 and icmp[0] == 0:
                _, _, _, who, seq = struct.unpack("!BBHHH", icmp[:8])
                if who == ident and seq in sent:
                    f.write(f"{seq} {sent.pop(seq):.6f} {time.time():.6f}\n")
                    f.flush()


def _capture(mac, out, ports):
    wanted = bytes.fromhex(mac.replace(":", ""))
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    open(out + ".ready", "w").close()
    with open(out, "a") as f:
        while True:
            frame, where = s.recvfrom(65535)
            t = time.time()
            port, kind_of_packet = where[0], where[2]
            if port not in ports or kind_of_packet == PACKET_OUTGOING or frame[6:12] != wanted:
                continue
            ethertype = struct.unpack("!H", frame[12:14])[0]
            kind, sender = "other", ""
            if ethertype == 0x0806 and len(frame) >= 42:
                spa, tpa = frame[28:32], frame[38:42]
                if spa == tpa:
                    kind, sender = "garp", socket.inet_ntoa(spa)
            elif ethertype == 0x86DD and len(frame) >= 78 and frame[20] == 58 and frame[54] == 136:
                kind, sender = "na", socket.inet_ntop(socket.AF_INET6, frame[62:78])
            f.write(f"{t:.6f} {port} {kind} {sender}\n".rstrip() + "\n")
            f.flush()


def _serve(port, name):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port))
    s.listen(16)
    while True:
        conn, _ = s.accept()
        try:
            conn.sendall(name.encode())
        except OSError:
            pass
        conn.close()


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "ping":
        _ping(sys.argv[2], float(sys.argv[3]), sys.argv[4])
    elif command == "capture":
        _capture(sys.argv[2], sys.argv[3], set(sys.argv[4:]))
    elif command == "serve":
        _serve(int(sys.argv[2]), sys.argv[3])
    else:
        sys.exit(f"unknown command {command}")
