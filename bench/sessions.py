"""The session-survival part of `make bench` (used by bench.py): a firewall pair in namespaces,
as tests/integration/test_sessions.py builds it, for either implementation.

  FirewallLab  a Topology with lan1 (client side) and lan2 (server side) on two bridges, a client
               and a server host, forwarding through a stateful nftables ruleset that drops
               mid-stream packets without a conntrack entry (nf_conntrack_tcp_loose=0), and
               conntrackd (FTFW over UDP on the fabric addresses) in each node namespace at
               /etc/conntrackd/conntrackd.conf (ip-netns's /etc/netns bind mount)
  streams()    tests/lib/tcpstreams.py's client: COUNT long-lived TCP streams through the pair,
               a fault in the middle; per stream the longest time without an echo and how it ended
"""
import os
import re
import subprocess
import time

import firewallpair

CONNTRACKD_CONF = firewallpair.CONNTRACKD_CONF
STOCK_SCRIPT = "/usr/share/doc/conntrackd/examples/sync/primary-backup.sh"
CLIENT_GW, SERVER_GW = firewallpair.CLIENT_GW, firewallpair.SERVER_GW
FIREWALL = """table inet ccfw {
	chain forward {
		type filter hook forward priority filter; policy drop;
		ct state established,related accept
		ip saddr 192.0.2.0/24 ip daddr 198.51.100.0/24 tcp flags & (syn | ack | fin | rst) == syn ct state new accept
		counter comment "no conntrack entry: dropped"
	}
}
"""
CC_RETHS = (
    "set chassis cluster reth-count 2\n"
    "set interfaces reth0 redundant-ether-options redundancy-group 1\n"
    "set interfaces lan1 gigether-options redundant-parent reth0\n"
    f"set interfaces reth0 unit 0 family inet address {CLIENT_GW}/24\n"
    "set interfaces reth1 redundant-ether-options redundancy-group 1\n"
    "set interfaces lan2 gigether-options redundant-parent reth1\n"
    f"set interfaces reth1 unit 0 family inet address {SERVER_GW}/24\n"
    "set chassis cluster redundancy-group 1 interface-monitor lan1 weight 255\n"
    f"set chassis cluster session-sync conntrackd config {CONNTRACKD_CONF}\n"
)


def ka_vips(i):
    return f"{CLIENT_GW}/24 dev lan1 use_vmac\n    {SERVER_GW}/24 dev lan2 use_vmac"


def ka_hook(ctx, n, stamp_file):
    """keepalived's notify script on node n: the bench's timestamp, then conntrackd's stock
    primary-backup.sh (Debian's example, unchanged) with the state it expects."""
    path = ctx.path(f"ka-conntrack-hook{n}.sh")
    with open(path, "w") as f:
        f.write("#!/bin/sh\n"
                f"{ctx.helper('cchelper')} stamp {stamp_file} 1 \"$1\"\n"
                'case "$1" in MASTER) s=primary ;; BACKUP) s=backup ;; *) s=fault ;; esac\n'
                f"exec /bin/sh {STOCK_SCRIPT} $s\n")
    os.chmod(path, 0o755)
    return path


