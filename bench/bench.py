#!/usr/bin/env python3
"""`make bench`: ccagent measured against keepalived and net-snmp on one machine.

Driven by scripts/bench.sh (which installs the packages, builds ccagent in release and compiles
bench/src/cchelper.c) with:  bench.py --bin DIR --helper DIR --out FILE.md [--smoke]

Everything runs in network namespaces built with tests/lib/netns.sh (unique prefixes); every
process, namespace and temporary file is removed on exit, including on errors and signals.
Only the namespaces' own addresses (10.77.x.x, 10.78.x.x, 127.0.0.1) are ever targeted.
"""
import argparse
import atexit
import datetime
import json
import os
import platform
import shlex
import signal
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
sys.path.insert(0, HERE)

import cclab  # noqa: E402
from cclab import MIB_ROOT as CC_OID  # noqa: E402
import dataplane  # noqa: E402
import sessions  # noqa: E402
import firewallpair  # noqa: E402

KA_OID = ".1.3.6.1.4.1.9586.100.5"
IFTABLE_OID = ".1.3.6.1.2.1.2.2"


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


class Bench:
    """What one run shares, passed to every phase: its arguments, its lab (work directory, and
    every process and namespace made, removed by close()) and its results."""

    def __init__(self, args):
        self.args = args
        self.lab = cclab.Lab("ccbench.", keep=os.environ.get("BENCH_KEEP") == "1")
        os.chmod(self.lab.work, 0o755)
        self.results = {}
        self.cleanups = []  # run by close() before the lab goes

    def path(self, name):
        return self.lab.path(name)

    def binary(self, name):
        return os.path.join(self.args.bin, name)

    def helper(self, name):
        return os.path.join(self.args.helper, name)

    def spawn(self, argv, logname, env=None):
        return self.lab.spawn(argv, log=logname, env=env, new_session=True)

    def stop(self, p, sig=signal.SIGTERM, timeout=10):
        self.lab.stop(p, sig, timeout)

    def topology(self, tag):
        return self.lab.topology(tag)

    def error(self, text):
        self.results.setdefault("errors", []).append(text)

    def linkdown(self, ns, ifname):
        """Downs ifname in ns (cchelper); the fault's CLOCK_REALTIME timestamp in ns."""
        out = subprocess.run([self.helper("cchelper"), "linkdown", ns, ifname],
                             capture_output=True, text=True, check=True)
        return int(out.stdout.strip())

    def helper_ns(self, *argv):
        """cchelper ARGV...; the timestamp it prints, in ns."""
        out = subprocess.run([self.helper("cchelper"), *map(str, argv)], capture_output=True, text=True,
                             check=True)
        return int(out.stdout.strip())

    def kill(self, pid, stop_pid=None):
        """SIGKILL to pid (and stop_pid) by cchelper; the fault's timestamp in ns."""
        argv = [self.helper("cchelper"), "kill", str(pid)]
        if stop_pid:
            argv.append(str(stop_pid))
        out = subprocess.run(argv, capture_output=True, text=True, check=True)
        return int(out.stdout.strip())

    def close(self):
        for fn in reversed(self.cleanups):  # last made, first undone (nf_log_all_netns)
            try:
                fn()
            except Exception:
                pass
        self.cleanups = []
        self.lab.close()


# ---------------------------------------------------------------------------------- statistics

