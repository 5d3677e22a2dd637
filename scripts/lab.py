"""`make lab` (run by scripts/lab.sh): two ccagentd nodes in network namespaces with reth0 on a
LAN bridge and a client pinging its address, taken through failovers and back, then what the
operator's tools saw, in four sections:

  1. the pair and its data plane: the election, then each move of RG1 (monitored link down,
     the link back with preempt, a manual failover, its reset, a split brain and its
     resolution) with the probes the client lost; a heartbeat loss (kill -9 of node1's agent)
  2. the journal: the agents' structured records, read back with journalctl
  3. an snmpwalk of the chassis-cluster subtree through snmpd and AgentX (names from mibs/)
  4. the notifications snmptrapd received on each node

The plumbing is tests/lib (cclab: namespaces, agents, snmpd/snmptrapd, journald; lanprobe: the
client's pinger). Exit 0 with "lab: OK" on the last line; 1 with "lab: FAILED: why" otherwise.
Everything made here is removed on the way out, unless --keep.
"""
import argparse
import json
import os
import re
import signal
import sys
import time
import traceback

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "tests", "lib"))
import cclab  # noqa: E402
import lanprobe  # noqa: E402

RETH_ADDRESS = "192.0.2.1"
CLIENT_ADDRESS = "192.0.2.100/24"
PING_INTERVAL = 0.01
LATE = 0.1                       # a reply later than this counts its probe as lost
CONFIG = os.path.join(cclab.ROOT, "packaging", "examples", "lab.conf")
# The notifications a failover and back must have produced (section 4 fails without them).
EXPECTED_TRAPS = ("ccRgStateChange", "ccRgFailover", "ccRethStatusChange")
# Fields every record carries, left out of the one-line rendering (the verbose one shows all).
COMMON_FIELDS = {"MESSAGE", "MESSAGE_ID", "PRIORITY", "SYSLOG_IDENTIFIER", "SYSLOG_FACILITY",
                 "SYSLOG_PID", "CODE_FILE", "CODE_LINE", "CODE_FUNC", "CLUSTER_ID", "NODE_ID"}


class LabFailed(Exception):
    pass


def heading(text):
    print(f"\n== {text}")


def indent(text, prefix="    "):
    return "".join(prefix + line + "\n" for line in text.rstrip("\n").splitlines())


def check_mibs():
    """snmpwalk and snmptrapd print names only with both modules readable (make deps links
    SNMPv2-MIB from erlang-snmp)."""
    r = cclab.run(["snmptranslate", *cclab.MIB_NAMES, "-On", "SNMPv2-MIB::snmpTrapOID.0",
                   "CHASSIS-CLUSTER-MIB::ccRgFailover"], check=False)
    if r.returncode != 0 or "Cannot find module" in r.stderr:
        raise LabFailed(f"the MIB modules do not load (run make deps):\n{r.stderr.strip()}")


