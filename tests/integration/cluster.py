"""Test harness: two real ccagentd processes in network namespaces (tests/lib/netns.sh)."""
import json
import os
import signal
import subprocess
import tempfile
import threading
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.join(ROOT, ".build", "debug")
NETNS = os.path.join(ROOT, "tests", "lib", "netns.sh")

BASE_CONFIG = """
set chassis cluster cluster-id 5
set chassis cluster heartbeat-interval {interval}
set chassis cluster heartbeat-threshold 3
set chassis cluster node 0 control-address 10.77.0.1
set chassis cluster node 1 control-address 10.77.0.2
set chassis cluster node 0 fabric-address 10.77.1.1
set chassis cluster node 1 fabric-address 10.77.1.2
set chassis cluster redundancy-group 0 node 0 priority 200
set chassis cluster redundancy-group 0 node 1 priority 100
set chassis cluster redundancy-group 1 node 0 priority 150
set chassis cluster redundancy-group 1 node 1 priority 100
"""


def sh(script, check=True):
    return subprocess.run(["bash", "-c", script], check=check, capture_output=True, text=True)


class Cluster:
    """Namespaces, config, agents; `close()` always removes every namespace it made."""

    def __init__(self, extra="", interval=200, key=None, start=True, log_target="stderr"):
        self.log_target = log_target
        self.prefix = "cct" + uuid.uuid4().hex[:5]
        self.work = tempfile.mkdtemp(prefix="ccagent-it.")
        self.interval = interval
        self.ns = [f"{self.prefix}-n0", f"{self.prefix}-n1"]
        self.switch = f"{self.prefix}-sw"
        self.procs = [None, None]
        self.logs = [os.path.join(self.work, f"node{n}.log") for n in (0, 1)]
        sh(f". {NETNS}; topology_up {self.prefix}")
        config = BASE_CONFIG.format(interval=interval) + extra
        if key:
            keyfile = os.path.join(self.work, "key")
            with open(keyfile, "w") as f:
                f.write(key + "\n")
            config += f"set chassis cluster authentication-key-file {keyfile}\n"
        self.config_path = os.path.join(self.work, "ccagent.conf")
        self.write_config(config)
        self.sampler = None
        self.violations = []
        if start:
            for n in (0, 1):
                self.start(n)

    def write_config(self, text):
        with open(self.config_path, "w") as f:
            f.write(text)

    def socket(self, n):
        return os.path.join(self.work, f"node{n}.sock")

    def start(self, n):
        log = open(self.logs[n], "a")
        self.procs[n] = subprocess.Popen(
            ["ip", "netns", "exec", self.ns[n], os.path.join(BIN, "ccagentd"),
             "--config", self.config_path, "--node", str(n),
             "--control-socket", self.socket(n), "--log-target", self.log_target,
             "--agentx-socket", os.path.join(self.work, f"agentx{n}.sock")],
            stdout=log, stderr=subprocess.STDOUT)

    def kill(self, n, sig=signal.SIGKILL):
        proc = self.procs[n]
        if proc and proc.poll() is None:
            proc.send_signal(sig)
            proc.wait(timeout=10)
        self.procs[n] = None

    def ccctl(self, n, *args, check=True):
        return subprocess.run([os.path.join(BIN, "ccctl"), *args, "--socket", self.socket(n)],
                              capture_output=True, text=True, check=check, timeout=15)

    def status(self, n):
        result = self.ccctl(n, "show", "status", "--json", check=False)
        if result.returncode != 0:
            return None
        return json.loads(result.stdout)

    def state(self, n, rg, of=None):
        status = self.status(n)
        if status is None:
            return None
        for group in status["redundancyGroups"]:
            if group["id"] == rg:
                return group["nodes"][n if of is None else of]["status"]
        return None

    def row(self, n, rg, of):
        status = self.status(n)
        for group in (status or {}).get("redundancyGroups", []):
            if group["id"] == rg:
                return group["nodes"][of]
        return None

    def wait(self, predicate, timeout=15, what="condition"):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                if predicate():
                    return
            except (KeyError, TypeError, IndexError):
                pass
            time.sleep(0.05)
        raise AssertionError(f"timed out after {timeout}s waiting for {what}\n" + self.tail())

    def wait_state(self, n, rg, state, timeout=15):
        self.wait(lambda: self.state(n, rg) == state, timeout, f"node{n} rg{rg} {state}")

    def link(self, n, name, up):
        sh(f"ip -n {self.ns[n]} link set {name} {'up' if up else 'down'}")

    def cable(self, n, lan, up):
        """Pull or plug the switch side of node n's lanX: the node's port loses carrier."""
        port = f"port{n}" if lan == 0 else f"port1{n}"
        sh(f"ip -n {self.switch} link set {port} {'up' if up else 'down'}")

    # The invariant: while a link between the nodes is up, no RG is primary on both.
    def start_sampler(self, links_up):
        stop = threading.Event()

        def sample():
            while not stop.is_set():
                a, b = self.status(0), self.status(1)
                if a and b and links_up():
                    pa = {g["id"] for g in a["redundancyGroups"] if g["nodes"][0]["status"] == "primary"}
                    pb = {g["id"] for g in b["redundancyGroups"] if g["nodes"][1]["status"] == "primary"}
                    both = pa & pb
                    if both:
                        self.violations.append((time.time(), sorted(both)))
                time.sleep(0.1)

        thread = threading.Thread(target=sample, daemon=True)
        thread.start()
        self.sampler = (stop, thread)

    def stop_sampler(self):
        if self.sampler:
            self.sampler[0].set()
            self.sampler[1].join()
            self.sampler = None

    def tail(self):
        out = ""
        for n in (0, 1):
            try:
                with open(self.logs[n]) as f:
                    out += f"--- node{n} log (tail)\n" + "".join(f.readlines()[-25:])
            except OSError:
                pass
        return out

    def close(self):
        self.stop_sampler()
        for n in (0, 1):
            try:
                self.kill(n, signal.SIGTERM)
            except Exception:
                self.kill(n)
        sh(f"for ns in {self.ns[0]} {self.ns[1]} {self.switch}; do ip netns del $ns 2>/dev/null; done; true",
           check=False)
        subprocess.run(["rm", "-rf", self.work])
