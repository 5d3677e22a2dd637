"""The ccagent lab: the one harness the integration tests, the soak and the bench share.

Two real ccagentd nodes in network namespaces (tests/lib/netns.sh), their configuration text,
the processes around them (snmpd, snmptrapd, journald) and the probes the checks use (control
requests, heartbeat capture, forged datagrams). Standard library only, no pytest: the tests wrap
these in fixtures (tests/integration/conftest.py), the soak and the bench use them directly.

  Lab            a work directory and every process and namespace made in it; close() removes all
  Topology       the two node namespaces and the switch namespace of netns.sh; cable pulls, links
  base_config    the configuration text every lab starts from (key_file: authenticated, or
                 AUTH_NONE for `authentication none`)
  generate_key   a heartbeat key made by `ccctl generate-key` (Lab.key() makes one per lab)
  spawn_agent    one ccagentd in a namespace; ccctl / status / control_request talk to it
  Snmp           snmpd (AgentX master on a private socket) and snmptrapd in one namespace
  Journald       the host's journald, or one started for the run when none answers
  Cluster        a pair of agents on a Topology, the integration tests' API

Run as a script inside a namespace (`ip netns exec NS python3 cclab.py ...`) it captures and
sends datagrams there (see `capture_datagram`, `send_datagrams`).
"""
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DEBUG_BIN = os.path.join(ROOT, ".build", "debug")
NETNS = os.path.join(HERE, "netns.sh")
MIB_ROOT = ".1.3.6.1.4.1.8072.9999.9999.1"      # CHASSIS-CLUSTER-MIB, under netSnmpPlaypen
# net-snmp options printing names: ours from mibs/, SNMPv2-MIB's for sysUpTime and snmpTrapOID.
MIB_NAMES = ["-M", f"+{os.path.join(ROOT, 'mibs')}", "-m", "SNMPv2-MIB:CHASSIS-CLUSTER-MIB"]
JOURNALD = "/lib/systemd/systemd-journald"
JOURNAL_SOCKET = "/run/systemd/journal/socket"
CTL_PORT, FAB_PORT = 7400, 7401                    # the configuration's defaults
# The addresses netns.sh gives: (link, node) -> address.
ADDRESS = {("ctl0", 0): "10.77.0.1", ("ctl0", 1): "10.77.0.2",
           ("fab0", 0): "10.77.1.1", ("fab0", 1): "10.77.1.2"}
# ccRgNodeState's enumeration (CHASSIS-CLUSTER-MIB), by the names `show status --json` uses.
STATE_NUMBER = {"hold": 1, "primary": 2, "secondary-hold": 3, "secondary": 4, "ineligible": 5,
                "disabled": 6, "lost": 7}
STATE_NAME = {v: k for k, v in STATE_NUMBER.items()}
MONITOR_LAN0 = "set chassis cluster redundancy-group 1 interface-monitor lan0 weight 255\n"
# base_config(key_file=AUTH_NONE): `set chassis cluster authentication none` (the opt-out).
AUTH_NONE = "none"


# --------------------------------------------------------------------------------- commands

class CommandFailed(subprocess.CalledProcessError):
    def __str__(self):
        return (f"command failed ({self.returncode}): {self.cmd}\n"
                f"{self.stdout or ''}{self.stderr or ''}").rstrip()


def run(argv, check=True, timeout=30, **kwargs):
    r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **kwargs)
    if check and r.returncode != 0:
        raise CommandFailed(r.returncode, argv, r.stdout, r.stderr)
    return r


def sh(script, check=True, timeout=120):
    return run(["bash", "-c", script], check=check, timeout=timeout)


def stop(proc, sig=signal.SIGTERM, timeout=10):
    """Signal proc and reap it; SIGKILL if it outlives timeout. Returns its exit status."""
    if proc is None:
        return None
    if proc.poll() is None:
        try:
            proc.send_signal(sig)
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        except ProcessLookupError:
            proc.wait(timeout=10)
    return proc.returncode