class FirewallLab:
    def __init__(self, ctx, tag, external_cache=True):
        self.ctx = ctx
        self.topo = topo = ctx.topology(tag)
        self.external_cache = external_cache
        self.tag = tag
        self.etc = []
        ctx.cleanups.append(lambda: firewallpair.remove_etc(self.etc))
        self.client, self.server_ns = firewallpair.build(
            ctx.lab, topo, topo.ns, FIREWALL, ctx.path(f"firewall-{tag}.nft"))
        log_invalid(ctx, topo.ns)
        self.conntrackd = [
            firewallpair.start_conntrackd(ctx.lab, ctx.lab.work, topo.ns[n], n, f"{tag}{n}", self.etc,
                                          external_cache=external_cache)
            for n in (0, 1)]
        self.server = ctx.spawn(firewallpair.server_argv(self.server_ns), f"streams-server-{tag}.log")
        self.interactive_server = ctx.spawn(
            firewallpair.server_argv(self.server_ns, firewallpair.NODELAY_PORT, nodelay=True),
            f"streams-server-{tag}-nodelay.log")

    def streams(self, count, interval, duration, fault, fault_at=3.0, nodelay=False, backup=None):
        """Runs `count` streams (a message every `interval` s each) for `duration` s; calls
        fault() `fault_at` s after they are all up. nodelay: to the server whose streams have
        TCP_NODELAY. Per stream: max_gap, echoes, error, and with `backup` (the node taking
        over) `held`: the stream's TCP state in what that node held just before the fault (its
        external cache, or its kernel without one), None when it held nothing, and `events`:
        that node's kernel conntrack events for the stream, as (seconds from the fault, type,
        TCP state). Returns (streams, TCP segments lost on the way (client and server), packets
        the nodes' rulesets dropped as without a conntrack entry)."""
        hosts = (self.client, self.server_ns)
        port = firewallpair.NODELAY_PORT if nodelay else firewallpair.PORT
        before = sum(firewallpair.lost_segments(ns) for ns in hosts)
        dropped = [firewallpair.dropped(ns) for ns in self.topo.ns]
        held = {}
        fault_time = []
        trace = None
        trace_path = self.ctx.path(f"conntrack-events-{self.topo.ns[0]}.txt")
        if backup is not None:
            # Why a stream the backup held dies: its entry's history in the new primary. To a
            # file: a pipe read only at the end would hold conntrack back after 64 KiB.
            with open(trace_path, "w") as out:
                trace = subprocess.Popen(
                    ["ip", "netns", "exec", self.topo.ns[backup], "conntrack", "-E", "-p", "tcp",
                     "--dport", str(port), "-o", "timestamp", "-b", str(64 << 20)],
                    stdout=out, stderr=subprocess.PIPE, text=True)

        kmsg = KernelLog()
        logs = [os.path.join(self.ctx.lab.work, f"conntrackd{self.tag}{n}.log") for n in (0, 1)]
        log_sizes = []

        def snapshot_and_fault():
            if backup is not None:
                held.update(firewallpair.held_sessions(self.topo.ns[backup], self.external_cache, port))
            kmsg.skip_to_end()
            log_sizes[:] = [os.path.getsize(p) if os.path.exists(p) else 0 for p in logs]
            fault_time.append(time.time())
            return fault()

        try:
            results = firewallpair.streams(self.client, count, interval, duration,
                                           snapshot_and_fault, fault_at, port=port)
        finally:
            events = {}
            if trace is not None:
                time.sleep(0.2)
                trace.terminate()
                _, err = trace.communicate(timeout=10)
                with open(trace_path) as f:
                    events = conntrack_events(f.read(), port, fault_time[0] if fault_time else 0.0)
                # An event burst past the socket's buffer: "no event" then proves nothing.
                self.trace_overran = "ENOBUFS" in err
        invalid = kmsg.invalid_by_client_port(port)
        after = {}
        if backup is not None:
            after = firewallpair.held_sessions(self.topo.ns[backup], False, port, lines=True)
            for r in results:
                r["held"] = held.get(r.get("port"))
                r["events"] = events.get(r.get("port"), [])
                r["entry_after"] = after.get(r.get("port"))
                r["trace_overran"] = getattr(self, "trace_overran", False)
                r["traced_streams"] = len(events)
        said = conntrackd_said(logs, log_sizes, backup) if backup is not None else ""
        for r in results:
            r["invalid"] = invalid.get(r.get("port"), {})
            r["conntrackd"] = said
        dropped = [firewallpair.dropped(ns) - d for ns, d in zip(self.topo.ns, dropped)]
        if backup is not None:
            where = f"new primary {dropped[backup]}, old primary {dropped[1 - backup]}"
            for r in results:
                r["dropped_where"] = where
        return (results, sum(firewallpair.lost_segments(ns) for ns in hosts) - before, sum(dropped))


LOG_STAMP = re.compile(r"^\[[^\]]*\]\s*(\([^)]*\)\s*)?")


