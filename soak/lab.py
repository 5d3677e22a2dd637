"""The soak's lab: the two nodes of tests/lib/cclab.py with snmpd, snmptrapd and journald, ctl0
and fab0 re-wired through a userspace relay namespace (soak/relay.py) that also carries an
attacker namespace on a hub port of each link, two reths on the LAN bridges of the switch
namespace with a client probing their addresses, a witness namespace running ccwitnessd, and the
fault primitives the fault stream (faults.py) uses. Everything it starts is removed by close()."""
import collections
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))

import cclab  # noqa: E402
import lanprobe  # noqa: E402
from addresses import Addresses  # noqa: E402
from cclab import run, sh  # noqa: E402

BIN = os.environ.get("SOAK_BIN", cclab.DEBUG_BIN)
RELAY = os.path.join(HERE, "relay.py")
WATCHER = os.path.join(HERE, "addresses.py")
_IDS = cclab.message_ids()
RG_STATE_CHANGE_ID = _IDS["rgStateChange"]
# A change *to primary* (not out of hold) is journalled as "failover" under its own id instead
# (Sources/Journal/EventKind.swift): both ids are RG state change records.
RG_FAILOVER_ID = _IDS["rgFailover"]

INTERVAL_MS = 200
THRESHOLD = 3
DETECT = INTERVAL_MS * THRESHOLD / 1000.0          # 0.6 s
WINDOW = DETECT + 1.0                               # detection window after a link change
HOLD_DOWN = {0: 300, 1: 1, 2: 1}                    # seconds, as configured below
CONVERGENCE_BOUND = 2 * DETECT + max(v for k, v in HOLD_DOWN.items() if k != 0)
SAMPLING_ALLOWANCE = 0.3                            # one sampling period plus scheduling
KEY = "soak-shared-secret-0123456789abcdef"
PORT = {"ctl0": cclab.CTL_PORT, "fab0": cclab.FAB_PORT}
# The node-side device of each link: the fabric is `fabric0` because conntrackd 1.4.7's lexer
# rejects `Interface fab0` (an all-hex word; DESIGN §11, tests/lib/firewallpair.py).
DEVICE = {"ctl0": "ctl0", "fab0": "fabric0"}
SESSION_SYNC = os.environ.get("SOAK_SESSION_SYNC", "1") == "1"
CONNTRACKD_CONF = "/etc/conntrackd/conntrackd.conf"     # per node through /etc/netns/<ns>
# The data plane: reth0 (RG1) on lan0 and reth1 (RG2) on lan1, each on its own LAN bridge in
# the switch namespace (brl0: port0, port1; brl1: port10, port11) with the client on both.
RETHS = {0: {"rg": 1, "member": "lan0", "address": "192.0.2.1", "bridge": "brl0",
             "client": "192.0.2.100"},
         1: {"rg": 2, "member": "lan1", "address": "203.0.113.1", "bridge": "brl1",
             "client": "203.0.113.100"}}
# The LAN heartbeat (the nodes' own addresses on lan1) and the witness, on brl1.
LAN_ADDRESS = ("198.51.100.2", "198.51.100.3")
LAN_PORT = 7403
WITNESS = "198.51.100.9"
WITNESS_PORT = 7402
ATTACKER = {"ctl0": "10.77.0.66", "fab0": "10.77.1.66"}
PROBE_INTERVAL = 0.05                               # the client's ping to each reth address


def config(tag, keyfile):
    """The soak's configuration: RG0 (200/100), RG1 (150/100, lan0, reth0), RG2 (100/150,
    preempt, lan1, reth1), the LAN heartbeat and the witness; `tag` goes into its first line
    (each reload writes a different file)."""
    return cclab.base_config(
        7, INTERVAL_MS, THRESHOLD, header=f"ccagent soak configuration ({tag})",
        settings=["control-link-recovery", "control-link-failure-timeout 20",
                  f"authentication-key-file {keyfile}"],
        groups=((0, 200, 100), (1, 150, 100), (2, 100, 150))) + (
        f"set chassis cluster redundancy-group 1 hold-down-interval {HOLD_DOWN[1]}\n"
        "set chassis cluster redundancy-group 1 interface-monitor lan0 weight 255\n"
        "set chassis cluster redundancy-group 2 preempt delay 1\n"
        f"set chassis cluster redundancy-group 2 hold-down-interval {HOLD_DOWN[2]}\n"
        "set chassis cluster redundancy-group 2 interface-monitor lan1 weight 255\n"
        f"set chassis cluster reth-count {len(RETHS)}\n"
        + "".join(f"set interfaces reth{r} redundant-ether-options redundancy-group {x['rg']}\n"
                  f"set interfaces {x['member']} gigether-options redundant-parent reth{r}\n"
                  f"set interfaces reth{r} unit 0 family inet address {x['address']}/24\n"
                  for r, x in RETHS.items())
        + "".join(f"set chassis cluster node {n} lan-address {a}\n"
                  for n, a in enumerate(LAN_ADDRESS))
        + f"set chassis cluster witness address {WITNESS} port {WITNESS_PORT}\n"
        + (f"set chassis cluster session-sync conntrackd config {CONNTRACKD_CONF}\n"
           "set chassis cluster session-sync commit-timeout 250\n" if SESSION_SYNC else ""))


