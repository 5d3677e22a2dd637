"""Issue 13, items 9–13: operator actions and misbehaving local parts must not break the pair
(SIGHUP right after READY, notify hooks across reloads, control-socket clients that never read,
reloads of monitors and restart-only settings)."""
import os
import signal
import socket
import subprocess
import tempfile
import time

import cclab
from cluster import BIN, Cluster, sh


def boot(c):
    c.wait_state(0, 0, "primary")
    c.wait_state(1, 0, "secondary")
    c.wait_state(0, 1, "primary")
    c.wait_state(1, 1, "secondary")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def test_sighup_right_after_ready_is_a_reload():
    """READY=1 used to come before the SIGHUP handler: systemd's ExecReload killed the agent
    (and counted it as a clean exit, so Restart=on-failure never brought it back)."""
    c = Cluster(start=False)
    notify_path = os.path.join(c.work, "notify.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(notify_path)
    listener.settimeout(20)
    try:
        for attempt in range(5):
            log = open(c.logs[0], "a")
            proc = subprocess.Popen(
                ["ip", "netns", "exec", c.ns[0], os.path.join(BIN, "ccagentd"),
                 "--config", c.config_path, "--node", "0", "--control-socket", c.socket(0),
                 "--log-target", "stderr", "--agentx-socket", os.path.join(c.work, "agentx0.sock"),
                 "--state-directory", c.lab.state_directory()],
                stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "NOTIFY_SOCKET": notify_path})
            c.procs[0] = proc
            while True:
                message = listener.recv(4096).decode()
                if "READY=1" in message:
                    break
            proc.send_signal(signal.SIGHUP)
            time.sleep(0.5)
            assert proc.poll() is None, f"attempt {attempt}: SIGHUP after READY killed the agent\n{c.tail()}"
            c.wait(lambda: c.status(0) is not None, 10, "the agent answers after the SIGHUP")
            c.kill(0, signal.SIGTERM)
    finally:
        listener.close()
        c.close()


def test_a_notify_script_others_can_write_is_refused(tmp_path):
    hook = tmp_path / "notify.sh"
    hook.write_text("#!/bin/sh\nexit 0\n")
    hook.chmod(0o775)
    c = Cluster(extra=f"set chassis cluster notify-script {hook}\n", start=False)
    try:
        c.start(0)
        assert c.procs[0].wait(timeout=20) == 1
        with open(c.logs[0]) as f:
            log = f.read()
        assert "writable by group or others" in log and str(hook) in log
        hook.chmod(0o755)
        c.start(0)
        time.sleep(1)
        assert c.procs[0].poll() is None
    finally:
        c.close()


def test_hooks_survive_reloads_run_in_order_and_a_timeout_kills_their_group(tmp_path):
    """Each SIGHUP used to cancel the runner: its queued runs were lost and the cancelled task
    spun at 100 % CPU until the running script ended."""
    hook_log = tmp_path / "hooks.log"
    pids = tmp_path / "pids"
    hook = tmp_path / "notify.sh"
    # Each run leaves a child in its process group and outlives the 1 s timeout.
    hook.write_text(
        f"#!/bin/sh\necho \"$@\" >> {hook_log}\nsleep 60 &\necho $! >> {pids}\nwait\n")
    hook.chmod(0o755)
    extra = f"set chassis cluster notify-script {hook}\nset chassis cluster notify-timeout 1\n"
    c = Cluster(extra=extra, start=False)
    try:
        c.start(0)
        c.wait_state(0, 0, "primary", timeout=20)
        pid = c.procs[0].pid
        before = cpu_seconds(pid)
        for _ in range(3):
            c.procs[0].send_signal(signal.SIGHUP)
            time.sleep(0.3)
        c.wait(lambda: hook_log.exists() and len(hook_log.read_text().splitlines()) >= 2, 15,
               "both RGs' hook runs, despite the reloads")
        time.sleep(1.5)
        spent = cpu_seconds(pid) - before
        lines = hook_log.read_text().splitlines()
        assert [l.split()[0] for l in lines[:2]] == ["0", "1"], lines  # event order
        assert all(" primary hold " in f" {l} " for l in lines[:2]), lines
        assert spent < 1.0, f"the agent used {spent:.2f} s of CPU while its hooks ran"
        for child in pids.read_text().split():
            assert not os.path.exists(f"/proc/{child}") or \
                open(f"/proc/{child}/stat").read().split()[2] == "Z", \
                f"the timed-out hook's child {child} is still running"
    finally:
        c.close()


