"""Runs the shipped snmpd drop-in and snmptrapd example with private daemons.

snmpd: the drop-in, with its AgentX socket moved to a temporary directory, must start, create
the AgentX socket with the configured permissions and answer on the localhost community.
snmptrapd: the example configuration must accept a ccagent notification and print its name
and varbinds in the configured format. Needs snmpd, snmptrapd and snmp (snmpget, snmptrap);
no ccagentd. Run: pytest tests/packaging/test_snmp.py
"""
import grp
import os
import re
import shutil
import signal
import stat
import subprocess
from pathlib import Path

import pytest

from cclab import MIB_ROOT, free_udp_port, wait_until

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
DROPIN = REPO / "packaging/snmp/snmpd.conf.d/ccagent.conf"
TRAPD = REPO / "packaging/snmp/snmptrapd.conf"
MIBS = REPO / "mibs"
ROOT = MIB_ROOT[1:]


def need(*tools):
    for tool in tools:
        if not shutil.which(tool):
            pytest.skip(f"{tool} not installed (scripts/install-deps.sh)")


def start(args, log, env):
    return subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env,
                            start_new_session=True)


def stop(process):
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def wait_for(predicate, timeout=10.0):
    return wait_until(predicate, timeout, poll=0.1)


def test_dropin_directives():
    text = DROPIN.read_text()
    lines = [l.split("#")[0].strip() for l in text.splitlines()]
    lines = [l for l in lines if l]
    assert "master agentx" in lines
    assert "agentXSocket /var/agentx/master" in lines
    assert "agentXPerms 0660 0770 root ccagent" in lines
    assert any(re.fullmatch(rf"view \S+ included \.?{re.escape(ROOT)}", l) for l in lines)
    assert any(re.fullmatch(r"rocommunity \S+ (127\.0\.0\.1|localhost)( -V \S+)?", l) for l in lines)
    # Trap destinations are examples only.
    assert re.search(r"^#trap2sink ", text, re.M) and re.search(r"^#trapsess ", text, re.M)


def test_private_snmpd_with_the_dropin(tmp_path):
    need("snmpd", "snmpget")
    if os.geteuid() != 0:
        pytest.skip("snmpd's agentXPerms chown needs root")
    socket_path = tmp_path / "agentx" / "master"
    conf = tmp_path / "snmpd.conf"
    text = DROPIN.read_text().replace("/var/agentx/master", str(socket_path))
    try:
        grp.getgrnam("ccagent")
        group = "ccagent"
    except KeyError:  # the package creates the group; without it check the mode only
        text = text.replace("root ccagent", "root root")
        group = "root"
    # Stand-in for ccagentd: a pass script that answers one cluster scalar, to show that the
    # drop-in's view lets the community see the subtree.
    script = tmp_path / "pass.sh"
    script.write_text(
        "#!/bin/sh\n"
        f'if [ "$1" = -g ] && [ "$2" = .{ROOT}.1.1.1.0 ]; then\n'
        '    echo "$2"; echo integer; echo 7\n'
        "fi\n")
    script.chmod(0o755)
    text += f"\npass .{ROOT} {script}\n"
    conf.write_text(text)
    port = free_udp_port()
    env = {**os.environ, "SNMP_PERSISTENT_DIR": str(tmp_path / "persist"), "MIBS": ""}
    log_path = tmp_path / "snmpd.log"
    with log_path.open("w") as log:
        snmpd = start(["snmpd", "-f", "-Lo", "-C", "-c", str(conf), "-M", "/usr/share/snmp/mibs",
                       f"udp:127.0.0.1:{port}"], log, env)
        try:
            assert wait_for(socket_path.exists), log_path.read_text()
            st = socket_path.stat()
            assert stat.S_ISSOCK(st.st_mode)
            assert stat.S_IMODE(st.st_mode) == 0o660, oct(st.st_mode)
            assert grp.getgrgid(st.st_gid).gr_name == group
            # The rocommunity of the drop-in answers from localhost ...
            community = re.search(r"^rocommunity (\S+) 127\.0\.0\.1", text, re.M).group(1)
            get = subprocess.run(
                ["snmpget", "-v2c", "-c", community, "-On", "-t", "2", "-r", "2",
                 f"127.0.0.1:{port}", ".1.3.6.1.2.1.1.3.0", f".{ROOT}.1.1.1.0"],
                capture_output=True, text=True, env=env, check=False)
            assert get.returncode == 0, get.stderr + log_path.read_text()
            assert ".1.3.6.1.2.1.1.3.0 = Timeticks:" in get.stdout
            # ... its view includes the cluster subtree ...
            assert f".{ROOT}.1.1.1.0 = INTEGER: 7" in get.stdout, get.stdout
            # ... and nothing else of the host (ifNumber.0 is outside the view).
            outside = subprocess.run(
                ["snmpget", "-v2c", "-c", community, "-On", "-t", "2", "-r", "1",
                 f"127.0.0.1:{port}", ".1.3.6.1.2.1.2.1.0"],
                capture_output=True, text=True, env=env, check=False)
            assert "No Such Object" in outside.stdout, outside.stdout
            assert snmpd.poll() is None, log_path.read_text()
        finally:
            stop(snmpd)
    log = log_path.read_text()
    assert "Turning on AgentX master support" in log, log
    assert "Error" not in log and "error" not in log.replace("Can't identify", ""), log


