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

from cclab import MIB_ROOT, MONITOR_LAN0, STATE_NUMBER, Cluster, run  # noqa: E402,F401

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

    def __init__(self):
        self.c = Cluster(extra=CONFIG, start=False)
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
