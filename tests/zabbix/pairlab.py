"""The pair the Zabbix test polls: tests/lib/cclab.py's Cluster, with snmpd in each node
namespace answering on a veth address that the Zabbix server (root namespace) reaches, and
sending its notifications back over that veth to the test's snmptrapd.

Node n's namespace end is 100.127.B.(4n+2)/30, the root end (`gw[n]`) 100.127.B.(4n+1), with B
chosen so that no address of the root namespace is in 100.127.B.0/24. The veths go with the
namespaces; close() removes both.
"""
import ipaddress
import json
import os
import random
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))

import cclab  # noqa: E402
from cclab import DEBUG_BIN, MIB_ROOT, MONITOR_LAN0, STATE_NUMBER, Cluster, run  # noqa: E402,F401

IP_MONITOR = "10.77.9.9"  # all four octets printable: the InetAddress a poller misreads as text
CONFIG = (MONITOR_LAN0
          + "set chassis cluster redundancy-group 1 preempt\n"
          + "set chassis cluster redundancy-group 1 ip-monitoring global-weight 255\n"
          + "set chassis cluster redundancy-group 1 ip-monitoring global-threshold 100\n"
          + f"set chassis cluster redundancy-group 1 ip-monitoring family inet {IP_MONITOR} "
            "weight 100\n")


def free_block():
    used = run(["ip", "-4", "-o", "addr", "show"]).stdout
    for _ in range(100):
        block = random.randrange(0, 256)
        if f"100.127.{block}." not in used:
            return block
    raise RuntimeError("no free 100.127.B.0/24 block in the root namespace")


class PolledPair:
    interval, threshold = 200, 3  # Cluster's defaults (cclab.base_config)

    def __init__(self, extra=""):
        self.c = Cluster(extra=CONFIG + extra, start=False)
        self.trap_port = random.randrange(20000, 30000)
        self.veths, self.addr, self.gw = [], [], []
        try:
            block = free_block()
            for n in (0, 1):
                ns = self.c.ns[n]
                root_if, ns_if = f"{self.c.prefix}z{n}", f"{self.c.prefix}y{n}"
                net = ipaddress.ip_network(f"100.127.{block}.{4 * n}/30")
                gw, addr = str(net[1]), str(net[2])
                run(["ip", "link", "add", root_if, "type", "veth", "peer", "name", ns_if,
                     "netns", ns])
                self.veths.append(root_if)
                run(["ip", "addr", "add", f"{gw}/30", "dev", root_if])
                run(["ip", "link", "set", root_if, "up"])
                run(["ip", "-n", ns, "addr", "add", f"{addr}/30", "dev", ns_if])
                run(["ip", "-n", ns, "link", "set", ns_if, "up"])
                run(["ip", "-n", ns, "addr", "add", f"{IP_MONITOR}/32", "dev", "lo"])
                self.addr.append(addr)
                self.gw.append(gw)
                conf = self.c.lab.path(f"snmpd{n}.conf")
                with open(conf, "w") as f:
                    f.write(f"master agentx\nagentXSocket {self.c.agentx(n)}\n"
                            f"agentXPerms 0777 0777\nrocommunity public {gw} {MIB_ROOT}\n"
                            f"rocommunity public {gw} .1.3.6.1.2.1.1\n"
                            f"trap2sink {gw}:{self.trap_port} public\n")
                self.c.lab.spawn(["ip", "netns", "exec", ns, "snmpd", "-f", "-Lo", "-C", "-c",
                                  conf, f"udp:{addr}:161"], log=f"snmpd{n}.log")
        except BaseException:
            self.close()
            raise

    def start(self):
        for n in (0, 1):
            self.c.start(n)

    def deaf(self, n, on):
        """Node n stops (or starts again) hearing its peer: an nftables rule in its namespace
        drops what arrives on ctl0 and fab0. One direction of both links, so that a heal can be
        ordered (the namespace and its table go with the lab)."""
        ns = self.c.ns[n]
        if on:
            run(["ip", "netns", "exec", ns, "nft", "-f", "-"], input=(
                "table inet cczbx {\n chain input {\n  type filter hook input priority 0;\n"
                '  iifname { "ctl0", "fab0" } drop\n }\n}\n'))
        else:
            run(["ip", "netns", "exec", ns, "nft", "delete", "table", "inet", "cczbx"])

    def json(self, n, view):
        return json.loads(self.c.ccctl(n, "show", view, "--json").stdout)

    def close(self):
        for v in self.veths:
            subprocess.run(["ip", "link", "del", v], capture_output=True)
        self.c.close()


# The features a pair may leave out (DESIGN §11, §12): LAN heartbeats on lan1 of both nodes,
# a witness on the same LAN, and session sync whose conntrackd is not there (its file does not
# exist either: `conntrackd -C FILE -s` fails, the agent reports it unreachable).
WITNESS, WITNESS_PORT, LAN_PORT = "198.51.100.9", 7402, 7403
LAN_ADDRESS = ("198.51.100.2", "198.51.100.3")
NO_CONNTRACKD = "/nonexistent/ccagent-zabbix-test/conntrackd.conf"
FEATURES = ("".join(f"set chassis cluster node {n} lan-address {a}\n" for n, a in enumerate(LAN_ADDRESS))
            + f"set chassis cluster witness address {WITNESS} port {WITNESS_PORT}\n"
            + f"set chassis cluster session-sync conntrackd config {NO_CONNTRACKD}\n")


class FeaturedPair(PolledPair):
    """A PolledPair with FEATURES: lan1 of both nodes and a witness namespace on one bridge in
    the switch namespace; the witness is started by the test (start_witness)."""

    def __init__(self):
        super().__init__(extra=FEATURES)
        self.witness = None
        try:
            c = self.c
            cclab.add_switch_bridge(c.topo, "brl", ["port10", "port11"])
            self.witness_ns = cclab.add_host(c.lab, c.topo, "wt", "brl", f"{WITNESS}/24")
            for n in (0, 1):
                run(["ip", "-n", c.ns[n], "addr", "add", f"{LAN_ADDRESS[n]}/24", "dev", "lan1"])
        except BaseException:
            self.close()
            raise

    def start_witness(self):
        self.witness = self.c.lab.spawn(
            ["ip", "netns", "exec", self.witness_ns, os.path.join(DEBUG_BIN, "ccwitnessd"),
             "--listen", f"{WITNESS}:{WITNESS_PORT}", "--key", self.c.key_file],
            log="witness.log")

    def cut_lan(self, n, cut):
        """Node n drops the LAN heartbeats both ways (an nftables table of its own)."""
        ns = self.c.ns[n]
        if cut:
            run(["ip", "netns", "exec", ns, "nft", "-f", "-"], input=(
                "table inet cclan {\n chain input {\n  type filter hook input priority 0;\n"
                f"  udp dport {LAN_PORT} drop\n  udp sport {LAN_PORT} drop\n }}\n"
                " chain output {\n  type filter hook output priority 0;\n"
                f"  udp dport {LAN_PORT} drop\n  udp sport {LAN_PORT} drop\n }}\n}}\n"))
        else:
            run(["ip", "netns", "exec", ns, "nft", "delete", "table", "inet", "cclan"])