def scheduling(pid):
    """{thread name: (policy, realtime priority)} of a process, from /proc (policy 2: RR)."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            stat = open(f"/proc/{pid}/task/{tid}/stat").read()
        except FileNotFoundError:
            continue
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        out[f"{name}/{tid}"] = (int(fields[38]), int(fields[37]))
    return out


def test_the_agent_runs_realtime_and_its_children_do_not(tmp_path):
    """At 10 ms heartbeats conntrackd's resync after each failover delayed heartbeats past the
    threshold (46 takeovers of a live peer in one bench phase, 17 at RR 10): every thread of the agent runs
    SCHED_RR 10 (`--realtime-priority`, the default), a notify script runs normally, and
    `--realtime-priority 0` leaves the agent normal."""
    seen = tmp_path / "sched"
    hook = tmp_path / "notify.sh"
    hook.write_text(f"#!/bin/sh\nchrt -p $$ >> {seen}\n")
    hook.chmod(0o755)
    c = Cluster(extra=f"set chassis cluster notify-script {hook}\n", start=False)
    try:
        c.start(0)
        c.wait_state(0, 0, "primary", timeout=20)
        threads = scheduling(c.procs[0].pid)
        assert len(threads) > 3 and all(v == (2, 10) for v in threads.values()), threads
        c.wait(lambda: seen.exists() and "SCHED_OTHER" in seen.read_text(), 15, "the hook's run")
        assert "SCHED_RR" not in seen.read_text(), seen.read_text()
        assert "scheduling: SCHED_RR priority 10" in open(c.logs[0]).read()
        c.kill(0)
        c.procs[0] = cclab.spawn_agent(c.lab, c.ns[0], 0, c.config_path, c.socket(0), c.agentx(0),
                                       "node0.log", c.bin_dir, args=["--realtime-priority", "0"])
        c.wait_state(0, 0, "primary", timeout=20)
        threads = scheduling(c.procs[0].pid)
        assert all(v == (0, 0) for v in threads.values()), threads
    finally:
        c.close()


def test_control_socket_bounds_clients_that_never_read_and_caps_connections():
    c = Cluster()
    try:
        boot(c)
        pid = c.procs[0].pid
        before = rss_kb(pid)
        greedy = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        greedy.connect(c.socket(0))
        greedy.settimeout(5)
        request = b'{"command":"show","view":"status"}\n' * 200
        closed = False
        try:
            for _ in range(500):  # 100 000 requests, never reading a reply
                greedy.sendall(request)
        except (BrokenPipeError, ConnectionResetError, socket.timeout):
            closed = True
        greedy.close()
        time.sleep(1)
        grown = rss_kb(pid) - before
        assert closed, "the agent kept a connection whose replies were never read"
        assert grown < 16 * 1024, f"the agent grew by {grown} kB for one client that never reads"
        # More connections than the cap: the extra ones are closed at once, ccctl still works.
        extra = []
        for _ in range(40):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(c.socket(0))
            s.settimeout(3)
            extra.append(s)
        refused = 0
        for s in extra:
            try:
                if s.recv(1) == b"":
                    refused += 1
            except socket.timeout:
                pass
        assert refused >= 8, f"{refused} of 40 connections were refused (cap 32)"
        for s in extra:
            s.close()
        time.sleep(0.5)
        assert c.status(0)["redundancyGroups"], "ccctl works again after the flood"
        assert c.state(1, 0) == "secondary"  # the pair never noticed
    finally:
        c.close()


def test_reload_monitors_a_new_interface_that_is_down_and_names_restart_settings():
    """A newly monitored interface that was down counted as up after a reload (the netlink
    re-read failed with a concurrent-use error); restart-only settings were ignored silently."""
    c = Cluster()
    try:
        boot(c)
        c.link(0, "lan1", False)
        with open(c.config_path) as f:
            text = f.read()
        c.write_config(text.replace("set chassis cluster cluster-id 5",
                                    "set chassis cluster cluster-id 5\n"
                                    "set chassis cluster control-port 7499")
                       + "set chassis cluster redundancy-group 1 interface-monitor lan1 weight 255 node 0\n")
        c.procs[0].send_signal(signal.SIGHUP)
        c.procs[1].send_signal(signal.SIGHUP)
        c.wait_state(1, 1, "primary", timeout=15)
        assert c.row(0, 1, of=0)["monitorFailures"] == ["IF"]
        c.wait(lambda: "take effect only after a restart: control-port" in open(c.logs[0]).read(),
               5, "the reload names the setting that needs a restart")
        assert c.status(0)["peer"] == "up" and c.status(1)["peer"] == "up"
    finally:
        c.close()


def test_a_burst_of_rejected_datagrams_is_summarised_when_it_stops():
    """Item 15: the limiter's "suppressed N" summary used to wait for the next bad datagram,
    so after a burst that stopped it never came."""
    c = Cluster()
    try:
        boot(c)
        code = ("import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
                "s.bind(('10.77.0.2', 0))\n"
                "for _ in range(20): s.sendto(b'garbage', ('10.77.0.1', 7400))\n")
        subprocess.run(["ip", "netns", "exec", c.ns[1], "python3", "-c", code], check=True, timeout=10)
        c.wait(lambda: "suppressed" in open(c.logs[0]).read(), 20,
               "the summary of the burst, with no datagram after it")
        with open(c.logs[0]) as f:
            summary = [l for l in f if "suppressed" in l]
        assert summary and "suppressed 15 " in summary[0], summary
    finally:
        c.close()


def test_a_graceful_stop_hands_over_at_once():
    """Item 12: SIGTERM on the primary announces that it leaves; with 1 s heartbeats the peer
    takes over well before its 3 s timeout (the old agent went silent and the peer waited)."""
    c = Cluster(interval=1000)
    try:
        boot(c)
        started = time.time()
        c.procs[0].send_signal(signal.SIGTERM)
        c.wait_state(1, 1, "primary", timeout=10)
        c.wait_state(1, 0, "primary", timeout=10)
        took = time.time() - started
        assert took < 2.0, f"the peer took over after {took:.2f} s: it waited for the timeout"
        assert c.procs[0].wait(timeout=10) == 0
    finally:
        c.close()
