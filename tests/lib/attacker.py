"""The attacker of the security tests: an extra namespace on the control and fabric bridges, and
the datagrams it sends (forged, replayed, tampered, oversized, flooded, with a spoofed source).

  attach(lab, topo)     rewires ctl0/fab0 of a cclab.Topology through two bridges in the switch
                        namespace ("hubs": ageing 0, so every port sees every frame) with an
                        attacker namespace <prefix>-at on both (10.77.0.66, 10.77.1.66)
  heartbeat(...)        a datagram in the wire format of Sources/Cluster/Wire/HeartbeatCodec.swift
  decode_header(bytes)  the header fields of a captured datagram
  Attacker              runs this file inside the attacker namespace: capture, send, flood

Run as a script inside a namespace (ip netns exec NS python3 attacker.py CMD ...):
  capture IFACE SECONDS OUT [DST_PORT ...]   AF_PACKET: every UDP datagram to those ports, as
                                            JSON lines {src, dst, dport, hex} in OUT
  send SRC DST PORT FILE                    each hex line of FILE from SRC (any address: raw
                                            socket, the source is spoofed if not ours)
  flood SECONDS RATE FILE                   JSON lines {src, dst, port, hex} of FILE, round
                                            robin, at RATE datagrams/s for SECONDS; prints the
                                            number sent and the achieved rate as JSON
Standard library only.
"""
import hmac
import hashlib
import json
import os
import socket
import struct
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import cclab  # noqa: E402

ATTACKER = {"ctl0": "10.77.0.66", "fab0": "10.77.1.66"}
LINK = {"ctl0": 1, "fab0": 2}
PORT = {"ctl0": cclab.CTL_PORT, "fab0": cclab.FAB_PORT}
STATE = {k: v for k, v in cclab.STATE_NUMBER.items() if k != "lost"}  # RedundancyGroupState
HEADER = struct.Struct("!4sBBBBBQQQIQQH")  # HeartbeatCodec's 55-byte header


# --------------------------------------------------------------------------------- topology

def attach(lab, topo):
    """Puts ctl0 and fab0 of both nodes on bridges brc/brf in the switch namespace, with the
    attacker namespace on both. Returns the attacker's namespace name."""
    ns = f"{topo.prefix}-at"
    lab.namespaces.append(ns)
    sw = topo.switch
    # Deleting one end of netns.sh's veth pair removes both.
    script = [f"ip netns add {ns}", f"ip -n {ns} link set lo up",
              f"ip -n {topo.ns[0]} link del ctl0", f"ip -n {topo.ns[0]} link del fab0"]
    for dev, bridge in (("ctl0", "brc"), ("fab0", "brf")):
        subnet = "10.77.0" if dev == "ctl0" else "10.77.1"
        script += [f"ip -n {sw} link add {bridge} type bridge ageing_time 0 stp_state 0",
                   f"ip -n {sw} link set {bridge} up"]
        for n, node_ns in enumerate(topo.ns):
            script += [f"ip -n {sw} link add {dev[0]}n{n} type veth peer name {dev} netns {node_ns}",
                       f"ip -n {sw} link set {dev[0]}n{n} master {bridge} up",
                       f"ip -n {node_ns} addr add {subnet}.{n + 1}/24 dev {dev}",
                       f"ip -n {node_ns} link set {dev} up"]
        script += [f"ip -n {sw} link add {dev[0]}at type veth peer name {dev} netns {ns}",
                   f"ip -n {sw} link set {dev[0]}at master {bridge} up",
                   f"ip -n {ns} addr add {ATTACKER[dev]}/24 dev {dev}",
                   f"ip -n {ns} link set {dev} up"]
    cclab.sh("set -e\n" + "\n".join(script))
    return ns


# --------------------------------------------------------------------------------- wire format

def _varint(v):
    out = bytearray()
    while True:
        byte = v & 0x7F
        v >>= 7
        if v:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def group(rg, priority, state, failovers=0, weight=255, healthy=True):
    """One RG record: (id, configured = effective priority, weight, state, healthy, counts)."""
    status = STATE[state] | (8 if healthy else 0)
    return (struct.pack("!BBBhBB", rg, priority, priority, weight, status, 0)
            + _varint(failovers) + _varint(0) + _varint(0))


