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
        self.etc = []
        ctx.cleanups.append(lambda: firewallpair.remove_etc(self.etc))
        self.client, self.server_ns = firewallpair.build(
            ctx.lab, topo, topo.ns, FIREWALL, ctx.path(f"firewall-{tag}.nft"))
        self.conntrackd = [
            firewallpair.start_conntrackd(ctx.lab, ctx.lab.work, topo.ns[n], n, f"{tag}{n}", self.etc,
                                          external_cache=external_cache)
            for n in (0, 1)]
        self.server = ctx.spawn(firewallpair.server_argv(self.server_ns), f"streams-server-{tag}.log")
        self.interactive_server = ctx.spawn(
            firewallpair.server_argv(self.server_ns, firewallpair.NODELAY_PORT, nodelay=True),
            f"streams-server-{tag}-nodelay.log")

    def streams(self, count, interval, duration, fault, fault_at=3.0, nodelay=False):
        """Runs `count` streams (a message every `interval` s each) for `duration` s; calls
        fault() `fault_at` s after they are all up. nodelay: to the server whose streams have
        TCP_NODELAY. Per stream: max_gap, echoes, error; and the segments lost on the way
        (client and server, `firewallpair.lost_segments`)."""
        hosts = (self.client, self.server_ns)
        port = firewallpair.NODELAY_PORT if nodelay else firewallpair.PORT
        before = sum(firewallpair.lost_segments(ns) for ns in hosts)
        results = firewallpair.streams(self.client, count, interval, duration, fault, fault_at,
                                       port=port)
        return results, sum(firewallpair.lost_segments(ns) for ns in hosts) - before


def summary(results, interval, lost, bound=2.0):
    """(streams that survived, longest stall among them in ms, segments lost): a stream
    survives when it never failed and never went `bound` s without an echo; its stall is its
    longest time without an echo minus the message interval (the figure's resolution)."""
    ok = [r for r in results if r["error"] is None and r["max_gap"] <= bound]
    stall = max((r["max_gap"] - interval) * 1000 for r in ok) if ok else None
    return len(ok), stall, lost