def wait_until(predicate, timeout, poll=0.05):
    """True as soon as predicate() is; False after timeout seconds."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(poll)
    return False


def free_udp_port(host="127.0.0.1"):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def tail(path, lines=25):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return ""


# --------------------------------------------------------------------------------- lab

class Lab:
    """A work directory and every process and namespace made for it; close() removes them all,
    the work directory too unless `keep`."""

    def __init__(self, work_prefix="ccagent-lab.", keep=False):
        self.work = tempfile.mkdtemp(prefix=work_prefix)
        self.keep = keep
        self.procs = []
        self.namespaces = []
        self.lock = threading.RLock()

    def path(self, name):
        return os.path.join(self.work, name)

    def key(self, name="cluster.key", bin_dir=DEBUG_BIN):
        """The lab's heartbeat key (work/name), made by `ccctl generate-key` on first use."""
        path = self.path(name)
        if not os.path.exists(path):
            generate_key(path, bin_dir)
        return path

    def state_directory(self):
        """Where the lab's agents keep their lock and last boot epoch (`--state-directory`)."""
        return self.path("state")

    def spawn(self, argv, log=None, env=None, new_session=False, **popen):
        """Popen recorded for close(); output appended to work/`log` unless stdout= is given."""
        opened = None
        if "stdout" not in popen:
            opened = open(self.path(log), "ab") if log else None
            popen["stdout"] = opened or subprocess.DEVNULL
            popen.setdefault("stderr", subprocess.STDOUT)
        proc = subprocess.Popen(argv, env=env, start_new_session=new_session, **popen)
        if opened:
            opened.close()
        with self.lock:
            self.procs.append(proc)
        return proc

    def forget(self, proc):
        with self.lock:
            if proc in self.procs:
                self.procs.remove(proc)

    def stop(self, proc, sig=signal.SIGTERM, timeout=10):
        status = stop(proc, sig, timeout)
        self.forget(proc)
        return status

    def topology(self, tag):
        topo = Topology(tag)
        self.namespaces.extend(topo.namespaces())
        return topo

    def close(self):
        for proc in reversed(list(self.procs)):
            try:
                self.stop(proc, timeout=10)
            except Exception:
                pass
        for ns in self.namespaces:
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        self.namespaces = []
        if not self.keep:
            shutil.rmtree(self.work, ignore_errors=True)


class Topology:
    """tests/lib/netns.sh: node namespaces <prefix>-n0/-n1 (lo, ctl0 10.77.0.N, fab0 10.77.1.N,
    lan0 10.77.(2+N).1, lan1) and a switch namespace <prefix>-sw with the far ends of the LAN
    ports (portN for lan0, port1N for lan1). The prefix is 8 characters, unique per run."""

    def __init__(self, tag):
        self.prefix = tag + uuid.uuid4().hex[:8 - len(tag)]
        self.ns = [f"{self.prefix}-n0", f"{self.prefix}-n1"]
        self.switch = f"{self.prefix}-sw"
        try:
            sh(f". {NETNS}; set -e; topology_up {self.prefix}")
        except Exception:
            self.close()
            raise

    def namespaces(self):
        return [*self.ns, self.switch]

    @staticmethod
    def port(n, lan=0):
        return f"port{n}" if lan == 0 else f"port1{n}"

    def link(self, n, name, up):
        run(["ip", "-n", self.ns[n], "link", "set", name, "up" if up else "down"])

    def cable(self, n, lan, up):
        """Pull or plug the switch side of node n's lanX: the node's port loses carrier."""
        run(["ip", "-n", self.switch, "link", "set", self.port(n, lan), "up" if up else "down"])

    def add_monitor_links(self, pairs, work):
        """`pairs` veth pairs m<i>a/m<i>b inside each node namespace (2*pairs interfaces, up)."""
        for ns in self.ns:
            batch = os.path.join(work, f"links-{ns}.batch")
            with open(batch, "w") as f:
                for i in range(pairs):
                    f.write(f"link add m{i}a type veth peer name m{i}b\n")
                for i in range(pairs):
                    f.write(f"link set m{i}a up\nlink set m{i}b up\n")
            sh(f"ip -n {ns} -batch {batch}", timeout=600)

    def add_lo_addresses(self, count, work):
        """10.77.9.1..count on lo in both node namespaces: IP-monitor targets that answer."""
        for ns in self.ns:
            batch = os.path.join(work, f"addr-{ns}.batch")
            with open(batch, "w") as f:
                for i in range(1, count + 1):
                    f.write(f"address add 10.77.9.{i}/32 dev lo\n")
            sh(f"ip -n {ns} -batch {batch}")

    def close(self):
        for ns in self.namespaces():
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)