def heartbeat(link, cluster_id, node, epoch, sequence, groups, key=None, digest=0,
              nonce=1, echoed=0, leaving=False):
    """A heartbeat (link "ctl0") or probe ("fab0") as HeartbeatCodec encodes it, signed with
    key (bytes) when given."""
    flags = (1 if key else 0) | (2 if leaving else 0)
    body = HEADER.pack(b"CCHB", 2, flags, LINK[link], cluster_id, node, epoch, sequence, digest,
                       0, nonce, echoed, len(groups)) + b"".join(groups)
    if key:
        body += hmac.new(key, body, hashlib.sha256).digest()
    return body


def decode_header(data):
    """The header of a datagram as a dict (no check of its MAC)."""
    (magic, version, flags, link, cluster, node, epoch, seq, digest, generation, nonce, echoed,
     count) = HEADER.unpack_from(data)
    return {"magic": magic, "version": version, "flags": flags, "link": link,
            "cluster": cluster, "node": node, "epoch": epoch, "sequence": seq, "digest": digest,
            "nonce": nonce, "echoed": echoed, "groups": count}


def read_key(path):
    """The key as ccagentd uses it (trailing whitespace stripped)."""
    with open(path, "rb") as f:
        return f.read().rstrip(b" \t\n\r\x0b\x0c")


# --------------------------------------------------------------------------------- the attacker

