"""Runs ccagentd inside an emulation of ccagentd.service's sandbox (sandbox_exec.py) and checks
that the hardening keeps it working: heartbeats with a peer, raw-socket ICMP for IP
monitoring, netlink link monitoring, the control socket for group ccagent, sd_notify
READY/WATCHDOG/STOPPING, SIGHUP reload and a clean SIGTERM stop.

Needs root, unshare(1), libseccomp and systemd-analyze, and a ccagentd binary: the one in
dist/*.deb, else /usr/sbin/ccagentd, else .build-release/release/ccagentd.
Run: pytest tests/packaging/test_sandbox.py
"""
import ctypes.util
import grp
import json
import os
import random
import re
import shutil
import signal
import socket
import stat
import subprocess
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
UNIT = REPO / "packaging/ccagentd.service"
SANDBOX = HERE / "sandbox_exec.py"
CONFIG_MOUNT = "/srv"  # where the test's configuration appears inside the sandbox


def run(*args, **kwargs):
    return subprocess.run(list(args), capture_output=True, text=True, check=False, **kwargs)


@pytest.fixture(scope="module")
def binaries(tmp_path_factory):
    """(ccagentd, ccctl) to test."""
    arch = run("dpkg", "--print-architecture").stdout.strip() or "amd64"
    debs = sorted((REPO / "dist").glob(f"ccagent_*_{arch}.deb"), key=lambda p: p.stat().st_mtime)
    if debs:
        root = tmp_path_factory.mktemp("deb")
        assert run("dpkg-deb", "-x", str(debs[-1]), str(root)).returncode == 0
        return root / "usr/sbin/ccagentd", root / "usr/bin/ccctl"
    for directory in (Path("/usr/sbin"), REPO / ".build-release/release"):
        daemon = directory / "ccagentd"
        ctl = Path("/usr/bin/ccctl") if directory == Path("/usr/sbin") else directory / "ccctl"
        if daemon.exists() and ctl.exists():
            return daemon, ctl
    pytest.skip("no ccagentd to test: run scripts/build-deb.sh")


@pytest.fixture(scope="module")
def requirements():
    if os.geteuid() != 0:
        pytest.skip("the sandbox emulation needs root")
    for tool in ("unshare", "mount", "systemd-analyze"):
        if not shutil.which(tool):
            pytest.skip(f"{tool} not installed")
    if not ctypes.util.find_library("seccomp"):
        pytest.skip("libseccomp not installed")


def free_port_pair():
    """Two consecutive UDP ports free on 127.0.0.1 and 127.0.0.2."""
    for _ in range(50):
        port = random.randrange(20000, 60000, 2)
        sockets = []
        try:
            for address in ("127.0.0.1", "127.0.0.2"):
                for p in (port, port + 1):
                    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                    sockets.append(s)
                    s.bind((address, p))
            return port
        except OSError:
            continue
        finally:
            for s in sockets:
                s.close()
    pytest.fail("no free UDP port pair")


def write_config(path, port):
    path.write_text(f"""\
set chassis cluster cluster-id 9
set chassis cluster heartbeat-interval 200
set chassis cluster node 0 control-address 127.0.0.1
set chassis cluster node 1 control-address 127.0.0.2
set chassis cluster node 0 fabric-address 127.0.0.1
set chassis cluster node 1 fabric-address 127.0.0.2
set chassis cluster control-port {port}
set chassis cluster fabric-port {port + 1}
set chassis cluster redundancy-group 0 node 0 priority 200
set chassis cluster redundancy-group 0 node 1 priority 100
set chassis cluster redundancy-group 1 node 0 priority 200
set chassis cluster redundancy-group 1 node 1 priority 100
set chassis cluster redundancy-group 1 interface-monitor lo weight 100
set chassis cluster redundancy-group 1 ip-monitoring family inet 127.0.0.1 weight 100
""")