# --------------------------------------------------------------------------------- configuration

def base_config(cluster_id, interval, threshold=3, settings=(), groups=((0, 200, 100),),
                header=None, key_file=None):
    """The lines every lab configuration starts with: cluster id, heartbeats, `settings` (the
    rest of a `set chassis cluster ...` line each), the node addresses of netns.sh and
    `groups` as (rg, priority of node 0, priority of node 1). `key_file`: a key's path
    (`authentication-key-file`), or AUTH_NONE for `authentication none`; ccagentd refuses a
    configuration with neither (give one, or an authentication line in `settings`)."""
    auth = ([] if key_file is None else
            ["authentication none"] if key_file == AUTH_NONE else
            [f"authentication-key-file {key_file}"])
    lines = [f"cluster-id {cluster_id}", f"heartbeat-interval {interval}",
              f"heartbeat-threshold {threshold}", *auth, *settings]
    for link, kind in (("ctl0", "control"), ("fab0", "fabric")):
        lines += [f"node {n} {kind}-address {ADDRESS[(link, n)]}" for n in (0, 1)]
    for rg, p0, p1 in groups:
        lines += [f"redundancy-group {rg} node 0 priority {p0}",
                  f"redundancy-group {rg} node 1 priority {p1}"]
    return (f"# {header}\n" if header else "") + "".join(f"set chassis cluster {l}\n" for l in lines)


def write_file(path, text, mode=None):
    """Replaces path atomically (a reloading agent never reads half a file)."""
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8", errors="surrogateescape") as f:
        f.write(text)
    if mode is not None:
        os.chmod(tmp, mode)
    os.replace(tmp, path)


def message_ids():
    """The journal catalog's MESSAGE_IDs by event name, from the code's single definition."""
    ids = {}
    for path in (os.path.join(ROOT, "Sources/Journal/EventKind.swift"),
                 os.path.join(ROOT, "Sources/Journal/EventCatalog.swift")):
        if not os.path.exists(path):
            continue
        with open(path) as f:
            for line in f:
                line = line.strip()
                if line.startswith("case .") and ': "' in line:
                    ids[line.split(".")[1].split(":")[0]] = line.split('"')[1]
    return ids


# --------------------------------------------------------------------------------- the agent

def generate_key(path, bin_dir=DEBUG_BIN, force=False):
    """A new heartbeat key at path (32 random bytes, root:root 0400) by `ccctl generate-key`."""
    run([os.path.join(bin_dir, "ccctl"), "generate-key", path] + (["--force"] if force else []))
    return path


def spawn_agent(lab, ns, node, config, control_socket, agentx_socket, log, bin_dir=DEBUG_BIN,
                log_target="stderr", env=None, new_session=False, state_directory=None, args=()):
    """One ccagentd in namespace ns, output appended to work/log. agentx_socket None: the
    configuration's `set snmp agentx socket` applies. Its lock and boot epoch live in the
    lab's state directory unless `state_directory` is given. `args`: more options."""
    agentx = ["--agentx-socket", agentx_socket] if agentx_socket else []
    return lab.spawn(["ip", "netns", "exec", ns, os.path.join(bin_dir, "ccagentd"),
                      "--config", config, "--node", str(node), "--control-socket", control_socket,
                      *agentx, "--log-target", log_target,
                      "--state-directory", state_directory or lab.state_directory(), *args],
                     log=log, env=env, new_session=new_session)


