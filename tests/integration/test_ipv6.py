"""Issue 13 item 17: IPv6 ip-monitoring (ICMPv6 echo) and IPv6 control/fabric links."""
import os
import time

import pytest

from cluster import Cluster, sh
from test_cluster import boot

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root for network namespaces")

RETRY_INTERVAL = 1
RETRY_COUNT = 5

IPV6_MONITORS = (
    f"set chassis cluster redundancy-group 1 ip-monitoring retry-interval {RETRY_INTERVAL}\n"
    f"set chassis cluster redundancy-group 1 ip-monitoring retry-count {RETRY_COUNT}\n"
    # node0 pings from a configured source, node1 lets the kernel choose.
    "set chassis cluster redundancy-group 1 ip-monitoring family inet6 2001:db8:2::254 weight 255"
    " source-address 2001:db8:2::1 node 0\n"
    "set chassis cluster redundancy-group 1 ip-monitoring family inet6 2001:db8:3::254 weight 255"
    " node 1\n"
)


def add_lan_gateways(c):
    """An IPv6 gateway on the switch side of each node's lan0 (nodad: usable at once)."""
    for n in (0, 1):
        sh(f"ip -n {c.switch} addr add 2001:db8:{2 + n}::254/64 dev port{n} nodad")
        sh(f"ip -n {c.ns[n]} addr add 2001:db8:{2 + n}::1/64 dev lan0 nodad")


def test_ipv6_ip_monitoring_fails_over_when_the_gateway_goes_away():
    c = Cluster(extra=IPV6_MONITORS, start=False)
    try:
        add_lan_gateways(c)
        c.start(0)
        c.start(1)
        boot(c)
        # Longer than retry-count × retry-interval: an address never answered would have
        # failed by now (before ICMPv6 echo every inet6 monitor did, on both nodes).
        time.sleep(RETRY_COUNT * RETRY_INTERVAL + 3)
        assert c.state(0, 1) == "primary" and c.state(1, 1) == "secondary"
        for of in (0, 1):
            row = c.row(0, 1, of=of)
            assert row["monitorFailures"] == [], row
        assert c.row(0, 1, of=0)["priority"] == 150 and c.row(0, 1, of=1)["priority"] == 100

        # node0's gateway stops answering: its address goes away, the cable stays in.
        sh(f"ip -n {c.switch} addr del 2001:db8:2::254/64 dev port0")
        started = time.time()
        c.wait_state(1, 1, "primary", timeout=RETRY_COUNT * RETRY_INTERVAL + 15)
        elapsed = time.time() - started
        # Counted failures, not the first lost reply (interval 1 s, 5 in a row).
        assert elapsed >= (RETRY_COUNT - 2) * RETRY_INTERVAL, elapsed
        row = c.row(1, 1, of=0)
        assert row["monitorFailures"] == ["IP"] and row["priority"] == 0, row
        # node1's own IPv6 gateway still answers: it keeps its priority.
        assert c.row(1, 1, of=1)["monitorFailures"] == [] and c.row(1, 1, of=1)["priority"] == 100

        # The gateway comes back: node0's monitor recovers.
        sh(f"ip -n {c.switch} addr add 2001:db8:2::254/64 dev port0 nodad")
        c.wait(lambda: c.row(0, 1, of=0)["monitorFailures"] == [], 15, "node0's monitor recovered")
        assert c.row(0, 1, of=0)["priority"] == 150
    finally:
        c.close()


IPV6_LINKS = (
    "set chassis cluster node 0 control-address 2001:db8:77::1\n"
    "set chassis cluster node 1 control-address 2001:db8:77::2\n"
    "set chassis cluster node 0 fabric-address 2001:db8:78::1\n"
    "set chassis cluster node 1 fabric-address 2001:db8:78::2\n"
)


def test_ipv6_control_and_fabric_links():
    c = Cluster(extra=IPV6_LINKS, start=False)
    try:
        for n in (0, 1):
            # IPv6 only on both links: nothing can reach the peer over IPv4. Linux drops IPv6
            # addresses when a link goes down unless told to keep them (as IPv4 ones are).
            for dev in ("ctl0", "fab0"):
                sh(f"ip netns exec {c.ns[n]} sysctl -qw net.ipv6.conf.{dev}.keep_addr_on_down=1")
            sh(f"ip -n {c.ns[n]} -4 addr flush dev ctl0 && ip -n {c.ns[n]} -4 addr flush dev fab0")
            sh(f"ip -n {c.ns[n]} addr add 2001:db8:77::{n + 1}/64 dev ctl0 nodad")
            sh(f"ip -n {c.ns[n]} addr add 2001:db8:78::{n + 1}/64 dev fab0 nodad")
        c.start(0)
        c.start(1)
        boot(c)  # node1 secondary: it hears node0's heartbeats
        assert c.status(0)["peer"] == "up" and c.status(1)["peer"] == "up"
        # The control link alone is cut: fabric probes still show the peer alive, so node1 is
        # ineligible instead of taking over (it would if the fabric link carried nothing).
        c.link(0, "ctl0", up=False)
        c.wait_state(1, 0, "ineligible", timeout=10)
        assert c.state(0, 0) == "primary" and c.state(0, 1) == "primary"
        c.link(0, "ctl0", up=True)
        c.wait_state(1, 0, "secondary", timeout=10)
        # The peer dies: node1 takes over.
        c.kill(0)
        c.wait_state(1, 0, "primary", timeout=10)
        assert c.row(1, 0, of=0)["status"] == "lost"
    finally:
        c.close()
