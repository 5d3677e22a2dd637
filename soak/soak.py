#!/usr/bin/env python3
"""ccagent soak: two real ccagentd nodes in network namespaces (tests/lib/netns.sh) with snmpd,
snmptrapd and journald, under a seeded random stream of faults, watched by an invariant checker.

Environment: SOAK_MINUTES (default 10), SOAK_SEED (default 1), SOAK_SMOKE=1 (short run: RSS is
reported, not asserted), SOAK_BIN (default .build/debug), SOAK_KEEP=1 (keep the work directory).

Faults are injected in *episodes*: 1-3 overlapping faults with random offsets and durations,
then everything is healed and convergence is timed; instantaneous faults (SIGHUP reloads,
forged/replayed/garbage datagrams) are mixed into episodes. ctl0 and fab0 run through a userspace
relay (soak/relay.py) in a namespace of their own, which delays, duplicates and reorders frames on
request (the kernels here have no netem).
"""
import collections
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("SOAK_BIN", os.path.join(ROOT, ".build", "debug"))
NETNS = os.path.join(ROOT, "tests", "lib", "netns.sh")
DGRAM = os.path.join(ROOT, "soak", "dgram.py")
RELAY = os.path.join(ROOT, "soak", "relay.py")
JOURNALD = "/lib/systemd/systemd-journald"
JOURNAL_SOCKET = "/run/systemd/journal/socket"
RG_STATE_CHANGE_ID = "11e23bc1d021448bac69cd2fbf82dc0f"
# A change *to primary* (not out of hold) is journalled as "failover" under its own id instead
# (Sources/Agent/Journal/EventCatalog.swift): both ids are RG state change records.
RG_FAILOVER_ID = "b8ad3c8a5edf446282af28d3bd1984ef"
MIB_ROOT = ".1.3.6.1.4.1.8072.9999.9999.1"
TRAP_RG_STATE_CHANGE = MIB_ROOT + ".0.1"
# ccRgNodeState.<rg>.<node> (CHASSIS-CLUSTER-MIB) and its enumeration.
TRAP_STATE_RE = re.compile(re.escape(MIB_ROOT + ".1.3.1.4.") + r"(\d+)\.(\d+) = INTEGER: (\d+)")
STATE_NAMES = {1: "hold", 2: "primary", 3: "secondary-hold", 4: "secondary", 5: "ineligible",
               6: "disabled", 7: "lost"}

INTERVAL_MS = 200
THRESHOLD = 3
DETECT = INTERVAL_MS * THRESHOLD / 1000.0          # 0.6 s
WINDOW = DETECT + 1.0                               # detection window after a link change
HOLD_DOWN = {0: 300, 1: 1, 2: 1}                    # seconds, as configured below
CONVERGENCE_BOUND = 2 * DETECT + max(v for k, v in HOLD_DOWN.items() if k != 0)
SAMPLING_ALLOWANCE = 0.3                            # one sampling period plus scheduling
KEY = "soak-shared-secret-0123456789abcdef"
CTL_PORT, FAB_PORT = 7400, 7401
ADDR = {("ctl0", 0): "10.77.0.1", ("ctl0", 1): "10.77.0.2",
        ("fab0", 0): "10.77.1.1", ("fab0", 1): "10.77.1.2"}

CONFIG = """# ccagent soak configuration ({tag})
set chassis cluster cluster-id 7
set chassis cluster heartbeat-interval {interval}
set chassis cluster heartbeat-threshold {threshold}
set chassis cluster control-link-recovery
set chassis cluster control-link-failure-timeout 20
set chassis cluster authentication-key-file {key}
set chassis cluster node 0 control-address 10.77.0.1
set chassis cluster node 1 control-address 10.77.0.2
set chassis cluster node 0 fabric-address 10.77.1.1
set chassis cluster node 1 fabric-address 10.77.1.2
set chassis cluster redundancy-group 0 node 0 priority 200
set chassis cluster redundancy-group 0 node 1 priority 100
set chassis cluster redundancy-group 1 node 0 priority 150
set chassis cluster redundancy-group 1 node 1 priority 100
set chassis cluster redundancy-group 1 hold-down-interval {hd1}
set chassis cluster redundancy-group 1 interface-monitor lan0 weight 255
set chassis cluster redundancy-group 2 node 0 priority 100
set chassis cluster redundancy-group 2 node 1 priority 150
set chassis cluster redundancy-group 2 preempt delay 1
set chassis cluster redundancy-group 2 hold-down-interval {hd2}
set chassis cluster redundancy-group 2 interface-monitor lan1 weight 255
"""
BAD_CONFIG_LINES = [
    "set chassis cluster heartbeat-threshold 99\n",
    "set chassis cluster redundancy-group 0 preempt\n",
    "set chassis cluster cluster-id\n",
    "set chassis cluster redundancy-group 1 interface-monitor lan0 weight 300\n",
    "set chassis cluster \x00\xff garbage\n",
]


