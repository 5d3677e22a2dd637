"""Issue 4: the AgentX subagent inside ccagentd, with a real snmpd and snmptrapd."""
import json
import os
import re
import shutil
import subprocess
import time

import pytest

import cclab
from cclab import MIB_ROOT as ROOT_OID, MONITOR_LAN0, ROOT, STATE_NUMBER as STATE, sh
from test_sessions import FirewallPair
from test_witness import WitnessLab

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
    check_features_match_ccctl(c, rows, 0)
    return rows


LAN = ROOT_OID + ".1.1"                 # ccCluster: ccLanLinkStatus .19 and its counters .20-.22
SESSION_SYNC = ROOT_OID + ".1.8"        # ccSessionSync
WITNESS_GROUP = ROOT_OID + ".1.9"       # ccWitness
LINK = {"up": "1", "down": "2"}
HEALTH = {"healthy": "1", "unreachable": "2", "stalled": "3", "losing": "4", "unknown": "5"}
REACHABILITY = {"up": "1", "lost": "2", "unknown": "3"}


def scalar(rows, base, column):
    """The value of scalar base.column.0 as snmpwalk -On prints it (strings unquoted, TimeTicks
    as their number)."""
    _, value = rows[f"{base}.{column}.0"]
    m = re.match(r"^\((\d+)\)", value)
    return m.group(1) if m else value.strip('"')


def check_features_match_ccctl(c, rows, n):
    """The LAN heartbeat scalars, ccSessionSync and ccWitness equal node n's ccctl views, or
    say not configured (with zeros) when the configuration has no such part. Counters that move
    with every heartbeat are checked against a range: the walk and ccctl are two reads."""
    st = c.status(n)
    stats = json.loads(c.ccctl(n, "show", "statistics", "--json").stdout)
    info = json.loads(c.ccctl(n, "show", "information", "--json").stdout)
    truth = lambda value: "1" if value else "2"  # noqa: E731
    if "lanLink" in st:
        assert scalar(rows, LAN, 19) == LINK[st["lanLink"]]
        for column, key in ((20, "lanHeartbeatsSent"), (21, "lanHeartbeatsReceived")):
            assert 0 < int(scalar(rows, LAN, column)) <= stats[key], (column, stats)
    else:
        assert [scalar(rows, LAN, k) for k in (19, 20, 21, 22)] == ["4", "0", "0", "0"]
    sync = stats.get("sessionSync")
    assert scalar(rows, SESSION_SYNC, 1) == truth(sync)
    if sync:
        counters = sync.get("counters") or {}
        commit = sync.get("lastCommit") or {}
        assert scalar(rows, SESSION_SYNC, 2) == HEALTH[sync["health"]], sync
        assert scalar(rows, SESSION_SYNC, 3) == (sync.get("healthDetail") or "")
        assert scalar(rows, SESSION_SYNC, 4) == truth(sync["coldSync"])
        assert scalar(rows, SESSION_SYNC, 6) == str(counters.get("externalCache", {}).get("active", 0))
        assert int(scalar(rows, SESSION_SYNC, 8)) <= counters.get("packetsReceived", 0)
        assert scalar(rows, SESSION_SYNC, 11) == str(sync["commits"])
        assert scalar(rows, SESSION_SYNC, 12) == str(sync["commitTimeouts"])
        assert scalar(rows, SESSION_SYNC, 13) == str(commit.get("sessions", 0))
        assert scalar(rows, SESSION_SYNC, 14) == str(commit.get("milliseconds", 0))
        assert scalar(rows, SESSION_SYNC, 15) == truth(commit.get("timedOut"))
    else:
        assert [scalar(rows, SESSION_SYNC, k) for k in range(2, 16)] == (
            ["6", "", "2"] + ["0"] * 10 + ["2"]), "session sync not configured"
    witness = info.get("witness")
    assert scalar(rows, WITNESS_GROUP, 1) == truth(witness)
    if witness:
        assert scalar(rows, WITNESS_GROUP, 2) == REACHABILITY[witness["reachability"]], witness
        assert scalar(rows, WITNESS_GROUP, 3) == witness["address"]
        assert scalar(rows, WITNESS_GROUP, 4) == str(witness["port"])
        holder = witness.get("grantHolder")
        assert scalar(rows, WITNESS_GROUP, 5) == str(-1 if holder is None else holder)
        assert scalar(rows, WITNESS_GROUP, 7) == truth(witness["holdsGrant"])
        assert 0 < int(scalar(rows, WITNESS_GROUP, 10)) <= witness["requestsSent"]
    else:
        assert [scalar(rows, WITNESS_GROUP, k) for k in range(2, 13)] == (
            ["4", "", "0", "-1", "2", "2", "2", "0", "0", "0", "0"]), "no witness"


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


