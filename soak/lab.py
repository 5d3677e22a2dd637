"""The soak's lab: the two nodes of tests/lib/cclab.py with snmpd, snmptrapd and journald, ctl0
and fab0 re-wired through a userspace relay namespace (soak/relay.py), and the fault primitives
the fault stream (faults.py) uses. Everything it starts is removed by close()."""
import collections
import json
import os
import signal
import socket
import sys
import threading
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))

import cclab  # noqa: E402
from cclab import run, sh  # noqa: E402

BIN = os.environ.get("SOAK_BIN", cclab.DEBUG_BIN)
RELAY = os.path.join(HERE, "relay.py")
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


def config(tag, keyfile):
    """The soak's configuration: RG0 (200/100), RG1 (150/100, lan0), RG2 (100/150, preempt,
    lan1); `tag` goes into its first line (each reload writes a different file)."""
    return cclab.base_config(
        7, INTERVAL_MS, THRESHOLD, header=f"ccagent soak configuration ({tag})",
        settings=["control-link-recovery", "control-link-failure-timeout 20",
                  f"authentication-key-file {keyfile}"],
        groups=((0, 200, 100), (1, 150, 100), (2, 100, 150))) + (
        f"set chassis cluster redundancy-group 1 hold-down-interval {HOLD_DOWN[1]}\n"
        "set chassis cluster redundancy-group 1 interface-monitor lan0 weight 255\n"
        "set chassis cluster redundancy-group 2 preempt delay 1\n"
        f"set chassis cluster redundancy-group 2 hold-down-interval {HOLD_DOWN[2]}\n"
        "set chassis cluster redundancy-group 2 interface-monitor lan1 weight 255\n")


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
        self.config_path = [os.path.join(self.work, f"ccagent{n}.conf") for n in (0, 1)]
        self.keyfile = os.path.join(self.work, "key")
        self.crashes = []
        # Link conditions: (link, node) -> admin down; link -> set of loss rules.
        self.link_down = {}
        self.loss = collections.defaultdict(set)
        self.link_changes = []              # times any link condition changed
        self.captured = []                  # genuine datagrams (hex) seen on the wire

    # --- set-up ------------------------------------------------------------------------------
    def up(self):
        self.topo = self.base.topology("cks")
        self.prefix, self.ns, self.switch = self.topo.prefix, self.topo.ns, self.topo.switch
        self.relay_ns = f"{self.prefix}-rl"
        self.relay_up()
        with open(self.keyfile, "w") as f:
            f.write(KEY + "\n")
        os.chmod(self.keyfile, 0o600)
        for n in (0, 1):
            self.write_config(n, self.valid_config("initial"))
        self.start_journald_if_needed()
        for n in (0, 1):
            self.start_snmp(n)
        for n in (0, 1):
            self.start_agent(n)

    def relay_up(self):
        """Re-wire ctl0 and fab0 through the relay namespace: nodeN:ctl0 <-> relay:cN and
        nodeN:fab0 <-> relay:fN, same names and addresses on the node side as netns.sh gives."""
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
                lines += [f"ip link add {node_end} type veth peer name {relay_end}",
                          f"ip link set {node_end} netns {self.ns[n]} name {link}",
                          f"ip link set {relay_end} netns {self.relay_ns} name {tag}{n}",
                          f"ip -n {self.ns[n]} addr add 10.77.{net}.{n + 1}/24 dev {link}",
                          f"ip -n {self.relay_ns} link set {tag}{n} up",
                          f"ip -n {self.ns[n]} link set {link} up"]
        sh("\n".join(lines))
        self.relay = self.base.spawn(
            ["ip", "netns", "exec", self.relay_ns, sys.executable, RELAY,
             "--control", self.relay_control, "--link", "ctl0:c0:c1", "--link", "fab0:f0:f1"],
            log="relay.log")
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
            f"fab0 node0<->f0|f1<->node1")

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
        self.link_changes.append(time.time())

    def set_link(self, n, name, up):
        with self.lock:
            self.topo.link(n, name, up)
            self.link_down[(name, n)] = not up
            self.note_link_change()

    def set_loss(self, n, name, percent, direction):
        table = f"soak_{name}_{direction}"
        hook, match = ("output", "oifname") if direction == "out" else ("input", "iifname")
        script = (f"add table inet {table}\n"
                  f"add chain inet {table} c {{ type filter hook {hook} priority 0 ; }}\n"
                  f"add rule inet {table} c {match} \"{name}\" numgen random mod 100 < {percent} drop\n")
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
        self.topo.cable(n, lan, up)

    def kill_agent(self, n):
        with self.lock:
            proc = self.agents[n]
            if proc is None or proc.poll() is not None:
                return False
            self.killed_pids[proc.pid] = time.time()
            self.base.stop(proc, signal.SIGKILL)
            self.pid_life[proc.pid][1] = time.time()
            self.agents[n] = None
            return True

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
        self.journald.kill(sig)

    def restart_journald(self):
        self.journald.start()

    def capture(self, n, link):
        """A genuine datagram (hex) on node n's `link` to its port (None if the link is silent)."""
        got = cclab.capture_datagram(self.ns[n], link, PORT[link], timeout=0.8)
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
        self.base.close()               # processes (newest first: the relay last), namespaces