def log(msg):
    print(f"[soak {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def run(cmd, check=True, timeout=30):
    return subprocess.run(cmd, check=check, capture_output=True, text=True, timeout=timeout)


def sh(script, check=True):
    return run(["bash", "-c", script], check=check)


def journald_answers():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        s.connect(JOURNAL_SOCKET)
        return True
    except OSError:
        return False
    finally:
        s.close()


def free_udp_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def control_request(path, request, timeout=1.0):
    """One JSON line to the control socket, one back (the protocol `ccctl` speaks)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(path)
        s.sendall((json.dumps(request) + "\n").encode())
        data = b""
        while not data.endswith(b"\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        return json.loads(data)
    finally:
        s.close()


class Lab:
    """Namespaces, daemons and fault primitives. Everything it starts is recorded for cleanup."""

    def __init__(self, rng):
        self.rng = rng
        self.prefix = "cks" + uuid.uuid4().hex[:5]
        self.work = tempfile.mkdtemp(prefix="ccagent-soak.")
        self.ns = [f"{self.prefix}-n0", f"{self.prefix}-n1"]
        self.switch = f"{self.prefix}-sw"
        self.relay_ns = f"{self.prefix}-rl"
        self.relay = None                   # Popen of soak/relay.py in relay_ns
        self.relay_ns_made = False
        self.relay_log = os.path.join(self.work, "relay.log")
        self.relay_control = os.path.join(self.work, "relay.sock")
        self.relay_failed = None            # why the relay is unusable (reported once)
        self.closing = False                # clean-up started: injection threads may still run
        self.topology = False
        self.lock = threading.RLock()
        self.agents = [None, None]          # Popen
        self.agent_started = [0.0, 0.0]
        self.agent_log = [os.path.join(self.work, f"node{n}.log") for n in (0, 1)]
        self.killed_pids = {}               # pid -> time the soak killed it
        self.pid_node = {}                  # pid -> node
        self.pid_life = {}                  # pid -> [start, end or None]
        self.snmpd = [None, None]
        self.trapd = [None, None]
        self.snmpd_down = [[], []]          # per node: [start, end] outages
        self.journald = None
        self.journald_started_by_us = False
        self.journald_down = []             # [start, end]
        self.config_path = [os.path.join(self.work, f"ccagent{n}.conf") for n in (0, 1)]
        self.keyfile = os.path.join(self.work, "key")
        self.traps = [os.path.join(self.work, f"traps{n}.log") for n in (0, 1)]
        self.crashes = []
        # Link conditions: (link, node) -> admin down; link -> set of loss rules.
        self.link_down = {}
        self.loss = collections.defaultdict(set)
        self.link_changes = []              # times any link condition changed
        self.captured = []                  # genuine datagrams (hex) seen on the wire

    # --- set-up ------------------------------------------------------------------------------
    def up(self):
        sh(f". {NETNS}; topology_up {self.prefix}")
        self.topology = True
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
        self.relay_ns_made = True
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
        out = open(self.relay_log, "a")
        self.relay = subprocess.Popen(
            ["ip", "netns", "exec", self.relay_ns, sys.executable, RELAY,
             "--control", self.relay_control, "--link", "ctl0:c0:c1", "--link", "fab0:f0:f1"],
            stdout=out, stderr=subprocess.STDOUT)
        out.close()
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
        return CONFIG.format(tag=tag, interval=INTERVAL_MS, threshold=THRESHOLD, key=self.keyfile,
                             hd1=HOLD_DOWN[1], hd2=HOLD_DOWN[2])

    def write_config(self, n, text):
        tmp = self.config_path[n] + ".tmp"
        with open(tmp, "w", encoding="utf-8", errors="surrogateescape") as f:
            f.write(text)
        os.replace(tmp, self.config_path[n])

    def start_journald_if_needed(self):
        if journald_answers():
            log("journald already answers: using it, never restarting it")
            return
        if not os.path.exists(JOURNALD):
            raise SystemExit(f"{JOURNALD} missing and no journald answers")
        self.journald_started_by_us = True
        self.start_journald()
        log("started systemd-journald (will restart it as a fault)")

    def start_journald(self):
        self.journald = subprocess.Popen([JOURNALD], stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL)
        for _ in range(200):
            if journald_answers():
                return
            time.sleep(0.025)
        raise RuntimeError("journald did not answer")

    def start_snmp(self, n):
        self.trap_port = getattr(self, "trap_port", {})
        self.snmp_port = getattr(self, "snmp_port", {})
        self.trap_port[n] = free_udp_port()
        self.snmp_port[n] = free_udp_port()
        conf = os.path.join(self.work, f"snmpd{n}.conf")
        with open(conf, "w") as f:
            f.write(f"master agentx\nagentXSocket {self.agentx(n)}\nagentXPerms 0777 0777\n"
                    f"rocommunity public 127.0.0.1 {MIB_ROOT}\n"
                    f"trap2sink 127.0.0.1:{self.trap_port[n]} public\n")
        tconf = os.path.join(self.work, "snmptrapd.conf")
        with open(tconf, "w") as f:
            f.write("authCommunity log public\n")
        self.trapd[n] = subprocess.Popen(
            ["ip", "netns", "exec", self.ns[n], "snmptrapd", "-f", "-Lf", self.traps[n], "-C",
             "-c", tconf, "-On", "-p", os.path.join(self.work, f"snmptrapd{n}.pid"),
             f"udp:127.0.0.1:{self.trap_port[n]}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.start_snmpd(n)

    def agentx(self, n):
        return os.path.join(self.work, f"agentx{n}.sock")

    def socket(self, n):
        return os.path.join(self.work, f"node{n}.sock")

    def start_snmpd(self, n):
        conf = os.path.join(self.work, f"snmpd{n}.conf")
        self.snmpd[n] = subprocess.Popen(
            ["ip", "netns", "exec", self.ns[n], "snmpd", "-f", "-Lo", "-C", "-c", conf,
             "-p", os.path.join(self.work, f"snmpd{n}.pid"), f"udp:127.0.0.1:{self.snmp_port[n]}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def start_agent(self, n):
        with self.lock:
            out = open(self.agent_log[n], "a")
            proc = subprocess.Popen(
                ["ip", "netns", "exec", self.ns[n], os.path.join(BIN, "ccagentd"),
                 "--config", self.config_path[n], "--node", str(n),
                 "--control-socket", self.socket(n), "--agentx-socket", self.agentx(n),
                 "--log-target", "journal"],
                stdout=out, stderr=subprocess.STDOUT)
            out.close()
            self.agents[n] = proc
            self.agent_started[n] = time.time()
            self.pid_node[proc.pid] = n
            self.pid_life[proc.pid] = [time.time(), None]

    # --- faults ------------------------------------------------------------------------------
    def note_link_change(self):
        self.link_changes.append(time.time())

    def set_link(self, n, name, up):
        with self.lock:
            run(["ip", "-n", self.ns[n], "link", "set", name, "up" if up else "down"])
            self.link_down[(name, n)] = not up
            self.note_link_change()

    def set_loss(self, n, name, percent, direction):
        table = f"soak_{name}_{direction}"
        hook, match = ("output", "oifname") if direction == "out" else ("input", "iifname")
        script = (f"add table inet {table}\n"
                  f"add chain inet {table} c {{ type filter hook {hook} priority 0 ; }}\n"
                  f"add rule inet {table} c {match} \"{name}\" numgen random mod 100 < {percent} drop\n")
        with self.lock:
            subprocess.run(["ip", "netns", "exec", self.ns[n], "nft", "-f", "-"], input=script,
                           text=True, check=True, capture_output=True)
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
        port = f"port{n}" if lan == 0 else f"port1{n}"
        run(["ip", "-n", self.switch, "link", "set", port, "up" if up else "down"])

    def kill_agent(self, n):
        with self.lock:
            proc = self.agents[n]
            if proc is None or proc.poll() is not None:
                return False
            self.killed_pids[proc.pid] = time.time()
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=10)
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
        proc = self.snmpd[n]
        if proc and proc.poll() is None:
            proc.send_signal(sig)
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.snmpd_down[n].append([time.time(), None])

    def restart_snmpd(self, n):
        self.start_snmpd(n)
        self.snmpd_down[n][-1][1] = time.time()

    def kill_journald(self, sig):
        self.journald.send_signal(sig)
        try:
            self.journald.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.journald.kill()
            self.journald.wait()
        self.journald_down.append([time.time(), None])

    def restart_journald(self):
        self.start_journald()
        self.journald_down[-1][1] = time.time()

    def capture(self, n, link):
        """A genuine datagram node n is sending now on `link` (None if the link is silent)."""
        port = CTL_PORT if link == "ctl0" else FAB_PORT
        r = run(["ip", "netns", "exec", self.ns[n], "python3", DGRAM, "capture", link, str(port),
                 "0.8"], check=False, timeout=10)
        if r.returncode == 0 and r.stdout:
            self.captured.append((n, link, r.stdout.strip()))
            return r.stdout.strip()
        return None

    def send_datagrams(self, src_node, link, payloads):
        port = CTL_PORT if link == "ctl0" else FAB_PORT
        run(["ip", "netns", "exec", self.ns[src_node], "python3", DGRAM, "send",
             ADDR[(link, src_node)], ADDR[(link, 1 - src_node)], str(port), ",".join(payloads)],
            check=False, timeout=10)

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
        for procs in (self.agents, self.snmpd, self.trapd):
            for i, proc in enumerate(procs):
                if proc is not None and proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
                    try:
                        proc.wait(timeout=10)
                    except subprocess.TimeoutExpired:
                        proc.kill()
                        proc.wait()
        if self.journald_started_by_us and self.journald is not None and self.journald.poll() is None:
            self.journald.terminate()
            try:
                self.journald.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.journald.kill()
                self.journald.wait()
        if self.relay is not None and self.relay.poll() is None:
            self.relay.send_signal(signal.SIGTERM)
            try:
                self.relay.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.relay.kill()
                self.relay.wait()
        namespaces = [*self.ns, self.switch] + ([self.relay_ns] if self.relay_ns_made else [])
        for ns in namespaces:
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        if os.environ.get("SOAK_KEEP") == "1":
            log(f"work directory kept: {self.work}")
        else:
            shutil.rmtree(self.work, ignore_errors=True)


class Checker(threading.Thread):
    """Samples both nodes' status several times a second and checks the invariants online."""

    def __init__(self, lab):
        super().__init__(daemon=True)
        self.lab = lab
        self.stop_event = threading.Event()
        self.violations = []
        self.samples = 0
        self.slow = []                      # (t, node, seconds) answers slower than 1 s
        self.unanswered = [0, 0]            # consecutive probes without an answer in 1 s
        self.last = {}                      # (pid, rg) -> (state, t)
        self.changes = []                   # (t_prev_seen, t_seen, node, pid, rg, prev, new)
        self.latest = [None, None]          # (t, pid, status)
        self.rss = collections.defaultdict(list)   # pid -> [(t, kB)]
        self.last_rss = 0.0
        self.dual_seen = []                 # every dual primary seen, excused or not
        self.hang_reported = set()
        self.relay_reported = False

    def violation(self, kind, text):
        entry = (time.time(), kind, text)
        self.violations.append(entry)
        log(f"VIOLATION {kind}: {text}")

    def probe(self, n):
        lab = self.lab
        proc = lab.agents[n]
        if proc is None:
            return None
        if proc.poll() is not None:
            if proc.pid not in lab.killed_pids:
                self.violation("crash", f"node{n} ccagentd pid {proc.pid} exited with "
                                        f"{proc.returncode} without being killed by the soak")
                lab.crashes.append((time.time(), n, proc.pid, proc.returncode))
                with lab.lock:
                    lab.pid_life[proc.pid][1] = time.time()
                    lab.killed_pids[proc.pid] = time.time()  # report once
                    lab.agents[n] = None
                    lab.start_agent(n)
            return None
        started = time.time()
        try:
            reply = control_request(lab.socket(n), {"command": "show", "view": "status"})
            elapsed = time.time() - started
            self.unanswered[n] = 0
            if elapsed > 1.0:
                self.slow.append((started, n, elapsed))
            status = reply.get("status")
            if status is None:
                return None
            self.latest[n] = (time.time(), proc.pid, status)
            self.record_changes(n, proc.pid, status)
            return status
        except (OSError, ValueError):
            # Not yet listening after a (re)start is normal for the first seconds.
            if time.time() - lab.agent_started[n] > 5:
                self.unanswered[n] += 1
                if self.unanswered[n] >= 3 and (proc.pid, n) not in self.hang_reported:
                    self.hang_reported.add((proc.pid, n))
                    self.violation("hang", f"node{n} pid {proc.pid}: control socket gave no "
                                           f"answer within 1 s three times in a row")
            return None

    def record_changes(self, n, pid, status):
        t = time.time()
        for g in status["redundancyGroups"]:
            state = g["nodes"][n]["status"]
            key = (pid, g["id"])
            prev = self.last.get(key)
            if prev is None:
                # A new process starts every RG in hold (DESIGN §3.2).
                prev = ("hold", self.lab.pid_life[pid][0])
            if prev[0] != state:
                self.changes.append((prev[1], t, n, pid, g["id"], prev[0], state))
            self.last[key] = (state, t)

    @staticmethod
    def primaries(status, n):
        return {g["id"] for g in status["redundancyGroups"] if g["nodes"][n]["status"] == "primary"}

    def excused_by_window(self, t):
        """Is t inside the detection window after a link change, or is no link clean?"""
        lab = self.lab
        if not lab.clean_links():
            return "no link passing all traffic"
        recent = [c for c in lab.link_changes if t - c < WINDOW]
        if recent:
            return f"{t - max(recent):.2f}s after a link change (window {WINDOW:.1f}s)"
        return None

    def check_relay(self):
        lab = self.lab
        if not self.relay_reported and (not lab.relay_alive() or lab.relay_failed):
            self.relay_reported = True
            self.violation("relay", f"{lab.relay_failed}; ctl0 and fab0 no longer pass traffic, "
                                    f"stopping the fault stream")

    def run(self):
        while not self.stop_event.is_set():
            t0 = time.time()
            self.check_relay()
            a0 = self.probe(0)
            b = self.probe(1)
            a1 = self.probe(0) if (a0 and b) else None
            self.samples += 1
            if a0 and b and a1:
                both = self.primaries(a0, 0) & self.primaries(b, 1) & self.primaries(a1, 0)
                if both:
                    excuse = self.excused_by_window(t0)
                    self.dual_seen.append((t0, sorted(both), excuse))
                    if excuse is None:
                        self.violation("dual-primary", f"RG {sorted(both)} primary on both nodes "
                                       f"while {self.lab.clean_links()} passes traffic; node0: "
                                       f"{summary(a0)} / node1: {summary(b)}")
            if time.time() - self.last_rss >= 2.0:
                self.last_rss = time.time()
                for proc in list(self.lab.agents):
                    if proc is not None and proc.poll() is None:
                        kb = rss_kb(proc.pid)  # None until `ip netns exec` has exec'd
                        if kb:
                            self.rss[proc.pid].append((time.time(), kb))
            time.sleep(max(0.0, 0.15 - (time.time() - t0)))

    def converged(self):
        """Both agents answer and every RG is primary on exactly one node (own rows)."""
        s = [self.latest[n] for n in (0, 1)]
        if any(x is None for x in s):
            return False
        now = time.time()
        if any(now - x[0] > 0.5 for x in s):
            return False
        for n in (0, 1):
            proc = self.lab.agents[n]
            if proc is None or proc.pid != s[n][1]:
                return False
        ids = {g["id"] for g in s[0][2]["redundancyGroups"]}
        for rg in ids:
            count = sum(1 for n in (0, 1) if rg in self.primaries(s[n][2], n))
            if count != 1:
                return False
        return True

    def stop(self):
        self.stop_event.set()
        self.join(timeout=10)


def summary(status):
    return ", ".join(f"rg{g['id']}=" + "/".join(x["status"] for x in g["nodes"])
                     for g in status["redundancyGroups"]) + \
        f" ctl={status.get('controlLink')} fab={status.get('fabricLink')} peer={status.get('peer')}"


def rss_kb(pid):
    try:
        with open(f"/proc/{pid}/comm") as f:
            if f.read().strip() != "ccagentd":
                return None
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


# --- the fault stream -------------------------------------------------------------------------
# (kind, weight, resource key function, duration range or None for instantaneous)
FAULTS = [
    ("link-cut", 14), ("link-loss", 12), ("link-delay", 6), ("link-duplicate", 5),
    ("link-reorder", 5), ("monitor-flap", 12), ("agent-kill", 4), ("snmpd-restart", 6),
    ("journald-restart", 3), ("sighup-valid", 4), ("sighup-invalid", 5), ("datagrams", 10),
]
LINK_FAULTS = ("link-cut", "link-loss", "link-delay", "link-duplicate", "link-reorder")


class Soak:
    def __init__(self, lab, checker, rng, minutes, smoke):
        self.lab, self.checker, self.rng = lab, checker, rng
        self.deadline = time.time() + minutes * 60
        self.smoke = smoke
        self.counts = collections.Counter()
        self.convergence = []
        self.convergence_failures = []
        self.last_kill = {0: -1e9, 1: -1e9}
        self.kill_cooldown = 20 if smoke else 150

    def choose(self, busy):
        rng, lab = self.rng, self.lab
        kinds = [k for k, _ in FAULTS]
        weights = [w for _, w in FAULTS]
        for _ in range(20):
            kind = rng.choices(kinds, weights)[0]
            n = rng.randrange(2)
            if kind in LINK_FAULTS:
                res = ("link", rng.choice(["ctl0", "fab0"]))
            elif kind == "monitor-flap":
                res = ("lan", n, rng.randrange(2))
            elif kind == "agent-kill":
                if time.time() - self.last_kill[n] < self.kill_cooldown:
                    continue
                res = ("agent", n)
            elif kind == "snmpd-restart":
                res = ("snmpd", n)
            elif kind == "journald-restart":
                if not lab.journald_started_by_us:
                    continue
                res = ("journald",)
            elif kind in ("sighup-valid", "sighup-invalid"):
                res = ("agent", n)
            else:
                res = ("dgram", n)
            if res in busy:
                continue
            busy.add(res)
            return kind, n, res
        return None

    def episode(self):
        rng = self.rng
        busy = set()
        plan = []
        for _ in range(rng.choice([1, 1, 2, 2, 3])):
            c = self.choose(busy)
            if c:
                plan.append((rng.uniform(0, 1.5), rng.uniform(0.3, 5.0), *c, rng.getrandbits(64)))
        plan.sort()
        threads = [threading.Thread(target=self.inject, args=p, daemon=True) for p in plan]
        start = time.time()
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        healed = time.time()
        self.measure_convergence(healed, [p[2] for p in plan])
        time.sleep(rng.uniform(0.3, 1.5))
        return time.time() - start

    def inject(self, offset, duration, kind, n, res, subseed):
        # Each injection thread has its own generator, drawn from the seeded stream in the main
        # thread, so the schedule is reproducible whatever the threads' interleaving.
        time.sleep(offset)
        lab, rng = self.lab, random.Random(subseed)
        self.counts[kind] += 1
        if kind == "link-cut":
            link = res[1]
            lab.set_link(n, link, False)
            time.sleep(duration)
            lab.set_link(n, link, True)
        elif kind == "link-loss":
            link = res[1]
            percent = rng.randint(5, 50)
            direction = rng.choice(["out", "in"])
            lab.set_loss(n, link, percent, direction)
            time.sleep(duration * 1.5)
            lab.clear_loss(n, link, direction)
        elif kind in ("link-delay", "link-duplicate", "link-reorder"):
            # Relay impairments, in node n's sending direction, receiving direction or both.
            # Kept well below heartbeat interval x threshold: the worst gap between heartbeats
            # a node accepts is one interval plus 200 ms (delay + jitter at the onset, or a
            # held frame dropped as a replay after its successor), so no link may go silent.
            link = res[1]
            way = rng.choice(["out", "in", "both"])
            out_dir = "01" if n == 0 else "10"
            in_dir = "10" if n == 0 else "01"
            dirs = {"out": [out_dir], "in": [in_dir], "both": ["01", "10"]}[way]
            if kind == "link-delay":
                settings = {"delay_ms": rng.randint(20, 150), "jitter_ms": rng.randint(0, 50)}
            elif kind == "link-duplicate":
                settings = {"dup": rng.randint(10, 50) / 100}
            else:
                settings = {"reorder": rng.randint(20, 80) / 100, "hold_ms": 250}
            lab.impair(link, dirs, settings)
            time.sleep(duration * 1.5)
            lab.heal_impairment(link)
        elif kind == "monitor-flap":
            lan = res[2]
            flaps = rng.choice([1, 1, 3])
            for _ in range(flaps):
                lab.cable(n, lan, False)
                time.sleep(duration / flaps)
                lab.cable(n, lan, True)
                time.sleep(rng.uniform(0.05, 0.3))
        elif kind == "agent-kill":
            self.last_kill[n] = time.time()
            lab.kill_agent(n)
            time.sleep(min(duration, 3.0))
            lab.start_agent(n)
        elif kind == "snmpd-restart":
            lab.kill_snmpd(n, rng.choice([signal.SIGKILL, signal.SIGTERM]))
            time.sleep(min(duration, 3.0))
            lab.restart_snmpd(n)
        elif kind == "journald-restart":
            lab.kill_journald(rng.choice([signal.SIGKILL, signal.SIGTERM]))
            time.sleep(min(duration, 2.0))
            lab.restart_journald()
        elif kind == "sighup-valid":
            with lab.lock:
                lab.write_config(n, lab.valid_config(f"reload {time.time():.3f}"))
                lab.sighup(n)
        elif kind == "sighup-invalid":
            with lab.lock:  # no agent (re)start may read the invalid file
                bad = lab.valid_config("invalid") + rng.choice(BAD_CONFIG_LINES)
                lab.write_config(n, bad)
                lab.sighup(n)
                time.sleep(rng.uniform(0.3, 1.0))
                lab.write_config(n, lab.valid_config("restored"))
        elif kind == "datagrams":
            self.datagrams(n, rng)

    def datagrams(self, n, rng):
        """Node n sends forged, replayed and garbage datagrams to its peer's ports."""
        lab = self.lab
        link = rng.choice(["ctl0", "fab0"])
        genuine = lab.capture(n, link)
        payloads = []
        # Replays: this node's own earlier datagrams (maybe from an earlier boot of it), and
        # now and then the peer's datagrams reflected back at it.
        pool = [h for (src, lk, h) in lab.captured if src == n and lk == link]
        reflected = [h for (src, lk, h) in lab.captured if src != n]
        for _ in range(rng.randint(3, 12)):
            what = rng.random()
            if genuine and what < 0.25:
                b = bytearray.fromhex(genuine)
                i = rng.randrange(len(b))
                b[i] ^= 1 << rng.randrange(8)            # forged: one bit of the signed message
                payloads.append(b.hex())
            elif pool and what < 0.5:
                payloads.append(rng.choice(pool))        # replayed (maybe from an earlier boot)
            elif reflected and what < 0.55:
                payloads.append(rng.choice(reflected))
            elif genuine and what < 0.6:
                payloads.append(genuine[: rng.randrange(len(genuine)) * 2 // 2 * 2])  # truncated
            elif what < 0.75:
                # A plausible header: magic, version, flags, link, cluster-id, then noise.
                head = b"CCHB" + bytes([1, rng.choice([0, 1]), rng.choice([0, 1]), 7])
                payloads.append((head + rng.randbytes(rng.randrange(0, 200))).hex())
            else:
                payloads.append(rng.randbytes(rng.randrange(0, 300)).hex())
        lab.send_datagrams(n, link, payloads)

    def measure_convergence(self, healed, kinds):
        lab, checker = self.lab, self.checker
        limit = healed + 30
        answering = None
        while time.time() < limit and not lab.relay_failed:
            if answering is None and all(
                    checker.latest[n] and lab.agents[n] and checker.latest[n][1] == lab.agents[n].pid
                    and checker.latest[n][0] > healed for n in (0, 1)):
                answering = time.time()
            if answering and checker.converged():
                t = time.time()
                took = t - healed
                self.convergence.append(took)
                since_answer = t - answering
                if since_answer > CONVERGENCE_BOUND + SAMPLING_ALLOWANCE:
                    checker.violation("convergence", f"{since_answer:.2f}s after faults {kinds} "
                                      f"stopped (bound {CONVERGENCE_BOUND:.1f}s)")
                return
            time.sleep(0.05)
        if lab.relay_failed:
            return                           # reported by the checker as a relay violation
        latest = [summary(checker.latest[n][2]) if checker.latest[n] else None for n in (0, 1)]
        checker.violation("convergence", f"no single primary per RG 30 s after faults {kinds} "
                          f"stopped: node0 {latest[0]} / node1 {latest[1]}")
        self.convergence_failures.append(kinds)

    def run(self):
        n = 0
        while time.time() < self.deadline and not self.lab.relay_failed:
            self.episode()
            n += 1
            if n % 10 == 0:
                log(f"{n} episodes, faults so far {dict(self.counts)}, "
                    f"violations {len(self.checker.violations)}")
        return n


# --- after the run: journal, traps, RSS ----------------------------------------------------------
def journal_records(pid):
    # Two matches on one field are OR-ed by journalctl.
    out = run(["journalctl", "-o", "json", "--no-pager", f"MESSAGE_ID={RG_STATE_CHANGE_ID}",
               f"MESSAGE_ID={RG_FAILOVER_ID}", f"_PID={pid}"], check=False, timeout=60).stdout
    records = []
    for line in out.splitlines():
        try:
            e = json.loads(line)
        except ValueError:
            continue
        records.append({"t": int(e["__REALTIME_TIMESTAMP"]) / 1e6, "rg": int(e.get("RG_ID", -1)),
                        "prev": e.get("PREV_STATE"), "new": e.get("NEW_STATE"),
                        "reason": e.get("REASON"), "id": e.get("MESSAGE_ID")})
    return records


def parse_traps(path, node):
    """ccRgStateChange notifications received: list of (rg, new state) in arrival order."""
    try:
        text = open(path, errors="replace").read()
    except OSError:
        return []
    got = []
    # snmptrapd -Lf -On: one line per notification, varbinds separated by tabs.
    trap_oid = re.compile(r"OID: " + re.escape(TRAP_RG_STATE_CHANGE) + r"(?![.\d])")
    for line in text.split("\n"):
        if not trap_oid.search(line):
            continue
        m = TRAP_STATE_RE.search(line)
        if m and int(m.group(2)) == node:
            got.append((int(m.group(1)), STATE_NAMES.get(int(m.group(3)), m.group(3))))
    return got


def within(t, windows, before=0.0, after=0.0):
    return any(s - before <= t <= ((e if e is not None else 1e18) + after) for s, e in windows)


def analyse(lab, checker, soak):
    result = {"violations": list(checker.violations)}
    # 1. Every change seen in status is in the journal.
    records = {pid: journal_records(pid) for pid in lab.pid_life}
    missing_journal, excused_journal = [], []
    only_failover_id = 0
    for (t_prev, t_seen, n, pid, rg, prev, new) in checker.changes:
        match = [r for r in records.get(pid, [])
                 if r["rg"] == rg and r["new"] == new and t_prev - 1.0 <= r["t"] <= t_seen + 2.0]
        if match:
            if all(r["id"] == RG_FAILOVER_ID for r in match):
                only_failover_id += 1
            continue
        item = f"node{n} pid {pid} rg{rg} {prev}->{new} seen {time.strftime('%H:%M:%S', time.localtime(t_seen))}"
        if within(t_seen, lab.journald_down, before=2.0, after=1.0) or \
                within(t_prev, lab.journald_down, before=2.0, after=1.0):
            excused_journal.append(item)
        else:
            missing_journal.append(item)
    for item in missing_journal:
        checker.violation("journal", f"state change seen in status but not in journald: {item}")
    # 2. Every journalled change not out of hold reached snmptrapd.
    expected = received = excused_traps = 0
    missing_traps = []
    for n in (0, 1):
        want = collections.Counter()
        candidates = collections.defaultdict(list)
        for pid, recs in records.items():
            if lab.pid_node[pid] != n:
                continue
            killed = lab.killed_pids.get(pid)
            for r in recs:
                if r["prev"] == "hold":
                    continue
                key = (r["rg"], r["new"])
                want[key] += 1
                # Excusable: raised while snmpd was down (or just before it went) and the agent
                # was killed before it could reconnect and flush its queue; or in flight at kill.
                outage = [w for w in lab.snmpd_down[n] if w[0] - 1.0 <= r["t"] <= (w[1] or 1e18) + 2.0]
                excusable = False
                for w in outage:
                    back = (w[1] or 1e18) + 2.0
                    if killed and killed <= back:
                        excusable = True
                    if w[0] - 1.0 <= r["t"] <= w[0]:
                        excusable = True     # handed to snmpd just before it was killed
                if killed and killed - 0.2 <= r["t"] <= killed:
                    excusable = True         # raised in the last instant before SIGKILL
                candidates[key].append((r, excusable))
        got = collections.Counter(parse_traps(lab.traps[n], n))
        for key, count in want.items():
            expected += count
            received += min(count, got[key])
            short = count - got[key]
            if short > 0:
                excusable = sum(1 for _, e in candidates[key] if e)
                excused_traps += min(short, excusable)
                if short > excusable:
                    missing_traps.append(f"node{n} rg{key[0]} ->{key[1]}: {count} journalled, "
                                         f"{got[key]} trapped, {excusable} excusable")
        result.setdefault("extra_traps", 0)
        result["extra_traps"] += sum(max(0, c - want[k]) for k, c in got.items())
    for item in missing_traps:
        checker.violation("notification", f"missing ccRgStateChange: {item}")
    result.update(expected=expected, received=received, excused_traps=excused_traps,
                  journal_checked=len(checker.changes), journal_missing=len(missing_journal),
                  journal_excused=len(excused_journal), only_failover_id=only_failover_id)
    # 3. RSS: per process that lived long enough, growth after its first minute.
    rss_rows = []
    for pid, series in checker.rss.items():
        if not series:
            continue
        start = lab.pid_life[pid][0]
        after_minute = [kb for t, kb in series if t - start >= 60]
        first, last = series[0][1], series[-1][1]
        base = after_minute[0] if after_minute else None
        lived = series[-1][0] - start
        growth = (last - base) / base * 100 if base else None
        rss_rows.append((lab.pid_node[pid], pid, lived, first, base, last, growth))
        if not soak.smoke and base and lived >= 180 and growth >= 10:
            checker.violation("leak", f"node{lab.pid_node[pid]} pid {pid}: RSS {base} kB at 1 min "
                                      f"-> {last} kB after {lived:.0f}s (+{growth:.1f}%)")
    result["rss"] = sorted(rss_rows)
    return result


def report(lab, checker, soak, res, episodes, elapsed, seed):
    print()
    print("=" * 72)
    print(f"ccagent soak summary  seed={seed}  duration={elapsed/60:.1f} min  "
          f"episodes={episodes}  smoke={'yes' if soak.smoke else 'no'}")
    print(f"heartbeat {INTERVAL_MS} ms x {THRESHOLD}; detection window {WINDOW:.1f} s; convergence "
          f"bound {CONVERGENCE_BOUND:.1f} s (+{SAMPLING_ALLOWANCE} s sampling)")
    print(f"journald: {'started by the soak (restarted as a fault)' if lab.journald_started_by_us else 'pre-existing (not restarted)'}")
    print("faults injected by kind:")
    for kind, _ in FAULTS:
        print(f"  {kind:18s} {soak.counts.get(kind, 0)}")
    print(f"  {'total':18s} {sum(soak.counts.values())}")
    if res.get("relay"):
        print("relay (per link and direction, 01 = node0 -> node1): frames forwarded, impaired "
              "(UDP while impaired), delayed, duplicated, reordered, held past hold_ms, send errors")
        for link, dirs in sorted(res["relay"]["links"].items()):
            for d, st in sorted(dirs.items()):
                print(f"  {link} {d}: {st['forwarded']} fwd, {st['impaired']} impaired, "
                      f"{st['delayed']} delayed, {st['duplicated']} dup, {st['reordered']} reord, "
                      f"{st['hold_timeouts']} hold-timeouts, {st['send_errors']} send-errors")
    else:
        print(f"relay: no statistics ({lab.relay_failed or 'not running'})")
    print(f"status samples: {checker.samples} rounds (node0, node1, node0 each); "
          f"answers slower than 1 s: {len(checker.slow)}")
    excused = [d for d in checker.dual_seen if d[2]]
    print(f"dual primaries seen: {len(checker.dual_seen)} samples, {len(excused)} inside a "
          f"detection window or with no clean link")
    if soak.convergence:
        print(f"convergence after faults stop: n={len(soak.convergence)} "
              f"median={statistics.median(soak.convergence):.2f}s max={max(soak.convergence):.2f}s")
    print(f"RG state changes seen in status: {res['journal_checked']}, missing in journald: "
          f"{res['journal_missing']}, excused (journald down): {res['journal_excused']}; "
          f"{res['only_failover_id']} of them journalled only under the failover MESSAGE_ID "
          f"{RG_FAILOVER_ID}, not {RG_STATE_CHANGE_ID}")
    print(f"ccRgStateChange notifications: expected {res['expected']}, received {res['received']}, "
          f"excused (snmpd restart + agent kill) {res['excused_traps']}, extra {res['extra_traps']}")
    print("RSS (kB) per agent process: node pid lived first at-1min last growth-after-1min")
    for node, pid, lived, first, base, last, growth in res["rss"]:
        g = f"{growth:+.1f}%" if growth is not None else "n/a (<1 min)"
        print(f"  node{node} {pid:7d} {lived:6.0f}s {first:7d} {base if base else '-':>7} {last:7d} {g}")
    print(f"crashes: {len(lab.crashes)}")
    kinds = collections.Counter(v[1] for v in checker.violations)
    print(f"invariant violations: {len(checker.violations)} {dict(kinds) if kinds else ''}")
    for t, kind, text in checker.violations[:50]:
        print(f"  {time.strftime('%H:%M:%S', time.localtime(t))} {kind}: {text}")
    print("=" * 72)


def main():
    if os.geteuid() != 0:
        raise SystemExit("soak: needs root (network namespaces, nftables)")
    for tool in ("ip", "nft", "snmpd", "snmptrapd", "journalctl"):
        if not shutil.which(tool):
            raise SystemExit(f"soak: {tool} not found")
    for b in ("ccagentd", "ccctl"):
        if not os.access(os.path.join(BIN, b), os.X_OK):
            raise SystemExit(f"soak: {BIN}/{b} missing (swift build)")
    minutes = float(os.environ.get("SOAK_MINUTES", "10"))
    seed = int(os.environ.get("SOAK_SEED", "1"))
    smoke = os.environ.get("SOAK_SMOKE") == "1"
    rng = random.Random(seed)

    def on_signal(signum, frame):
        # Once: timeout(1) and terminals signal the whole process group, often twice, and a second
        # KeyboardInterrupt inside `finally` would leave namespaces and the relay behind.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    lab = Lab(rng)
    checker = None
    try:
        log(f"seed {seed}, {minutes} min, prefix {lab.prefix}, work {lab.work}")
        lab.up()
        checker = Checker(lab)
        checker.start()
        # Initial election, and a check that ccctl itself reads the same status.
        deadline = time.time() + 20
        while time.time() < deadline and not checker.converged():
            time.sleep(0.1)
        if not checker.converged():
            raise SystemExit("soak: the cluster never elected one primary per RG")
        ccctl = run([os.path.join(BIN, "ccctl"), "show", "status", "--json", "--socket",
                     lab.socket(0)], check=False)
        if ccctl.returncode != 0 or "redundancyGroups" not in ccctl.stdout:
            raise SystemExit(f"soak: ccctl show status failed: {ccctl.stderr}")
        log("cluster up: " + summary(checker.latest[0][2]))
        soak = Soak(lab, checker, rng, minutes, smoke)
        started = time.time()
        episodes = soak.run()
        elapsed = time.time() - started
        # Faults have stopped (each episode heals its own). Let notifications drain.
        time.sleep(3)
        checker.check_relay()
        checker.stop()
        relay_stats = None
        if lab.relay_alive() and not lab.relay_failed:
            try:
                relay_stats = lab.relay_request({"op": "stats"})
            except (OSError, ValueError, RuntimeError) as e:
                checker.violation("relay", f"relay alive but its control socket failed: {e}")
        res = analyse(lab, checker, soak)
        res["relay"] = relay_stats
        report(lab, checker, soak, res, episodes, elapsed, seed)
        if checker.violations:
            for n in (0, 1):
                try:
                    tail = open(lab.agent_log[n]).read().splitlines()[-15:]
                    print(f"--- node{n} agent output (tail)\n" + "\n".join(tail))
                except OSError:
                    pass
        return 1 if checker.violations else 0
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        if checker is not None and checker.is_alive():
            checker.stop()
        lab.close()


if __name__ == "__main__":
    sys.exit(main())