def ccctl(control_socket, *args, bin_dir=DEBUG_BIN, check=True, timeout=15):
    return subprocess.run([os.path.join(bin_dir, "ccctl"), *args, "--socket", control_socket],
                          capture_output=True, text=True, check=check, timeout=timeout)


def status(control_socket, bin_dir=DEBUG_BIN):
    """`ccctl show status --json` parsed, None if the agent does not answer."""
    r = ccctl(control_socket, "show", "status", "--json", bin_dir=bin_dir, check=False)
    if r.returncode != 0:
        return None
    try:
        return json.loads(r.stdout)
    except ValueError:
        return None


def rg_row(st, rg, node):
    """The row of `node` in redundancy group rg of a status, None if absent."""
    for group in (st or {}).get("redundancyGroups", []):
        if group["id"] == rg:
            return group["nodes"][node]
    return None


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


def rss_kb(pid, comm="ccagentd"):
    """VmRSS of pid in kB, None unless it is (already) `comm` (`ip netns exec` execs later)."""
    try:
        with open(f"/proc/{pid}/comm") as f:
            if comm and f.read().strip() != comm:
                return None
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


# --------------------------------------------------------------------------------- SNMP

class Snmp:
    """snmpd (AgentX master on work/agentx-<name>.sock unless `agentx` is given) and snmptrapd
    in namespace ns. Traps go to the file `traps` (snmptrapd -Lf), or with traps=None to a
    reader thread that timestamps each line the moment snmptrapd writes it (`first_trap`).
    `view`: the OID subtree the public community may read (None: everything). `names`: traps
    and `cmd` output carry CHASSIS-CLUSTER-MIB's names (mibs/), else numeric OIDs only."""

    def __init__(self, lab, ns, name, agentx=None, port=None, trap_port=None, view=MIB_ROOT,
                 traps="", env=None, pidfiles=False, log_snmpd=False, new_session=False,
                 extra_conf="", names=False):
        self.lab, self.ns, self.name = lab, ns, name
        self.mib_options = MIB_NAMES if names else ["-On", "-m", ""]
        self.socket = agentx or lab.path(f"agentx-{name}.sock")
        self.port = port or free_udp_port()
        self.trap_port = trap_port or free_udp_port()
        self.env, self.new_session = env, new_session
        self.pidfiles, self.log_snmpd = pidfiles, log_snmpd
        self.conf = lab.path(f"snmpd-{name}.conf")
        with open(self.conf, "w") as f:
            f.write(f"master agentx\nagentXSocket {self.socket}\nagentXPerms 0777 0777\n"
                    f"rocommunity public 127.0.0.1{' ' + view if view else ''}\n{extra_conf}"
                    f"trap2sink 127.0.0.1:{self.trap_port} public\n")
        tconf = lab.path(f"snmptrapd-{name}.conf")
        with open(tconf, "w") as f:
            f.write("authCommunity log public\n")
        argv = ["ip", "netns", "exec", ns, "snmptrapd", "-f"]
        self.traps = lab.path(f"traps-{name}.log") if traps == "" else traps
        self.received = []                 # (time_ns, line) with traps=None
        self.received_lock = threading.Lock()
        if self.traps:
            argv += ["-Lf", self.traps, "-C", "-c", tconf,
                     *(self.mib_options if names else ["-On"])]
        else:
            argv += ["-Le", "-C", "-c", tconf, *self.mib_options, "-F", "TRAP %v\n"]
        if pidfiles:
            argv += ["-p", lab.path(f"snmptrapd-{name}.pid")]
        argv.append(f"udp:127.0.0.1:{self.trap_port}")
        if self.traps:
            self.trapd = lab.spawn(argv, env=env, new_session=new_session,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        else:
            self.trapd = lab.spawn(argv, env=env, new_session=new_session,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            threading.Thread(target=self._read, daemon=True).start()
        self.snmpd = None
        self.start_snmpd()

    def _read(self):
        for raw in self.trapd.stderr:
            t = time.time_ns()
            line = raw.decode(errors="replace")
            if line.startswith("TRAP"):
                with self.received_lock:
                    self.received.append((t, line))

    def start_snmpd(self):
        argv = ["ip", "netns", "exec", self.ns, "snmpd", "-f", "-Lo", "-C", "-c", self.conf]
        if self.pidfiles:
            argv += ["-p", self.lab.path(f"snmpd-{self.name}.pid")]
        argv.append(f"udp:127.0.0.1:{self.port}")
        self.snmpd = self.lab.spawn(argv, log=f"snmpd-{self.name}.log" if self.log_snmpd else None,
                                    env=self.env, new_session=self.new_session)

    def kill_snmpd(self, sig=signal.SIGKILL, timeout=5):
        self.lab.stop(self.snmpd, sig, timeout)

    def trap_text(self):
        try:
            with open(self.traps, errors="replace") as f:
                return f.read()
        except (OSError, TypeError):
            return ""

    def first_trap(self, after_ns, pattern):
        with self.received_lock:
            hits = [t for t, line in self.received if t > after_ns and pattern in line]
        return min(hits) if hits else None

    def cmd(self, tool, *args, timeout=120, retries=1):
        """tool -v2c -c public against this snmpd, -On -m "" (no MIB loaded) unless `names`."""
        return subprocess.run(["ip", "netns", "exec", self.ns, tool, "-v2c", "-c", "public",
                               *self.mib_options, "-t", "2", "-r", str(retries), f"127.0.0.1:{self.port}",
                               *args], capture_output=True, text=True, timeout=timeout)

    def walk(self, tool="snmpwalk", oid=MIB_ROOT):
        """{oid: (type, value)} of a walk, and the tool's raw output."""
        out = self.cmd(tool, oid, timeout=60, retries=5)
        rows = {}
        for line in out.stdout.splitlines():
            m = re.match(r"^(\.[0-9.]+) = (?:([A-Za-z0-9-]+): )?(.*)$", line)
            if m and "No more variables left" not in line:
                rows[m.group(1)] = (m.group(2), m.group(3))
        return rows, out.stdout + out.stderr

    def count(self, tool, oid):
        out = self.cmd(tool, oid).stdout
        return sum(1 for line in out.splitlines() if line.startswith(".") and " = " in line)

    def close(self):
        for proc in (self.snmpd, self.trapd):
            self.lab.stop(proc)


# --------------------------------------------------------------------------------- journald

def journald_answers(path=JOURNAL_SOCKET):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        s.connect(path)
        return True
    except OSError:
        return False
    finally:
        s.close()


class Journald:
    """The host's journald if its socket answers, else a systemd-journald started here (and
    stopped by close()). Only one started here may be killed and restarted (`restartable`)."""

    def __init__(self):
        self.proc = None
        self.started_by_us = False
        self.down = []                     # [start, end] of each outage caused here

    def ensure(self):
        if journald_answers():
            return self
        if not os.path.exists(JOURNALD):
            raise RuntimeError(f"{JOURNALD} missing and no journald answers")
        self.started_by_us = True
        self.start()
        return self

    @property
    def restartable(self):
        return self.started_by_us

    def start(self):
        self.proc = subprocess.Popen([JOURNALD], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        if not wait_until(journald_answers, 5, poll=0.025):
            raise RuntimeError("journald did not answer")
        if self.down and self.down[-1][1] is None:
            self.down[-1][1] = time.time()

    def kill(self, sig):
        stop(self.proc, sig, timeout=5)
        self.down.append([time.time(), None])

    def close(self):
        if self.started_by_us:
            stop(self.proc, signal.SIGTERM, timeout=10)


def journal_entries(*matches, timeout=60):
    """journalctl -o json records for the matches (FIELD=value; two on one field are OR-ed)."""
    out = subprocess.run(["journalctl", "-o", "json", "--no-pager", *matches],
                         capture_output=True, text=True, timeout=timeout).stdout
    records = []
    for line in out.splitlines():
        try:
            records.append(json.loads(line))
        except ValueError:
            continue
    return records


# --------------------------------------------------------------------------------- datagrams

class Datagram:
    def __init__(self, payload, ip_length):
        self.payload, self.ip_length = payload, ip_length


def capture_datagram(ns, iface, port, timeout=5.0, src=None):
    """The UDP payload of the next frame to `port` on iface in namespace ns (from address src if
    given), as a Datagram; None if none came within timeout seconds."""
    argv = ["ip", "netns", "exec", ns, sys.executable, os.path.abspath(__file__), "capture",
            iface, str(port), str(timeout)] + ([src] if src else [])
    r = run(argv, check=False, timeout=timeout + 10)
    if r.returncode != 0 or not r.stdout.strip():
        return None
    ip_length, _, payload = r.stdout.strip().partition(" ")
    return Datagram(bytes.fromhex(payload), int(ip_length))


def capture_heartbeat(ns, src=ADDRESS[("ctl0", 1)], timeout=5.0):
    """One genuine heartbeat from node1 to node0's control port, sniffed on node0's ctl0 (ns)."""
    got = capture_datagram(ns, "ctl0", CTL_PORT, timeout, src)
    if got is None:
        raise RuntimeError(f"no heartbeat from {src} on ctl0 in {ns} within {timeout} s")
    return got


def send_datagrams(ns, src, dst, port, payloads):
    """Sends each payload (bytes) from address src to dst:port inside namespace ns."""
    run(["ip", "netns", "exec", ns, sys.executable, os.path.abspath(__file__), "send", src, dst,
         str(port), ",".join(p.hex() for p in payloads)], check=False, timeout=10)


def _capture(iface, port, timeout, src=None):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
    s.bind((iface, 0))
    want_src = socket.inet_aton(src) if src else None
    deadline = time.time() + timeout
    while time.time() < deadline:
        s.settimeout(max(0.01, deadline - time.time()))
        try:
            frame = s.recv(65535)
        except socket.timeout:
            break
        ip = frame[14:]
        if len(ip) < 20 or ip[9] != 17 or (want_src and ip[12:16] != want_src):
            continue
        ihl = (ip[0] & 15) * 4
        udp = ip[ihl:]
        if len(udp) >= 8 and struct.unpack("!H", udp[2:4])[0] == port:
            sys.stdout.write(f"{struct.unpack('!H', ip[2:4])[0]} {udp[8:].hex()}")
            return 0
    return 2


def _send(src, dst, port, payloads):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, 0))
    for hexdata in payloads:
        try:
            s.sendto(bytes.fromhex(hexdata), (dst, port))
        except OSError:
            pass  # link down: the datagram is simply lost
    return 0


# --------------------------------------------------------------------------------- LANs, hosts, conntrackd

def add_lan_port(topo, name, index):
    """One more LAN port per node: `name` (up) in each node namespace, its far end
    port<index><N> (up) in the switch namespace, like lan1/port1N of netns.sh."""
    for n in (0, 1):
        a, b = f"{topo.prefix[:8]}x{index}{n}", f"{topo.prefix[:8]}y{index}{n}"
        sh(f"ip link add {a} type veth peer name {b} && "
           f"ip link set {a} netns {topo.ns[n]} name {name} && "
           f"ip link set {b} netns {topo.switch} name port{index}{n} && "
           f"ip -n {topo.ns[n]} link set {name} up && ip -n {topo.switch} link set port{index}{n} up")


def add_switch_bridge(topo, bridge, ports):
    """A bridge in the switch namespace with these ports enslaved (a LAN segment)."""
    sh(f"ip -n {topo.switch} link add {bridge} type bridge && ip -n {topo.switch} link set {bridge} up")
    for port in ports:
        sh(f"ip -n {topo.switch} link set {port} master {bridge}")


def add_host(lab, topo, name, bridge, address, gateway=None):
    """A host namespace <prefix>-<name> whose eth0 (address A/P) is a port of `bridge` in the
    switch namespace, with a default route via `gateway`. Removed with the lab."""
    ns = f"{topo.prefix}-{name}"
    a, b = f"{topo.prefix[:8]}h{name[:2]}", f"{topo.prefix[:8]}p{name[:2]}"
    sh(f"ip netns add {ns}")
    lab.namespaces.append(ns)
    sh(f"ip link add {a} type veth peer name {b} && ip link set {a} netns {ns} name eth0 && "
       f"ip link set {b} netns {topo.switch} name port{name[:6]} && "
       f"ip -n {topo.switch} link set port{name[:6]} master {bridge} && "
       f"ip -n {topo.switch} link set port{name[:6]} up && "
       f"ip -n {ns} link set lo up && ip -n {ns} link set eth0 up && "
       f"ip -n {ns} addr add {address} dev eth0")
    if gateway:
        sh(f"ip -n {ns} route add default via {gateway}")
    return ns


def conntrackd_config(path, work, n, local, peer, interface, ignore=(), external_cache=True):
    """A conntrackd file for node n: FTFW over UDP from `local` to `peer` on `interface`, its
    own lock, log and UNIX socket in `work`, TCP only, `ignore` addresses not synced;
    `external_cache=False`: DisableExternalCache On (the peer's sessions go into the kernel)."""
    ignored = "".join(f"\t\t\tIPv4_address {a}\n" for a in ("127.0.0.1", *ignore))
    text = f"""Sync {{
	Mode FTFW {{
		DisableExternalCache {"Off" if external_cache else "On"}
		PurgeTimeout 5
	}}
	UDP {{
		IPv4_address {local}
		IPv4_Destination_Address {peer}
		Port 3780
		Interface {interface}
		Checksum on
	}}
}}
General {{
	HashSize 8192
	HashLimit 65535
	LogFile {work}/conntrackd{n}.log
	Syslog off
	LockFile {work}/conntrackd{n}.lock
	UNIX {{
		Path {work}/conntrackd{n}.ctl
	}}
	NetlinkBufferSize 2097152
	NetlinkBufferSizeMaxGrowth 8388608
	Filter From Userspace {{
		Protocol Accept {{
			TCP
		}}
		Address Ignore {{
{ignored}		}}
	}}
}}
"""
    write_file(path, text)
    return path


def spawn_conntrackd(lab, ns, config, log):
    """conntrackd in the foreground in namespace ns (the lab stops it); waits until it answers."""
    proc = lab.spawn(["ip", "netns", "exec", ns, "conntrackd", "-C", config], log=log)
    if not wait_until(lambda: subprocess.run(
            ["ip", "netns", "exec", ns, "conntrackd", "-C", config, "-s"],
            capture_output=True).returncode == 0, 15, poll=0.2):
        raise AssertionError(f"conntrackd in {ns} does not answer\n" + tail(lab.path(log)))
    return proc


# --------------------------------------------------------------------------------- Cluster

class Cluster:
    """Two agents on a Topology with one configuration file (the integration tests' lab);
    `close()` always removes every namespace and process it made."""

    BASE_GROUPS = ((0, 200, 100), (1, 150, 100))

    def __init__(self, extra="", interval=200, key=True, start=True, log_target="stderr",
                 bin_dir=DEBUG_BIN):
        """`key`: True (default) authenticates with a key made by `ccctl generate-key`
        (`self.key_file`); a string is the key's text, written root 0600; None or AUTH_NONE
        runs with `set chassis cluster authentication none`."""
        self.log_target = log_target
        self.bin_dir = bin_dir
        self.lab = Lab("ccagent-it.")
        self.work = self.lab.work
        self.interval = interval
        self.procs = [None, None]
        self.logs = [self.lab.path(f"node{n}.log") for n in (0, 1)]
        self.sampler = None
        self.violations = []
        try:
            self.topo = self.lab.topology("cct")
        except Exception:
            self.lab.close()
            raise
        self.prefix, self.ns, self.switch = self.topo.prefix, self.topo.ns, self.topo.switch
        self.key_file = None
        try:
            if key is True:
                self.key_file = self.lab.key(bin_dir=bin_dir)
            elif key and key != AUTH_NONE:
                self.key_file = self.lab.path("key")
                write_file(self.key_file, key + "\n", mode=0o600)
        except Exception:
            self.lab.close()
            raise
        config = base_config(5, interval, groups=self.BASE_GROUPS,
                             key_file=self.key_file or AUTH_NONE) + extra
        self.config_path = self.lab.path("ccagent.conf")
        self.write_config(config)
        if start:
            for n in (0, 1):
                self.start(n)

    def write_config(self, text):
        with open(self.config_path, "w") as f:
            f.write(text)

    def socket(self, n):
        return self.lab.path(f"node{n}.sock")

    def agentx(self, n):
        return self.lab.path(f"agentx{n}.sock")

    def start(self, n):
        self.procs[n] = spawn_agent(self.lab, self.ns[n], n, self.config_path, self.socket(n),
                                    self.agentx(n), f"node{n}.log", self.bin_dir, self.log_target)

    def snmp(self, n):
        """snmpd and snmptrapd in node n's namespace, AgentX master on the socket node n uses;
        start it before the agent (or the agent connects within a second)."""
        return Snmp(self.lab, self.ns[n], f"node{n}", agentx=self.agentx(n))

    def kill(self, n, sig=signal.SIGKILL):
        self.lab.stop(self.procs[n], sig)
        self.procs[n] = None

    def ccctl(self, n, *args, check=True):
        return ccctl(self.socket(n), *args, bin_dir=self.bin_dir, check=check)

    def status(self, n):
        return status(self.socket(n), self.bin_dir)

    def state(self, n, rg, of=None):
        row = rg_row(self.status(n), rg, n if of is None else of)
        return row["status"] if row else None

    def row(self, n, rg, of):
        return rg_row(self.status(n), rg, of)

    def wait(self, predicate, timeout=15, what="condition"):
        def attempt():
            try:
                return predicate()
            except (KeyError, TypeError, IndexError):
                return False
        if not wait_until(attempt, timeout):
            raise AssertionError(f"timed out after {timeout}s waiting for {what}\n" + self.tail())

    def wait_state(self, n, rg, state, timeout=15):
        self.wait(lambda: self.state(n, rg) == state, timeout, f"node{n} rg{rg} {state}")

    def link(self, n, name, up):
        self.topo.link(n, name, up)

    def cable(self, n, lan, up):
        """Pull or plug the switch side of node n's lanX: the node's port loses carrier."""
        self.topo.cable(n, lan, up)

    # The invariant: while a link between the nodes is up, no RG is primary on both.
    def start_sampler(self, links_up):
        halt = threading.Event()

        def primaries(st, n):
            return {g["id"] for g in st["redundancyGroups"] if g["nodes"][n]["status"] == "primary"}

        def sample():
            # Two reads are not one instant: node0, node1, node0 again. An RG node0 held at
            # both ends of the sandwich it held while node1 was read; one it gave up before
            # node1 took it (read first, a failover since) is no overlap.
            while not halt.is_set():
                a, b, a2 = self.status(0), self.status(1), self.status(0)
                if a and b and a2 and links_up():
                    both = primaries(a, 0) & primaries(b, 1) & primaries(a2, 0)
                    if both:
                        self.violations.append((time.time(), sorted(both)))
                time.sleep(0.1)

        thread = threading.Thread(target=sample, daemon=True)
        thread.start()
        self.sampler = (halt, thread)

    def stop_sampler(self):
        if self.sampler:
            self.sampler[0].set()
            self.sampler[1].join()
            self.sampler = None

    def tail(self):
        return "".join(f"--- node{n} log (tail)\n" + tail(self.logs[n]) for n in (0, 1)
                       if os.path.exists(self.logs[n]))

    def close(self):
        self.stop_sampler()
        for n in (0, 1):
            self.kill(n, signal.SIGTERM)
        self.lab.close()


if __name__ == "__main__":
    if sys.argv[1] == "capture":
        sys.exit(_capture(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]),
                          sys.argv[5] if len(sys.argv) > 5 else None))
    sys.exit(_send(sys.argv[2], sys.argv[3], int(sys.argv[4]),
                   sys.argv[5].split(",") if len(sys.argv) > 5 else []))
