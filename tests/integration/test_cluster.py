"""Issue 3: real ccagentd processes, real sockets, real namespaces."""
import json
import os
import signal
import subprocess
import time

import pytest

import cclab
from cclab import MONITOR_LAN0, Cluster, sh

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root for network namespaces")


def boot(c):
    c.wait_state(0, 0, "primary")
    c.wait_state(1, 0, "secondary")
    c.wait_state(0, 1, "primary")
    c.wait_state(1, 1, "secondary")


@pytest.mark.parametrize("cluster", [{"extra": MONITOR_LAN0}], indirect=True)
def test_initial_election_and_failover_on_monitored_link(cluster):
    c = cluster
    boot(c)
    s0, s1 = c.status(0), c.status(1)
    assert s0["clusterId"] == 5 and s0["localNode"] == 0 and s1["localNode"] == 1
    assert [g["failoverCount"] for g in s0["redundancyGroups"]] == [1, 1]
    c.start_sampler(lambda: True)
    c.cable(0, 0, up=False)
    c.wait_state(1, 1, "primary", timeout=5)
    row = c.row(0, 1, of=0)
    assert row["priority"] == 0 and row["monitorFailures"] == ["IF"]
    assert c.state(0, 0) == "primary"  # RG0 does not move
    c.cable(0, 0, up=True)
    c.wait(lambda: c.row(0, 1, of=0)["weight"] == 255, 5, "weight back to 255")
    c.stop_sampler()
    assert c.violations == []


SEED = (
    "set chassis cluster redundancy-group 1 interface-monitor lan0 weight 150\n"
    "set chassis cluster redundancy-group 1 interface-monitor lan1 weight 150\n"
)


@pytest.mark.parametrize("cluster", [{"extra": SEED}], indirect=True)
def test_seed_two_interfaces_of_weight_150(cluster):
    c = cluster
    boot(c)
    count = c.status(0)["redundancyGroups"][1]["failoverCount"]
    c.cable(0, 0, up=False)
    c.wait(lambda: c.row(0, 1, of=0)["weight"] == 105, 5, "weight 105")
    time.sleep(0.5)
    assert c.state(0, 1) == "primary"
    c.cable(0, 1, up=False)
    c.wait_state(1, 1, "primary", timeout=5)
    row = c.row(1, 1, of=0)
    assert row["priority"] == 0 and row["monitorFailures"] == ["IF"] and row["weight"] == -45
    c.wait(lambda: c.status(0)["redundancyGroups"][1]["failoverCount"] == count + 1, 5, "count+1")


@pytest.mark.parametrize("cluster", [{"interval": 200}], indirect=True)
def test_peer_death_detected_within_interval_times_threshold(cluster):
    c = cluster
    boot(c)
    killed = time.time()
    c.kill(0)
    c.wait_state(1, 0, "primary", timeout=5)
    elapsed = time.time() - killed
    # 200 ms × 3 plus polling and a generous margin for a loaded machine.
    assert elapsed < 0.6 + 3.0, elapsed
    assert c.state(1, 1) == "primary"
    assert c.row(1, 0, of=0)["status"] == "lost"


def test_control_link_cut_makes_rg0_secondary_ineligible(cluster):
    c = cluster
    boot(c)
    c.start_sampler(lambda: True)
    c.link(0, "ctl0", up=False)
    c.wait_state(1, 0, "ineligible", timeout=5)
    assert c.state(1, 1) == "ineligible"
    c.wait(lambda: c.state(0, 1) == "primary", 5, "node0 keeps rg1")
    time.sleep(1)
    c.stop_sampler()
    assert c.violations == []
    c.link(0, "ctl0", up=True)
    c.wait_state(1, 0, "secondary", timeout=5)


def test_both_links_cut_then_heal_resolves_split_brain(cluster):
    c = cluster
    boot(c)
    c.link(0, "ctl0", up=False)
    c.link(0, "fab0", up=False)
    c.wait_state(1, 0, "primary", timeout=5)
    c.wait_state(1, 1, "primary", timeout=5)
    assert c.state(0, 0) == "primary" and c.state(0, 1) == "primary"
    c.link(0, "ctl0", up=True)
    c.link(0, "fab0", up=True)
    c.wait(lambda: c.state(1, 0) in ("secondary-hold", "secondary"), 5, "split brain resolved")
    c.wait(lambda: c.state(1, 1) in ("secondary-hold", "secondary"), 5, "split brain resolved rg1")
    assert c.state(0, 0) == "primary" and c.state(0, 1) == "primary"
    with open(c.logs[1]) as f:
        log = f.read()
    assert "split brain detected" in log and "split brain resolved" in log


def test_manual_failover_and_reset(cluster):
    c = cluster
    boot(c)
    out = c.ccctl(0, "request", "failover", "redundancy-group", "1", "node", "1")
    assert "Initiated manual failover" in out.stdout
    c.wait_state(1, 1, "primary", timeout=5)
    for n in (0, 1):
        c.wait(lambda: c.row(n, 1, of=1)["priority"] == 255 and c.row(n, 1, of=0)["manualFailover"],
               5, f"manual shown on node{n}")
    refused = c.ccctl(0, "request", "failover", "redundancy-group", "1", "node", "1", check=False)
    assert refused.returncode != 0 and "already primary" in refused.stderr
    c.ccctl(1, "request", "failover", "reset", "redundancy-group", "1")
    c.wait(lambda: not c.row(0, 1, of=0)["manualFailover"], 5, "manual cleared")
    bad = c.ccctl(0, "request", "failover", "redundancy-group", "9", "node", "1", check=False)
    assert bad.returncode == 1 and "redundancy-group 9 is not configured" in bad.stderr


