"""Issue 4: the AgentX subagent inside ccagentd, with a real snmpd and snmptrapd."""
import os
import shutil
import subprocess
import time

import pytest

from cclab import MIB_ROOT as ROOT_OID, ROOT, STATE_NUMBER as STATE

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("snmpd"),
                                reason="needs root and snmpd")


def check_walk_matches_status(c, s):
    # The walk and the status are two reads a moment apart: retry until they agree.
    deadline = time.time() + 5
    while True:
        try:
            return compare_walk_with_status(c, s)
        except AssertionError:
            if time.time() > deadline:
                raise
            time.sleep(0.3)


def compare_walk_with_status(c, s):
    rows, raw = s.walk()
    assert rows, raw
    oids = [tuple(int(x) for x in o.strip(".").split(".")) for o in rows]
    assert oids == sorted(oids) and len(set(oids)) == len(oids), "OIDs not increasing"
    assert "OID not increasing" not in raw
    status = c.status(0)
    assert rows[ROOT_OID + ".1.1.1.0"][1] == str(status["clusterId"])
    assert rows[ROOT_OID + ".1.1.2.0"][1] == "0"
    for group in status["redundancyGroups"]:
        rg = group["id"]
        assert rows[f"{ROOT_OID}.1.2.1.2.{rg}"][1] == str(group["failoverCount"])
        for node in group["nodes"]:
            state = rows[f"{ROOT_OID}.1.3.1.4.{rg}.{node['node']}"][1]
            assert state == str(STATE[node["status"]]), (rg, node, state)
            assert rows[f"{ROOT_OID}.1.3.1.3.{rg}.{node['node']}"][1] == str(node["priority"])
            row = f"{rg}.{node['node']}"
            # ccRgNodeFailureCodesText: the codes as ccctl prints them ("IF IP", "" for none).
            codes = rows[f"{ROOT_OID}.1.3.1.9.{row}"][1].strip('"')
            assert codes == " ".join(node["monitorFailures"]), (row, codes, node)
            # ccRgNodeWeightKnown: false(2) exactly when ccctl shows no weight (a lost peer).
            known = rows[f"{ROOT_OID}.1.3.1.10.{row}"][1]
            assert known == ("2" if node.get("weight") is None else "1"), (row, known, node)
            weight = rows[f"{ROOT_OID}.1.3.1.6.{row}"][1]
            assert weight == str(node["weight"] if node.get("weight") is not None else 0), (row, node)
    return rows


def test_walk_equals_status_before_and_after_failover_and_traps_arrive(snmp_cluster):
    c, s = snmp_cluster
    c.wait_state(0, 1, "primary")
    c.wait_state(1, 1, "secondary")
    c.wait(lambda: len(s.walk()[0]) > 20, 15, "subtree served")
    check_walk_matches_status(c, s)
    bulk, raw = s.walk("snmpbulkwalk")
    assert bulk.keys() == s.walk()[0].keys(), raw
    c.cable(0, 0, up=False)
    c.wait_state(1, 1, "primary", timeout=5)
    time.sleep(0.5)
    check_walk_matches_status(c, s)
    # node0 observed its own monitor failure and RG1 state change: both trapped.
    c.wait(lambda: f"{ROOT_OID}.0.3" in s.trap_text() and f"{ROOT_OID}.0.1" in s.trap_text(), 10,
           "monitor-failure and state-change notifications")
    text = s.trap_text()
    assert f"{ROOT_OID}.1.4.1.2.1.1" in text  # ccIfMonName.<rg 1>.<monitor 1>
    # The peer dies: its rows have no known weight (ccRgNodeWeightKnown false, weight 0).
    c.kill(1)
    c.wait(lambda: all(n["status"] == "lost" for g in c.status(0)["redundancyGroups"]
                       for n in g["nodes"] if n["node"] == 1), 15, "peer lost")
    rows = check_walk_matches_status(c, s)
    assert rows[f"{ROOT_OID}.1.3.1.10.1.1"][1] == "2" and rows[f"{ROOT_OID}.1.3.1.10.1.0"][1] == "1"