class DemoPair:
    """The lab's pair: namespaces, a LAN bridge with the client, snmpd/snmptrapd and an agent
    per node logging to the journal, the client's pinger; all recorded in `lab` (Lab.close)."""

    def __init__(self, lab, prefix, bin_dir):
        self.lab, self.bin = lab, bin_dir
        self.topo = lab.topology(prefix)
        cclab.add_switch_bridge(self.topo, "brl", ["port10", "port11"])   # both nodes' lan1
        self.client = cclab.add_host(lab, self.topo, "cl", "brl", CLIENT_ADDRESS)
        key = lab.key(bin_dir=bin_dir)
        self.config = lab.path("ccagent.conf")
        with open(CONFIG) as f:
            cclab.write_file(self.config, f.read().replace("/etc/ccagent/cluster.key", key))
        self.snmp = [cclab.Snmp(lab, self.topo.ns[n], f"node{n}", agentx=self.agentx(n),
                                traps=None, names=True) for n in (0, 1)]
        self.procs = [None, None]
        self.node_of = {}                  # "pid" -> "nodeN" of every agent run (journal matches)
        for n in (0, 1):
            self.start(n)
        self.pinger = None
        self.mac = None

    def agentx(self, n):
        return self.lab.path(f"agentx{n}.sock")

    def socket(self, n):
        return self.lab.path(f"node{n}.sock")

    def start(self, n):
        self.procs[n] = cclab.spawn_agent(self.lab, self.topo.ns[n], n, self.config,
                                          self.socket(n), self.agentx(n), f"node{n}.log",
                                          self.bin, log_target="journal")
        self.node_of[str(self.procs[n].pid)] = f"node{n}"

    def ccctl(self, n, *args):
        r = cclab.ccctl(self.socket(n), *args, bin_dir=self.bin, check=False)
        if r.returncode != 0:
            raise LabFailed(f"ccctl {' '.join(args)} on node{n}: {(r.stderr or r.stdout).strip()}")
        return r.stdout

    def state(self, n, rg, of=None):
        row = cclab.rg_row(cclab.status(self.socket(n), self.bin), rg, n if of is None else of)
        return row["status"] if row else None

    def holds(self, n):
        return lanprobe.holds(self.topo.ns[n], RETH_ADDRESS)

    def shared_mac(self):
        out = cclab.run(["ip", "-j", "-n", self.topo.ns[0], "link", "show", "reth0"]).stdout
        return json.loads(out)[0]["address"]

    def where_the_client_sends(self, mac):
        """The client's neighbour entry for the reth address and the switch ports with mac."""
        ports = sorted(lanprobe.fdb_ports(self.topo.switch, "brl", mac))
        where = ", ".join(f"{p} (node{p[-1]}'s lan1)" for p in ports) or "no port"
        return (f"client's ARP entry {lanprobe.neighbour_mac(self.client, RETH_ADDRESS)}, switch "
                f"FDB {mac} on {where}")

    def expect(self, predicate, timeout, what):
        """Waits for predicate; fails at once when an agent the lab runs has exited."""
        def met():
            for n, proc in enumerate(self.procs):
                if proc is not None and proc.poll() is not None:
                    raise LabFailed(f"node{n}'s ccagentd exited with status {proc.returncode} "
                                    f"while waiting for {what}\n" + self.context())
            return predicate()
        if not cclab.wait_until(met, timeout, poll=0.02):
            raise LabFailed(f"timed out after {timeout} s waiting for {what}\n" + self.context())

    def context(self):
        """What the agents said last: their journal records and anything on stderr."""
        lines = [f"  {r.get('SYSLOG_IDENTIFIER', '?')}[{r.get('_PID')}]: {r.get('MESSAGE', '')}"
                 for r in cclab.journal_entries(*(f"_PID={p}" for p in self.node_of))[-15:]]
        for n in (0, 1):
            out = cclab.tail(self.lab.path(f"node{n}.log"), 10)
            if out.strip():
                lines.append(f"  node{n} stderr:\n" + indent(out))
        return "\n".join(lines)


# --------------------------------------------------------------------------------- 1. data plane

def owner(pair, n):
    """RG1 primary on node n only, reth0's address on node n only."""
    return (pair.state(n, 1) == "primary" and pair.state(1 - n, 1) != "primary"
            and pair.holds(n) and not pair.holds(1 - n))


def move(pair, number, what, act, new, timeout=20):
    """Does `act`, waits until node `new` alone owns RG1 and the reth, and prints what the
    client lost. Returns (probes lost, outage s)."""
    t0 = time.time()
    act()
    pair.expect(lambda: owner(pair, new), timeout, f"node{new} to own RG1 and {RETH_ADDRESS}")
    moved = time.time()
    # Every probe of the move has had LATE s for its reply once one sent after that is answered.
    pair.expect(lambda: pair.pinger.answered_after(moved + LATE + 0.05), 10,
                "the client's pings to be answered again")
    lost, outage = pair.pinger.loss(t0, moved, LATE)
    print(f"  move {number}: {what}\n"
          f"          RG1 and {RETH_ADDRESS} on node{new} after {moved - t0:.2f} s; the client "
          f"lost {lost} probe{'' if lost == 1 else 's'} = {lost * PING_INTERVAL * 1000:.0f} ms "
          f"(longest gap between answers {outage * 1000:.0f} ms)\n"
          f"          {pair.where_the_client_sends(pair.mac)}")
    return lost, outage