class Notifications:
    """A NOTIFY_SOCKET in the abstract namespace (mount namespaces do not hide it)."""

    def __init__(self):
        self.name = f"ccagent-test-{os.getpid()}-{random.randrange(1 << 30)}"
        self.socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.socket.bind("\0" + self.name)
        self.socket.settimeout(0.2)
        self.messages = []

    def wait_for(self, predicate, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                data = self.socket.recv(4096).decode()
                self.messages.extend(data.split("\n"))
            except socket.timeout:
                pass
            if predicate(self.messages):
                return True
        return False

    def close(self):
        self.socket.close()


def stop(process, sig=signal.SIGTERM, timeout=15):
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


def test_ccagentd_works_inside_the_unit_sandbox(binaries, requirements, tmp_path):
    daemon, ccctl = binaries
    try:
        group = grp.getgrnam("ccagent")
    except KeyError:
        pytest.skip("group ccagent missing: install the package (its postinst creates it)")
    etc, runtime, scratch, node1_dir = (tmp_path / d for d in ("etc", "run", "scratch", "n1"))
    for d in (etc, runtime, scratch, node1_dir):
        d.mkdir()
    port = free_port_pair()
    write_config(etc / "ccagent.conf", port)
    notify = Notifications()
    env = {**os.environ, "NOTIFY_SOCKET": "@" + notify.name, "WATCHDOG_USEC": "2000000"}
    env.pop("WATCHDOG_PID", None)
    log0, log1 = tmp_path / "node0.log", tmp_path / "node1.log"
    node0 = subprocess.Popen(
        ["unshare", "--mount", "--propagation", "private", "python3", str(SANDBOX),
         "--unit", str(UNIT), "--runtime-dir", str(runtime), "--scratch", str(scratch),
         "--bind-ro", f"{etc}:{CONFIG_MOUNT}", "--",
         str(daemon), "--config", f"{CONFIG_MOUNT}/ccagent.conf", "--node", "0",
         "--log-target", "stderr"],
        stdout=log0.open("w"), stderr=subprocess.STDOUT, env=env)
    node1 = subprocess.Popen(
        [str(daemon), "--config", str(etc / "ccagent.conf"), "--node", "1",
         "--control-socket", str(node1_dir / "ccagent.sock"), "--log-target", "stderr"],
        stdout=log1.open("w"), stderr=subprocess.STDOUT)
    sock = runtime / "ccagent.sock"
    try:
        assert notify.wait_for(lambda m: "READY=1" in m, 20), log0.read_text()
        assert any(m.startswith("STATUS=") for m in notify.messages)
        # The sandbox is in force on the running daemon.
        status = Path(f"/proc/{node0.pid}/status").read_text()
        assert Path(f"/proc/{node0.pid}/comm").read_text().strip() == "ccagentd"
        assert re.search(r"^CapEff:\s+0*2400$", status, re.M), status  # NET_RAW, NET_BIND_SERVICE
        assert re.search(r"^NoNewPrivs:\s+1$", status, re.M)
        assert re.search(r"^Seccomp:\s+2$", status, re.M)
        assert re.search(rf"^Gid:\s+{group.gr_gid}\s", status, re.M)
        # Watchdog pings (WATCHDOG_USEC=2 s: every 2/3 s).
        assert notify.wait_for(lambda m: m.count("WATCHDOG=1") >= 2, 6), notify.messages
        # The control socket: root:ccagent 0660 in root:ccagent 0750.
        st = sock.stat()
        assert stat.S_ISSOCK(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o660
        assert st.st_gid == group.gr_gid
        assert stat.S_IMODE(runtime.stat().st_mode) == 0o750 and runtime.stat().st_gid == group.gr_gid

        def cluster_status():
            r = run(str(ccctl), "show", "status", "--json", "--socket", str(sock))
            return json.loads(r.stdout) if r.returncode == 0 else None

        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            s = cluster_status()
            if s and s["peer"] == "up" and all(
                    [n["status"] for n in g["nodes"]] == ["primary", "secondary"]
                    for g in s["redundancyGroups"]):
                break
            time.sleep(0.5)
        assert s and s["peer"] == "up", s
        assert s["controlLink"] == "up" and s["fabricLink"] == "up", s
        assert all([n["status"] for n in g["nodes"]] == ["primary", "secondary"]
                   for g in s["redundancyGroups"]), s
        # Netlink (interface monitor) and raw ICMP (IP monitor, CAP_NET_RAW) both work.
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            interfaces = run(str(ccctl), "show", "interfaces", "--socket", str(sock)).stdout
            if re.search(r"127\.0\.0\.1\s+100\s+Reachable", interfaces):
                break
            time.sleep(0.5)
        assert re.search(r"^\s+lo\s+100\s+Up\s+1$", interfaces, re.M), interfaces
        assert re.search(r"127\.0\.0\.1\s+100\s+Reachable", interfaces), interfaces
        # SIGHUP reloads inside the sandbox (the configuration is on a read-only mount).
        node0.send_signal(signal.SIGHUP)
        assert notify.wait_for(lambda m: False, 1.5) is False
        assert node0.poll() is None, log0.read_text()
        assert log0.read_text().count("configuration loaded from") == 2, log0.read_text()
        # SIGTERM: STOPPING=1 and exit status 0.
        started = time.monotonic()
        assert stop(node0) == 0, log0.read_text()
        print(f"\nccagentd stopped {time.monotonic() - started:.1f} s after SIGTERM")
        assert notify.wait_for(lambda m: "STOPPING=1" in m, 2), notify.messages
    finally:
        stop(node0, signal.SIGKILL, 5)
        stop(node1)
        notify.close()
    log = log0.read_text()
    for bad in ("Operation not permitted", "Permission denied", "Read-only file system",
                "EPERM", "EACCES", "Bad system call", "fatal", "Fatal"):
        assert bad not in log, f"{bad!r} in the sandboxed daemon's log:\n{log}"