def conntrackd_said(logs, sizes, backup):
    """What the two conntrackd logs gained from the fault on, as 'new primary: N× message; …
    / old: …' (timestamps and entries cut, so that the same message counts once)."""
    parts = []
    for n, path in enumerate(logs):
        if not os.path.exists(path):
            continue
        with open(path, errors="replace") as f:
            f.seek(sizes[n] if n < len(sizes) else 0)
            lines = [LOG_STAMP.sub("", line).strip() for line in f]
        counts = {}
        for line in lines:
            if not line or "src=" in line:  # an entry printed after its error line
                continue
            key = re.sub(r"\d+", "N", line)[:80]
            counts[key] = counts.get(key, 0) + 1
        top = "; ".join(f"{c}× {k}" for k, c in sorted(counts.items(), key=lambda kv: -kv[1])[:4])
        parts.append(f"{'new primary' if n == backup else 'old primary'}: {top or 'nothing'}")
    return " / ".join(parts)


def log_invalid(ctx, namespaces):
    """The kernel logs why conntrack found a TCP packet invalid (nf_conntrack_log_invalid) in
    the nodes' namespaces; outside the initial namespace only with nf_log_all_netns, which is
    put back when the lab goes."""
    path = "/proc/sys/net/netfilter/nf_log_all_netns"
    try:
        with open(path) as f:
            old = f.read().strip()
        with open(path, "w") as f:
            f.write("1")
    except OSError:
        return
    def restore():
        with open(path, "w") as f:
            f.write(old)
    ctx.cleanups.append(restore)
    for ns in namespaces:
        subprocess.run(["ip", "netns", "exec", ns, "sysctl", "-qw",
                        "net.netfilter.nf_conntrack_log_invalid=6"], check=False)


INVALID = re.compile(r"nf_ct_proto_6: (.*?) IN=.*? SPT=(\d+) DPT=(\d+)")


class KernelLog:
    """The kernel's log from a point on (/dev/kmsg, each read one record)."""

    def __init__(self):
        try:
            self.fd = os.open("/dev/kmsg", os.O_RDONLY | os.O_NONBLOCK)
        except OSError:
            self.fd = None

    def skip_to_end(self):
        if self.fd is not None:
            os.lseek(self.fd, 0, os.SEEK_END)

    def records(self):
        if self.fd is None:
            return []
        out = []
        while True:
            try:
                out.append(os.read(self.fd, 8192).decode(errors="replace"))
            except BrokenPipeError:  # overwritten before we read it
                continue
            except BlockingIOError:
                break
        os.close(self.fd)
        self.fd = None
        return out

    def invalid_by_client_port(self, port):
        """{client port: {reason: packets}} of conntrack's invalid TCP packets for `port`."""
        found = {}
        for record in self.records():
            m = INVALID.search(record)
            if not m:
                continue
            reason, spt, dpt = m.group(1), int(m.group(2)), int(m.group(3))
            client = spt if dpt == port else dpt if spt == port else None
            if client is not None:
                counts = found.setdefault(client, {})
                counts[reason] = counts.get(reason, 0) + 1
        return found


EVENT = re.compile(r"^\[(\d+\.\d+)\]\s+\[(\w+)\]\s+tcp\s+\d+\s+(?:\d+\s+)?([A-Z_]+)?.*?sport=(\d+)")


def conntrack_events(text, port, since):
    """{client port: [(seconds from `since`, NEW/UPDATE/DESTROY, TCP state)]} from the output
    of `conntrack -E -o timestamp` (a DESTROY line has no state)."""
    events = {}
    for line in text.splitlines():
        m = EVENT.match(line)
        if not m or f"dport={port} " not in line + " ":
            continue
        at, kind, state, sport = m.groups()
        events.setdefault(int(sport), []).append(
            (round(float(at) - since, 3), kind, state or "-"))
    return events