def data_plane(pair):
    heading("1. The pair and its data plane")
    ns0, ns1 = pair.topo.ns
    print(f"namespaces: node0 {ns0}, node1 {ns1}, switch {pair.topo.switch} (LAN bridge brl over "
          f"both nodes' lan1), client {pair.client}")
    pair.expect(lambda: owner(pair, 0) and pair.state(1, 1) == "secondary", 30,
                "the election (RG1 primary on node0, secondary on node1)")
    print("--- election: node0 is RG1's primary and holds reth0\n--- node0: ccctl show status")
    print(indent(pair.ccctl(0, "show", "status")))
    print("--- node0: ccctl show interfaces")
    print(indent(pair.ccctl(0, "show", "interfaces")))

    pair.pinger = lanprobe.Pinger(pair.lab, pair.client, RETH_ADDRESS, interval=PING_INTERVAL)
    pair.expect(lambda: pair.pinger.answered_after(time.time() - 0.5), 10,
                f"the client's first answered ping to {RETH_ADDRESS}")
    pair.mac = pair.shared_mac()
    print(f"--- client {CLIENT_ADDRESS.split('/')[0]} pings reth0 {RETH_ADDRESS} (shared MAC "
          f"{pair.mac}) every {PING_INTERVAL * 1000:.0f} ms; a probe without a reply within "
          f"{LATE * 1000:.0f} ms is lost\n          {pair.where_the_client_sends(pair.mac)}")
    topo = pair.topo
    results = []
    results.append(move(pair, 1, "monitored link down: node0's lan1 cable pulled (switch port10 "
                        "down)", lambda: topo.cable(0, 1, False), new=1))
    results.append(move(pair, 2, "link back: the cable plugged in again, preempt (delay 2 s) "
                        "returns RG1", lambda: topo.cable(0, 1, True), new=0))
    time.sleep(1.2)  # RG1's hold-down (1 s) since the last failover
    results.append(move(pair, 3, "manual failover: ccctl request chassis cluster failover "
                        "redundancy-group 1 node 1",
                        lambda: pair.ccctl(0, "request", "chassis", "cluster", "failover",
                                           "redundancy-group", "1", "node", "1"), new=1))
    time.sleep(1.2)
    results.append(move(pair, 4, "manual failover reset: ccctl request chassis cluster failover "
                        "reset redundancy-group 1, preempt returns RG1",
                        lambda: pair.ccctl(1, "request", "chassis", "cluster", "failover", "reset",
                                           "redundancy-group", "1"), new=0))

    def cut(up):
        for link in ("ctl0", "fab0"):
            topo.link(0, link, up)
    print("--- split brain: node0's control and fabric links cut, then healed")
    t0 = time.time()
    cut(False)
    pair.expect(lambda: pair.state(1, 1) == "primary" and pair.state(0, 1) == "primary", 15,
                "both nodes primary of RG1 (a split brain)")
    print(f"  both nodes primary of RG1 {time.time() - t0:.2f} s after the cut (no witness, no LAN "
          f"heartbeat: both own {RETH_ADDRESS})")
    cclab.wait_until(lambda: lanprobe.fdb_ports(topo.switch, "brl", pair.mac) == {"port11"}, 3)
    print(f"          {pair.where_the_client_sends(pair.mac)}")
    results.append(move(pair, 5, "split brain healed: control and fabric links up, node0 (priority "
                        "200) keeps RG1", lambda: cut(True), new=0))
    return results


def heartbeat_loss(pair):
    print("--- heartbeat loss: kill -9 of node1's agent")
    t0 = time.time()
    os.kill(pair.procs[1].pid, signal.SIGKILL)
    pair.procs[1].wait(timeout=10)
    pair.lab.forget(pair.procs[1])
    pair.procs[1] = None
    pair.expect(lambda: pair.state(0, 1, of=1) == "lost", 15, "node0 to see node1 lost")
    print(f"  node0 sees node1 lost after {time.time() - t0:.2f} s; RG1 stays on node0: "
          f"{'holds' if pair.holds(0) else 'LOST'} {RETH_ADDRESS}")
    if not owner(pair, 0):
        raise LabFailed("node0 gave RG1 up when node1's agent died\n" + pair.context())