def test_private_snmptrapd_prints_ccagent_notifications(tmp_path):
    need("snmptrapd", "snmptrap")
    port = free_udp_port()
    env = {**os.environ, "SNMP_PERSISTENT_DIR": str(tmp_path / "persist")}
    mib_args = ["-M", f"+{MIBS}", "-m", "+CHASSIS-CLUSTER-MIB"]
    log_path = tmp_path / "snmptrapd.log"
    with log_path.open("w") as log:
        trapd = start(["snmptrapd", "-f", "-Lo", "-C", "-c", str(TRAPD), *mib_args,
                       f"udp:127.0.0.1:{port}"], log, env)
        try:
            assert wait_for(lambda: "NET-SNMP version" in log_path.read_text()), \
                log_path.read_text()
            sent = subprocess.run(
                ["snmptrap", "-v2c", "-c", "public", *mib_args, f"127.0.0.1:{port}", "",
                 "CHASSIS-CLUSTER-MIB::ccRgFailover",
                 "CHASSIS-CLUSTER-MIB::ccLocalNodeId.0", "i", "1",
                 "CHASSIS-CLUSTER-MIB::ccRgPrimaryNode.1", "i", "1",
                 "CHASSIS-CLUSTER-MIB::ccRgFailoverCount.1", "c", "2",
                 "CHASSIS-CLUSTER-MIB::ccRgLastFailoverReason.1", "s", "manual failover"],
                capture_output=True, text=True, env=env, check=False)
            assert sent.returncode == 0, sent.stderr
            assert wait_for(lambda: "ccRgLastFailoverReason" in log_path.read_text()), \
                log_path.read_text()
        finally:
            stop(trapd)
    out = log_path.read_text()
    assert re.search(r"snmpTrapOID\.0 = OID: CHASSIS-CLUSTER-MIB::ccRgFailover$", out, re.M), out
    for line in ("CHASSIS-CLUSTER-MIB::ccLocalNodeId.0 = INTEGER: 1",
                 "CHASSIS-CLUSTER-MIB::ccRgPrimaryNode.1 = INTEGER: 1",
                 'CHASSIS-CLUSTER-MIB::ccRgLastFailoverReason.1 = STRING: manual failover'):
        assert re.search(rf"^\t{re.escape(line)}\"?$", out, re.M), f"{line!r} not in:\n{out}"
    # The header line: date, time, sender and transport.
    assert re.search(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \S+ \[UDP: \[127\.0\.0\.1\]:\d+->", out, re.M)