def check_walk_against_the_mib(rows):
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


def test_every_walked_oid_is_an_object_of_the_mib_with_its_type(snmp_cluster):
    c, s = snmp_cluster
    c.wait_state(0, 1, "primary")
    c.wait(lambda: len(s.walk()[0]) > 20, 15, "subtree served")
    check_walk_against_the_mib(s.walk()[0])


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


# --------------------------------------------------------------------------------- reths

RETH = (
    "set chassis cluster reth-count 1\n"
    "set interfaces reth0 redundant-ether-options redundancy-group 1\n"
    "set interfaces lan1 gigether-options redundant-parent reth0\n"
    "set interfaces reth0 unit 0 family inet address 192.0.2.1/24\n"
    "set interfaces reth0 unit 0 family inet6 address 2001:db8:1::1/64\n"
)
RETH_TABLE = ROOT_OID + ".1.6.1"        # ccRethEntry
RETH_ADDRESSES = ROOT_OID + ".1.7.1"    # ccRethAddressEntry


def reth_cluster(extra="", log_target="stderr", snmp_nodes=(0,)):
    """A started Cluster with reth0 (RG1, member lan1) and snmpd/snmptrapd on `snmp_nodes`,
    started before the agents; the caller closes both."""
    c = cclab.Cluster(extra=MONITOR_LAN0 + RETH + extra, start=False, log_target=log_target)
    snmps = {}
    try:
        for n in snmp_nodes:
            snmps[n] = c.snmp(n)
        for n in (0, 1):
            c.start(n)
    except Exception:
        for s in snmps.values():
            s.close()
        c.close()
        raise
    return c, snmps


def holds(c, n):
    """Deprecated does not count: a reth handing over is no owner (lanprobe.holds)."""
    out = sh(f"ip -n {c.ns[n]} -o addr show dev reth0", check=False).stdout
    return any("192.0.2.1/24" in l and "deprecated" not in l for l in out.splitlines())


def test_reth_tables_are_served_and_walk_against_the_mib():
    c, snmps = reth_cluster()
    s = snmps[0]
    try:
        c.wait_state(0, 1, "primary", timeout=20)
        c.wait(lambda: holds(c, 0), 10, "node0 holds the reth address")
        # The data plane's GARP count reaches the MIB (4 rounds of one IPv4 address each).
        c.wait(lambda: int(s.walk()[0][f"{RETH_TABLE}.8.0"][1]) >= 4, 15, "GARPs counted")
        rows, raw = s.walk()
        assert rows[f"{RETH_TABLE}.2.0"][1] == '"reth0"', raw
        assert rows[f"{RETH_TABLE}.3.0"][1] == "1"
        hex_string = lambda oid: (rows[oid][0], rows[oid][1].strip())  # noqa: E731
        assert hex_string(f"{RETH_TABLE}.4.0") == ("Hex-STRING", "02 CC A9 00 05 00"), raw
        assert rows[f"{RETH_TABLE}.5.0"][1] == "1"          # up: node0 holds it
        assert rows[f"{RETH_TABLE}.6.0"][1] == "1"          # lan1 is up
        assert rows[f"{RETH_TABLE}.7.0"][1] == "2"          # two addresses
        assert int(rows[f"{RETH_TABLE}.9.0"][1]) >= 4       # NAs for the IPv6 address
        assert rows[f"{RETH_TABLE}.10.0"][1] == "0"         # nothing restored yet
        assert rows[f"{RETH_ADDRESSES}.2.0.1"][1] == "1" and rows[f"{RETH_ADDRESSES}.2.0.2"][1] == "2"
        assert hex_string(f"{RETH_ADDRESSES}.3.0.1") == ("Hex-STRING", "C0 00 02 01"), raw
        assert rows[f"{RETH_ADDRESSES}.4.0.1"][1] == "24" and rows[f"{RETH_ADDRESSES}.4.0.2"][1] == "64"
        assert rows[f"{RETH_ADDRESSES}.5.0.1"][1] == '"192.0.2.1"'
        assert rows[f"{RETH_ADDRESSES}.5.0.2"][1] == '"2001:db8:1::1"'
        check_walk_against_the_mib(rows)
        # The status change of the election was trapped: reth0 up on node0.
        c.wait(lambda: f"{ROOT_OID}.0.16" in s.trap_text(), 10, "ccRethStatusChange")
        assert f"{ROOT_OID}.1.6.1.5.0 = INTEGER: 1" in s.trap_text()
    finally:
        s.close()
        c.close()


