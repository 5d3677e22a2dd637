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
import json
import os
import shutil
import subprocess
import time

import cclab

CONNTRACKD_CONF = "/etc/conntrackd/conntrackd.conf"
STOCK_SCRIPT = "/usr/share/doc/conntrackd/examples/sync/primary-backup.sh"
STREAMS_PY = os.path.join(cclab.HERE, "tcpstreams.py")
PORT = 5001
CLIENT_GW, SERVER_GW = "192.0.2.1", "198.51.100.1"
FIREWALL = """table inet ccfw {
	chain forward {
		type filter hook forward priority filter; policy drop;
		ct state established,related accept
		ip saddr 192.0.2.0/24 ip daddr 198.51.100.0/24 tcp flags & (syn | ack | fin | rst) == syn ct state new accept
		counter comment "no conntrack entry: dropped"
	}
}
"""
# Run tcpstreams.py's client or server with more descriptors (1000 streams) and, for the
# client, a message interval of our choosing (the stall figure's resolution).
RUNNER = ("import resource, sys; resource.setrlimit(resource.RLIMIT_NOFILE, (8192, 8192)); "
          "sys.path.insert(0, {lib!r}); import tcpstreams; tcpstreams.INTERVAL = {interval}; {call}")

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
    def __init__(self, ctx, tag):
        self.ctx = ctx
        self.topo = topo = ctx.topology(tag)
        self.etc = []
        ctx.cleanups.append(self.remove_etc)
        cclab.add_lan_port(topo, "lan2", 2)
        cclab.add_switch_bridge(topo, "brc", ["port10", "port11"])
        cclab.add_switch_bridge(topo, "brs", ["port20", "port21"])
        self.client = cclab.add_host(ctx.lab, topo, "cl", "brc", "192.0.2.100/24", CLIENT_GW)
        self.server_ns = cclab.add_host(ctx.lab, topo, "sv", "brs", "198.51.100.100/24", SERVER_GW)
        rules = ctx.path(f"firewall-{tag}.nft")
        cclab.write_file(rules, FIREWALL)
        self.conntrackd = [None, None]
        for n in (0, 1):
            ns = topo.ns[n]
            # conntrackd 1.4.7's lexer rejects 'Interface fab0' (an all-hex word): rename it.
            cclab.sh(f"ip -n {ns} link set fab0 down && ip -n {ns} link set fab0 name fabric0 && "
                     f"ip -n {ns} link set fabric0 up && ip netns exec {ns} sysctl -qw net.ipv4.ip_forward=1 && "
                     f"ip netns exec {ns} nft -f {rules} && "
                     f"ip netns exec {ns} sysctl -qw net.netfilter.nf_conntrack_tcp_loose=0")
            etc = f"/etc/netns/{ns}/conntrackd"
            os.makedirs(etc, exist_ok=True)
            self.etc.append(os.path.dirname(etc))
            cclab.conntrackd_config(
                os.path.join(etc, "conntrackd.conf"), ctx.lab.work, f"{tag}{n}", cclab.ADDRESS[("fab0", n)],
                cclab.ADDRESS[("fab0", 1 - n)], "fabric0",
                ignore=(cclab.ADDRESS[("ctl0", n)], cclab.ADDRESS[("fab0", n)], f"10.77.{2 + n}.1",
                        CLIENT_GW, SERVER_GW))
            self.conntrackd[n] = cclab.spawn_conntrackd(ctx.lab, ns, CONNTRACKD_CONF, f"conntrackd-{tag}{n}.out")
        code = RUNNER.format(lib=cclab.HERE, interval=0.05, call=f"tcpstreams.server({PORT})")
        self.server = ctx.spawn(["ip", "netns", "exec", self.server_ns, "python3", "-c", code],
                                f"streams-server-{tag}.log")

    def streams(self, count, interval, duration, fault, fault_at=3.0):
        """Runs `count` streams (a message every `interval` s each) for `duration` s; calls
        fault() `fault_at` s after they are all up. Per stream: max_gap, echoes, error."""
        call = f"tcpstreams.client('198.51.100.100', {PORT}, {count}, {duration})"
        code = RUNNER.format(lib=cclab.HERE, interval=interval, call=call)
        proc = subprocess.Popen(["ip", "netns", "exec", self.client, "python3", "-c", code],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            line = proc.stderr.readline()
            if "ready" not in line:
                raise RuntimeError(f"stream client did not start: {line}{proc.stderr.read()[-500:]}")
            time.sleep(fault_at)
            fault()
            out, err = proc.communicate(timeout=duration + 120)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        if proc.returncode != 0:
            raise RuntimeError(f"stream client failed: {err[-500:]}")
        return json.loads(out)

    def remove_etc(self):
        for path in self.etc:
            shutil.rmtree(path, ignore_errors=True)


def summary(results, interval, bound=2.0):
    """(streams that survived, longest stall among them in ms): a stream survives when it never
    failed and never went `bound` s without an echo; its stall is its longest time without an
    echo minus the message interval (the figure's resolution)."""
    ok = [r for r in results if r["error"] is None and r["max_gap"] <= bound]
    stall = max((r["max_gap"] - interval) * 1000 for r in ok) if ok else None
    return len(ok), stall