def test_snmpd_restart_serves_again_and_delivers_queued_notifications(snmp_cluster):
    c, s = snmp_cluster
    c.wait_state(0, 1, "primary")
    c.wait(lambda: len(s.walk()[0]) > 20, 15, "subtree served")
    s.kill_snmpd()
    time.sleep(1.5)
    # A failover while snmpd is down: the agent keeps working and queues its notifications.
    c.cable(0, 0, up=False)
    c.wait_state(1, 1, "primary", timeout=5)
    restarted = time.time()
    s.start_snmpd()
    c.wait(lambda: len(s.walk()[0]) > 20, 10, "subtree served after restart")
    assert time.time() - restarted < 5 + 2  # 5 s target plus walk time on a loaded machine
    c.wait(lambda: f"{ROOT_OID}.0.3" in open(s.traps).read(), 10, "queued notification delivered")


# What snmpwalk -On prints for each base SYNTAX snmptranslate reports.
WALK_TYPES = {
    "INTEGER": {"INTEGER"}, "Integer32": {"INTEGER"}, "Unsigned32": {"Gauge32"},
    "Gauge32": {"Gauge32"}, "Counter32": {"Counter32"}, "Counter64": {"Counter64"},
    "TimeTicks": {"Timeticks"}, "OCTET": {"STRING", "Hex-STRING", None}, "BITS": {"STRING", "Hex-STRING", "BITS"},
}


def test_every_walked_oid_is_an_object_of_the_mib_with_its_type(snmp_cluster):
    c, s = snmp_cluster
    c.wait_state(0, 1, "primary")
    c.wait(lambda: len(s.walk()[0]) > 20, 15, "subtree served")
    rows, _ = s.walk()
    mibs = os.path.join(ROOT, "mibs")
    for oid, (walk_type, _value) in rows.items():
        out = subprocess.run(["snmptranslate", "-M", f"+{mibs}", "-m", "CHASSIS-CLUSTER-MIB", "-Td", oid],
                             capture_output=True, text=True).stdout
        name = out.splitlines()[0] if out else ""
        assert name.startswith("CHASSIS-CLUSTER-MIB::cc"), (oid, out)
        syntax = next(l.split("\t", 1)[1] for l in out.splitlines() if l.strip().startswith("SYNTAX"))
        base = syntax.split()[0]
        assert walk_type in WALK_TYPES[base], (name, syntax, walk_type)
        assert "read-only" in out, (name, "walked a not-accessible object")


def test_snmptable_of_the_rg_node_table(snmp_cluster):
    c, s = snmp_cluster
    c.wait_state(0, 1, "primary")
    c.wait(lambda: len(s.walk()[0]) > 20, 15, "subtree served")
    out = subprocess.run(
        ["ip", "netns", "exec", c.ns[0], "snmptable", "-v2c", "-c", "public", "-Cf", ",", "-Ci",
         "-M", f"+{os.path.join(ROOT, 'mibs')}", "-m", "CHASSIS-CLUSTER-MIB",
         f"127.0.0.1:{s.port}", "ccRedundancyGroupNodeTable"], capture_output=True, text=True, timeout=30)
    lines = [l for l in out.stdout.splitlines() if l.count(",") >= 7]
    header, rows = lines[0].split(","), [l.split(",") for l in lines[1:]]
    state = next(i for i, h in enumerate(header) if h in ("State", "ccRgNodeState"))
    status = c.status(0)
    expected = {f"{g['id']}.{n['node']}": n["status"].replace("-h", "H") for g in status["redundancyGroups"]
                for n in g["nodes"]}
    got = {r[0]: r[state] for r in rows}
    assert got == expected, (out.stdout, out.stderr)