def test_an_address_removed_on_the_primary_is_restored_trapped_and_journaled(journald):
    c, snmps = reth_cluster(log_target="journal")
    s = snmps[0]
    try:
        c.wait_state(0, 1, "primary", timeout=20)
        c.wait(lambda: holds(c, 0), 10, "node0 holds the reth address")
        c.wait(lambda: len(s.walk()[0]) > 20, 15, "subtree served")
        sh(f"ip -n {c.ns[0]} addr del 192.0.2.1/24 dev reth0")
        c.wait(lambda: holds(c, 0), 10, "the removed address is restored")
        # The trap: reth0's name and status, the restore count, the address put back.
        c.wait(lambda: f"{ROOT_OID}.0.17" in s.trap_text(), 10, "ccRethAddressRestored")
        text = s.trap_text()
        trap = text[text.index(f"{ROOT_OID}.0.17"):]
        assert f'{RETH_TABLE}.2.0 = STRING: "reth0"' in trap, trap
        assert f"{RETH_TABLE}.10.0 = Counter32: 1" in trap, trap
        assert f'{RETH_ADDRESSES}.5.0.1 = STRING: "192.0.2.1"' in trap, trap
        # The journal record, with its catalog id and fields.
        ids = cclab.message_ids()
        pid = c.procs[0].pid
        c.wait(lambda: cclab.journal_entries(f"_PID={pid}", f"MESSAGE_ID={ids['rethRestored']}"),
               10, "the restore record")
        record = cclab.journal_entries(f"_PID={pid}", f"MESSAGE_ID={ids['rethRestored']}")[0]
        assert record["INTERFACE"] == "reth0" and record["RG_ID"] == "1", record
        assert record["IP_ADDRESSES"] == "192.0.2.1/24" and record["RESTORE_COUNT"] == "1", record
        assert record["PRIORITY"] == "4"
        up = cclab.journal_entries(f"_PID={pid}", f"MESSAGE_ID={ids['rethStatusChange']}")
        assert any(e.get("RETH_STATE") == "up" for e in up), up
        # The walk counts it too.
        c.wait(lambda: s.walk()[0][f"{RETH_TABLE}.10.0"][1] == "1", 10, "ccRethRestores 1")
        # The link set down is put back as well, and counted.
        sh(f"ip -n {c.ns[0]} link set reth0 down")
        c.wait(lambda: s.walk()[0][f"{RETH_TABLE}.10.0"][1] == "2", 10, "ccRethRestores 2")
        assert holds(c, 0)
    finally:
        s.close()
        c.close()


# ------------------------------------------------------------------- Juniper-format traps

JNX = ".1.3.6.1.4.1.2636.3.39.1.14.1"


def jnx_traps(s, number):
    """The varbinds {oid: value} of each Juniper notification `number` in s's trap log
    (snmptrapd -Lf writes a notification's varbinds on one line, tab separated)."""
    found = []
    for line in s.trap_text().splitlines():
        if f"= OID: {JNX}.0.{number}" in line:
            found.append({m.group(1): m.group(2) for m in re.finditer(
                rf"({re.escape(JNX)}\.1\.\d+\.0) = STRING: \"([^\"]*)\"", line)})
    return found


