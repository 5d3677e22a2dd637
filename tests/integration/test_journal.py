"""Issue 5: structured records in a real systemd-journald, read back with journalctl."""
import os
import subprocess
import time

import pytest

import cclab
from cclab import MONITOR_LAN0, ROOT, Cluster, message_ids

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not os.path.exists(cclab.JOURNALD),
    reason="needs root and systemd-journald")


def entries(pid, message_id):
    return cclab.journal_entries(f"_PID={pid}", f"MESSAGE_ID={message_id}")


def wait_entries(pid, message_id, predicate=lambda e: True, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        found = [e for e in entries(pid, message_id) if predicate(e)]
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"no journal entry {message_id} for pid {pid}")


def test_failover_heartbeat_loss_and_split_brain_are_in_the_journal(journald):
    ids = message_ids()
    c = Cluster(extra=MONITOR_LAN0, log_target="journal")
    try:
        c.wait_state(0, 1, "primary")
        c.wait_state(1, 1, "secondary")
        pids = [c.procs[0].pid, c.procs[1].pid]
        # A failover: node0 gives RG1 up (state change), node1 takes it (a failover).
        c.cable(0, 0, up=False)
        c.wait_state(1, 1, "primary", timeout=5)
        change = wait_entries(pids[0], ids["rgStateChange"],
                              lambda e: e.get("RG_ID") == "1" and e.get("NEW_STATE") == "secondary-hold")[0]
        for field in ["CLUSTER_ID", "NODE_ID", "RG_ID", "PREV_STATE", "NEW_STATE", "REASON",
                      "FAILOVER_COUNT", "PRIORITY_LOCAL", "PRIORITY_PEER"]:
            assert field in change, field
        assert change["NODE_ID"] == "0" and change["REASON"] == "monitor failure (IF)"
        assert change["PRIORITY"] == "5" and change["SYSLOG_IDENTIFIER"] == "ccagentd"
        assert "CODE_FILE" in change and "CODE_LINE" in change and "CODE_FUNC" in change
        assert "UNIT" not in change
        wait_entries(pids[1], ids["rgFailover"], lambda e: e.get("RG_ID") == "1" and e.get("NEW_STATE") == "primary")
        monitor = wait_entries(pids[0], ids["interfaceMonitorFailure"])[0]
        assert monitor["INTERFACE"] == "lan0" and monitor["MONITOR_KIND"] == "interface"
        assert monitor["WEIGHT"] == "255" and monitor["THRESHOLD"] == "0"
        # Heartbeat loss on the control link (fabric alive), on both nodes.
        c.link(0, "ctl0", up=False)
        loss = wait_entries(pids[1], ids["controlLinkDown"])[0]
        assert loss["PRIORITY"] == "2" and loss["PEER_NODE_ID"] == "0"
        assert int(loss["MISSED_HEARTBEATS"]) >= 3 and loss["HEARTBEAT_INTERVAL_MS"] == "200"
        assert "LAST_HEARTBEAT_AGE_MS" in loss
        # The link heals: node1 rejoins. Then a split brain: both links cut at once, then healed.
        c.link(0, "ctl0", up=True)
        c.wait_state(1, 0, "secondary", timeout=10)
        c.link(0, "ctl0", up=False)
        c.link(0, "fab0", up=False)
        c.wait(lambda: c.state(1, 0) == "primary", 10, "node1 primary alone")
        c.link(0, "ctl0", up=True)
        c.link(0, "fab0", up=True)
        for pid in pids:
            detected = wait_entries(pid, ids["splitBrainDetected"])[0]
            assert detected["PRIORITY"] == "2" and "RG_IDS" in detected
            assert "PRIORITIES_LOCAL" in detected and "PRIORITIES_PEER" in detected
            # RG0 goes back to node0 (better priority); RG1 stays on node1 (node0's LAN is down).
            resolved = wait_entries(pid, ids["splitBrainResolved"])
            assert all("REASON" in e for e in resolved)
            winners = {e["WINNER_NODE_ID"] for e in resolved if "0" in e["RG_IDS"].split(",")}
            assert winners == {"0"}, resolved
    finally:
        c.close()


def test_catalog_lists_our_entries(tmp_path):
    root = tmp_path / "root"
    (root / "usr/lib/systemd/catalog").mkdir(parents=True)
    (root / "usr/lib/systemd/catalog/ccagent.catalog").write_bytes(
        open(os.path.join(ROOT, "packaging", "ccagent.catalog"), "rb").read())
    subprocess.run(["journalctl", f"--root={root}", "--update-catalog"], check=True)
    listed = subprocess.run(["journalctl", f"--root={root}", "--list-catalog"],
                            capture_output=True, text=True, check=True).stdout
    for message_id in message_ids().values():
        assert message_id in listed


def test_without_journal_socket_records_go_to_stderr(tmp_path):
    """--log-target journal with no journal socket: every record appears on stderr."""
    c = Cluster(log_target="journal", start=False)
    try:
        env = dict(os.environ)
        # A mount namespace hides /run/systemd/journal from this agent only.
        script = (f"mount -t tmpfs tmpfs /run/systemd 2>/dev/null || true; "
                  f"exec {ROOT}/.build/debug/ccagentd --config {c.config_path} --node 0 "
                  f"--control-socket {c.socket(0)} --log-target journal")
        proc = subprocess.Popen(["ip", "netns", "exec", c.ns[0], "unshare", "-m", "bash", "-c", script],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
        time.sleep(2.5)
        proc.terminate()
        out, _ = proc.communicate(timeout=10)
        assert "configuration loaded" in out
        assert "rg0 hold -> primary (hold timer expired)" in out
        assert "MESSAGE_ID=" in out and "RG_ID=0" in out
    finally:
        c.close()