# --------------------------------------------------------------------------------- 2. journal

def journal(pair, ids):
    names = {v: k for k, v in ids.items()}
    matches = [f"_PID={p}" for p in pair.node_of]
    wanted = {ids[k] for k in ("rgStateChange", "rgFailover", "splitBrainDetected",
                               "splitBrainResolved", "peerLost")}
    records = []

    def missing():
        records[:] = [r for r in cclab.journal_entries(*matches) if "MESSAGE_ID" in r]
        return sorted(names[m] for m in wanted - {r["MESSAGE_ID"] for r in records})
    if not cclab.wait_until(lambda: not missing(), 15, poll=0.2):
        raise LabFailed(f"no journal record of {', '.join(missing())} from the agents "
                        f"({' '.join(matches)}) within 15 s\n" + pair.context())
    heading("2. The journal: the agents' structured records")
    print(f"journalctl -o json {' '.join(matches)}: {len(records)} records with a MESSAGE_ID")
    for r in records:
        stamp = time.strftime("%H:%M:%S", time.localtime(int(r["__REALTIME_TIMESTAMP"]) / 1e6))
        fields = " ".join(f"{k}={r[k]}" for k in sorted(r)
                          if not k.startswith("_") and k not in COMMON_FIELDS)
        print(f"  {stamp} {pair.node_of.get(r.get('_PID'), '?')} MESSAGE_ID={r['MESSAGE_ID']} "
              f"({names.get(r['MESSAGE_ID'], '?')}): {r.get('MESSAGE', '')}\n      {fields}")
    failover = next(r for r in records if r["MESSAGE_ID"] == ids["rgFailover"])
    cursor = failover["__CURSOR"]
    out = cclab.run(["journalctl", "-o", "verbose", "--no-pager", f"--cursor={cursor}", "-n", "1",
                     f"_PID={failover['_PID']}"], check=False).stdout
    print(f"--- the first failover record in full (journalctl -o verbose --cursor=... -n 1)")
    print(indent(out if out.strip() else "(journalctl printed nothing)"))
    return records


# --------------------------------------------------------------------------------- 3. walk

def walk(pair):
    """snmpwalk of the subtree on node0, names from mibs/; its lines."""
    out = pair.snmp[0].cmd("snmpwalk", cclab.MIB_ROOT, timeout=60, retries=5)
    lines = [l for l in out.stdout.splitlines() if l.strip() and "No more variables" not in l]
    if out.returncode != 0 or not any(l.startswith("CHASSIS-CLUSTER-MIB::") for l in lines):
        raise LabFailed(f"snmpwalk of {cclab.MIB_ROOT} on node0 failed ({out.returncode}):\n"
                        + (out.stderr or out.stdout))
    return lines


def show_walk(lines, port):
    heading("3. SNMP: the chassis-cluster subtree through snmpd and AgentX")
    print(f"snmpwalk -v2c -c public {' '.join(cclab.MIB_NAMES)} 127.0.0.1:{port} {cclab.MIB_ROOT}"
          f"\n(node0's snmpd, after the moves, before node1's agent was killed): {len(lines)} objects")
    print(indent("\n".join(lines)))


# --------------------------------------------------------------------------------- 4. traps

TRAP_OID = re.compile(r"snmpTrapOID\.0 = OID: (?:[A-Za-z0-9-]+::)?([A-Za-z0-9]+)")
VALUE_TYPE = re.compile(r" = [A-Za-z0-9-]+: ")


