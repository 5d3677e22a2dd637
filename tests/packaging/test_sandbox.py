"""Runs ccagentd inside an emulation of ccagentd.service's sandbox (sandbox_exec.py) and checks
that the hardening keeps it working: heartbeats with a peer, raw-socket ICMP for IP
monitoring, netlink link monitoring, the control socket for group ccagent, the AgentX
subagent (net-snmp, through a private master snmpd) with its state in StateDirectory=,
sd_notify READY/WATCHDOG/STOPPING, SIGHUP reload and a clean SIGTERM stop.

Needs root, unshare(1), libseccomp and systemd-analyze, and a ccagentd binary: the one in
dist/*.deb, else /usr/sbin/ccagentd, else .build-release/release/ccagentd; snmpd and
snmpbulkwalk for the AgentX part. Creates the ccagent group and /var/lib/ccagent for the
duration of the test when the package has not (and removes them again).
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

import cclab

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
UNIT = REPO / "packaging/ccagentd.service"
SANDBOX = HERE / "sandbox_exec.py"
CONFIG_MOUNT = "/srv"  # where the test's daemon and configuration appear inside the sandbox


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


MIB_ROOT = cclab.MIB_ROOT[1:]
ZABBIX_TEMPLATE = REPO / "packaging/zabbix/ccagent_snmp.yaml"


def check_zabbix_template_against_agent(port, empty=frozenset()):
    """Everything the Zabbix template polls is served by the running agent: each scalar
    instance, and each item prototype's column for every row its discovery rule finds.
    Rules in `empty` discover tables this configuration leaves empty (no reth): they must
    find no rows, so a table that appears or vanishes unexpectedly still fails."""
    import yaml

    walk = run("snmpbulkwalk", "-v2c", "-c", "test", "-On", "-t", "2",
               f"127.0.0.1:{port}", f".{MIB_ROOT}").stdout
    served = {}
    for line in walk.splitlines():
        oid, sep, value = line.partition(" = ")
        if sep and oid.startswith("."):
            served[oid[1:]] = value
    assert len(served) > 40, walk
    template = yaml.safe_load(ZABBIX_TEMPLATE.read_text())["zabbix_export"]["templates"][0]
    for item in template["items"]:
        if item.get("type") == "SNMP_AGENT":
            assert item["snmp_oid"] in served, f"{item['key']}: {item['snmp_oid']} not served"
    for rule in template["discovery_rules"]:
        columns = re.findall(r",([0-9.]+)", rule["snmp_oid"])
        rows = None
        for column in columns:
            found = {oid[len(column) + 1:] for oid in served if oid.startswith(column + ".")}
            if rule["key"] in empty:
                assert not found, f"{rule['key']}: rows under {column} in a reth-less config"
                continue
            assert found, f"{rule['key']}: no rows under {column}"
            rows = found if rows is None else rows & found
        for prototype in rule["item_prototypes"]:
            base = prototype["snmp_oid"].replace(".{#SNMPINDEX}", "")
            for index in rows or ():
                assert f"{base}.{index}" in served, f"{prototype['key']}: {base}.{index} missing"


def start_master_snmpd(tmp_path, agentx_socket):
    """A private snmpd, AgentX master on agentx_socket; returns (process, UDP port)."""
    port = cclab.free_udp_port()
    conf = tmp_path / "master.conf"
    conf.write_text(
        f"master agentx\nagentXSocket {agentx_socket}\nagentXPerms 0660 0770 root ccagent\n"
        f"view cc included .{MIB_ROOT}\nrocommunity test 127.0.0.1 -V cc\n")
    env = {**os.environ, "MIBS": "", "SNMP_PERSISTENT_DIR": str(tmp_path / "master-state")}
    process = subprocess.Popen(
        ["snmpd", "-f", "-Lo", "-C", "-c", str(conf), f"udp:127.0.0.1:{port}"],
        stdout=(tmp_path / "master.log").open("w"), stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + 10
    while not agentx_socket.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert agentx_socket.exists(), (tmp_path / "master.log").read_text()
    return process, port


@pytest.fixture(scope="module")
def ccagent_group(requirements):
    """The unit's Group=ccagent (the package's postinst creates it); made for the test and
    removed again when missing."""
    try:
        yield grp.getgrnam("ccagent")
        return
    except KeyError:
        pass
    if not shutil.which("groupadd"):
        pytest.skip("group ccagent missing and no groupadd")
    assert run("groupadd", "--system", "ccagent").returncode == 0
    try:
        yield grp.getgrnam("ccagent")
    finally:
        run("groupdel", "ccagent")


@pytest.fixture(scope="module")
def state_mountpoint():
    """/var/lib/ccagent must exist for the StateDirectory= bind (the package ships it)."""
    path = Path("/var/lib/ccagent")
    created = not path.exists()
    if created:
        path.mkdir(mode=0o750)
    yield path
    if created:
        shutil.rmtree(path, ignore_errors=True)


def sandbox_command(tmp_path, *command, binds=(), scratch="scratch"):
    """The command line that runs `command` in the unit's sandbox; host directories for the
    runtime and state directories are tmp_path/run and tmp_path/state (shared by every command
    run so, as systemd shares them between a unit's commands), the empty scratch directory is
    tmp_path/`scratch` (one per command)."""
    dirs = {"scratch": tmp_path / scratch}
    for name in ("run", "state"):
        dirs[name] = tmp_path / name
    for directory in dirs.values():
        directory.mkdir(exist_ok=True)
    args = ["unshare", "--mount", "--propagation", "private", "python3", str(SANDBOX),
            "--unit", str(UNIT), "--runtime-dir", str(dirs["run"]),
            "--state-dir", str(dirs["state"]), "--scratch", str(dirs["scratch"])]
    for source, target in binds:
        args += ["--bind-ro", f"{source}:{target}"]
    return args + ["--", *command]


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


def write_config(path, port, agentx_socket, key_file):
    path.write_text(f"""\
set snmp agentx socket {agentx_socket}
set chassis cluster cluster-id 9
set chassis cluster authentication-key-file {key_file}
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
    return cclab.stop(process, sig, timeout)


def unit_setting(key):
    """The unit's (last) value of `key`."""
    values = [line.partition("=")[2].strip() for line in UNIT.read_text().splitlines()
              if line.startswith(key + "=")]
    assert values, f"{key}= missing from {UNIT}"
    return values[-1]


# systemd-analyze security of the unit (issue 13 asked for 2.0 at most before the data plane;
# its CAP_NET_ADMIN and AF_PACKET, which issue 14 needs, cost 0.4 of exposure: 1.7 without
# them). At most 2.1: any further loosening of the sandbox fails here.
MAX_EXPOSURE = 2.1


def test_unit_exposure_stays_within_its_bound():
    if not shutil.which("systemd-analyze"):
        pytest.skip("systemd-analyze not installed")
    result = run("systemd-analyze", "security", "--offline=yes", "--no-pager", str(UNIT))
    m = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", result.stdout)
    assert m, result.stdout + result.stderr
    print(f"\nsystemd-analyze security: {m.group(1)}")
    assert float(m.group(1)) <= MAX_EXPOSURE, result.stdout
    # What the data plane needs stays: capabilities, socket families, the reth sysctls.
    assert {"CAP_NET_ADMIN", "CAP_NET_RAW"} <= set(unit_setting("CapabilityBoundingSet").split())
    assert {"AF_PACKET", "AF_NETLINK"} <= set(unit_setting("RestrictAddressFamilies").split())
    assert "/proc/sys/net/ipv4/conf" in unit_setting("ReadWritePaths")
    assert unit_setting("UMask") == "0077"


def test_ccagentd_works_inside_the_unit_sandbox(binaries, requirements, ccagent_group,
                                               state_mountpoint, tmp_path):
    daemon, ccctl = binaries
    group = ccagent_group
    etc, runtime, node1_dir = tmp_path / "etc", tmp_path / "run", tmp_path / "n1"
    for d in (etc, node1_dir):
        d.mkdir()
    port = free_port_pair()
    # The AgentX master's socket, in the runtime directory so that the sandbox sees it.
    runtime.mkdir()
    # One key, made as an operator would; each node names it where it sees it.
    cclab.generate_key(str(etc / "cluster.key"), bin_dir=str(ccctl.parent))
    write_config(etc / "ccagent.conf", port, "/run/ccagent/agentx.sock",
                 f"{CONFIG_MOUNT}/cluster.key")
    write_config(node1_dir / "ccagent.conf", port, "/run/ccagent/agentx.sock",
                 etc / "cluster.key")
    # PrivateTmp= hides the test's /tmp: the daemon and its configuration reach the sandbox
    # through a read-only bind, as /usr/sbin and /etc would.
    shutil.copy2(daemon, etc / "ccagentd")
    notify = Notifications()
    env = {**os.environ, "NOTIFY_SOCKET": "@" + notify.name, "WATCHDOG_USEC": "2000000"}
    env.pop("WATCHDOG_PID", None)
    log0, log1 = tmp_path / "node0.log", tmp_path / "node1.log"
    snmpd = start_master_snmpd(tmp_path, runtime / "agentx.sock") if shutil.which("snmpd") else None
    node0 = subprocess.Popen(
        sandbox_command(tmp_path, f"{CONFIG_MOUNT}/ccagentd", "--config",
                        f"{CONFIG_MOUNT}/ccagent.conf", "--node", "0", "--log-target", "stderr",
                        binds=[(etc, CONFIG_MOUNT)]),
        stdout=log0.open("w"), stderr=subprocess.STDOUT, env=env)
    node1 = subprocess.Popen(
        [str(daemon), "--config", str(node1_dir / "ccagent.conf"), "--node", "1",
         "--control-socket", str(node1_dir / "ccagent.sock"), "--log-target", "stderr",
         "--state-directory", str(node1_dir / "state")],
        stdout=log1.open("w"), stderr=subprocess.STDOUT)
    sock = runtime / "ccagent.sock"
    try:
        assert notify.wait_for(lambda m: "READY=1" in m, 20), log0.read_text()
        ready_at = time.monotonic()
        assert any(m.startswith("STATUS=") for m in notify.messages)
        # The sandbox is in force on the running daemon.
        status = Path(f"/proc/{node0.pid}/status").read_text()
        assert Path(f"/proc/{node0.pid}/comm").read_text().strip() == "ccagentd"
        assert re.search(r"^CapEff:\s+0*3400$", status, re.M), status  # NET_RAW, NET_ADMIN, NET_BIND_SERVICE
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
        # Netlink (interface monitor) and raw ICMP (IP monitor, CAP_NET_RAW) both work. An
        # address counts as reachable until retry-count (5) pings in a row failed, one per
        # second: look after that, and at the log for socket errors.
        time.sleep(max(0.0, ready_at + 7 - time.monotonic()))
        interfaces = run(str(ccctl), "show", "interfaces", "--socket", str(sock)).stdout
        assert re.search(r"^\s+lo\s+100\s+Up\s+1$", interfaces, re.M), interfaces
        assert re.search(r"127\.0\.0\.1\s+100\s+Reachable", interfaces), interfaces
        problems = [l for l in log0.read_text().splitlines()
                    if re.search(r"^\S+ (error|critical|alert|emergency) ", l)]
        assert not problems, "\n".join(problems)
        # The AgentX thread (net-snmp) serves the cluster MIB through the master snmpd, and
        # net-snmp's files go to the StateDirectory= (SNMP_PERSISTENT_DIR), not /var/lib/snmp.
        assert (tmp_path / "state" / "snmp").is_dir(), log0.read_text()
        if snmpd:
            master, snmp_port = snmpd
            got = ""
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                got = run("snmpget", "-v2c", "-c", "test", "-On", "-t", "1", "-r", "0",
                          f"127.0.0.1:{snmp_port}", f".{MIB_ROOT}.1.1.1.0",
                          f".{MIB_ROOT}.1.1.2.0", f".{MIB_ROOT}.1.1.7.0").stdout
                if "INTEGER: 9" in got:
                    break
                time.sleep(0.5)
            assert f".{MIB_ROOT}.1.1.1.0 = INTEGER: 9" in got, got + log0.read_text()
            assert f".{MIB_ROOT}.1.1.2.0 = INTEGER: 0" in got, got
            assert f".{MIB_ROOT}.1.1.7.0 = INTEGER: 1" in got, got  # peer up
            assert "AgentX session with snmpd at /run/ccagent/agentx.sock established" in \
                log0.read_text()
            # This configuration has no reth (the sandbox cannot create macvlans on lo).
            check_zabbix_template_against_agent(
                snmp_port, empty={"ccagent.reth.discovery", "ccagent.reth.address.discovery"})
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
        # The unit's ExecStopPost= works in the same sandbox (this configuration has no reth:
        # it takes the node's lock, reads the record and finds nothing to do).
        stop_post = [a.replace("/usr/sbin/ccagentd", f"{CONFIG_MOUNT}/ccagentd")
                      .replace("/etc/ccagent/", f"{CONFIG_MOUNT}/")
                     for a in unit_setting("ExecStopPost").split()]
        assert "--cleanup-reths" in stop_post
        cleanup = run(*sandbox_command(tmp_path, *stop_post, "--node", "0",
                                       binds=[(etc, CONFIG_MOUNT)], scratch="scratch-stop"))
        assert cleanup.returncode == 0, cleanup.stdout + cleanup.stderr
        assert "node0: no reths taken off the LAN" in cleanup.stderr, cleanup.stderr
    finally:
        stop(node0, signal.SIGKILL, 5)
        stop(node1)
        if snmpd:
            stop(snmpd[0])
        notify.close()
    log = log0.read_text()
    # systemd starts it SCHED_RR (CPUSchedulingPolicy=rr): RestrictRealtime=yes would refuse
    # the agent's own call, so it must see the policy as inherited and not try.
    assert "scheduling: realtime priority 10, as started" in log, log
    for bad in ("Operation not permitted", "Permission denied", "Read-only file system",
                "EPERM", "EACCES", "Bad system call", "fatal", "Fatal", "Cannot ", "failed"):
        assert bad not in log, f"{bad!r} in the sandboxed daemon's log:\n{log}"