def pct(values, p):
    """Nearest-rank percentile."""
    v = sorted(values)
    if not v:
        return float("nan")
    k = max(1, int(-(-p * len(v) // 100)))
    return v[min(k, len(v)) - 1]


def med(values):
    return statistics.median(values) if values else float("nan")


def fmt(x, digits=1):
    if x is None or (isinstance(x, float) and x != x):
        return "n/a"
    return f"{x:.{digits}f}"


# ---------------------------------------------------------------------------------- stamps

def read_stamps(path):
    rows = []
    try:
        with open(path) as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 2 and parts[0].isdigit():
                    rows.append((int(parts[0]), parts[1:]))
    except OSError:
        pass
    return rows


def wait_stamp(path, after_ns, match, timeout):
    """First stamp later than after_ns whose arguments satisfy match(args): its time in ns."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        hits = [t for t, a in read_stamps(path) if t > after_ns and match(a)]
        if hits:
            return min(hits)
        time.sleep(0.005)
    return None


# ---------------------------------------------------------------------------------- SNMP

def bench_snmp(ctx, ns, name):
    """snmpd (AgentX master, private socket) on 161 and snmptrapd on 162 in one namespace, no MIB
    loaded, the whole tree readable; every trap line is timestamped by a reader thread the
    moment snmptrapd writes it (stderr is unbuffered): `first_trap`."""
    return cclab.Snmp(ctx.lab, ns, name, port=161, trap_port=162, view=None, traps=None,
                      env=dict(os.environ, MIBS=""), pidfiles=True, log_snmpd=True,
                      new_session=True, extra_conf="dontLogTCPWrappersConnects yes\n")


def hyperfine(ctx, ns, argv, runs, name, warmup=1):
    """Times argv run inside ns (hyperfine itself runs there, so `ip netns exec` costs nothing);
    returns the list of wall times in seconds."""
    out = ctx.path(f"hf-{name}.json")
    cmd = " ".join(shlex.quote(a) for a in argv)
    subprocess.run(["ip", "netns", "exec", ns, "hyperfine", "-N", "--style", "none", "--warmup", str(warmup),
                    "--runs", str(runs), "--export-json", out, cmd],
                   capture_output=True, text=True, check=True, timeout=3600)
    with open(out) as f:
        return json.load(f)["results"][0]["times"]


# ---------------------------------------------------------------------------------- ccagent

def cc_base(ctx, interval):
    """Authenticated, as every real pair is (ccagentd refuses to run without a key unless told)."""
    return cclab.base_config(9, interval, settings=[f"notify-script {ctx.helper('ccstamp')}"],
                             key_file=ctx.lab.key(bin_dir=ctx.args.bin))


def cc_small_config(ctx, interval):
    return cc_base(ctx, interval) + (
        "set chassis cluster redundancy-group 1 node 0 priority 150\n"
        "set chassis cluster redundancy-group 1 node 1 priority 100\n"
        "set chassis cluster redundancy-group 1 hold-down-interval 0\n"
        "set chassis cluster redundancy-group 1 interface-monitor lan0 weight 255\n")


def cc_dataplane_config(ctx, interval):
    """RG1 with reth0 on lan1 (the LAN bridge's member) holding 192.0.2.1/24, lan1 monitored."""
    return cc_base(ctx, interval) + (
        "set chassis cluster redundancy-group 1 node 0 priority 150\n"
        "set chassis cluster redundancy-group 1 node 1 priority 100\n"
        "set chassis cluster redundancy-group 1 hold-down-interval 0\n"
        "set chassis cluster redundancy-group 1 interface-monitor lan1 weight 255\n"
        "set chassis cluster reth-count 1\n"
        "set interfaces reth0 redundant-ether-options redundancy-group 1\n"
        "set interfaces lan1 gigether-options redundant-parent reth0\n"
        f"set interfaces reth0 unit 0 family inet address {dataplane.LAN_ADDRESS}/24\n")


LARGE_RETH_ADDRESS = "192.0.2.77"


def cc_large_config(ctx, interval):
    """RG0 + 128 data RGs, 256 interface monitors (2 per RG, veths that exist), 32 IP monitors
    (addresses on the namespaces' lo), HMAC key: 129 groups in every heartbeat. The data plane
    and session sync run too: reth0 (RG1) on lan1, conntrackd driven through its socket."""
    text = cc_base(ctx, interval) + (
        "set chassis cluster reth-count 1\n"
        "set interfaces reth0 redundant-ether-options redundancy-group 1\n"
        "set interfaces lan1 gigether-options redundant-parent reth0\n"
        f"set interfaces reth0 unit 0 family inet address {LARGE_RETH_ADDRESS}/24\n"
        f"set chassis cluster session-sync conntrackd config {sessions.CONNTRACKD_CONF}\n")
    for g in range(1, 129):
        p = f"set chassis cluster redundancy-group {g}"
        text += (f"{p} node 0 priority {150 if g % 2 else 100}\n{p} node 1 priority {100 if g % 2 else 150}\n"
                 f"{p} interface-monitor m{g - 1}a weight 128\n{p} interface-monitor m{g - 1}b weight 128\n")
        if g <= 32:
            text += (f"{p} ip-monitoring global-weight 255\n"
                     f"{p} ip-monitoring family inet 10.77.9.{g} weight 255\n")
    return text


class CcPair:
    def __init__(self, ctx, topo, config_text, name, snmp=(None, None)):
        self.ctx, self.topo, self.name, self.snmp = ctx, topo, name, snmp
        self.config = ctx.path(f"cc-{name}.conf")
        with open(self.config, "w") as f:
            f.write(config_text)
        self.stamps = [ctx.path(f"cc-{name}-node{n}.stamps") for n in (0, 1)]
        self.procs = [None, None]

    def sock(self, n):
        return self.ctx.path(f"cc-{self.name}-{n}.sock")

    def start(self, n):
        agentx = self.snmp[n].socket if self.snmp[n] else self.ctx.path(f"noagentx-{self.name}-{n}.sock")
        env = dict(os.environ, CCBENCH_STAMP_FILE=self.stamps[n])
        self.procs[n] = cclab.spawn_agent(self.ctx.lab, self.topo.ns[n], n, self.config, self.sock(n), agentx,
                                          f"cc-{self.name}-node{n}.log", self.ctx.args.bin, env=env,
                                          new_session=True,
                                          state_directory=self.ctx.path(f"state-{self.name}"))

    def start_both(self):
        for n in (0, 1):
            self.start(n)

    def state(self, n, rg):
        row = cclab.rg_row(cclab.status(self.sock(n), self.ctx.args.bin), rg, n)
        return row["status"] if row else None

    def wait_states(self, want, timeout=30):
        """want: {(node, rg): state}"""
        deadline = time.time() + timeout
        while time.time() < deadline:
            if all(self.state(n, rg) in (s if isinstance(s, tuple) else (s,))
                   for (n, rg), s in want.items()):
                return True
            for n in (0, 1):
                if self.procs[n] is not None and self.procs[n].poll() is not None:
                    tail = open(self.ctx.path(f"cc-{self.name}-node{n}.log")).read()[-600:]
                    raise RuntimeError(f"ccagentd node{n} exited: {tail}")
            time.sleep(0.05)
        raise RuntimeError(f"ccagent {self.name}: timed out waiting for {want}; "
                           f"now {[(k, self.state(*k)) for k in want]}")

    def stop_all(self):
        for n in (0, 1):
            self.ctx.stop(self.procs[n])
            self.procs[n] = None


# ---------------------------------------------------------------------------------- keepalived

def ka_vip(i):
    return f"10.78.{i // 250}.{i % 250 + 1}/32 dev lan0"


def ka_config(n, advert, instances, stamp, stamp_file, track, snmp_socket=None, vip=ka_vip, hook=None):
    """VRRPv3 over unicast on ctl0 (10.77.0.N), VIPs on lan0 (or `vip(i)`), track_interface;
    equivalent to the ccagent configuration (priorities 150/100, no preempt, a monitored link with
    full weight)."""
    me, peer = f"10.77.0.{n + 1}", f"10.77.0.{2 - n}"
    text = ("global_defs {\n  router_id ccbench_n%d\n  vrrp_version 3\n  script_user root\n"
            "  vrrp_garp_master_delay 0\n  vrrp_garp_master_repeat 1\n"
            # As ccagentd runs (SCHED_RR 10, its default): the same footing under load.
            # keepalived then sets RLIMIT_RTTIME, 10 ms of CPU between blocking calls by
            # default, and its start with 128 instances takes more: the kernel killed it (both
            # nodes BACKUP), hence 1 s. Even so the large configuration (128 instances, 12 800
            # adverts/s at 10 ms) at RT 10 ended MASTER/MASTER at 10 ms (once, 2026-12-04): it
            # stays at the normal scheduler, as before (that phase measures footprint).
            + ("  vrrp_rt_priority 10\n  vrrp_rlimit_rttime 1000000\n" if instances <= 8 else "")
            ) % n
    if snmp_socket:
        text += f"  enable_snmp_vrrp\n  enable_traps\n"
    text += "}\n"
    def notify(i):
        if hook:
            return "\n".join(f'  notify_{s.lower()} "{hook} {s}"' for s in ("MASTER", "BACKUP", "FAULT"))
        return "\n".join(f'  notify_{s.lower()} "{stamp} stamp {stamp_file} {i} {s}"'
                         for s in ("MASTER", "BACKUP", "FAULT"))

    for i in range(1, instances + 1):
        prio = (150 if n == 0 else 100) if i % 2 or instances == 1 else (100 if n == 0 else 150)
        tracks = "\n".join(f"    {t}" for t in track(i))
        text += f"""vrrp_instance RG{i} {{
  state BACKUP
  nopreempt
  interface ctl0
  virtual_router_id {i}
  priority {prio}
  advert_int {advert}
  unicast_src_ip {me}
  unicast_peer {{
    {peer}
  }}
  virtual_ipaddress {{
    {vip(i)}
  }}
  track_interface {{
{tracks}
  }}
{notify(i)}
}}
"""
    return text


class KaPair:
    def __init__(self, ctx, topo, name, advert, instances=1, track=lambda i: ["lan0"], snmp_socket=None,
                 vip=ka_vip, hook=None):
        self.ctx, self.topo, self.name, self.snmp_socket = ctx, topo, name, snmp_socket
        self.stamps = [ctx.path(f"ka-{name}-node{n}.stamps") for n in (0, 1)]
        self.configs = []
        for n in (0, 1):
            path = ctx.path(f"ka-{name}-node{n}.conf")
            with open(path, "w") as f:
                f.write(ka_config(n, advert, instances, ctx.helper("cchelper"), self.stamps[n], track,
                                  snmp_socket, vip, hook(n, self.stamps[n]) if hook else None))
            self.configs.append(path)
        self.procs = [None, None]

    def pidfile(self, n, kind):
        return self.ctx.path(f"ka-{self.name}-{n}-{kind}.pid")

    def start(self, n):
        for kind in ("main", "vrrp", "check", "bfd"):
            try:
                os.unlink(self.pidfile(n, kind))
            except OSError:
                pass
        argv = ["ip", "netns", "exec", self.topo.ns[n], "keepalived", "-n", "-l", "-D", "-G", "-P",
                "-f", self.configs[n], "-p", self.pidfile(n, "main"), "-r", self.pidfile(n, "vrrp"),
                "-c", self.pidfile(n, "check"), "-b", self.pidfile(n, "bfd")]
        if self.snmp_socket and n == 0:  # one registration of KEEPALIVED-MIB (node0's)
            argv += ["-x", "-A", self.snmp_socket]
        self.procs[n] = self.ctx.spawn(argv, f"ka-{self.name}-node{n}.log")

    def start_both(self):
        for n in (0, 1):
            self.start(n)

    def vrrp_pid(self, n, timeout=10):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                pid = int(open(self.pidfile(n, "vrrp")).read().strip())
                os.kill(pid, 0)
                return pid
            except (OSError, ValueError):
                time.sleep(0.02)
        raise RuntimeError(f"keepalived {self.name} node{n}: no VRRP child")

    def last_state(self, n, inst=1):
        rows = [a for t, a in read_stamps(self.stamps[n]) if a and a[0] == str(inst)]
        return rows[-1][1] if rows else None

    def wait_states(self, want, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if all(self.last_state(n) == s for n, s in want.items()):
                return True
            time.sleep(0.02)
        raise RuntimeError(f"keepalived {self.name}: timed out waiting for {want}; "
                           f"now {[self.last_state(n) for n in (0, 1)]}")

    def wait_settled(self, timeout=30):
        """Instance 1 MASTER on one node and BACKUP on the other, whichever way round."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            if sorted(str(self.last_state(n)) for n in (0, 1)) == ["BACKUP", "MASTER"]:
                return True
            time.sleep(0.05)
        raise RuntimeError(f"keepalived {self.name}: not settled: {[self.last_state(n) for n in (0, 1)]}")

    def stop_all(self):
        for n in (0, 1):
            self.ctx.stop(self.procs[n])
            self.procs[n] = None


def proc_pids(root_pid):
    """root_pid and its descendants."""
    pids, todo = [], [root_pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        try:
            for t in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{t}/children") as f:
                    todo.extend(int(c) for c in f.read().split())
        except OSError:
            pass
    return pids


def rss_parts_kb(pid):
    """(VmRSS, RssAnon, RssFile) in kB: anonymous pages are the process's own (heap, stacks,
    relocated data); file pages are code and read-only data of the binary and its libraries,
    shared with the page cache."""
    parts = {"VmRSS:": 0, "RssAnon:": 0, "RssFile:": 0}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                key = line.split(":")[0] + ":"
                if key in parts:
                    parts[key] = int(line.split()[1])
    except OSError:
        pass
    return parts["VmRSS:"], parts["RssAnon:"], parts["RssFile:"]


def pss_uss_kb(pid):
    """(Pss, Private_Clean + Private_Dirty) in kB from /proc/PID/smaps_rollup: PSS charges each
    shared page to its mappers in equal parts (the libraries snmpd also maps count half), USS is
    what the process alone holds."""
    parts = {}
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                key, _, rest = line.partition(":")
                if key in ("Pss", "Private_Clean", "Private_Dirty"):
                    parts[key] = int(rest.split()[0])
    except (OSError, ValueError, IndexError):
        pass
    return parts.get("Pss", 0), parts.get("Private_Clean", 0) + parts.get("Private_Dirty", 0)


def cpu_ticks(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime + stime (fields 14, 15)
    except (OSError, IndexError):
        return 0


# ---------------------------------------------------------------------------------- phases

def failover_runs(ctx, cc, ka, topo_cc, topo_ka, interval, runs, snmps):
    """1(a): cable pull on the primary's lan0 (switch side); 1(b) kill -9 of the primary's agent.
    ccagent and keepalived alternate run by run; directions alternate (0->1, 1->0)."""
    res = {"cc_link": [], "ka_link": [], "cc_kill": [], "ka_kill": [], "trap_hook": [], "trap_fault": []}
    slack = 3 * interval / 1000 * 4 + 5

    # (a) link down.
    primary_cc, primary_ka = 0, (0 if ka.last_state(0) == "MASTER" else 1)
    for r in range(runs):
        # ccagent
        peer = 1 - primary_cc
        t0 = ctx.linkdown(topo_cc.switch, topo_cc.port(primary_cc))
        t1 = wait_stamp(cc.stamps[peer], t0, lambda a: a[0] == "1" and a[1] == "primary", slack)
        if t1 is not None:
            res["cc_link"].append((t1 - t0) / 1e6)
            s = snmps[peer]
            if s:
                deadline = time.time() + 5
                tt = None
                while time.time() < deadline and tt is None:
                    tt = s.first_trap(t0, f"{CC_OID}.0.1")
                    time.sleep(0.005)
                if tt is not None:
                    res["trap_hook"].append((tt - t1) / 1e6)
                    res["trap_fault"].append((tt - t0) / 1e6)
        topo_cc.cable(primary_cc, 0, True)
        cc.wait_states({(primary_cc, 1): "secondary", (peer, 1): "primary"})
        primary_cc = peer
        # keepalived
        peer = 1 - primary_ka
        t0 = ctx.linkdown(topo_ka.switch, topo_ka.port(primary_ka))
        t1 = wait_stamp(ka.stamps[peer], t0, lambda a: a[0] == "1" and a[1] == "MASTER", slack)
        if t1 is not None:
            res["ka_link"].append((t1 - t0) / 1e6)
        topo_ka.cable(primary_ka, 0, True)
        ka.wait_states({primary_ka: "BACKUP", peer: "MASTER"})
        time.sleep(max(0.05, 2 * interval / 1000))
        primary_ka = peer

    # (b) kill -9 of the primary's agent; restart it, wait until it is secondary again.
    for r in range(runs):
        peer = 1 - primary_cc
        t0 = ctx.kill(cc.procs[primary_cc].pid)
        cc.procs[primary_cc].wait()
        ctx.lab.forget(cc.procs[primary_cc])
        t1 = wait_stamp(cc.stamps[peer], t0, lambda a: a[1] == "primary", slack)
        if t1 is not None:
            res["cc_kill"].append((t1 - t0) / 1e6)
        cc.start(primary_cc)
        # At 10 ms heartbeats on a loaded machine the restarted agent can elect itself before
        # it hears its peer (a 30 ms hold window); the split brain is resolved at once and it
        # then waits out RG0's 300 s hold-down in secondary-hold, still a correct backup.
        cc.wait_states({(primary_cc, 1): ("secondary", "secondary-hold"), (peer, 1): "primary",
                        (primary_cc, 0): ("secondary", "secondary-hold"), (peer, 0): "primary"},
                       timeout=60)
        primary_cc = peer

        peer = 1 - primary_ka
        main = ka.procs[primary_ka]
        t0 = ctx.kill(ka.vrrp_pid(primary_ka), main.pid)
        main.kill()
        main.wait()
        ctx.lab.forget(main)
        t1 = wait_stamp(ka.stamps[peer], t0, lambda a: a[0] == "1" and a[1] == "MASTER", slack)
        if t1 is not None:
            res["ka_kill"].append((t1 - t0) / 1e6)
        mark = time.time_ns()
        ka.start(primary_ka)
        wait_stamp(ka.stamps[primary_ka], mark, lambda a: a[0] == "1" and a[1] == "BACKUP", 30)
        time.sleep(max(0.1, 3 * interval / 1000))
        primary_ka = peer
    return res


def phase_failover(ctx, runs, intervals):
    topo_cc, topo_ka = ctx.topology("cb"), ctx.topology("kb")
    snmps = [bench_snmp(ctx, topo_cc.ns[n], f"fo{n}") for n in (0, 1)]
    time.sleep(0.5)
    for interval in intervals:
        log(f"failover: heartbeat-interval {interval} ms / advert_int {interval / 1000:g} s, {runs} runs")
        cc = CcPair(ctx, topo_cc, cc_small_config(ctx, interval), f"fo{interval}", snmps)
        ka = KaPair(ctx, topo_ka, f"fo{interval}", f"{interval / 1000:g}")
        cc.start_both()
        ka.start_both()
        try:
            cc.wait_states({(0, 1): "primary", (1, 1): "secondary"}, timeout=60)
            ka.wait_settled(timeout=60)
            time.sleep(max(0.2, 3 * interval / 1000))
            ctx.results[f"failover{interval}"] = failover_runs(ctx, cc, ka, topo_cc, topo_ka, interval, runs,
                                                               snmps)
        except Exception as e:
            log(f"failover at {interval} ms failed: {e}")
            ctx.error(f"failover {interval} ms: {e}")
        finally:
            cc.stop_all()
            ka.stop_all()
    for s in snmps:
        s.close()


DP_FAULTS = ("link", "manual", "graceful", "dead")
DP_FAULT_NAMES = {"link": "monitored link down", "manual": "manual failover",
                  "graceful": "graceful stop (SIGTERM)", "dead": "dead primary (kill -9 + LAN link down)"}


def ka_dataplane_vip(i):
    """The VIP on lan1 (the LAN bridge's member) in a VMAC of its own (00:00:5e:00:01:01): the
    instance itself stays on ctl0, as in the failover phase."""
    return f"{dataplane.LAN_ADDRESS}/24 dev lan1 use_vmac"


class DataPlaneSide:
    """One implementation in the data-plane phase: its pair, topology, LAN and prober, which
    node is primary now, and how each fault is made and undone."""

    def __init__(self, ctx, impl, pair, topo, prober, primary, lans=(1,), key=None):
        self.ctx, self.impl, self.pair, self.topo, self.prober = ctx, impl, pair, topo, prober
        self.primary, self.lans = primary, lans
        self.key = key or impl  # its results' name: ccagent runs in two session-sync modes

    def new_primary(self, node, t0, timeout):
        if self.impl == "cc":
            return wait_stamp(self.pair.stamps[node], t0, lambda a: a[0] == "1" and a[1] == "primary", timeout)
        return wait_stamp(self.pair.stamps[node], t0, lambda a: a[0] == "1" and a[1] == "MASTER", timeout)

    def fault(self, kind, p, q):
        ctx, topo, pair = self.ctx, self.topo, self.pair
        if kind == "link":
            return ctx.linkdown(topo.switch, topo.port(p, 1))
        if kind == "manual":
            # The request `ccctl request chassis cluster failover redundancy-group 1 node Q` sends,
            # written directly: the figure then starts at the request, not at ccctl's start-up.
            t0 = time.time_ns()
            reply = cclab.control_request(pair.sock(p), {"command": "failover", "group": 1, "node": q}, timeout=10)
            if not reply.get("ok"):
                raise RuntimeError(f"manual failover refused: {reply}")
            return t0
        if kind == "graceful":
            return ctx.helper_ns("term", pair.procs[p].pid)
        ports = ",".join(topo.port(p, lan) if lan < 2 else f"port{lan}{p}" for lan in self.lans)
        if self.impl == "cc":
            return ctx.helper_ns("deadnode", topo.switch, ports, pair.procs[p].pid)
        return ctx.helper_ns("deadnode", topo.switch, ports, pair.vrrp_pid(p), pair.procs[p].pid)

    def restore(self, kind, p, q):
        """Undoes the fault; returns the primary once one node is primary and the other a backup
        and the address answers (normally q; p when a restarted agent won a split brain)."""
        ctx, topo, pair = self.ctx, self.topo, self.pair
        mark = time.time_ns()
        if kind == "link":
            topo.cable(p, 1, True)
        elif kind == "manual":
            r = cclab.ccctl(pair.sock(q), "request", "failover", "reset", "redundancy-group", "1",
                            bin_dir=ctx.args.bin, check=False)
            # A failback event (a missed-heartbeat flap at 10 ms) may have ended the manual state.
            if r.returncode != 0 and "not in manual failover" not in r.stderr + r.stdout:
                raise RuntimeError(f"request failover reset on node{q}: {r.stdout}{r.stderr}".strip())
        else:
            proc = pair.procs[p]
            if kind == "dead" and self.impl == "ka":
                proc.kill()  # the SIGSTOPped parent
            proc.wait(timeout=30)
            ctx.lab.forget(proc)
            if kind == "dead":
                # A reboot: whatever the dead node left in its data plane is gone when it returns.
                dataplane.remove_macvlans(topo, p)
                for lan in self.lans:
                    cclab.run(["ip", "-n", topo.switch, "link", "set",
                               topo.port(p, lan) if lan < 2 else f"port{lan}{p}", "up"])
            pair.start(p)
        if self.impl == "ka" and kind in ("graceful", "dead"):
            if wait_stamp(pair.stamps[p], mark, lambda a: a[0] == "1" and a[1] in ("BACKUP", "MASTER"), 30) is None:
                raise RuntimeError(f"keepalived node{p} did not come back")
        primary = self.settled()
        if self.prober and not self.prober.wait_answered(time.time_ns(), 10):
            raise RuntimeError(f"{self.impl}: {dataplane.LAN_ADDRESS} not answering after restoring {kind}")
        return primary

    def settled(self, timeout=60):
        """The primary (RG1 / instance 1) once one node has been it and the other a backup for
        three polls in a row."""
        deadline, seen, last = time.time() + timeout, 0, None
        while time.time() < deadline:
            if self.impl == "cc":
                states = [self.pair.state(n, 1) for n in (0, 1)]
                backup = ("secondary", "secondary-hold")
                is_primary = [st == "primary" for st in states]
                ok = sum(is_primary) == 1 and states[is_primary.index(False)] in backup
            else:
                states = [self.pair.last_state(n) for n in (0, 1)]
                is_primary = [st == "MASTER" for st in states]
                ok = sum(is_primary) == 1 and "BACKUP" in states
            primary = is_primary.index(True) if ok else None
            seen = seen + 1 if ok and primary == last else (1 if ok else 0)
            last = primary
            if seen >= 3:
                return primary
            time.sleep(0.05)
        raise RuntimeError(f"{self.impl}: no stable primary/backup pair: {states}")


def dataplane_runs(ctx, sides, interval, runs):
    """Every fault kind, `runs` times, ccagent and keepalived alternating run by run; the primary
    alternates 0 -> 1 -> 0. Per run: fault timestamp -> new primary's notify stamp (latency) and
    the probes lost from 5 ms before the fault until the address answers again (interruption)."""
    res = {"failed": []}
    slack = 3 * interval / 1000 * 4 + 5
    for kind in DP_FAULTS:
        for r in range(runs):
            for side in sides:
                if side.impl == "ka" and kind == "manual":
                    continue  # keepalived has no manual failover request
                side.primary = side.settled()  # a flap since the last run may have moved it
                p = side.primary
                q = 1 - p
                lat = res.setdefault(f"{side.impl}_{kind}_latency", [])
                lost = res.setdefault(f"{side.impl}_{kind}_lost", [])
                try:
                    t0 = side.fault(kind, p, q)
                    t1 = side.new_primary(q, t0, slack)
                    if t1 is not None:
                        lat.append((t1 - t0) / 1e6)
                    if side.prober.wait_answered(t0 if t1 is None else max(t0, t1), 10 if t1 else 1):
                        side.prober.settle()
                        lost.append(side.prober.lost_between(t0 - 5_000_000, time.time_ns())
                                    * side.prober.interval_ms)
                        res.setdefault("trace", []).append((side.impl, kind, p, t0, t1, lost[-1]))
                    else:
                        res["failed"].append(f"{side.impl} {kind} {interval} ms run {r + 1}: "
                                             f"{'no new primary' if t1 is None else 'address not answering'}")
                    side.primary = side.restore(kind, p, q)
                except RuntimeError as e:  # a refused request, a flap: this run only
                    log(f"  {side.impl} {kind} run {r + 1}: {e}")
                    res["failed"].append(f"{side.impl} {kind} {interval} ms run {r + 1}: {e}")
                    side.primary = side.settled()
                time.sleep(max(0.1, 2 * interval / 1000))
    for side in sides:
        # Takeovers beyond the one each fault asks for (and the first election): missed
        # heartbeats or adverts, split brains of a restarted agent.
        want = "primary" if side.impl == "cc" else "MASTER"
        takeovers = sum(1 for n in (0, 1) for t, a in read_stamps(side.pair.stamps[n])
                        if len(a) > 1 and a[0] == "1" and a[1] == want)
        faults = runs * sum(1 for kind in DP_FAULTS if not (side.impl == "ka" and kind == "manual"))
        res[f"{side.impl}_extra_takeovers"] = takeovers - 1 - faults
    return res


def phase_dataplane(ctx, runs, intervals):
    """Data-plane interruption and graceful stop -> peer primary, ccagent (reth0) beside
    keepalived (VIP in a VMAC), each with a client probing the address every 1 ms."""
    topo_cc, topo_ka = ctx.topology("cd"), ctx.topology("kd")
    lan_cc, lan_ka = dataplane.Lan(ctx.lab, topo_cc), dataplane.Lan(ctx.lab, topo_ka)
    probers = [dataplane.Prober(ctx, lan.client, dataplane.LAN_ADDRESS, name)
               for lan, name in ((lan_cc, "cc"), (lan_ka, "ka"))]
    try:
        for interval in intervals:
            log(f"data plane: heartbeat-interval {interval} ms / advert_int {interval / 1000:g} s, {runs} runs "
                f"of each fault")
            cc = CcPair(ctx, topo_cc, cc_dataplane_config(ctx, interval), f"dp{interval}")
            ka = KaPair(ctx, topo_ka, f"dp{interval}", f"{interval / 1000:g}", track=lambda i: ["lan1"],
                        vip=ka_dataplane_vip)
            cc.start_both()
            ka.start_both()
            try:
                cc.wait_states({(0, 1): "primary", (1, 1): "secondary"}, timeout=60)
                ka.wait_settled(timeout=60)
                sides = [DataPlaneSide(ctx, "cc", cc, topo_cc, probers[0], 0),
                         DataPlaneSide(ctx, "ka", ka, topo_ka, probers[1], 0 if ka.last_state(0) == "MASTER" else 1)]
                for side in sides:
                    if not side.prober.wait_answered(time.time_ns(), 15):
                        raise RuntimeError(f"{side.impl}: {dataplane.LAN_ADDRESS} does not answer the client")
                time.sleep(max(0.2, 3 * interval / 1000))
                ctx.results[f"dataplane{interval}"] = dataplane_runs(ctx, sides, interval, runs)
            except Exception as e:
                log(f"data plane at {interval} ms failed: {e}")
                ctx.error(f"data plane {interval} ms: {e}")
            finally:
                cc.stop_all()
                ka.stop_all()
                for n in (0, 1):
                    lan_ka.remove_macvlans(n)  # a VMAC a killed keepalived left
    finally:
        for p in probers:
            p.stop()


def cc_sessions_config(ctx, interval):
    return cc_base(ctx, interval) + (
        "set chassis cluster redundancy-group 1 node 0 priority 150\n"
        "set chassis cluster redundancy-group 1 node 1 priority 100\n"
        "set chassis cluster redundancy-group 1 hold-down-interval 0\n") + sessions.CC_RETHS


def wait_cold_sync(cc, timeout=60):
    """Until neither node shows CS (a rejoining node's bulk sync from the primary is done)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        st = [cclab.status(cc.sock(n), cc.ctx.args.bin) for n in (0, 1)]
        rows = [cclab.rg_row(s, 1, n) for n, s in enumerate(st)]
        if all(r is not None and "CS" not in r.get("monitorFailures", []) for r in rows):
            return
        time.sleep(0.1)
    raise RuntimeError("cold sync did not end")


# The session phase's faults: the data-plane ones, and the cable pull again with streams to
# the echo server that sets TCP_NODELAY (an interactive application), where a lost echo is
# SACKed by the next one instead of waiting for its loss probe behind Nagle.
SESSION_FAULTS = DP_FAULTS + ("link_nodelay",)
SESSION_FAULT_NAMES = dict(DP_FAULT_NAMES, link_nodelay="monitored link down, server with TCP_NODELAY")


def session_timing(interval):
    """(stream duration s, survival bound s) at `interval` ms heartbeats: a dead primary is
    detected after 3 missed heartbeats, and TCP's doubled retransmission timer can add as much
    again, so at 1000 ms a surviving stream may be silent 6 s; it must be given time to resume."""
    return 8 + 6 * interval / 1000, 2 + 6 * interval / 1000


# The session phase's ccagent pairs, by results key: conntrackd with its external cache
# (committed before the reths come up) and with DisableExternalCache On (nothing to commit).
CC_SESSION_MODES = {"cc": True, "cn": False}


def phase_sessions(ctx, runs, counts, intervals):
    """Long-lived TCP streams through a firewall pair across each fault: ccagent + conntrackd
    (session-sync, with and/or without conntrackd's external cache) beside keepalived +
    conntrackd with the stock primary-backup.sh, taking turns run by run, at each of
    `intervals` ms heartbeats / adverts (one lab per implementation, a pair per interval)."""
    mode = ctx.args.session_external_cache
    keys = [k for k, cache in CC_SESSION_MODES.items() if mode == "both" or cache == (mode == "on")]
    labs = {k: sessions.FirewallLab(ctx, {"cc": "cs", "cn": "cn"}[k], external_cache=CC_SESSION_MODES[k])
            for k in keys}
    labs["ka"] = sessions.FirewallLab(ctx, "ks")
    ctx.results["sessions"] = {"runs": runs, "counts": counts, "intervals": [], "cc_keys": keys,
                               "external_cache": keys == ["cc"]}
    for interval in intervals:
        res = sessions_at(ctx, labs, keys, runs, counts, interval)
        ctx.results["sessions"][interval] = res
        ctx.results["sessions"]["intervals"].append(interval)


def session_faults(ctx):
    wanted = ctx.args.session_faults
    return [k for k in SESSION_FAULTS if not wanted or k in wanted.split(",")]


def sessions_at(ctx, labs, keys, runs, counts, interval):
    log(f"sessions: {counts} streams, {runs} runs of each fault at {interval} ms")
    pairs = {k: CcPair(ctx, labs[k].topo, cc_sessions_config(ctx, interval), f"{k}{interval}")
             for k in keys}
    ka = KaPair(ctx, labs["ka"].topo, f"ss{interval}", f"{interval / 1000:g}", track=lambda i: ["lan1", "lan2"],
                vip=sessions.ka_vips, hook=lambda n, stamps: sessions.ka_hook(ctx, n, stamps))
    res = {"failed": [], "interval": interval}
    duration, bound = session_timing(interval)
    for pair in pairs.values():
        pair.start_both()
    ka.start_both()
    try:
        for pair in pairs.values():
            pair.wait_states({(0, 1): "primary", (1, 1): "secondary"}, timeout=60)
        ka.wait_settled(timeout=60)
        for pair in pairs.values():
            wait_cold_sync(pair)
        sides = [DataPlaneSide(ctx, "cc", pair, labs[k].topo, None, 0, lans=(1, 2), key=k)
                 for k, pair in pairs.items()]
        sides.append(DataPlaneSide(ctx, "ka", ka, labs["ka"].topo, None,
                                   0 if ka.last_state(0) == "MASTER" else 1, lans=(1, 2)))
        time.sleep(2)
        for count in counts:
            # The stall's resolution is the message interval: 10 ms for 50 streams, 100 ms for
            # 1000 (10 000 messages/s from one Python client).
            every = 0.01 if count <= 50 else 0.1
            res[f"every{count}"] = every
            for kind in session_faults(ctx):
                if kind == "link_nodelay" and count > 50:
                    continue  # at a 100 ms resolution the difference does not show
                for r in range(runs):
                    for side in sides:
                        if side.impl == "ka" and kind == "manual":
                            continue
                        side.primary = side.settled()
                        p = side.primary
                        q = 1 - p
                        fault = "link" if kind == "link_nodelay" else kind
                        try:
                            results, lost, dropped = labs[side.key].streams(
                                count, every, duration, lambda: side.fault(fault, p, q),
                                nodelay=kind == "link_nodelay", backup=q)
                            row = sessions.summary(results, every, lost, bound, dropped)
                            res.setdefault(f"{side.key}_{kind}_{count}", []).append(row)
                            if row[0] < count:
                                log(f"  sessions {side.key} {kind} {count} run {r + 1}: {row[0]}/{count} "
                                    f"survived; {sessions.loss_text(row[3])}")
                            side.primary = side.restore(fault, p, q)
                            if side.impl == "cc":
                                wait_cold_sync(side.pair)
                            time.sleep(1)
                        except RuntimeError as e:
                            log(f"  sessions {side.key} {kind} {count} run {r + 1}: {e}")
                            res["failed"].append(f"{side.key} {kind} {count} streams run {r + 1}: {e}")
                            side.primary = side.settled()
    except Exception as e:
        log(f"sessions at {interval} ms failed: {e}")
        ctx.error(f"sessions at {interval} ms: {e}")
    finally:
        for pair in pairs.values():
            pair.stop_all()
        ka.stop_all()
        for lab in labs.values():
            for n in (0, 1):
                dataplane.remove_macvlans(lab.topo, n)
    return res


def sessions_section(RESULTS):
    r = RESULTS.get("sessions")
    L = ["## 9. Session survival and stall", ""]
    if not r or not r.get("intervals"):
        return L + ["not measured", ""]
    keys = r.get("cc_keys") or (["cc"] if r.get("external_cache", True) else ["cn"])
    modes = {"cc": "`conntrackd config ...` (commit before the reths come up)",
             "cn": "the same with **`DisableExternalCache On`** in its conntrackd files (the peer's "
                   "sessions go into the backup's kernel as they arrive: no commit)"}
    names = {"cc": "ccagent + conntrackd", "cn": "ccagent + conntrackd, DisableExternalCache On"}
    short = {"cc": "cache", "cn": "no cache"}
    L += [f"A client and a server on either side of the pair (reth0/reth1 or keepalived's two VIPs in "
          f"VMACs, one RG / one instance), the nodes forwarding through a stateful nftables ruleset that "
          f"drops mid-stream packets without a conntrack entry (`nf_conntrack_tcp_loose=0`), conntrackd "
          f"(FTFW over UDP on the fabric link) on both nodes. ccagent: `set chassis cluster session-sync` "
          + "; ".join(modes[k] for k in keys) + (" (two pairs, the same run). " if len(keys) > 1 else ". ")
          + f"keepalived: `notify_master/backup/"
          f"fault` run Debian's stock `{sessions.STOCK_SCRIPT}` (after the VIPs are up). "
          f"Heartbeats / adverts at {', '.join(str(i) for i in r['intervals'])} ms, {r['runs']} run(s) of "
          "each fault, taking turns. "
          "`tests/lib/tcpstreams.py` streams: a stream survives when it never failed (reset, closed) and "
          "resumed within the bound (2 s plus six heartbeat intervals: three to detect a dead primary, and "
          "TCP's doubled retransmission timer); stall: the longest time without an echo among the "
          "survivors minus the message "
          "interval (10 ms with 50 streams, 100 ms with 1000: the figure's resolution). Lost: TCP segments "
          "the client and the server had to retransmit in the run (nstat's TcpRetransSegs less "
          "TCPDSACKRecv: a loss probe answered by a DSACK was spurious, an endpoint merely slow), run "
          "by run. The echo server leaves Nagle on, as many servers do; the TCP_NODELAY row is the same "
          "cable pull with streams to a second server that sets it, as its client does. conntrackd keeps "
          "running through every fault (the dead primary is its agent killed and its LAN ports downed). "
          "Where a stream did not survive, the run is listed under the table with why: how it ended, "
          "whether the node taking over held its session just before the fault (in its external cache, "
          "or without one in its kernel) and in which TCP state, and how many packets the nodes' "
          "rulesets dropped as without a conntrack entry.", ""]

    def cell(rows, count):
        if not rows:
            return "n/a"
        worst = min(row[0] for row in rows)
        stalls = [row[1] for row in rows if row[1] is not None]
        return (f"{worst}/{count} (worst run), {fmt(max(stalls), 0) if stalls else 'n/a'} ms; "
                f"per run: stall {', '.join(fmt(row[1], 0) if row[1] is not None else 'n/a' for row in rows)} ms, "
                f"lost {', '.join(str(row[2]) for row in rows)}")

    for interval in r["intervals"]:
        res = r.get(interval, {})
        L += [f"### At {interval} ms", "",
              "| fault | streams | " + " | ".join(f"{names[k]}: survived, longest stall" for k in keys)
              + " | keepalived + conntrackd | target | met |",
              "|---|---|" + "---|" * len(keys) + "---|---|---|"]
        losses = []
        for kind in SESSION_FAULTS:
            for count in r["counts"]:
                rows = {k: res.get(f"{k}_{kind}_{count}", []) for k in keys + ["ka"]}
                if not any(rows.values()):
                    continue
                bound = 20 if kind != "dead" else 3 * interval + 20
                target = f"100 %, stall ≤ {bound} ms" + (" (detection + 20 ms)" if kind == "dead" else "")
                met = []
                for k in keys:
                    ok = bool(rows[k]) and all(row[0] == count and row[1] is not None and row[1] <= bound
                                               for row in rows[k])
                    met.append(verdict(ok) if len(keys) == 1 else f"{short[k]}: {verdict(ok)}")
                for k in keys + ["ka"]:
                    for run, row in enumerate(rows[k]):
                        if row[0] < count and len(row) > 3:
                            losses.append(f"{names.get(k, 'keepalived')}, {SESSION_FAULT_NAMES[kind]}, "
                                          f"{count} streams, run {run + 1}: {row[0]}/{count}; "
                                          f"{sessions.loss_text(row[3])}")
                L.append(f"| {SESSION_FAULT_NAMES[kind]} | {count} | "
                         + " | ".join(cell(rows[k], count) for k in keys) + " | "
                         + f"{'no such request' if kind == 'manual' else cell(rows['ka'], count)} | {target} | "
                         + ", ".join(met) + " |")
        if losses:
            L += ["", "Streams that did not survive:", ""] + [f"- {line}" for line in losses]
        if res.get("failed"):
            L += ["", "Runs that did not complete: " + "; ".join(res["failed"]) + "."]
        L.append("")
    return L


def phase_flood(ctx, runs, intervals, rate=20000):
    """Monitored-link failover latency with and without forged datagrams at `rate`/s on both
    nodes' control and fabric ports (from an attacker namespace on the control and fabric
    bridges), alternating run by run."""
    topo = ctx.topology("cf")
    attacker = dataplane.Attacker(ctx.lab, topo)
    for interval in intervals:
        log(f"flood: heartbeat-interval {interval} ms, {runs} runs with and without {rate} datagrams/s")
        cc = CcPair(ctx, topo, cc_small_config(ctx, interval), f"fl{interval}")
        cc.start_both()
        res = {"calm": [], "flood": [], "sent": 0, "seconds": 0.0, "spurious": 0}
        slack = 3 * interval / 1000 * 4 + 5
        try:
            cc.wait_states({(0, 1): "primary", (1, 1): "secondary"}, timeout=60)
            time.sleep(max(0.2, 3 * interval / 1000))
            payload = cclab.capture_heartbeat(topo.ns[0], timeout=10).payload
            primary = 0
            for r in range(2 * runs):
                flooded = r % 2 == 1
                peer = 1 - primary
                sender = None
                if flooded:
                    sender = attacker.flood(ctx, payload, rate, f"{interval}")
                    mark = time.time_ns() + 100_000_000
                    time.sleep(1.0)  # the flood at full rate before the fault
                t0 = ctx.linkdown(topo.switch, topo.port(primary))
                if flooded:  # transitions the flood alone caused
                    res["spurious"] += sum(1 for n in (0, 1) for t, a in read_stamps(cc.stamps[n]) if mark < t < t0)
                t1 = wait_stamp(cc.stamps[peer], t0, lambda a: a[0] == "1" and a[1] == "primary", slack)
                if sender:
                    time.sleep(0.2)
                    sent, seconds = attacker.stop_flood(ctx, sender)
                    res["sent"] += sent
                    res["seconds"] += seconds
                if t1 is not None:
                    res["flood" if flooded else "calm"].append((t1 - t0) / 1e6)
                topo.cable(primary, 0, True)
                cc.wait_states({(primary, 1): "secondary", (peer, 1): "primary"})
                primary = peer
                time.sleep(max(0.1, 2 * interval / 1000))
            res["errors"] = heartbeat_errors(ctx, cc)
            ctx.results[f"flood{interval}"] = res
        except Exception as e:
            log(f"flood at {interval} ms failed: {e}")
            ctx.error(f"flood {interval} ms: {e}")
        finally:
            cc.stop_all()


def heartbeat_errors(ctx, cc):
    """What each node counted at the end of a flood interval (`show statistics --json`)."""
    out = []
    for n in (0, 1):
        r = cclab.ccctl(cc.sock(n), "show", "statistics", "--json", bin_dir=ctx.args.bin, check=False)
        try:
            st = json.loads(r.stdout)
            keys = ("heartbeatsReceived", "heartbeatErrors", "probesReceived", "probeErrors")
            out.append(f"node{n} " + ", ".join(f"{k} {st[k]}" for k in keys if k in st))
        except ValueError:
            out.append(f"node{n}: {r.stderr.strip()[:200]}")
    return out


def phase_large(ctx, runs, walk_runs, restarts, idle_s, intervals, reads=True):
    """The large configuration: SNMP read cost and AgentX recovery (reads), then footprints."""
    topo_cc, topo_ka = ctx.topology("cl"), ctx.topology("kl")
    log("large configuration: 2x128 veths per node namespace, 32 lo addresses")
    topo_cc.add_monitor_links(128, ctx.lab.work)
    topo_ka.add_monitor_links(128, ctx.lab.work)
    topo_cc.add_lo_addresses(32, ctx.lab.work)
    etc = []
    ctx.cleanups.append(lambda: firewallpair.remove_etc(etc))
    for ns in topo_cc.ns:  # conntrackd 1.4.7's lexer rejects 'Interface fab0' (firewallpair.build)
        cclab.sh(f"ip -n {ns} link set fab0 down && ip -n {ns} link set fab0 name fabric0 && "
                 f"ip -n {ns} link set fabric0 up")
    conntrackd = [firewallpair.start_conntrackd(ctx.lab, ctx.lab.work, topo_cc.ns[n], n, f"cl{n}", etc)
                  for n in (0, 1)]
    snmp = bench_snmp(ctx, topo_cc.ns[0], "large0")
    time.sleep(0.5)
    ka_track = lambda i: [f"m{i - 1}a", f"m{i - 1}b"]
    for idx, interval in enumerate(intervals):
        log(f"large configuration at {interval} ms")
        cc = CcPair(ctx, topo_cc, cc_large_config(ctx, interval), f"large{interval}", (snmp, None))
        ka = KaPair(ctx, topo_ka, f"large{interval}", f"{interval / 1000:g}", instances=128, track=ka_track,
                    snmp_socket=snmp.socket if idx == 0 else None)
        fp = {}
        try:
            cc.start_both()
            try:
                cc.wait_states({(0, 0): "primary", (1, 0): "secondary", (0, 1): "primary", (1, 2): "primary"},
                               timeout=60)
                fp["cc_settled"] = True
            except RuntimeError as e:
                if "exited" in str(e):
                    raise
                fp["cc_settled"] = False
                fp["cc_states"] = {f"node{n} RG0": cc.state(n, 0) for n in (0, 1)}
                log(f"ccagent did not settle at {interval} ms: {fp['cc_states']}")
            if idx == 0 and reads:
                ka.start_both()
                ka.wait_settled(timeout=90)
                time.sleep(2)
                snmp_phase(ctx, snmp, topo_cc, walk_runs, runs)
                ctx.results["heartbeat_bytes"] = heartbeat_size(topo_cc)
                ctx.results["agentx"] = agentx_recovery(snmp, restarts)
                ka.stop_all()
            else:
                time.sleep(2)
            # Footprints one after the other, so neither disturbs the other's idle figure.
            fp["cc"] = footprint([p.pid for p in cc.procs], idle_s)
            cc.stop_all()
            ka.start_both()
            ka.wait_settled(timeout=90)
            time.sleep(2)
            fp["ka"] = footprint([p.pid for p in ka.procs], idle_s)
            ctx.results[f"footprint{interval}"] = fp
            if idx == 0:
                ctx.results["minimal_subagent"] = minimal_subagent_rss(ctx, snmp)
        except Exception as e:
            log(f"large configuration at {interval} ms failed: {e}")
            ctx.error(f"large {interval} ms: {e}")
        finally:
            cc.stop_all()
            ka.stop_all()
    snmp.close()
    for proc in conntrackd:
        proc.terminate()


def snmp_phase(ctx, snmp, topo, walk_runs, get_runs):
    log("SNMP read cost")
    ns = topo.ns[0]
    deadline = time.time() + 90
    while time.time() < deadline and snmp.count("snmpbulkwalk", KA_OID) < 100:
        time.sleep(0.5)
    out = {}
    for label, oid in (("ccagent", CC_OID), ("keepalived", KA_OID), ("native", IFTABLE_OID)):
        n_bulk = snmp.count("snmpbulkwalk", oid)
        n_walk = snmp.count("snmpwalk", oid)
        for tool, n in (("snmpbulkwalk", n_bulk), ("snmpwalk", n_walk)):
            times = hyperfine(ctx, ns, [tool, "-v2c", "-c", "public", "-On", "-m", "", "-t", "5", "127.0.0.1", oid],
                              walk_runs, f"{label}-{tool}")
            out[(label, tool)] = {"varbinds": n, "times": times,
                                  "us": [t * 1e6 / max(n, 1) for t in times]}
            log(f"  {label} {tool}: {n} varbinds, median {med(times) * 1e3:.1f} ms")
    scalars = [f"{CC_OID}.1.1.{i}.0" for i in range(1, 11)]
    native = [f".1.3.6.1.2.1.1.{i}.0" for i in range(1, 8)] + [".1.3.6.1.2.1.2.1.0", ".1.3.6.1.2.1.1.3.0",
                                                                ".1.3.6.1.2.1.1.5.0"]
    got = snmp.cmd("snmpget", *scalars).stdout
    out["get_ok"] = sum(1 for l in got.splitlines() if " = " in l and "No Such" not in l)
    out["get_cc"] = hyperfine(ctx, ns, ["snmpget", "-v2c", "-c", "public", "-On", "-m", "", "127.0.0.1", *scalars],
                              max(get_runs, 20), "get-cc")
    out["get_native"] = hyperfine(ctx, ns, ["snmpget", "-v2c", "-c", "public", "-On", "-m", "", "127.0.0.1", *native],
                                  max(get_runs, 20), "get-native")
    ctx.results["snmp"] = out


def heartbeat_size(topo):
    """UDP payload and IP packet length of a heartbeat from node1, sniffed on node0's ctl0."""
    try:
        got = cclab.capture_heartbeat(topo.ns[0], timeout=10)
        return {"payload": len(got.payload), "ip": got.ip_length}
    except Exception as e:
        log(f"heartbeat capture failed: {e}")
        return None


def agentx_recovery(snmp, restarts):
    """Seconds from starting snmpd to the first answer from ccagent's subtree, and (for context)
    to snmpd's own first answer (sysUpTime.0)."""
    log(f"AgentX recovery: {restarts} snmpd restarts")
    probes = {"cc": f"{CC_OID}.1.1.1.0", "native": ".1.3.6.1.2.1.1.3.0"}
    times = {"cc": [], "native": []}
    for _ in range(restarts):
        snmp.kill_snmpd()
        time.sleep(1.5)  # the subagent notices (its AgentX ping) and starts reconnecting
        t0 = time.monotonic()
        snmp.start_snmpd()
        pending = dict(probes)
        while pending and time.monotonic() - t0 < 30:
            for k, oid in list(pending.items()):
                r = subprocess.run(["ip", "netns", "exec", snmp.ns, "snmpget", "-v2c", "-c", "public", "-On", "-m",
                                    "", "-t", "0.05", "-r", "0", "127.0.0.1", oid], capture_output=True, text=True)
                if r.returncode == 0 and "No Such" not in r.stdout and " = " in r.stdout:
                    times[k].append(time.monotonic() - t0)
                    del pending[k]
            time.sleep(0.01)
        time.sleep(1)
    return times


def footprint(roots, idle_s):
    """Per node: max VmRSS (MB) and utime+stime (s) of the process and its children over idle_s."""
    log(f"footprint: {idle_s} s idle")
    groups = [proc_pids(p) for p in roots]
    hz = os.sysconf("SC_CLK_TCK")
    c0 = [sum(cpu_ticks(p) for p in g) for g in groups]
    rss = [[] for _ in groups]
    pss = [[] for _ in groups]
    t0 = time.monotonic()
    while time.monotonic() - t0 < idle_s:
        for n, g in enumerate(groups):
            parts = [rss_parts_kb(p) for p in g]
            rss[n].append(tuple(sum(x[i] for x in parts) for i in range(3)))
            shares = [pss_uss_kb(p) for p in g]
            pss[n].append(tuple(sum(x[i] for x in shares) for i in range(2)))
        time.sleep(min(1.0, idle_s / 5))
    wall = time.monotonic() - t0
    c1 = [sum(cpu_ticks(p) for p in g) for g in groups]
    peak = [max(r) for r in rss]  # the sample with the largest VmRSS, with its split
    return {"wall": wall, "rss": [p[0] / 1024 for p in peak], "anon": [p[1] / 1024 for p in peak],
            "pss": [max(x[0] for x in r) / 1024 for r in pss], "uss": [max(x[1] for x in r) / 1024 for r in pss],
            "file": [p[2] / 1024 for p in peak],
            "cpu": [(c1[n] - c0[n]) / hz for n in range(len(groups))], "procs": [len(g) for g in groups]}


def minimal_subagent_rss(ctx, snmp):
    """RSS of bench/src/minimal-subagent.c connected to the same snmpd: the floor any AgentX
    subagent on libnetsnmpagent starts from."""
    p = ctx.spawn(["ip", "netns", "exec", snmp.ns, ctx.helper("minimal-subagent"), snmp.socket],
                  "minimal-subagent.log")
    try:
        time.sleep(3)
        if p.poll() is not None:
            return None
        return tuple(x / 1024 for x in (*rss_parts_kb(p.pid), *pss_uss_kb(p.pid)))
    finally:
        ctx.stop(p)


def phase_simulate(ctx, flaps, repeats):
    log(f"core throughput: ccctl simulate, {flaps} link flaps across 128 RGs")
    path = ctx.path("flaps.scenario")
    with open(path, "w") as f:
        f.write("set chassis cluster cluster-id 3\n"
                "set chassis cluster redundancy-group 0 node 0 priority 200\n"
                "set chassis cluster redundancy-group 0 node 1 priority 100\n")
        for g in range(1, 129):
            p = f"set chassis cluster redundancy-group {g}"
            f.write(f"{p} node 0 priority 150\n{p} node 1 priority 100\n{p} preempt\n"
                    f"{p} hold-down-interval 0\n{p} interface-monitor x{g} weight 255\n")
        f.write("---\n+0s boot node0\n+0s boot node1\n+5s status\n")
        for k in range(flaps):
            g = k % 128 + 1
            f.write(f"+10ms link down node0 x{g}\n+10ms link up node0 x{g}\n")
        f.write("+5s status\n")
    bin_ = ctx.binary("ccctl")
    walls, lines = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        r = subprocess.run([bin_, "simulate", path, "--json"], capture_output=True, text=True, timeout=3600)
        walls.append(time.perf_counter() - t0)
        if r.returncode != 0:
            raise RuntimeError(f"simulate failed: {r.stderr[:500]}")
        outs = [json.loads(l) for l in r.stdout.splitlines() if l.strip()]
        lines = outs
    kinds = {}
    for o in lines:
        k = o.get("type") or o.get("kind") or next(iter(o.keys()), "?")
        kinds[k] = kinds.get(k, 0) + 1
    ctx.results["simulate"] = {"flaps": flaps, "steps": 2 * flaps + 4, "walls": walls, "outputs": len(lines),
                           "kinds": kinds, "sample": lines[:3]}


# ---------------------------------------------------------------------------------- report

def machine():
    cpu = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    for line in open("/proc/meminfo"):
        if line.startswith("MemTotal"):
            mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    def ver(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=10).stdout.splitlines()[0].strip()
        except Exception:
            return "?"
    return {"nproc": os.cpu_count(), "cpu": cpu, "kernel": platform.release(), "memory": mem,
            "load": " ".join(open("/proc/loadavg").read().split()[:3]),
            "keepalived": ver(["bash", "-c", "keepalived --version 2>&1"]),
            "snmpd": ver(["bash", "-c", "snmpd -v 2>&1 | grep -i version"]),
            "ccagent": ver(["git", "-C", ROOT, "describe", "--always", "--dirty"])}


def ms_cell(values):
    return f"{fmt(med(values), 2)} / {fmt(pct(values, 95), 2)}" if values else "n/a"


def ratio(a, b):
    return f"{med(a) / med(b):.3g}" if a and b and med(b) > 0 else "n/a"


def verdict(ok):
    return "yes" if ok else "**no**"


def report(ctx, started, runs, mode, intervals, dp_runs=0):
    RESULTS = ctx.results
    m = machine()
    L = []
    L.append(f"# ccagent benchmark — {started:%Y-%m-%d %H:%M}")
    L.append("")
    L.append(f"Mode: **{mode}** ({runs} runs per failover figure). Produced by `make bench` "
             f"(`scripts/bench.sh`, `bench/bench.py`).")
    L.append("")
    L.append("| machine | |\n|---|---|")
    L.append(f"| nproc | {m['nproc']} |\n| CPU | {m['cpu']} |\n| kernel | {m['kernel']} |\n"
             f"| memory | {m['memory']} |\n| load average at end | {m['load']} |\n"
             f"| ccagent | {m['ccagent']} (release build) |\n| keepalived | {m['keepalived']} |\n"
             f"| net-snmp | {m['snmpd']} |")
    L.append("")
    L.append("Figures are median / p95. Failover latency runs from the fault's own timestamp "
             "(CLOCK_REALTIME taken by `cchelper` immediately before the `SIOCSIFFLAGS` ioctl that "
             "downs the switch-side port, or before `kill(SIGKILL)`) to the peer's notify script "
             "timestamp (ccagent `notify-script`, keepalived `notify_master`, both the same compiled "
             "`cchelper stamp`). ccagent and keepalived alternate run by run in the same benchmark.")
    L.append("")
    L.append("## 1. Failover latency (ms)")
    L.append("")
    L.append("| fault | interval | ccagent | keepalived | ratio cc/ka | target | met |")
    L.append("|---|---|---|---|---|---|---|")
    for interval in intervals:
        r = RESULTS.get(f"failover{interval}")
        if not r:
            L.append(f"| link down / kill -9 | {interval} ms | not measured | | | | |")
            continue
        ok = bool(r["cc_link"]) and med(r["cc_link"]) <= 10
        L.append(f"| (a) monitored link down | {interval} ms | {ms_cell(r['cc_link'])} | {ms_cell(r['ka_link'])} | "
                 f"{ratio(r['cc_link'], r['ka_link'])} | median ≤ 10 ms | {verdict(ok)} |")
    for interval in intervals:
        r = RESULTS.get(f"failover{interval}")
        if not r:
            continue
        bound = interval * 3 + interval
        ok = bool(r["cc_kill"]) and med(r["cc_kill"]) <= bound and (not r["ka_kill"] or med(r["cc_kill"]) <= med(r["ka_kill"]))
        L.append(f"| (b) agent kill -9 | {interval} ms | {ms_cell(r['cc_kill'])} | {ms_cell(r['ka_kill'])} | "
                 f"{ratio(r['cc_kill'], r['ka_kill'])} | ≤ {bound} ms and ≤ keepalived | {verdict(ok)} |")
    L.append("")
    L.append("Runs that reached the peer within the time limit (ccagent link/kill, keepalived link/kill): " + ", ".join(
        f"{i} ms: {len(RESULTS[f'failover{i}']['cc_link'])}/{len(RESULTS[f'failover{i}']['cc_kill'])}, "
        f"{len(RESULTS[f'failover{i}']['ka_link'])}/{len(RESULTS[f'failover{i}']['ka_kill'])}"
        for i in intervals if RESULTS.get(f"failover{i}")) + f" (of {runs}).")
    L.append("")
    L.append("### 1(c) Notification latency (ms), ccagent → snmpd (AgentX) → snmptrapd")
    L.append("")
    L.append("snmpd + snmptrapd in each node namespace; the trap is `ccRgStateChange` from the new "
             "primary; receipt is timestamped when snmptrapd writes the line (unbuffered stderr).")
    L.append("")
    L.append("| interval | notify hook → trap received | fault → trap received | target | met |")
    L.append("|---|---|---|---|---|")
    for interval in intervals:
        r = RESULTS.get(f"failover{interval}")
        if r:
            ok = bool(r["trap_hook"]) and med(r["trap_hook"]) <= 5
            L.append(f"| {interval} ms | {ms_cell(r['trap_hook'])} ({len(r['trap_hook'])} traps) | "
                     f"{ms_cell(r['trap_fault'])} | ≤ 5 ms | {verdict(ok)} |")
    L.append("")
    s = RESULTS.get("snmp")
    L.append("## 2. SNMP read cost (large configuration, through one snmpd)")
    L.append("")
    if s:
        L.append("ccagent: 129 RGs (RG0 + 128), 256 interface monitors, 32 IP monitors. keepalived: 128 VRRP "
                 "instances (`-x`, `enable_snmp_vrrp`), KEEPALIVED-MIB. native: snmpd's IF-MIB `ifTable` in a "
                 "namespace with 262 interfaces. Time per walk measured with hyperfine "
                 f"({len(s[('ccagent', 'snmpbulkwalk')]['times'])} runs, run inside the namespace).")
        L.append("")
        L.append("| walk | varbinds | ms per walk | µs per varbind | ratio cc/keepalived | ratio cc/native |")
        L.append("|---|---|---|---|---|---|")
        for tool in ("snmpbulkwalk", "snmpwalk"):
            for label in ("ccagent", "keepalived", "native"):
                d = s[(label, tool)]
                cc = s[("ccagent", tool)]["us"]
                rk = ratio(cc, s[("keepalived", tool)]["us"]) if label == "ccagent" else ""
                rn = ratio(cc, s[("native", tool)]["us"]) if label == "ccagent" else ""
                L.append(f"| {tool} {label} | {d['varbinds']} | {ms_cell([t * 1e3 for t in d['times']])} | "
                         f"{ms_cell(d['us'])} | {rk} | {rn} |")
        L.append("")
        ok = med(s[("ccagent", "snmpbulkwalk")]["us"]) / med(s[("keepalived", "snmpbulkwalk")]["us"]) <= 0.9
        L.append(f"Target ccagent/keepalived ≤ 0.9 (bulk walk): {verdict(ok)}.")
        L.append("")
        L.append(f"`snmpget` of 10 ccagent scalars in one request ({s['get_ok']}/10 answered): "
                 f"{ms_cell([t * 1e3 for t in s['get_cc']])} ms, beside 10 native scalars (system group): "
                 f"{ms_cell([t * 1e3 for t in s['get_native']])} ms (both include the snmpget process start).")
    else:
        L.append("not measured")
    L.append("")
    L.append("## 3. AgentX recovery (snmpd killed and restarted → ccagent subtree answers)")
    L.append("")
    a = RESULTS.get("agentx")
    if a and a["cc"]:
        c, n = a["cc"], a["native"]
        L.append(f"{len(c)} restarts: ccagent subtree answering after median {fmt(med(c), 2)} s, max "
                 f"{fmt(max(c), 2)} s (target ≤ 5 s: {verdict(max(c) <= 5)}); snmpd itself answering "
                 f"(sysUpTime.0) after median {fmt(med(n), 2)} s, max {fmt(max(n), 2) if n else 'n/a'} s. "
                 "Measured from the snmpd start (killed 1.5 s before) to the first successful `snmpget` "
                 "(polled every 10 ms, 50 ms timeout).")
    else:
        L.append("not measured")
    L.append("")
    L.append("## 4. Footprint (large configuration, idle)")
    L.append("")
    L.append("keepalived: the same kind of namespaces and links, 128 VRRP instances tracking 2 interfaces "
             "each. RSS is the maximum VmRSS sampled (once a second); CPU is utime+stime over the window "
             "divided by the window.")
    L.append("")
    L.append("| interval | ccagentd RSS node0/node1 (MB) | keepalived RSS node0/node1 (MB) | "
             "ccagentd CPU node0/node1 | keepalived CPU node0/node1 | target | met |")
    L.append("|---|---|---|---|---|---|---|")
    notes, split_rows = [], []
    for interval in intervals:
        f = RESULTS.get(f"footprint{interval}")
        if not f or "cc" not in f or "ka" not in f:
            continue
        c, k = f["cc"], f["ka"]
        cpu = lambda d, n: f"{d['cpu'][n] / d['wall'] * 100:.2f} %"
        cpu_target = {100: 0.5, 10: 3.0}.get(interval)
        rss_ok = max(c["rss"]) <= 15 and max(c["rss"]) < min(k["rss"])
        cpu_ok = cpu_target is None or max(c["cpu"]) / c["wall"] * 100 <= cpu_target
        target = "RSS ≤ 15 MB and < keepalived" + (f"; CPU ≤ {cpu_target} %" if cpu_target else "")
        L.append(f"| {interval} ms | {c['rss'][0]:.1f} / {c['rss'][1]:.1f} | "
                 f"{k['rss'][0]:.1f} / {k['rss'][1]:.1f} | "
                 f"{cpu(c, 0)} / {cpu(c, 1)} | {cpu(k, 0)} / {cpu(k, 1)} | {target} | {verdict(rss_ok and cpu_ok)} |")
        split_rows.append(f"| {interval} ms | {c['anon'][0]:.1f} + {c['file'][0]:.1f} | "
                          f"{k['anon'][0]:.1f} + {k['file'][0]:.1f} |")
        if not f.get("cc_settled", True):
            notes.append(f"At {interval} ms the ccagent pair with 129 RGs did not reach a stable election "
                         f"within 60 s ({f.get('cc_states')}): heartbeats were being missed.")
    L.append("")
    L.append(f"Windows: {fmt(next((RESULTS[f'footprint{i}']['cc']['wall'] for i in intervals if RESULTS.get(f'footprint{i}', {}).get('cc')), None), 0)} s "
             "each, ccagent pair first, then the keepalived pair (never both at once); keepalived counts "
             "the parent and its VRRP child (`-P`).")
    if split_rows:
        L.append("")
        L.append("RSS split at the peak sample (node0), anonymous + file-backed MB: anonymous pages are the "
                 "process's own (heap, stacks, relocated data); file-backed pages are the code and read-only "
                 "data of the binary and its shared libraries, clean and shared with the page cache.")
        L.append("")
        L.append("| interval | ccagentd anon + file | keepalived anon + file |")
        L.append("|---|---|---|")
        L.extend(split_rows)
    floor = RESULTS.get("minimal_subagent")
    if floor:
        L.append("")
        L.append(f"Floor: `bench/src/minimal-subagent.c`, a C program that only starts libnetsnmpagent as an "
                 f"AgentX subagent of the same snmpd the way ccagentd does, holds {floor[0]:.1f} MB RSS "
                 f"({floor[1]:.1f} anon + {floor[2]:.1f} file: libnetsnmp initialises OpenSSL's random "
                 "generator and loads libperl, libcrypto and libssl)"
                 + (f", PSS {floor[3]:.1f} MB, USS {floor[4]:.1f} MB." if len(floor) > 3 else "."))
    L.extend(memory_section(RESULTS, intervals))
    for n in notes:
        L.append("")
        L.append(n)
    L.append("")
    L.append("## 5. Core throughput and heartbeat size")
    L.append("")
    sim = RESULTS.get("simulate")
    if sim:
        w = med(sim["walls"])
        L.append(f"`ccctl simulate --json` (release) on a generated scenario: 129 RGs, {sim['flaps']} link flaps "
                 f"(down+up, 10 ms apart, preempt on) = {sim['steps']} scenario steps, "
                 f"{sim['outputs']} transitions/events out ({', '.join(f'{k}: {v}' for k, v in sim['kinds'].items())}). "
                 f"Wall time median {w:.2f} s over {len(sim['walls'])} runs → "
                 f"**{sim['outputs'] / w:,.0f} transitions+events/s**, {sim['steps'] / w:,.0f} scenario steps/s "
                 f"(includes parsing and JSON output).")
    else:
        L.append("simulate: not measured")
    L.append("")
    hb = RESULTS.get("heartbeat_bytes")
    if hb:
        L.append(f"Heartbeat datagram captured on ctl0 (AF_PACKET) with 129 RGs and an HMAC key: "
                 f"**{hb['payload']} bytes of UDP payload** ({hb['ip']} bytes IP packet).")
    else:
        L.append("Heartbeat capture: not measured")
    L.append("")
    L.extend(dataplane_section(RESULTS, intervals, dp_runs))
    L.extend(flood_section(RESULTS, intervals))
    L.extend(sessions_section(RESULTS))
    if RESULTS.get("errors"):
        L.append("")
        L.append("## Errors")
        L.append("")
        for e in RESULTS["errors"]:
            L.append(f"- {e.splitlines()[0]}")
    return "\n".join(L) + "\n"


def memory_section(RESULTS, intervals):
    """4(b): RSS beside PSS and USS (smaps_rollup), the peak sample of each, both nodes."""
    L = ["", "### 4(b) Memory: RSS, PSS and USS (MB, large configuration, node0 / node1)", "",
         "From `/proc/PID/smaps_rollup` in the same samples as RSS: PSS charges every shared page to "
         "its mappers in equal parts, USS (Private_Clean + Private_Dirty) is what the process alone "
         "holds. Both nodes of a pair run on this one machine, so each node is charged half of the "
         "binary and library pages the two share (the same for both implementations); snmpd maps "
         "libnetsnmp too. keepalived: parent + VRRP child.", "",
         "| interval | ccagentd RSS | ccagentd PSS | ccagentd USS | keepalived RSS | keepalived PSS | "
         "keepalived USS | target | met |", "|---|---|---|---|---|---|---|---|---|"]
    rows = 0
    for interval in intervals:
        f = RESULTS.get(f"footprint{interval}")
        if not f or "pss" not in f.get("cc", {}) or "pss" not in f.get("ka", {}):
            continue
        c, k = f["cc"], f["ka"]
        two = lambda d, key: f"{d[key][0]:.1f} / {d[key][1]:.1f}"
        ok = max(c["pss"]) <= min(k["pss"]) and max(c["uss"]) <= min(k["uss"])
        L.append(f"| {interval} ms | {two(c, 'rss')} | {two(c, 'pss')} | {two(c, 'uss')} | {two(k, 'rss')} | "
                 f"{two(k, 'pss')} | {two(k, 'uss')} | PSS ≤ keepalived's and USS ≤ keepalived's | {verdict(ok)} |")
        rows += 1
    if not rows:
        L.append("| not measured | | | | | | | | |")
    L += ["", "The configuration is the issue's: 129 RGs, the data plane (reth0 with its macvlan, "
          "packet socket and watchdog) and session sync (conntrackd running in each node namespace, "
          "polled for its statistics) active."]
    return L


def lost_cell(values):
    return f"{fmt(med(values), 0)} / {fmt(pct(values, 95), 0)} / {fmt(max(values), 0)}" if values else "n/a"


def dataplane_section(RESULTS, intervals, runs):
    L = ["## 6. Data-plane interruption (ms of lost probes)", "",
         "A client namespace on the LAN bridge (both nodes' `lan1` and the client) sends an ICMP echo to "
         f"{dataplane.LAN_ADDRESS} every 1 ms (`cchelper probe`, raw socket); a probe not answered before "
         "200 more were sent is lost. Figure: lost probes × 1 ms from 5 ms before the fault until the "
         "address answers again, median / p95 / max. ccagent: `reth0` (macvlan on `lan1`, shared MAC, "
         "4 GARPs), RG1 monitoring `lan1`. keepalived: VRRPv3 unicast on `ctl0` as in section 1, "
         f"`virtual_ipaddress {{ {dataplane.LAN_ADDRESS}/24 dev lan1 use_vmac }}` (a VMAC "
         "00:00:5e:00:01:01 on `lan1`), `track_interface {{ lan1 }}`. Faults: the switch side of the "
         "primary's `lan1` downed; `ccctl request chassis cluster failover redundancy-group 1 node N` "
         "(keepalived has no such request); SIGTERM to the agent (keepalived: to its parent, which "
         "stops the VRRP child: priority-0 advert); kill -9 of the agent (keepalived: parent stopped, "
         "VRRP child killed) with the node's switch port downed in the same `cchelper deadnode` call, "
         "then a reboot is mimicked (the node's macvlans removed, port up, agent started).", "",
         "| fault | interval | ccagent | keepalived | target | met |", "|---|---|---|---|---|---|"]
    failed = []
    for kind in DP_FAULTS:
        for interval in intervals:
            r = RESULTS.get(f"dataplane{interval}")
            if not r:
                L.append(f"| {DP_FAULT_NAMES[kind]} | {interval} ms | not measured | | | |")
                continue
            cc, ka = r.get(f"cc_{kind}_lost", []), r.get(f"ka_{kind}_lost", [])
            if kind == "dead":
                target = "median ≤ keepalived's"
                ok = bool(cc) and bool(ka) and med(cc) <= med(ka)
            else:
                target = "median ≤ 10 ms"
                ok = bool(cc) and med(cc) <= 10
            ka_cell = "no such request" if kind == "manual" else lost_cell(ka)
            L.append(f"| {DP_FAULT_NAMES[kind]} | {interval} ms | {lost_cell(cc)} ({len(cc)} runs) | {ka_cell}"
                     f"{'' if kind == 'manual' else f' ({len(ka)} runs)'} | {target} | {verdict(ok)} |")
    for interval in intervals:
        failed += RESULTS.get(f"dataplane{interval}", {}).get("failed", [])
    extra = [f"{i} ms: {RESULTS[f'dataplane{i}'].get('cc_extra_takeovers', 'n/a')} / "
             f"{RESULTS[f'dataplane{i}'].get('ka_extra_takeovers', 'n/a')}"
             for i in intervals if RESULTS.get(f"dataplane{i}")]
    L.append("")
    L.append(f"{runs} runs of each fault per interval, ccagent and keepalived alternating run by run. "
             + (f"Runs without a recovery within the limit: {'; '.join(failed)}." if failed
                else "Every run recovered.")
             + (" Takeovers beyond one per fault (missed heartbeats/adverts, split brains of a restarted "
                f"agent), ccagent / keepalived: {', '.join(extra)}." if extra else ""))
    L.append("")
    L.append("Fault → new primary's notify script (ms, median / p95), the same runs:")
    L.append("")
    L.append("| fault | interval | ccagent | keepalived |")
    L.append("|---|---|---|---|")
    for kind in DP_FAULTS:
        for interval in intervals:
            r = RESULTS.get(f"dataplane{interval}")
            if r:
                ka = "" if kind == "manual" else ms_cell(r.get(f"ka_{kind}_latency", []))
                L.append(f"| {DP_FAULT_NAMES[kind]} | {interval} ms | {ms_cell(r.get(f'cc_{kind}_latency', []))} | "
                         f"{ka} |")
    L += ["", "The manual failover starts when the request is written to the control socket (the JSON "
          "`ccctl` sends), so ccctl's own start-up is not in it.", ""]
    L += ["## 7. Graceful stop → peer primary (ms)", "",
          "SIGTERM to the primary's agent → the peer's notify script, from the runs of section 6: "
          "ccagent's stop announcement (a leaving heartbeat on both links) beside keepalived's "
          "priority-0 advert.", "",
          "| interval | ccagent | keepalived | target | met |", "|---|---|---|---|---|"]
    for interval in intervals:
        r = RESULTS.get(f"dataplane{interval}")
        if not r:
            continue
        cc, ka = r.get("cc_graceful_latency", []), r.get("ka_graceful_latency", [])
        L.append(f"| {interval} ms | {ms_cell(cc)} | {ms_cell(ka)} | median ≤ 10 ms | "
                 f"{verdict(bool(cc) and med(cc) <= 10)} |")
    L.append("")
    return L


def flood_section(RESULTS, intervals):
    L = ["## 8. Flood resistance (ms, monitored link down → peer primary)", "",
         "Control and fabric links rebuilt through bridges with an attacker namespace on both; during "
         "the flood runs `cchelper flood` sends forged UDP datagrams to both nodes' control and fabric "
         "ports, each claiming the other node's address: a heartbeat captured on the wire, half replayed "
         "as is and half with one byte changed (a bad MAC). The flood starts 1 s before the fault; "
         "runs with and without alternate.", "",
         "| interval | without flood | with flood | ratio with/without | datagrams/s achieved | "
         "transitions caused by the flood alone |", "|---|---|---|---|---|---|"]
    notes = []
    for interval in intervals:
        r = RESULTS.get(f"flood{interval}")
        if not r:
            continue
        rate = r["sent"] / r["seconds"] if r["seconds"] else 0
        L.append(f"| {interval} ms | {ms_cell(r['calm'])} ({len(r['calm'])} runs) | {ms_cell(r['flood'])} "
                 f"({len(r['flood'])} runs) | {ratio(r['flood'], r['calm'])} | {rate:,.0f} | {r['spurious']} |")
        notes.append(f"{interval} ms, the agents' counters at the end: " + "; ".join(
            " ".join(e.split()) for e in r.get("errors", [])))
    if not notes:
        L.append("| not measured | | | | | |")
    L.append("")
    L.extend(f"- {n}" for n in notes)
    L.append("")
    return L


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--helper", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--only", default="failover,dataplane,flood,sessions,large,simulate",
                    help="comma-separated phases: failover, dataplane (interruption and graceful stop), "
                         "flood, sessions, large (SNMP, AgentX, footprint), footprint (footprint alone), "
                         "simulate")
    ap.add_argument("--dataplane-runs", type=int, default=None, help="runs of each data-plane fault "
                    "(default 10, smoke 1)")
    ap.add_argument("--session-runs", type=int, default=None, help="runs of each session-survival fault "
                    "per stream count (default 3, smoke 1)")
    ap.add_argument("--session-counts", default=None, help="comma-separated stream counts for the "
                    "session-survival faults (default 50,1000, smoke 50)")
    ap.add_argument("--session-faults", default=None,
                    help="comma-separated faults of the sessions phase (default all: "
                         + ",".join(SESSION_FAULTS) + ")")
    ap.add_argument("--session-external-cache", choices=("on", "off", "both"), default="both",
                    help="ccagent's conntrackd in the sessions phase: the external cache (committed on "
                         "a takeover), off (DisableExternalCache On: sessions go into the backup's "
                         "kernel as they arrive) or both, two pairs in the same run (the default); "
                         "keepalived's keeps the stock cache")
    ap.add_argument("--idle-seconds", type=float, default=None, help="footprint window (default 60, smoke 5)")
    ap.add_argument("--intervals", default="1000,100,10", help="comma-separated heartbeat intervals (ms) "
                    "for the phases that run at each")
    args = ap.parse_args()
    ctx = Bench(args)
    atexit.register(ctx.close)

    def on_signal(signum, frame):
        log(f"signal {signum}: cleaning up")
        ctx.close()
        os._exit(128 + signum)

    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, on_signal)
    started = datetime.datetime.now()
    smoke = args.smoke
    runs = 3 if smoke else 20
    try:
        intervals = [int(x) for x in args.intervals.split(",")]
    except ValueError:
        ap.error(f"--intervals: not a comma-separated list of milliseconds: {args.intervals!r}")
    only = args.only.split(",")
    if "failover" in only:
        phase_failover(ctx, runs, intervals)
    dp_runs = args.dataplane_runs or (1 if smoke else 10)
    if "dataplane" in only:
        phase_dataplane(ctx, dp_runs, intervals)
    if "flood" in only:
        phase_flood(ctx, 2 if smoke else 10, [100] if smoke else intervals)
    if "sessions" in only:
        counts = [int(c) for c in args.session_counts.split(",")] if args.session_counts else None
        phase_sessions(ctx, args.session_runs or (1 if smoke else 3), counts or ([50] if smoke else [50, 1000]),
                       [100] if smoke else intervals)
    idle_s = args.idle_seconds or (5 if smoke else 60)
    if "large" in only or "footprint" in only:
        phase_large(ctx, runs, walk_runs=3 if smoke else 20, restarts=2 if smoke else 10,
                    idle_s=idle_s, intervals=intervals, reads="large" in only)
    if "simulate" in only:
        try:
            phase_simulate(ctx, 500 if smoke else 5000, 1 if smoke else 3)
        except Exception as e:
            ctx.error(f"simulate: {e}")
    text = report(ctx, started, runs, "smoke (BENCH_SMOKE=1)" if smoke else "full", intervals, dp_runs)
    with open(args.out, "w") as f:
        f.write(text)
    sys.stdout.write(text)
    log(f"wrote {args.out}")
    return 1 if ctx.results.get("errors") else 0


if __name__ == "__main__":
    sys.exit(main())