def traps(pair):
    """[(time_ns, node, name, varbinds)] of the CHASSIS-CLUSTER-MIB notifications both
    snmptrapds received, once the expected ones are in; and how many others (snmpd's own)."""
    def received():
        rows, others = [], 0
        for n, s in enumerate(pair.snmp):
            with s.received_lock:
                lines = list(s.received)
            for t, line in lines:
                m = TRAP_OID.search(line)
                if not m or not m.group(1).startswith("cc"):
                    others += 1
                    continue
                binds = [VALUE_TYPE.sub(" = ", b.strip().split("::", 1)[-1])
                         for b in line[len("TRAP "):].split("\t")
                         if b.strip() and "sysUpTime" not in b and "snmpTrapOID" not in b]
                rows.append((t, n, m.group(1), binds))
        return sorted(rows), others
    if not cclab.wait_until(lambda: set(EXPECTED_TRAPS) <= {r[2] for r in received()[0]}, 15,
                            poll=0.2):
        got = sorted({r[2] for r in received()[0]})
        raise LabFailed(f"snmptrapd did not receive {', '.join(sorted(set(EXPECTED_TRAPS) - set(got)))}"
                        f" within 15 s (received: {', '.join(got) or 'none'})\n" + pair.context())
    heading("4. SNMP notifications received by snmptrapd (names from mibs/)")
    rows, others = received()
    print(f"{len(rows)} CHASSIS-CLUSTER-MIB notifications on node0's and node1's snmptrapd "
          f"({others} others, snmpd's own, left out)")
    for t, n, name, binds in rows:
        stamp = time.strftime("%H:%M:%S", time.localtime(t / 1e9)) + f".{t // 1_000_000 % 1000:03d}"
        print(f"  {stamp} node{n} {name}: {'; '.join(binds)}")
    return rows


# --------------------------------------------------------------------------------- main

def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin", default=cclab.DEBUG_BIN, help="where ccagentd and ccctl are")
    parser.add_argument("--prefix", default="ccl", help="namespace prefix (8 characters)")
    parser.add_argument("--state", help="a directory to note a journald started here in")
    parser.add_argument("--keep", action="store_true", help="leave the lab running")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)

    def terminate(signum, _frame):
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, terminate)
    signal.signal(signal.SIGHUP, terminate)

    started = time.time()
    lab = cclab.Lab("ccagent-lab.", keep=args.keep)
    journald = cclab.Journald()
    pair = None
    try:
        check_mibs()
        journald.ensure()
        if journald.started_by_us and args.state:
            cclab.write_file(os.path.join(args.state, "journald.pid"), f"{journald.proc.pid}\n")
        who = "a systemd-journald started for the lab" if journald.started_by_us else "a journald already running"
        print(f"lab: {who} receives the agents' records; work directory {lab.work}")
        pair = DemoPair(lab, args.prefix, args.bin)
        ids = cclab.message_ids()
        moves = data_plane(pair)
        lines = walk(pair)
        heartbeat_loss(pair)
        records = journal(pair, ids)
        show_walk(lines, pair.snmp[0].port)
        received = traps(pair)
        lost = ", ".join(str(m[0]) for m in moves)
        print(f"\nlab: OK in {time.time() - started:.0f} s: {len(moves)} moves of RG1, probes "
              f"lost per move {lost}; {len(records)} journal records; {len(lines)} walked "
              f"objects; {len(received)} notifications")
        if args.keep:
            keep_note(pair, lab)
        return 0
    except LabFailed as e:
        print(f"\nlab: FAILED: {e}", file=sys.stderr, flush=True)
        return 1
    except KeyboardInterrupt:
        print("\nlab: FAILED: interrupted", file=sys.stderr, flush=True)
        return 130
    except Exception as e:  # a command or a reading went wrong: say which, with the trace
        traceback.print_exc()
        print(f"\nlab: FAILED: {type(e).__name__}: {e}", file=sys.stderr, flush=True)
        return 1
    finally:
        if not args.keep:
            lab.close()
            journald.close()


def keep_note(pair, lab):
    pair.start(1)  # the heartbeat-loss step killed it: the kept lab is a pair again
    ns0, ns1 = pair.topo.ns
    print(f"""
The lab keeps running (node1's agent started again). Reach it with:
  {pair.bin}/ccctl show status --socket {pair.socket(0)}      (node1: {pair.socket(1)})
  ip netns exec {ns0} bash             (node0; {ns1} is node1, {pair.client} the client)
  ip -n {pair.topo.switch} link set port10 down   (pull node0's lan1 cable: RG1 fails over)
  journalctl -o verbose {' '.join(f'_PID={p}' for p in pair.node_of)}
Stop it: kill the processes of each namespace (ip netns pids NS) and of a journald the lab
started, ip netns del each namespace, rm -rf {os.path.dirname(lab.work)}""")


if __name__ == "__main__":
    sys.exit(main())
