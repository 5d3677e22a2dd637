"""Issue 13 items 1, 3, 5 and 6 with real processes: authenticated by default (ccctl
generate-key, key file checks, `authentication none` warnings), the persisted boot epoch, key
rotation without a split brain, and one agent per node."""
import json
import os
import signal
import subprocess
import time

import pytest

import cclab
from cclab import DEBUG_BIN, Cluster

CCCTL = os.path.join(DEBUG_BIN, "ccctl")
CCAGENTD = os.path.join(DEBUG_BIN, "ccagentd")


def boot(c, timeout=20):
    for rg in (0, 1):
        c.wait_state(0, rg, "primary", timeout)
        c.wait_state(1, rg, "secondary", timeout)


def agent(c, n, config=None, timeout=20, socket=None):
    """Runs ccagentd for node n to its end (for the refusals): CompletedProcess."""
    return subprocess.run(
        ["ip", "netns", "exec", c.ns[n], CCAGENTD, "--config", config or c.config_path,
         "--node", str(n), "--control-socket", socket or c.socket(n), "--log-target", "stderr",
         "--agentx-socket", c.agentx(n), "--state-directory", c.lab.state_directory()],
        capture_output=True, text=True, timeout=timeout)


def test_generate_key_writes_a_private_32_byte_key_atomically(tmp_path):
    path = tmp_path / "cluster.key"
    r = subprocess.run([CCCTL, "generate-key", str(path)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    st = os.stat(path)
    assert (st.st_mode & 0o7777, st.st_uid, st.st_gid) == (0o400, 0, 0)
    key = path.read_bytes()
    assert len(key) == 32 and key.rstrip(b" \t\n\r\x0b\x0c") == key
    assert not [p for p in tmp_path.iterdir() if p.name != "cluster.key"], "temporary file left"
    # An existing key is never replaced by accident.
    r = subprocess.run([CCCTL, "generate-key", str(path)], capture_output=True, text=True)
    assert r.returncode == 1 and "exists; use --force" in r.stderr
    assert path.read_bytes() == key
    r = subprocess.run([CCCTL, "generate-key", "--force", str(path)], capture_output=True,
                       text=True)
    assert r.returncode == 0 and path.read_bytes() != key
    assert os.stat(path).st_mode & 0o7777 == 0o400


def test_the_agent_refuses_to_run_unauthenticated_or_with_a_bad_key():
    c = Cluster(start=False)
    try:
        base = cclab.base_config(5, 200, groups=Cluster.BASE_GROUPS)
        # No key and no `authentication none`.
        c.write_config(base)
        r = agent(c, 0)
        assert r.returncode == 1 and "no authentication-key-file" in r.stderr, r.stderr
        check = subprocess.run([CCCTL, "check-config", c.config_path], capture_output=True,
                               text=True)
        assert "no authentication-key-file" in check.stderr
        bad = c.lab.path("bad.key")
        for mode, text, owner, expected in (
                (0o644, "k" * 40, 0, "accessible by group or others (mode 644)"),
                (0o440, "k" * 40, 0, "accessible by group or others (mode 440)"),
                (0o600, "k" * 40, 65534, "owned by uid 65534"),
                (0o600, "k" * 31, 0, "31 bytes long; at least 32")):
            cclab.write_file(bad, text + "\n", mode=mode)
            os.chown(bad, owner, 0)
            c.write_config(base + f"set chassis cluster authentication-key-file {bad}\n")
            r = agent(c, 0)
            assert r.returncode == 1 and bad in r.stderr and expected in r.stderr, r.stderr
            check = subprocess.run([CCCTL, "check-config", c.config_path], capture_output=True,
                                   text=True)
            assert check.returncode == 1 and bad in check.stderr and expected in check.stderr
        # `authentication none` together with a key is a contradiction, not a choice.
        c.write_config(base + f"set chassis cluster authentication-key-file {c.lab.key()}\n"
                       "set chassis cluster authentication none\n")
        r = agent(c, 0)
        assert r.returncode == 1 and "contradicts" in r.stderr
    finally:
        c.close()


def test_authentication_none_runs_and_warns_everywhere():
    c = Cluster(key=None)
    try:
        boot(c)
        warning = "authentication none: heartbeats are not authenticated"
        c.wait(lambda: warning in cclab.tail(c.logs[0], 200), 5, "the warning at start")
        info = c.ccctl(0, "show", "information").stdout
        assert "Authentication: none" in info and warning in info
        data = json.loads(c.ccctl(0, "show", "information", "--json").stdout)
        assert data["authentication"] == "none" and any(warning in w for w in data["warnings"])
        check = subprocess.run([CCCTL, "check-config", c.config_path], capture_output=True,
                               text=True)
        assert check.returncode == 0 and warning in check.stderr
        before = cclab.tail(c.logs[0], 400).count(warning)
        c.procs[0].send_signal(signal.SIGHUP)
        c.wait(lambda: cclab.tail(c.logs[0], 400).count(warning) > before, 5,
               "the warning again on reload")
    finally:
        c.close()


def test_an_authenticated_pair_says_so():
    c = Cluster()
    try:
        boot(c)
        assert "Authentication: HMAC-SHA256" in c.ccctl(0, "show", "information").stdout
        data = json.loads(c.ccctl(0, "show", "information", "--json").stdout)
        assert data["authentication"] == "hmac-sha256" and data["warnings"] == []
    finally:
        c.close()


def test_key_rotation_one_node_after_the_other_without_a_split_brain():
    """The README's procedure: both nodes accept the new key (as previous), node0 sends with it
    (old as previous), then node1, then both drop the old key; a reload each time. While the
    nodes are on different current keys each accepts the other's: the pair stays up, no RG
    moves, never two primaries."""
    c = Cluster(start=False)
    try:
        old = c.key_file
        new = cclab.generate_key(c.lab.path("new.key"))
        base = cclab.base_config(5, 200, groups=Cluster.BASE_GROUPS)
        configs = [c.lab.path(f"node{n}.conf") for n in (0, 1)]

        def configure(n, key, previous=None):
            text = base + f"set chassis cluster authentication-key-file {key}\n"
            if previous:
                text += f"set chassis cluster previous-authentication-key-file {previous}\n"
            cclab.write_file(configs[n], text)

        for n in (0, 1):
            configure(n, old)
            c.procs[n] = cclab.spawn_agent(c.lab, c.ns[n], n, configs[n], c.socket(n),
                                           c.agentx(n), f"node{n}.log")
        boot(c)
        before = [c.status(n) for n in (0, 1)]
        c.start_sampler(lambda: True)

        def reload_and_hold(n, seconds=3.0):
            c.procs[n].send_signal(signal.SIGHUP)
            time.sleep(seconds)
            for m in (0, 1):
                assert c.status(m)["peer"] == "up", f"node{m} lost its peer\n{c.tail()}"

        errors = json.loads(c.ccctl(1, "show", "statistics", "--json").stdout)["heartbeatErrors"]
        for n in (0, 1):                           # step 1: both accept the new key
            configure(n, old, previous=new)
            reload_and_hold(n)
        configure(0, new, previous=old)            # step 2: node0 sends with it
        reload_and_hold(0)
        configure(1, new, previous=old)            # step 3: node1 too
        reload_and_hold(1)
        for n in (0, 1):                           # step 4: the old key goes
            configure(n, new)
        reload_and_hold(0)
        reload_and_hold(1)
        c.stop_sampler()
        assert c.violations == []
        # node1 accepted node0's new-key heartbeats throughout: no error beyond noise.
        after = json.loads(c.ccctl(1, "show", "statistics", "--json").stdout)["heartbeatErrors"]
        assert after - errors <= 2, (errors, after)
        for n in (0, 1):
            now = c.status(n)
            assert [g["nodes"][n]["status"] for g in now["redundancyGroups"]] == \
                [g["nodes"][n]["status"] for g in before[n]["redundancyGroups"]]
            assert [g["failoverCount"] for g in now["redundancyGroups"]] == \
                [g["failoverCount"] for g in before[n]["redundancyGroups"]]
        # And the old key is refused now: a node still on it alone is not heard.
        configure(1, old)
        c.procs[1].send_signal(signal.SIGHUP)
        c.wait(lambda: c.status(0)["peer"] == "lost", 10, "node0 refuses the dropped key")
    finally:
        c.close()


def test_a_second_agent_for_the_same_node_is_refused():
    c = Cluster()
    try:
        boot(c)
        # Same node, another control socket (the first lock is per socket): the node's lock
        # in the state directory refuses it, with the holder's pid.
        r = agent(c, 0, socket=c.lab.path("second.sock"))
        assert r.returncode == 1, r.stderr
        assert "another ccagentd already runs as node0" in r.stderr
        assert "by pid" in r.stderr and "node0.lock" in r.stderr
        # Same control socket: refused as well.
        r = agent(c, 0)
        assert r.returncode == 1 and "another ccagentd already runs" in r.stderr
        # The running pair did not notice.
        assert c.status(0)["peer"] == "up" and c.state(0, 0) == "primary"
    finally:
        c.close()


def test_the_boot_epoch_is_persisted_and_rises_across_restarts():
    c = Cluster()
    try:
        boot(c)
        path = os.path.join(c.lab.state_directory(), "node1.epoch")
        first = int(open(path).read())
        c.kill(1, signal.SIGKILL)
        # A clock step back is simulated by a persisted epoch far in the future: the next
        # start must still go above it, and the peer must accept the restarted node.
        future = first + (10 ** 9 << 16)
        cclab.write_file(path, f"{future}\n")
        c.start(1)
        c.wait(lambda: int(open(path).read()) > future, 10, "the epoch rose above the persisted one")
        c.wait(lambda: c.status(0)["peer"] == "up" and c.status(1)["peer"] == "up", 15,
               "the restarted node is accepted")
        assert oct(os.stat(path).st_mode & 0o777) == "0o600"
    finally:
        c.close()