def test_juniper_format_traps_come_from_the_primary_only():
    c, snmps = reth_cluster(extra="set snmp juniper-compatible-traps\n", snmp_nodes=(0, 1))
    try:
        c.wait_state(0, 0, "primary", timeout=20)
        c.wait_state(0, 1, "primary", timeout=20)
        c.wait_state(1, 1, "secondary", timeout=20)
        # node0 (RG0's primary) loses lan0: RG1 and reth0 go to node1.
        c.cable(0, 0, up=False)
        c.wait_state(1, 1, "primary", timeout=10)
        c.wait(lambda: jnx_traps(snmps[0], 1), 10, "jnxJsChassisClusterSwitchover from node0")
        switchover = jnx_traps(snmps[0], 1)
        assert {f"{JNX}.1.1.0": "1", f"{JNX}.1.2.0": "5", f"{JNX}.1.3.0": "0",
                f"{JNX}.1.4.0": "primary", f"{JNX}.1.5.0": "secondary-hold",
                f"{JNX}.1.6.0": "monitor failure (IF)"} in switchover, switchover
        c.wait(lambda: jnx_traps(snmps[0], 4), 10, "jnxJsChClusterWeightTrap from node0")
        assert {f"{JNX}.1.15.0": "5", f"{JNX}.1.16.0": "1", f"{JNX}.1.17.0": "0",
                f"{JNX}.1.18.0": "unhealthy", f"{JNX}.1.19.0": "0"} in jnx_traps(snmps[0], 4)
        # The control link goes down: the interface trap, from node0 again.
        c.link(0, "ctl0", up=False)
        c.wait(lambda: jnx_traps(snmps[0], 2), 15, "jnxJsChClusterIntfTrap from node0")
        intf = jnx_traps(snmps[0], 2)[0]
        assert intf[f"{JNX}.1.2.0"] == "5" and intf[f"{JNX}.1.7.0"] == "control link", intf
        assert intf[f"{JNX}.1.8.0"] == "down" and intf[f"{JNX}.1.9.0"] == "major", intf
        # node1 saw its own events (its failover trap arrived) but sends nothing in Juniper's
        # format: it is not RG0's primary.
        c.wait(lambda: f"{ROOT_OID}.0.2" in snmps[1].trap_text(), 10, "node1's ccRgFailover")
        time.sleep(2)
        assert JNX not in snmps[1].trap_text(), snmps[1].trap_text()
        # Our own notifications still go out beside Juniper's.
        assert f"{ROOT_OID}.0.1" in snmps[0].trap_text()
    finally:
        for s in snmps.values():
            s.close()
        c.close()


# ------------------------------------------- LAN heartbeat path, witness and session sync

def retry(check, timeout=10):
    """check() until it stops failing: a walk and ccctl's views are two reads a moment apart."""
    deadline = time.time() + timeout
    while True:
        try:
            return check()
        except AssertionError:
            if time.time() > deadline:
                raise
            time.sleep(0.3)


def agreeing_walk(c, s, n):
    """A walk of node n's subtree whose LAN, session-sync and witness objects equal ccctl's."""
    def attempt():
        rows, raw = s.walk()
        assert rows, raw
        check_features_match_ccctl(c, rows, n)
        return rows
    return retry(attempt)


def trap_at(s, notification):
    """Where the first `notification` (its number in ccNotifications) starts in the trap log,
    or -1 (.0.2 is not .0.20)."""
    m = re.search(re.escape(f"{ROOT_OID}.0.{notification}") + r"(?![\d.])", s.trap_text())
    return m.start() if m else -1


def trap_after(s, notification):
    """The first `notification`'s varbinds (snmptrapd -Lf writes them on its line)."""
    text = s.trap_text()
    start = trap_at(s, notification)
    end = text.find("\n", start)
    return text[start:end if end >= 0 else None]