class ProbeReplies:
    """The replies a lanprobe.Pinger wrote so far, read incrementally (its file grows all run)."""

    def __init__(self, pinger):
        self.path, self.offset, self.rows = pinger.out, 0, []

    def _read(self):
        try:
            with open(self.path, "rb") as f:
                f.seek(self.offset)
                data = f.read()
        except OSError:
            return
        end = data.rfind(b"\n") + 1           # a line still being written waits for the next read
        self.offset += end
        for line in data[:end].decode(errors="replace").splitlines():
            parts = line.split()
            if len(parts) == 3:
                self.rows.append((int(parts[0]), float(parts[1]), float(parts[2])))

    def answered_after(self, instant):
        """(sequence, sent, received) of the first reply to a probe sent after instant."""
        self._read()
        return next((row for row in self.rows if row[1] > instant), None)

    def count(self):
        self._read()
        return len(self.rows)


def log(msg):
    print(f"[soak {time.strftime('%H:%M:%S')}] {msg}", flush=True)


class SoakLab:
    """Namespaces, daemons and fault primitives on a cclab.Lab, which records everything started
    for clean-up."""

    def __init__(self, rng):
        self.rng = rng
        self.base = cclab.Lab("ccagent-soak.", keep=os.environ.get("SOAK_KEEP") == "1")
        self.work = self.base.work
        self.topo = None
        self.prefix = None
        self.ns = [None, None]
        self.switch = None
        self.relay_ns = None
        self.relay = None                   # Popen of soak/relay.py in relay_ns
        self.relay_log = os.path.join(self.work, "relay.log")
        self.relay_control = os.path.join(self.work, "relay.sock")
        self.relay_failed = None            # why the relay is unusable (reported once)
        self.closing = False                # clean-up started: injection threads may still run
        self.lock = threading.RLock()
        self.agents = [None, None]          # Popen
        self.agent_started = [0.0, 0.0]
        self.agent_log = [os.path.join(self.work, f"node{n}.log") for n in (0, 1)]
        self.killed_pids = {}               # pid -> time the soak killed it
        self.pid_node = {}                  # pid -> node
        self.pid_life = {}                  # pid -> [start, end or None]
        self.snmp = [None, None]            # cclab.Snmp: snmpd and snmptrapd per node
        self.snmpd_down = [[], []]          # per node: [start, end] outages
        self.journald = cclab.Journald()    # .down: [start, end] outages
        self.journald_ok = time.time()      # when it last answered
        self.journald_lost = 0              # journalds stopped by someone else
        self.config_path = [os.path.join(self.work, f"ccagent{n}.conf") for n in (0, 1)]
        self.keyfile = os.path.join(self.work, "key")
        self.crashes = []
        # Link conditions: (link, node) -> admin down; link -> set of loss rules.
        self.link_down = {}
        self.loss = collections.defaultdict(set)
        self.link_changes = []              # times any link condition changed
        self.captured = []                  # genuine datagrams (hex) seen on the wire
        # Paths beyond ctl0/fab0: LAN heartbeat cuts (node -> direction), witness cuts (nodes),
        # lan1 cables (the LAN heartbeat's and the witness's wire), the witness process.
        self.lan_cut = {}
        self.witness_cut = set()
        self.cable_down = set()             # (node, lan)
        self.witness = None                 # Popen of ccwitnessd
        self.witness_log = os.path.join(self.work, "witness.log")
        # (time, invariant applies): every change of "some path between the nodes works, or
        # both reach the witness" (paths_condition), for the detection window.
        self.condition_log = []
        self.rule_handles = {}              # (what, node) -> [(chain, nft handle)]
        self.conntrackd = [None, None]      # Popen per node (SESSION_SYNC)
        self.etc_dirs = []                  # /etc/netns/<ns> folders made for conntrackd
        self.attacker_ns = None
        self.client_ns = None
        self.witness_ns = None
        self.pingers = {}                   # reth -> lanprobe.Pinger from the client
        self.replies = {}                   # reth -> ProbeReplies
        self.addresses = [None, None]       # addresses.Addresses per node namespace
        # Agents ended by the soak: pid -> how ("kill" or "stop"); a SIGKILLed node's reths stay
        # until the unit's ExecStopPost (`ccagentd --cleanup-reths`) ran: node -> pid until then.
        self.ended_how = {}
        self.awaiting_cleanup = {}
        self.cleanup_windows = []           # [node, killed at, clean-up done at or None]
        self.address_events = os.path.join(self.work, "addresses.events")
        self.watcher = None
        self.stop_results = []              # (node, pid, exit status, seconds) of graceful stops
        self.cleanup_results = []           # (node, exit status, seconds, stderr tail)

    # --- set-up ------------------------------------------------------------------------------
    def up(self):
        self.topo = self.base.topology("cks")
        self.prefix, self.ns, self.switch = self.topo.prefix, self.topo.ns, self.topo.switch
        self.relay_ns = f"{self.prefix}-rl"
        self.attacker_ns = f"{self.prefix}-at"
        self.relay_up()
        self.lan_up()
        self.addresses = [Addresses(ns) for ns in self.ns]
        # Every address change of both nodes, as it happens (addresses.py watch), for the
        # owner check after the run: the sampled check sees overlaps of 150 ms and more only.
        self.watcher = self.base.spawn([sys.executable, WATCHER, "watch", self.address_events,
                                        *self.ns], log="watcher.log")
        self.note_link_change()
        with open(self.keyfile, "w") as f:
            f.write(KEY + "\n")
        os.chmod(self.keyfile, 0o600)
        for n in (0, 1):
            self.write_config(n, self.valid_config("initial"))
        self.start_journald_if_needed()
        for n in (0, 1):
            self.start_snmp(n)
        self.start_witness()
        if SESSION_SYNC:
            for n in (0, 1):
                self.start_conntrackd(n)
        for n in (0, 1):
            self.start_agent(n)
        for r, x in RETHS.items():
            self.pingers[r] = lanprobe.Pinger(self.base, self.client_ns, x["address"],
                                              name=f"probe-reth{r}", interval=PROBE_INTERVAL)
            self.replies[r] = ProbeReplies(self.pingers[r])

    def lan_up(self):
        """The LAN bridges brl0 (port0, port1) and brl1 (port10, port11) in the switch
        namespace, the client (eth0 on brl0, eth1 on brl1), the witness namespace on brl1, the
        nodes' LAN heartbeat addresses on lan1, and an nft table per node for path cuts."""
        self.client_ns, self.witness_ns = f"{self.prefix}-cl", f"{self.prefix}-wt"
        sw, p = self.switch, self.prefix
        lines = ["set -e"]
        for bridge, ports in (("brl0", ("port0", "port1")), ("brl1", ("port10", "port11"))):
            lines += [f"ip -n {sw} link add {bridge} type bridge", f"ip -n {sw} link set {bridge} up"]
            lines += [f"ip -n {sw} link set {port} master {bridge}" for port in ports]
        for ns in (self.client_ns, self.witness_ns):
            lines += [f"ip netns add {ns}", f"ip -n {ns} link set lo up"]
            self.base.namespaces.append(ns)
        hosts = [(self.client_ns, "eth0", "brl0", f"{RETHS[0]['client']}/24", "h0", "p0", "cl0"),
                 (self.client_ns, "eth1", "brl1", f"{RETHS[1]['client']}/24", "h1", "p1", "cl1"),
                 (self.witness_ns, "eth0", "brl1", f"{WITNESS}/24", "w0", "w1", "wit")]
        for ns, dev, bridge, address, a, b, port in hosts:
            lines += [f"ip link add {p}{a} type veth peer name {p}{b}",
                      f"ip link set {p}{a} netns {ns} name {dev}",
                      f"ip link set {p}{b} netns {sw} name {port}",
                      f"ip -n {sw} link set {port} master {bridge}", f"ip -n {sw} link set {port} up",
                      f"ip -n {ns} link set {dev} up", f"ip -n {ns} addr add {address} dev {dev}"]
        for n in (0, 1):
            lines.append(f"ip -n {self.ns[n]} addr add {LAN_ADDRESS[n]}/24 dev lan1")
        sh("\n".join(lines))
        for n in (0, 1):
            run(["ip", "netns", "exec", self.ns[n], "nft", "-f", "-"], input=(
                "add table inet soak_paths\n"
                "add chain inet soak_paths in { type filter hook input priority 0 ; }\n"
                "add chain inet soak_paths out { type filter hook output priority 0 ; }\n"))

    def conntrackd_files(self, n):
        """Node n's conntrackd file at CONNTRACKD_CONF inside its namespace (ip-netns bind-mounts
        /etc/netns/<ns>/conntrackd over /etc/conntrackd): FTFW over the fabric addresses on
        fabric0, the nodes' own and the reth addresses not synced. Returns its lock file."""
        etc = f"/etc/netns/{self.ns[n]}/conntrackd"
        os.makedirs(etc, exist_ok=True)
        self.etc_dirs.append(os.path.dirname(etc))
        cclab.conntrackd_config(
            os.path.join(etc, "conntrackd.conf"), self.work, n, cclab.ADDRESS[("fab0", n)],
            cclab.ADDRESS[("fab0", 1 - n)], DEVICE["fab0"],
            ignore=(cclab.ADDRESS[("ctl0", n)], cclab.ADDRESS[("fab0", n)], LAN_ADDRESS[n],
                    *(x["address"] for x in RETHS.values())))
        return os.path.join(self.work, f"conntrackd{n}.lock")

    def start_conntrackd(self, n):
        lock = self.conntrackd_files(n)
        try:
            os.unlink(lock)                 # left by a SIGKILLed conntrackd, which refuses to start
        except FileNotFoundError:
            pass
        self.conntrackd[n] = cclab.spawn_conntrackd(self.base, self.ns[n], CONNTRACKD_CONF,
                                                    f"conntrackd{n}.out")

    def kill_conntrackd(self, n, sig):
        proc, self.conntrackd[n] = self.conntrackd[n], None
        self.base.stop(proc, sig, timeout=5)

    def start_witness(self):
        with self.lock:
            self.witness = self.base.spawn(
                ["ip", "netns", "exec", self.witness_ns, os.path.join(BIN, "ccwitnessd"),
                 "--listen", f"{WITNESS}:{WITNESS_PORT}", "--key", self.keyfile], log="witness.log")
            self.note_link_change()

    def kill_witness(self, sig):
        with self.lock:
            proc, self.witness = self.witness, None
            self.note_link_change()
        self.base.stop(proc, sig, timeout=5)

    def relay_up(self):
        """Re-wire ctl0 and fab0 through the relay namespace: nodeN:ctl0 <-> relay:cN and
        nodeN:fabric0 <-> relay:fN (DEVICE), the addresses netns.sh gives."""
        run(["ip", "netns", "add", self.relay_ns])
        self.base.namespaces.append(self.relay_ns)
        # The relay namespace has no addresses; keep its own IPv6 chatter off the links.
        ipv6 = "/proc/sys/net/ipv6/conf"
        lines = ["set -e", f"ip -n {self.relay_ns} link set lo up",
                 f"ip netns exec {self.relay_ns} sh -c 'echo 1 > {ipv6}/default/disable_ipv6; "
                 f"echo 1 > {ipv6}/all/disable_ipv6'"]
        for link, tag, net in (("ctl0", "c", 0), ("fab0", "f", 1)):
            # Deleting one end removes the pair: the direct node0 <-> node1 cable is gone.
            lines.append(f"ip -n {self.ns[0]} link del {link}")
            for n in (0, 1):
                # Root-namespace names, 11 characters, unique per run (the prefix).
                node_end, relay_end = f"{self.prefix}r{tag}{n}", f"{self.prefix}q{tag}{n}"
                dev = DEVICE[link]
                lines += [f"ip link add {node_end} type veth peer name {relay_end}",
                          f"ip link set {node_end} netns {self.ns[n]} name {dev}",
                          f"ip link set {relay_end} netns {self.relay_ns} name {tag}{n}",
                          f"ip -n {self.ns[n]} addr add 10.77.{net}.{n + 1}/24 dev {dev}",
                          f"ip -n {self.relay_ns} link set {tag}{n} up",
                          f"ip -n {self.ns[n]} link set {dev} up"]
        # The attacker: ctl0 and fab0 of its namespace on the relay's hub ports ca and fa.
        lines += [f"ip netns add {self.attacker_ns}", f"ip -n {self.attacker_ns} link set lo up"]
        self.base.namespaces.append(self.attacker_ns)
        for link, tag in (("ctl0", "c"), ("fab0", "f")):
            a, b = f"{self.prefix}a{tag}", f"{self.prefix}b{tag}"
            lines += [f"ip link add {a} type veth peer name {b}",
                      f"ip link set {a} netns {self.attacker_ns} name {link}",
                      f"ip link set {b} netns {self.relay_ns} name {tag}a",
                      f"ip -n {self.attacker_ns} addr add {ATTACKER[link]}/24 dev {link}",
                      f"ip -n {self.relay_ns} link set {tag}a up",
                      f"ip -n {self.attacker_ns} link set {link} up"]
        sh("\n".join(lines))
        self.relay = self.base.spawn(
            ["ip", "netns", "exec", self.relay_ns, sys.executable, RELAY,
             "--control", self.relay_control, "--link", "ctl0:c0:c1:ca",
             "--link", "fab0:f0:f1:fa"], log="relay.log")
        deadline = time.time() + 10
        while True:
            try:
                self.relay_request({"op": "stats"})
                break
            except (OSError, ValueError, RuntimeError) as e:
                if self.relay.poll() is not None or time.time() > deadline:
                    raise SystemExit(f"soak: the relay did not start ({e}): {self.relay_tail()}")
                time.sleep(0.1)
        log(f"relay pid {self.relay.pid} in {self.relay_ns}: ctl0 node0<->c0|c1<->node1, "
            f"fab0 node0<->f0|f1<->node1, attacker {self.attacker_ns} on hub ports ca, fa")

    def relay_tail(self):
        try:
            return " | ".join(open(self.relay_log, errors="replace").read().splitlines()[-8:])
        except OSError:
            return "(no relay log)"

    def relay_request(self, request, timeout=2.0):
        """One JSON datagram to the relay's control socket, one reply. Raises on failure."""
        path = os.path.join(self.work, f"relay-client-{uuid.uuid4().hex[:8]}.sock")
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            s.bind(path)
            s.settimeout(timeout)
            s.sendto(json.dumps(request).encode(), self.relay_control)
            reply = json.loads(s.recv(1 << 20))
        finally:
            s.close()
            try:
                os.unlink(path)
            except OSError:
                pass
        if not reply.get("ok"):
            raise RuntimeError(f"relay refused {request}: {reply.get('error')}")
        return reply

    def relay_alive(self):
        """False (and relay_failed set, once) if the relay process is gone."""
        if self.relay is None:
            return True
        rc = self.relay.poll()
        if rc is None:
            return True
        with self.lock:
            if self.relay_failed is None:
                self.relay_failed = (f"relay pid {self.relay.pid} exited with {rc}: "
                                     f"{self.relay_tail()}")
        return False

    def valid_config(self, tag):
        return config(tag, self.keyfile)

    def write_config(self, n, text):
        cclab.write_file(self.config_path[n], text)

    def start_journald_if_needed(self):
        if self.journald.ensure().started_by_us:
            log("started systemd-journald (will restart it as a fault)")
        else:
            log("journald already answers: using it, never restarting it")

    def start_snmp(self, n):
        self.snmp[n] = cclab.Snmp(self.base, self.ns[n], f"node{n}", pidfiles=True)

    def socket(self, n):
        return os.path.join(self.work, f"node{n}.sock")

    def start_agent(self, n):
        with self.lock:
            proc = cclab.spawn_agent(self.base, self.ns[n], n, self.config_path[n], self.socket(n),
                                     self.snmp[n].socket, f"node{n}.log", BIN, "journal")
            self.agents[n] = proc
            self.agent_started[n] = time.time()
            self.pid_node[proc.pid] = n
            self.pid_life[proc.pid] = [time.time(), None]

    # --- faults ------------------------------------------------------------------------------
    def note_link_change(self):
        """Called (under the lock) after every change of a path's condition."""
        t = time.time()
        self.link_changes.append(t)
        applies = self.paths_condition() is not None
        if not self.condition_log or self.condition_log[-1][1] != applies:
            self.condition_log.append((t, applies))

    def set_link(self, n, name, up):
        with self.lock:
            self.topo.link(n, DEVICE[name], up)
            self.link_down[(name, n)] = not up
            self.note_link_change()

    def set_loss(self, n, name, percent, direction):
        table = f"soak_{name}_{direction}"
        hook, match = ("output", "oifname") if direction == "out" else ("input", "iifname")
        script = (f"add table inet {table}\n"
                  f"add chain inet {table} c {{ type filter hook {hook} priority 0 ; }}\n"
                  f"add rule inet {table} c {match} \"{DEVICE[name]}\" numgen random mod 100 < {percent} drop\n")
        with self.lock:
            run(["ip", "netns", "exec", self.ns[n], "nft", "-f", "-"], input=script)
            self.loss[name].add((n, direction))
            self.note_link_change()

    def clear_loss(self, n, name, direction):
        with self.lock:
            run(["ip", "netns", "exec", self.ns[n], "nft", "delete", "table", "inet",
                 f"soak_{name}_{direction}"], check=False)
            self.loss[name].discard((n, direction))
            self.note_link_change()

    def impair(self, link, directions, settings):
        """Relay impairment on `link` ("ctl0"/"fab0") for directions ("01": node0 -> node1)."""
        with self.lock:
            try:
                for d in directions:
                    self.relay_request({"op": "set", "link": link, "dir": d, **settings})
            except (OSError, ValueError, RuntimeError) as e:
                self.relay_trouble(f"impair {link} {directions} {settings}: {e}")
            self.note_link_change()

    def heal_impairment(self, link):
        with self.lock:
            try:
                self.relay_request({"op": "clear", "link": link})
            except (OSError, ValueError, RuntimeError) as e:
                self.relay_trouble(f"clear {link}: {e}")
            self.note_link_change()

    def relay_trouble(self, what):
        if self.closing:
            return                          # the relay was stopped by close()
        if self.relay_alive():
            self.relay_failed = self.relay_failed or f"relay control failed ({what})"
        log(f"RELAY: {self.relay_failed}")

    def cable(self, n, lan, up):
        with self.lock:
            self.topo.cable(n, lan, up)
            (self.cable_down.discard if up else self.cable_down.add)((n, lan))
            if lan == 1:                    # lan1 carries the LAN heartbeat and the witness
                self.note_link_change()

    def _paths_rule(self, n, add, rules, handle_key):
        """Adds (or removes) drop rules in node n's soak_paths table, both hooks."""
        if add:
            handles = []
            for chain, rule in rules:
                out = run(["ip", "netns", "exec", self.ns[n], "nft", "--echo", "--handle", "add",
                           "rule", "inet", "soak_paths", chain, *rule.split()]).stdout
                handles.append((chain, out.split("# handle ")[-1].strip()))
            self.rule_handles[handle_key] = handles
        else:
            for chain, handle in self.rule_handles.pop(handle_key, []):
                run(["ip", "netns", "exec", self.ns[n], "nft", "delete", "rule", "inet",
                     "soak_paths", chain, "handle", handle], check=False)

    def cut_lan(self, n, direction, cut):
        """The LAN heartbeat path of node n cut (nft drops of its UDP port) in `direction`
        (in, out or both), or healed."""
        rules = []
        if direction in ("in", "both"):
            rules += [("in", f"udp dport {LAN_PORT} drop"), ("in", f"udp sport {LAN_PORT} drop")]
        if direction in ("out", "both"):
            rules += [("out", f"udp dport {LAN_PORT} drop"), ("out", f"udp sport {LAN_PORT} drop")]
        with self.lock:
            self._paths_rule(n, cut, rules, ("lan", n))
            if cut:
                self.lan_cut[n] = direction
            else:
                self.lan_cut.pop(n, None)
            self.note_link_change()

    def cut_witness(self, n, cut):
        """Node n's path to the witness cut (both directions), or healed."""
        rules = [("in", f"ip saddr {WITNESS} drop"), ("out", f"ip daddr {WITNESS} drop")]
        with self.lock:
            self._paths_rule(n, cut, rules, ("witness", n))
            (self.witness_cut.add if cut else self.witness_cut.discard)(n)
            self.note_link_change()

    def kill_agent(self, n):
        """SIGKILL, then what the unit's ExecStopPost does (`ccagentd --cleanup-reths`)."""
        with self.lock:
            proc = self.agents[n]
            if proc is None or proc.poll() is not None:
                return False
            self.killed_pids[proc.pid] = time.time()
            self.ended_how[proc.pid] = "kill"
            self.begin_cleanup_window(n, proc.pid)
            self.base.stop(proc, signal.SIGKILL)
            self.pid_life[proc.pid][1] = time.time()
            self.agents[n] = None
        self.cleanup(n)
        return True

    def stop_agent(self, n, timeout=15):
        """A graceful stop (SIGTERM, as `systemctl stop`), then ExecStopPost. Returns the exit
        status and how long the agent took, or None if it was not running."""
        with self.lock:
            proc = self.agents[n]
            if proc is None or proc.poll() is not None:
                return None
            self.killed_pids[proc.pid] = time.time()
            self.ended_how[proc.pid] = "stop"
            self.agents[n] = None
        started = time.time()
        proc.send_signal(signal.SIGTERM)
        try:
            status = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            status = None                   # a hang: the caller reports it; the kill follows
            self.begin_cleanup_window(n, proc.pid)
            self.base.stop(proc, signal.SIGKILL)
        took = time.time() - started
        self.base.forget(proc)
        self.pid_life[proc.pid][1] = time.time()
        self.stop_results.append((n, proc.pid, status, took))
        self.cleanup(n)
        return status, took

    def begin_cleanup_window(self, n, pid):
        """Node n's agent died without giving its reths up: excused until cleanup(n) ran."""
        with self.lock:
            self.awaiting_cleanup[n] = pid
            self.cleanup_windows.append([n, time.time(), None])

    def awaiting_cleanup_at(self, t):
        with self.lock:
            return [n for n, start, end in self.cleanup_windows
                    if start <= t and (end is None or t < end)]

    def cleanup(self, n):
        """`ccagentd --cleanup-reths` for node n (the unit's ExecStopPost)."""
        with self.lock:                     # never with an invalid file written for a reload
            started = time.time()
            r = run(["ip", "netns", "exec", self.ns[n], os.path.join(BIN, "ccagentd"),
                     "--cleanup-reths", "--config", self.config_path[n], "--node", str(n),
                     "--control-socket", self.socket(n),
                     "--state-directory", self.base.state_directory()], check=False, timeout=60)
            self.cleanup_results.append((n, r.returncode, time.time() - started,
                                         r.stderr.strip()[-300:]))
            self.awaiting_cleanup.pop(n, None)
            for window in self.cleanup_windows:
                if window[0] == n and window[2] is None:
                    window[2] = time.time()
        return r

    def manual_failover(self, via, rg, node):
        """`ccctl request chassis cluster failover redundancy-group RG node NODE` on node
        `via`'s control socket: (exit status, output)."""
        r = cclab.ccctl(self.socket(via), "request", "chassis", "cluster", "failover",
                        "redundancy-group", str(rg), "node", str(node), bin_dir=BIN, check=False)
        return r.returncode, (r.stdout + r.stderr).strip()

    def manual_reset(self, via, rg):
        r = cclab.ccctl(self.socket(via), "request", "chassis", "cluster", "failover", "reset",
                        "redundancy-group", str(rg), bin_dir=BIN, check=False)
        return r.returncode, (r.stdout + r.stderr).strip()

    def holders(self, address):
        """The nodes whose namespace holds `address` (node0, node1, node0 again: a node seen
        with it before and after the other is a real overlap, never a reading race)."""
        first = self.addresses[0].ipv4()
        second = self.addresses[1].ipv4()
        third = self.addresses[0].ipv4()
        held = set()
        if address in first and address in third:
            held.add(0)
        if address in second:
            held.add(1)
        return held

    def handing_over(self, address):
        """The nodes whose namespace holds `address` deprecated (a reth handing over)."""
        return {n for n in (0, 1) if address in self.addresses[n].dump()[1]}

    def delete_reth_address(self, r):
        """`ip addr del` of reth r's address on the node holding it (None if none or both)."""
        address = RETHS[r]["address"]
        held = self.holders(address)
        if len(held) != 1:
            return None
        n = held.pop()
        r_ = run(["ip", "-n", self.ns[n], "addr", "del", f"{address}/24", "dev", f"reth{r}"],
                 check=False)
        if r_.returncode != 0:
            log(f"ip addr del {address} on node{n} failed: {r_.stderr.strip()}")
            return None
        return n

    def sighup(self, n):
        with self.lock:
            proc = self.agents[n]
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGHUP)
                return True
            return False

    def kill_snmpd(self, n, sig):
        self.snmp[n].kill_snmpd(sig, timeout=5)
        self.snmpd_down[n].append([time.time(), None])

    def restart_snmpd(self, n):
        self.snmp[n].start_snmpd()
        self.snmpd_down[n][-1][1] = time.time()

    def kill_journald(self, sig):
        with self.lock:
            self.journald.kill(sig)

    def watch_journald(self):
        """A journald that someone else started and stopped (builders share this machine):
        start one of our own, count the outage as excused, and restart it as a fault from now
        on. Called by the checker several times a second."""
        with self.lock:
            j = self.journald
            if j.down and j.down[-1][1] is None:
                return                      # the soak's own outage (journald-restart)
            if cclab.journald_answers():
                self.journald_ok = time.time()
                return
            log("journald stopped answering without the soak killing it: starting our own")
            j.down.append([self.journald_ok, None])
            j.started_by_us = True
            self.journald_lost += 1
            try:
                j.start()
            except RuntimeError as e:
                log(f"could not start journald: {e}")

    def restart_journald(self):
        self.journald.start()

    def capture(self, n, link):
        """A genuine datagram (hex) on node n's `link` to its port (None if the link is silent)."""
        got = cclab.capture_datagram(self.ns[n], DEVICE[link], PORT[link], timeout=0.8)
        if got is None:
            return None
        self.captured.append((n, link, got.payload.hex()))
        return got.payload.hex()

    def send_datagrams(self, src_node, link, payloads):
        """payloads (hex) from node src_node's address on `link` to the peer's port."""
        cclab.send_datagrams(self.ns[src_node], cclab.ADDRESS[(link, src_node)],
                             cclab.ADDRESS[(link, 1 - src_node)], PORT[link],
                             [bytes.fromhex(p) for p in payloads])

    # --- state for the checker ---------------------------------------------------------------
    def paths_condition(self):
        """What makes "two reth owners" (or two primaries) a violation right now: the paths
        between the nodes that pass all traffic (ctl0, fab0, lan), or "witness" when both nodes
        reach the witness; None when neither."""
        with self.lock:
            paths = self.clean_links()
            lan_wire = all((n, 1) not in self.cable_down for n in (0, 1))
            if lan_wire and not self.lan_cut:
                paths.append("lan")
            if paths:
                return paths
            witness_alive = self.witness is not None and self.witness.poll() is None
            if witness_alive and lan_wire and not self.witness_cut:
                return ["witness"]
            return None

    def describe_paths(self):
        with self.lock:
            witness = "up" if self.witness is not None and self.witness.poll() is None else "down"
            return (f"links down {sorted(k for k, v in self.link_down.items() if v)}, loss "
                    f"{ {k: sorted(v) for k, v in self.loss.items() if v} }, lan cut "
                    f"{self.lan_cut}, witness cut {sorted(self.witness_cut)}, cables down "
                    f"{sorted(self.cable_down)}, witness {witness}")

    def condition_steady(self, start, end, window):
        """True if the invariant applied throughout [start - window, end]."""
        with self.lock:
            log_ = list(self.condition_log)
        state = False
        for t, applies in log_:
            if t <= start - window:
                state = applies
            elif t <= end:
                return False                # a change inside the window or the sample
        return state

    def clean_links(self):
        """Links that are up on both sides with no loss rule: passing all traffic. A link that is
        only delayed, duplicated or reordered by the relay still passes all traffic; none does
        once the relay is dead."""
        if not self.relay_alive() or self.relay_failed:
            return []
        with self.lock:
            return [name for name in ("ctl0", "fab0")
                    if not self.link_down.get((name, 0)) and not self.link_down.get((name, 1))
                    and not self.loss[name]]

    # --- clean-up ----------------------------------------------------------------------------
    def close(self):
        self.closing = True
        if os.environ.get("SOAK_KEEP") == "1":
            log(f"work directory kept: {self.work}")
        self.journald.close()
        for a in self.addresses:
            if a is not None:
                a.close()
        self.base.close()               # processes (newest first: the relay last), namespaces
        for path in self.etc_dirs:
            shutil.rmtree(path, ignore_errors=True)