def test_sighup_with_bad_file_keeps_running_config(cluster):
    c = cluster
    boot(c)
    with open(c.config_path) as f:
        good = f.read()
    c.write_config(good + "set chassis cluster heartbeat-threshold 99\n")
    c.procs[0].send_signal(signal.SIGHUP)
    time.sleep(1)
    assert c.procs[0].poll() is None
    assert c.state(0, 0) == "primary"
    with open(c.logs[0]) as f:
        assert "heartbeat-threshold 99 is out of range" in f.read()
    # A valid change is adopted without a failover.
    c.write_config(good + "set chassis cluster redundancy-group 1 interface-monitor lan0 weight 10\n")
    c.procs[0].send_signal(signal.SIGHUP)
    c.wait(lambda: "lan0" in c.ccctl(0, "show", "interfaces").stdout, 5, "reload adopted")
    assert c.state(0, 1) == "primary"


def test_bad_config_refuses_to_start():
    c = Cluster(start=False)
    try:
        c.write_config("set chassis cluster cluster-id 300\n")
        result = subprocess.run(
            ["ip", "netns", "exec", c.ns[0], os.path.join(cclab.DEBUG_BIN, "ccagentd"),
             "--config", c.config_path, "--node", "0", "--control-socket", c.socket(0)],
            capture_output=True, text=True, timeout=20)
        assert result.returncode == 1
        assert f"{c.config_path}:1:32: cluster-id 300 is out of range 1..255" in result.stderr
    finally:
        c.close()


def send_from_node1(c, *payloads):
    """Datagrams from node1's control address to node0's heartbeat port."""
    cclab.send_datagrams(c.ns[1], cclab.ADDRESS[("ctl0", 1)], cclab.ADDRESS[("ctl0", 0)],
                         cclab.CTL_PORT, payloads)


@pytest.mark.parametrize("cluster", [{"key": "a-shared-secret-of-32-characters!"}], indirect=True)
def test_forged_replayed_and_garbage_datagrams_are_counted_and_change_nothing(cluster):
    c = cluster
    boot(c)
    genuine = cclab.capture_heartbeat(c.ns[0]).payload
    before = c.ccctl(0, "show", "statistics", "--json").stdout
    errors0 = json.loads(before)["heartbeatErrors"]
    forged = bytearray(genuine)
    forged[30] ^= 0xFF  # inside the signed body: the MAC no longer matches
    # Forged, then a replay (its sequence number was already seen), garbage and an empty one.
    send_from_node1(c, bytes(forged), genuine, os.urandom(64), b"")
    c.wait(lambda: json.loads(c.ccctl(0, "show", "statistics", "--json").stdout)["heartbeatErrors"]
           >= errors0 + 4, 5, "four errors counted")
    assert c.state(0, 0) == "primary" and c.state(1, 0) == "secondary"
    assert c.status(0)["peer"] == "up"
    assert c.procs[0].poll() is None


def test_ip_monitoring_and_notify_hooks(tmp_path):
    hook_log = tmp_path / "hooks.log"
    hook = tmp_path / "notify.sh"
    hook.write_text(f"#!/bin/sh\necho \"$@\" >> {hook_log}\n")
    hook.chmod(0o755)
    extra = (
        "set chassis cluster redundancy-group 1 ip-monitoring retry-interval 1\n"
        "set chassis cluster redundancy-group 1 ip-monitoring retry-count 5\n"
        "set chassis cluster redundancy-group 1 ip-monitoring family inet 10.77.2.254 weight 255 node 0\n"
        "set chassis cluster redundancy-group 1 ip-monitoring family inet 10.77.3.254 weight 255 node 1\n"
        f"set chassis cluster notify-script {hook}\n"
    )
    c = Cluster(extra=extra)
    try:
        boot(c)
        time.sleep(2)
        assert c.state(0, 1) == "primary"  # the gateways answer: no failure
        # node0's gateway stops answering (its address goes away; the cable stays in).
        sh(f"ip -n {c.switch} addr del 10.77.2.254/24 dev port0")
        started = time.time()
        c.wait_state(1, 1, "primary", timeout=15)
        assert time.time() - started >= 3  # retry-count 5 × retry-interval 1 s, not at once
        row = c.row(1, 1, of=0)
        assert row["monitorFailures"] == ["IP"] and row["priority"] == 0
        c.wait(lambda: "1 secondary-hold primary monitor failure (IP)" in hook_log.read_text(), 5,
               "node0's hook ran for its RG1 state change")
        lines = hook_log.read_text().splitlines()
        assert "1 primary hold better priority (150/100)" in lines
        assert any(l.startswith("1 primary secondary ") for l in lines)  # node1 took over
    finally:
        c.close()