def test_lan_and_witness_objects_follow_ccctl_and_their_changes_are_trapped():
    lab = WitnessLab()
    c, s = lab.c, None
    try:
        s = c.snmp(0)  # after the agents: node0's subagent connects within a second
        c.wait_state(0, 1, "primary", timeout=30)
        c.wait(lambda: lab.info(0).get("witness", {}).get("reachability") == "up", 15,
               "node0 reaches the witness")
        c.wait(lambda: len(s.walk()[0]) > 20, 15, "subtree served")
        rows = agreeing_walk(c, s, 0)
        assert scalar(rows, LAN, 19) == "1" and scalar(rows, WITNESS_GROUP, 2) == "1"
        assert int(scalar(rows, WITNESS_GROUP, 9)) > 0     # ccWitnessLastContact
        assert int(scalar(rows, WITNESS_GROUP, 11)) > 0    # ccWitnessRepliesReceived
        assert scalar(rows, SESSION_SYNC, 2) == "6"        # no session sync here
        check_walk_against_the_mib(rows)
        # The first answer was trapped (queued until the subagent connected).
        c.wait(lambda: trap_at(s, 24) >= 0, 15, "ccWitnessFound")
        assert f"{WITNESS_GROUP}.2.0 = INTEGER: 1" in trap_after(s, 24)
        # The witness dies: lost, trapped, walked; nothing else moves.
        lab.kill_witness()
        c.wait(lambda: trap_at(s, 23) >= 0, 15, "ccWitnessLost")
        trap = trap_after(s, 23)
        assert f"{WITNESS_GROUP}.2.0 = INTEGER: 2" in trap, trap
        assert f"{WITNESS_GROUP}.9.0 = Timeticks" in trap, trap
        assert scalar(agreeing_walk(c, s, 0), WITNESS_GROUP, 2) == "2"
        # node1 drops the LAN heartbeats both ways: node0's LAN path goes down.
        lab.cut(1, "lan")
        c.wait(lambda: trap_at(s, 18) >= 0, 15, "ccLanLinkDown")
        assert f"{LAN}.19.0 = INTEGER: 2" in trap_after(s, 18)
        assert scalar(agreeing_walk(c, s, 0), LAN, 19) == "2"
        assert c.state(0, 1) == "primary" and c.state(1, 1) == "secondary"
    finally:
        if s:
            s.close()
        lab.close()


def test_session_sync_objects_follow_ccctl_and_a_dead_conntrackd_is_trapped():
    lab = FirewallPair(sync=True)
    c, s = lab.c, None
    try:
        s = c.snmp(1)
        c.wait_state(0, 1, "primary", timeout=30)
        c.wait_state(1, 1, "secondary", timeout=30)
        c.wait(lambda: lab.failures(1) == [], 30, "node1's cold sync to end")
        c.wait(lambda: lab.sync_state(1).get("health") == "healthy", 20,
               "node1's session sync to be healthy")
        c.wait(lambda: len(s.walk()[0]) > 20, 15, "subtree served")
        rows = agreeing_walk(c, s, 1)
        assert [scalar(rows, SESSION_SYNC, k) for k in (1, 2, 4)] == ["1", "1", "2"]
        assert int(scalar(rows, SESSION_SYNC, 8)) > 0      # messages from node0's conntrackd
        check_walk_against_the_mib(rows)
        # A manual failover: node1 commits node0's sessions before its reths come up.
        c.ccctl(1, "request", "failover", "redundancy-group", "1", "node", "1")
        c.wait_state(1, 1, "primary", timeout=15)
        rows = agreeing_walk(c, s, 1)
        assert scalar(rows, SESSION_SYNC, 11) == "1"       # ccSessionSyncCommits
        assert scalar(rows, SESSION_SYNC, 15) == "2"       # not timed out
        # node1's conntrackd dies: unreachable, trapped with its reason, walked.
        c.lab.stop(lab.conntrackd[1])
        c.wait(lambda: trap_at(s, 20) >= 0, 20, "ccSessionSyncDown")
        trap = trap_after(s, 20)
        assert f"{SESSION_SYNC}.2.0 = INTEGER: 2" in trap, trap
        assert f"{SESSION_SYNC}.3.0 = STRING:" in trap, trap
        assert scalar(agreeing_walk(c, s, 1), SESSION_SYNC, 2) == "2"
        # It comes back: healthy again, trapped.
        lab.start_conntrackd(1)
        c.wait(lambda: trap_at(s, 21) >= 0, 30, "ccSessionSyncUp")
        assert f"{SESSION_SYNC}.2.0 = INTEGER: 1" in trap_after(s, 21)
    finally:
        if s:
            s.close()
        lab.close()
