"""AgentX over TCP (issue 17 item 3): `set snmp agentx socket tcp:127.0.0.1:705` in the
configuration (no --agentx-socket override), snmpd with `agentXSocket tcp:127.0.0.1:705` in
node0's namespace, and snmpwalk serving the ccagent subtree through it."""
import os
import re
import shutil

import pytest

import cclab

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("snmpd"),
                                reason="needs root and snmpd")

# Port 705 is free in the test's own namespace: nothing else runs there.
AGENTX = "tcp:127.0.0.1:705"


class ConfiguredSocketCluster(cclab.Cluster):
    """A Cluster whose agents take the AgentX socket from the configuration file."""

    def agentx(self, n):
        return None


def walk_matches_status(c, s):
    rows, raw = s.walk()
    status = c.status(0)
    if not rows or status is None:
        return False
    assert rows[cclab.MIB_ROOT + ".1.1.1.0"][1] == str(status["clusterId"]), raw
    for group in status["redundancyGroups"]:
        for node in group["nodes"]:
            oid = f"{cclab.MIB_ROOT}.1.3.1.4.{group['id']}.{node['node']}"
            if rows.get(oid, (None, None))[1] != str(cclab.STATE_NUMBER[node["status"]]):
                return False
    return True


def tcp_sessions(ns, port=705):
    """`ss` lines of established TCP connections to 127.0.0.1:port in ns, with their process."""
    out = cclab.run(["ip", "netns", "exec", ns, "ss", "-Htnp", "state", "established",
                     "dst", f"127.0.0.1:{port}"]).stdout
    return [line for line in out.splitlines() if line.strip()]


def test_agentx_over_tcp_serves_the_subtree_and_survives_an_snmpd_restart(request):
    c = ConfiguredSocketCluster(
        extra=cclab.MONITOR_LAN0 + f"set snmp agentx socket {AGENTX}\n", start=False)
    request.addfinalizer(c.close)
    s = cclab.Snmp(c.lab, c.ns[0], "node0", agentx=AGENTX)
    request.addfinalizer(s.close)
    for n in (0, 1):
        c.start(n)
    c.wait_state(0, 1, "primary", 30)
    c.wait(lambda: walk_matches_status(c, s), 30, "the subtree over TCP AgentX")

    # The session really is TCP, and it is ccagentd's.
    listening = cclab.run(["ip", "netns", "exec", c.ns[0], "ss", "-Htlnp", "sport", "= :705"])
    assert "snmpd" in listening.stdout, listening.stdout
    sessions = tcp_sessions(c.ns[0])
    assert any("ccagentd" in line for line in sessions), sessions
    with open(c.logs[0], errors="replace") as f:
        log = f.read()
    assert re.search(r"AgentX session with snmpd at tcp:127\.0\.0\.1:705 established", log), log

    # A failover shows in the walk.
    c.cable(0, 0, False)
    c.wait_state(1, 1, "primary", 30)
    c.wait(lambda: c.row(0, 1, 1)["status"] == "primary", 30, "node0 sees node1 primary")
    c.wait(lambda: walk_matches_status(c, s), 30, "the walk after the failover")

    # snmpd restarts: the subagent connects again over TCP by itself.
    s.kill_snmpd()
    s.start_snmpd()
    c.wait(lambda: walk_matches_status(c, s), 30, "the subtree after snmpd's restart")


def test_unit_allows_tcp_for_agentx_and_metrics():
    """The systemd unit lets the agent open TCP sockets (AgentX to snmpd, the metrics port)."""
    with open(os.path.join(cclab.ROOT, "packaging", "ccagentd.service")) as f:
        unit = f.read()
    families = re.search(r"^RestrictAddressFamilies=(.*)$", unit, re.M).group(1).split()
    assert "AF_INET" in families and "AF_INET6" in families
    assert not re.search(r"^(IPAddressDeny|PrivateNetwork)=", unit, re.M)
