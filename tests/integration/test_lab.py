"""Issues 14 and 17: `make lab` (scripts/lab.sh) shows the client's ping loss through each move of
RG1, the journal records, the walk and the traps, exits 0 and leaves nothing behind; without a
build, or with an agent that dies, it fails with a clear message and leaves nothing behind."""
import os
import re
import shutil
import subprocess
import time

import pytest

import cclab
from cluster import ROOT

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("snmpd") or not os.path.exists(cclab.JOURNALD),
    reason="needs root, snmpd and systemd-journald")

LAB = os.path.join(ROOT, "scripts", "lab.sh")
MIB = os.path.join(ROOT, "mibs", "CHASSIS-CLUSTER-MIB.txt")
MOVE = re.compile(r"^  move (\d+): .*\n\s+RG1 and 192\.0\.2\.1 on node([01]) after ([\d.]+) s; "
                  r"the client lost (\d+) probes? = (\d+) ms", re.M)
RECORD = re.compile(r"^  \d\d:\d\d:\d\d node[01] MESSAGE_ID=([0-9a-f]{32}) \((\w+)\): \S", re.M)
WALKED = re.compile(r"^    CHASSIS-CLUSTER-MIB::(\w+)\.[\d.]+ = ", re.M)
TRAP = re.compile(r"^  \d\d:\d\d:\d\d\.\d{3} node[01] (\w+): ccLocalNodeId\.0 = [01]", re.M)


def sections(out):
    """The text of each `== N.` section by number."""
    parts = re.split(r"^== (\d)\. .*$", out, flags=re.M)
    return {int(n): text for n, text in zip(parts[1::2], parts[2::2])}


def mib_names(kind):
    with open(MIB) as f:
        return set(re.findall(rf"^(\w+) {kind}\b", f.read(), re.M))


def test_make_lab_shows_the_four_outputs_and_cleans_up():
    started = time.time()
    r = subprocess.run([LAB], capture_output=True, text=True, timeout=300)
    took = time.time() - started
    out = r.stdout
    assert r.returncode == 0, out[-3000:] + r.stderr
    assert out.rstrip().splitlines()[-1].startswith("lab: OK"), out[-2000:]
    assert took < 120, f"the lab took {took:.0f} s"
    part = sections(out)
    assert sorted(part) == [1, 2, 3, 4], list(part)
    assert out.index("== 1.") < out.index("== 2.") < out.index("== 3.") < out.index("== 4.")

    # 1. Each move: RG1 lands on the expected node; the loss is a count of 10 ms probes.
    moves = MOVE.findall(part[1])
    assert [(int(n), int(node)) for n, node, *_ in moves] == [(1, 1), (2, 0), (3, 1), (4, 0),
                                                               (5, 0)], part[1]
    for _, _, after, lost, ms in moves:
        assert int(ms) == int(lost) * 10
        assert int(lost) <= 100, f"{lost} probes lost in one move (over a second)"
        assert float(after) < 15
    assert part[1].count("client's ARP entry 02:cc:a9:00:07:00") >= 6  # the shared MAC, always
    assert "node0 sees node1 lost" in part[1]

    # 2. Records read back from journald carry the catalog's MESSAGE_IDs.
    ids = cclab.message_ids()
    records = RECORD.findall(part[2])
    assert records, part[2][:2000]
    for message_id, name in records:
        assert ids.get(name) == message_id, (name, message_id)
    names = {name for _, name in records}
    for wanted in ("rgStateChange", "rgFailover", "rethStatusChange", "splitBrainDetected",
                   "splitBrainResolved", "peerLost", "manualFailoverRequested"):
        assert wanted in names, (wanted, sorted(names))
    assert re.search(rf"^\s+MESSAGE_ID={ids['rgFailover']}$", part[2], re.M)
    assert re.search(r"^\s+SYSLOG_IDENTIFIER=ccagentd$", part[2], re.M)

    # 3. Every walked object is an OBJECT-TYPE of the MIB (so under its subtree), with values.
    walked = WALKED.findall(part[3])
    assert len(walked) >= 50, part[3][:2000]
    assert set(walked) <= mib_names("OBJECT-TYPE"), set(walked) - mib_names("OBJECT-TYPE")
    assert re.search(r"ccClusterId\.0 = INTEGER: 7$", part[3], re.M)
    assert re.search(r"ccRethName\.0 = STRING: reth0$", part[3], re.M)
    assert re.search(r"ccRgFailoverCount\.1 = Counter32: [1-9]", part[3], re.M)

    # 4. Notifications of the MIB, by name, the failover's among them.
    traps = TRAP.findall(part[4])
    assert traps, part[4][:2000]
    assert set(traps) <= mib_names("NOTIFICATION-TYPE"), set(traps)
    for wanted in ("ccRgStateChange", "ccRgFailover", "ccRethStatusChange", "ccSplitBrainDetected"):
        assert wanted in traps, (wanted, sorted(set(traps)))

    check_nothing_left(r)


def check_nothing_left(r):
    """lab.py removed all it made itself: the shell's EXIT trap found nothing."""
    prefix = re.search(r"namespaces: node0 (\w+)-n0", r.stdout).group(1)
    left = [l for l in cclab.run(["ip", "netns", "list"]).stdout.splitlines()
            if l.startswith(prefix + "-")]
    assert not left, left
    assert "left behind" not in r.stderr and "journald it started" not in r.stderr, r.stderr
    work = re.search(r"work directory (\S+)", r.stdout).group(1)
    assert not os.path.exists(work)


def test_without_a_build_the_lab_fails_clearly(tmp_path):
    r = subprocess.run([LAB], capture_output=True, text=True, timeout=30,
                       env={**os.environ, "LAB_BIN": str(tmp_path)})
    assert r.returncode == 1
    assert f"lab: FAILED: no ccagentd and ccctl in {tmp_path}: build first" in r.stderr


def test_an_agent_that_dies_fails_the_lab_at_once_with_its_words(tmp_path):
    """A ccagentd that refuses to start: the lab says which node's agent exited and what it
    said, well before the election's timeout, and removes everything."""
    os.symlink(os.path.join(cclab.DEBUG_BIN, "ccctl"), tmp_path / "ccctl")
    agent = tmp_path / "ccagentd"
    agent.write_text("#!/bin/sh\necho 'ccagentd: refusing to start (the lab test stand-in)' >&2\n"
                     "exit 1\n")
    agent.chmod(0o755)
    started = time.time()
    r = subprocess.run([LAB], capture_output=True, text=True, timeout=120,
                       env={**os.environ, "LAB_BIN": str(tmp_path)})
    assert r.returncode == 1, r.stdout[-2000:] + r.stderr
    assert re.search(r"lab: FAILED: node[01]'s ccagentd exited with status 1 while waiting for "
                     r"the election", r.stderr), r.stderr
    assert "refusing to start (the lab test stand-in)" in r.stderr
    assert time.time() - started < 25
    assert "lab: OK" not in r.stdout
    check_nothing_left(r)