class Attacker:
    """This file run inside the attacker namespace (root in the host: it can read the lab's
    files, but a test gives it only what its threat model allows)."""

    def __init__(self, lab, ns):
        self.lab, self.ns = lab, ns

    def _run(self, *args, timeout=60):
        return cclab.run(["ip", "netns", "exec", self.ns, sys.executable, os.path.abspath(__file__),
                          *map(str, args)], timeout=timeout)

    def capture(self, seconds, ports=(cclab.CTL_PORT, cclab.FAB_PORT), iface="ctl0"):
        """Datagrams seen on the attacker's port of one bridge for `seconds`, as dicts."""
        out = self.lab.path(f"capture-{time.monotonic_ns()}.jsonl")
        self._run("capture", iface, seconds, out, *ports, timeout=seconds + 30)
        with open(out) as f:
            return [json.loads(line) for line in f if line.strip()]

    def capture_both(self, seconds):
        """Control and fabric bridges at once: (control datagrams, fabric datagrams)."""
        outs = [self.lab.path(f"capture-{dev}-{time.monotonic_ns()}.jsonl") for dev in ("ctl0", "fab0")]
        procs = [subprocess.Popen(["ip", "netns", "exec", self.ns, sys.executable,
                                   os.path.abspath(__file__), "capture", dev, str(seconds), out,
                                   str(PORT[dev])])
                 for dev, out in zip(("ctl0", "fab0"), outs)]
        for p in procs:
            p.wait(timeout=seconds + 30)
        result = []
        for out in outs:
            with open(out) as f:
                result.append([json.loads(line) for line in f if line.strip()])
        return result

    def send(self, src, dst, port, payloads):
        path = self.lab.path(f"send-{time.monotonic_ns()}.hex")
        with open(path, "w") as f:
            f.write("".join(p.hex() + "\n" for p in payloads))
        self._run("send", src, dst, port, path)

    def flood(self, seconds, rate, datagrams, processes=1, realtime=20):
        """datagrams: (src, dst, port, payload) tuples sent round robin at `rate` in all by
        `processes` senders (one Python sender manages a few thousand a second on a loaded
        machine); starts the flood and returns a Flood. The senders run SCHED_RR `realtime`,
        above ccagentd's 10: a real attacker has CPUs of its own, and here the agents (a debug
        build spends ~80 % of a core on 10 000 datagrams/s) would otherwise starve the senders
        below the rate asked for (19 480 of 24 000/s)."""
        path = self.lab.path(f"flood-{time.monotonic_ns()}.jsonl")
        with open(path, "w") as f:
            for src, dst, port, payload in datagrams:
                f.write(json.dumps({"src": src, "dst": dst, "port": port, "hex": payload.hex()}) + "\n")
        share = max(1, rate // processes)
        chrt = ["chrt", "-r", str(realtime)] if realtime else []
        return Flood([self.lab.spawn(["ip", "netns", "exec", self.ns, *chrt, sys.executable,
                                      os.path.abspath(__file__), "flood", str(seconds),
                                      str(share), path],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                      for _ in range(processes)])


class Flood:
    """The running senders of Attacker.flood."""

    def __init__(self, procs):
        self.procs = procs

    def wait(self, timeout):
        """0 when every sender succeeded."""
        return max(p.wait(timeout) for p in self.procs)

    def summary(self, timeout=90):
        """{sent, failed, seconds, rate} over all senders (rate: datagrams/s in all)."""
        parts = [json.loads(p.communicate(timeout=timeout)[0].decode().strip().splitlines()[-1])
                 for p in self.procs]
        seconds = max(p["seconds"] for p in parts)
        sent = sum(p["sent"] for p in parts)
        return {"sent": sent, "failed": sum(p["failed"] for p in parts), "seconds": seconds,
                "rate": sent / seconds if seconds else 0}


def _raw_socket():
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
    return s


def _packets(src, dst, port, payload, ident=0, mtu=1500):
    """IPv4 + UDP around payload, in fragments when longer than the MTU (an oversized
    datagram from a spoofed source); the kernel fills in the IP checksum, UDP checksum 0."""
    udp = struct.pack("!HHHH", 40000, port, 8 + len(payload), 0) + payload
    step = (mtu - 20) // 8 * 8
    out = []
    for offset in range(0, len(udp), step):
        chunk = udp[offset:offset + step]
        more = 0x2000 if offset + step < len(udp) else 0
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(chunk), ident & 0xFFFF,
                         more | offset // 8, 64, 17, 0, socket.inet_aton(src),
                         socket.inet_aton(dst))
        out.append(ip + chunk)
    return out


def _capture(iface, seconds, out, ports):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
    s.bind((iface, 0))
    deadline = time.time() + seconds
    with open(out, "w") as f:
        while time.time() < deadline:
            s.settimeout(max(0.01, deadline - time.time()))
            try:
                frame, address = s.recvfrom(65535)
            except socket.timeout:
                break
            if address[2] == socket.PACKET_OUTGOING:
                continue
            ip = frame[14:]
            if len(ip) < 20 or ip[9] != 17:
                continue
            ihl = (ip[0] & 15) * 4
            udp = ip[ihl:]
            dport = struct.unpack("!H", udp[2:4])[0]
            if dport in ports:
                f.write(json.dumps({"src": socket.inet_ntoa(ip[12:16]),
                                    "dst": socket.inet_ntoa(ip[16:20]), "dport": dport,
                                    "hex": udp[8:].hex()}) + "\n")
    return 0


def _send(src, dst, port, path):
    s = _raw_socket()
    with open(path) as f:
        for i, line in enumerate(f):
            if line.strip():
                for packet in _packets(src, dst, port, bytes.fromhex(line.strip()), i):
                    try:
                        s.sendto(packet, (dst, 0))
                    except OSError:
                        pass
    return 0


def _flood(seconds, rate, path):
    with open(path) as f:
        items = [json.loads(line) for line in f if line.strip()]
    packets = [(p, i["dst"]) for n, i in enumerate(items)
               for p in _packets(i["src"], i["dst"], i["port"], bytes.fromhex(i["hex"]), n)]
    s = _raw_socket()
    sent = failed = 0
    start = time.monotonic()
    end = start + seconds
    batch = max(1, rate // 1000)  # pace in 1 ms slices
    n = 0
    while True:
        now = time.monotonic()
        if now >= end:
            break
        due = int((now - start) * rate)
        if sent + failed >= due:
            time.sleep(0.0005)
            continue
        for _ in range(min(batch, due - sent - failed)):
            packet, dst = packets[n % len(packets)]
            n += 1
            try:
                s.sendto(packet, (dst, 0))
                sent += 1
            except OSError:
                failed += 1
    elapsed = time.monotonic() - start
    print(json.dumps({"sent": sent, "failed": failed, "seconds": elapsed,
                      "rate": sent / elapsed if elapsed else 0}))
    return 0


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "capture":
        sys.exit(_capture(sys.argv[2], float(sys.argv[3]), sys.argv[4],
                          {int(p) for p in sys.argv[5:]}))
    if cmd == "send":
        sys.exit(_send(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]))
    if cmd == "flood":
        sys.exit(_flood(float(sys.argv[2]), int(sys.argv[3]), sys.argv[4]))
    sys.exit(f"unknown command {cmd}")