def summary(results, interval, lost, bound=2.0, dropped=None):
    """(streams that survived, longest stall among them in ms, segments lost, why the others
    did not): a stream survives when it never failed and never went `bound` s without an echo;
    its stall is its longest time without an echo minus the message interval (the figure's
    resolution). Why: {failed: {error: n}, stalled: n (no echo for `bound` s), unheld: n
    (lost streams the backup did not hold), held: {TCP state: n} (lost ones it did), dropped:
    packets dropped without a conntrack entry in the run}."""
    ok = [r for r in results if r["error"] is None and r["max_gap"] <= bound]
    lost_streams = [r for r in results if not (r["error"] is None and r["max_gap"] <= bound)]
    why = {"failed": {}, "stalled": 0, "unheld": 0, "held": {}, "dropped": dropped,
           "histories": {}, "reasons": {}, "after": {},
           "timeouts": []}
    for r in lost_streams:
        if r["error"] is not None:
            why["failed"][r["error"]] = why["failed"].get(r["error"], 0) + 1
        else:
            why["stalled"] += 1
        if "held" in r:
            if r["held"] is None:
                why["unheld"] += 1
            else:
                why["held"][r["held"]] = why["held"].get(r["held"], 0) + 1
        if "events" in r:
            # After the fault only: what happened to the entry while the stream was silent.
            history = " ".join(f"{kind}({state})@{at:+.2f}s" for at, kind, state in r["events"]
                               if at >= -0.5) or "no event"
            why["traced"] = max(why.get("traced", 0), r.get("traced_streams", 0))
            if r.get("trace_overran"):
                history += " (the trace overran: events missing)"
            why["histories"][history] = why["histories"].get(history, 0) + 1
        if r.get("conntrackd"):
            why["conntrackd"] = r["conntrackd"]
        if r.get("dropped_where"):
            why["dropped_where"] = r["dropped_where"]
        for reason, n in r.get("invalid", {}).items():
            why["reasons"][reason] = why["reasons"].get(reason, 0) + n
        if "entry_after" in r:
            entry = r["entry_after"]
            if entry is None:
                key = "none"
            else:  # the entry without its tuples and timeout: state, flags
                words = entry.split()
                key = " ".join(w for w in words[3:] if "=" not in w)
                if len(words) > 2 and words[2].isdigit():
                    why["timeouts"].append(int(words[2]))
            why["after"][key] = why["after"].get(key, 0) + 1
    stall = max((r["max_gap"] - interval) * 1000 for r in ok) if ok else None
    return len(ok), stall, lost, why


def loss_text(why):
    """The lost streams of a summary, in words."""
    parts = [f"{n} {error}" for error, n in sorted(why.get("failed", {}).items())]
    if why.get("stalled"):
        parts.append(f"{why['stalled']} silent past the bound")
    held = ", ".join(f"{n} {state}" for state, n in sorted(why.get("held", {}).items()))
    parts.append(f"not held by the backup {why.get('unheld', 0)}" + (f", held {held}" if held else ""))
    if why.get("dropped") is not None:
        where = f" ({why['dropped_where']})" if why.get("dropped_where") else ""
        parts.append(f"{why['dropped']} packets dropped without an entry{where}")
    reasons = sorted(why.get("reasons", {}).items(), key=lambda kv: -kv[1])
    if reasons:
        parts.append("the kernel's reasons for their invalid packets: "
                     + "; ".join(f"{n}× {r}" for r, n in reasons[:3]))
    after = sorted(why.get("after", {}).items(), key=lambda kv: -kv[1])
    if after:
        timeouts = why.get("timeouts") or [0]
        parts.append("their entries in the new primary's kernel after the run: "
                     + "; ".join(f"{n}× {e}" for e, n in after[:3])
                     + f" (timeouts {min(timeouts)}–{max(timeouts)} s)")
    if why.get("conntrackd"):
        parts.append(f"conntrackd logged from the fault on: {why['conntrackd']}")
    histories = sorted(why.get("histories", {}).items(), key=lambda kv: -kv[1])
    if histories:
        parts.append(f"the new primary's kernel conntrack events (it traced {why.get('traced', 0)} "
                     "streams) for them from the fault on: "
                     + "; ".join(f"{n}× {h}" for h, n in histories[:3]))
    return "; ".join(parts)
