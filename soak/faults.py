"""The soak's fault stream: seeded episodes of 1-3 overlapping faults on the lab (lab.py), each
healed at its end and followed by a convergence measurement: one primary per RG and the client's
probes to every reth address answered (soak/README.md lists the faults)."""
import collections
import random
import signal
import threading
import time

from attack import SoakAttacker
from checker import summary
from lab import CONVERGENCE_BOUND, PROBE_INTERVAL, RETHS, SAMPLING_ALLOWANCE, SESSION_SYNC, log

BAD_CONFIG_LINES = [
    "set chassis cluster heartbeat-threshold 99\n",
    "set chassis cluster redundancy-group 0 preempt\n",
    "set chassis cluster cluster-id\n",
    "set chassis cluster redundancy-group 1 interface-monitor lan0 weight 300\n",
    "set chassis cluster \x00\xff garbage\n",
]


# (kind, weight): weighted so that each kind comes up several times in 10 minutes (agent
# restarts are also scheduled by Soak.restart_node, so that long-lived processes exist for the
# leak check).
FAULTS = [
    ("link-cut", 10), ("link-loss", 8), ("link-delay", 4), ("link-duplicate", 5),
    ("link-reorder", 4), ("member-flap", 10), ("agent-kill", 5), ("graceful-restart", 5),
    ("manual-failover", 8), ("snmpd-restart", 5), ("journald-restart", 3), ("sighup-valid", 3),
    ("sighup-invalid", 4), ("datagrams", 5), ("attack-forge", 5), ("attack-replay", 5),
    ("attack-flood", 5), ("lan-cut", 6), ("witness-cut", 6), ("witness-restart", 4),
    ("partition", 6), ("addr-del", 6), ("conntrackd-restart", 4),
]
LINK_FAULTS = ("link-cut", "link-loss", "link-delay", "link-duplicate", "link-reorder")
RESTART_FAULTS = ("agent-kill", "graceful-restart")
ATTACK_FAULTS = ("attack-forge", "attack-replay", "attack-flood")
STOP_BOUND = 10.0                           # seconds a graceful stop may take
RESTORE_BOUND = 10.0                        # seconds to put back a deleted reth address


class Soak:
    def __init__(self, lab, checker, rng, minutes, smoke):
        self.lab, self.checker, self.rng = lab, checker, rng
        self.deadline = time.time() + minutes * 60
        self.smoke = smoke
        self.counts = collections.Counter()
        self.convergence = []
        self.convergence_failures = []
        # Agents are restarted (killed or stopped) once they are this old, node0's in the first
        # half of the run and node1's in the second, so that each half has a long-lived process
        # on the other node for the leak check.
        self.restart_age = 20 if smoke else 60
        self.started = time.time()
        self.middle = self.started + minutes * 30
        self.attacker = SoakAttacker(lab)
        self.manual = collections.Counter()     # "rgN accepted|refused|unreachable"
        self.refusals = []                      # (rg, node, message) of refused requests
        self.restores = []                      # seconds until a deleted address was back
        self.not_restored = []                  # (reth, node, paths) not back within the bound
        self.probe_times = []                   # seconds until every reth answered the client
        self.attack_checks = collections.Counter()  # attack-only episodes: checked / skipped

    def choose(self, busy):
        rng, lab = self.rng, self.lab
        kinds = [k for k, _ in FAULTS]
        weights = [w for _, w in FAULTS]
        for _ in range(20):
            kind = rng.choices(kinds, weights)[0]
            n = rng.randrange(2)
            if kind in LINK_FAULTS:
                res = [("link", rng.choice(["ctl0", "fab0"]))]
            elif kind == "member-flap":
                res = [("lan", n, rng.randrange(2))]
            elif kind in RESTART_FAULTS:
                n = self.restart_node()
                if n is None:
                    continue
                res = [("agent", n)]
            elif kind == "snmpd-restart":
                res = [("snmpd", n)]
            elif kind == "journald-restart":
                if not lab.journald.restartable:
                    continue
                res = [("journald",)]
            elif kind in ("sighup-valid", "sighup-invalid"):
                res = [("agent", n)]
            elif kind == "manual-failover":
                res = [("manual", rng.choice([0, 1, 1, 2, 2]))]
            elif kind in ATTACK_FAULTS:
                res = [("attacker",)]
            elif kind == "lan-cut":
                res = [("lanpath", n)]
            elif kind == "witness-cut":
                res = [("witnesspath", n)]
            elif kind == "witness-restart":
                res = [("witness",)]
            elif kind == "partition":
                res = [("link", "ctl0"), ("link", "fab0"), ("lanpath", n), ("witnesspath", 0),
                       ("witnesspath", 1)]
            elif kind == "addr-del":
                res = [("reth", rng.randrange(len(RETHS)))]
            elif kind == "conntrackd-restart":
                if not SESSION_SYNC:
                    continue
                res = [("conntrackd", n)]
            else:
                res = [("dgram", n)]
            if any(r in busy for r in res):
                continue
            busy.update(res)
            return kind, n, res
        return None

    def restart_node(self):
        """The node whose agent may be restarted now, if it is old enough."""
        n = 0 if time.time() < self.middle else 1
        if self.lab.agents[n] is None or time.time() - self.lab.agent_started[n] < self.restart_age:
            return None
        return n

    def episode(self):
        rng = self.rng
        busy = set()
        plan = []
        # A restart as soon as one is due (a weighted pick alone would miss most of them).
        n = self.restart_node()
        if n is not None and rng.random() < 0.6:
            kind = min(RESTART_FAULTS, key=lambda k: (self.counts[k], k))
            busy.add(("agent", n))
            plan.append((rng.uniform(0, 1.5), rng.uniform(0.3, 5.0), kind, n, [("agent", n)],
                         rng.getrandbits(64)))
        for _ in range(rng.choice([1, 1, 2, 2, 3])):
            c = self.choose(busy)
            if c:
                plan.append((rng.uniform(0, 1.5), rng.uniform(0.3, 5.0), *c, rng.getrandbits(64)))
        plan.sort()
        attack_only = bool(plan) and all(p[2] in ATTACK_FAULTS for p in plan)
        before = self.quiet_roles() if attack_only else None
        threads = [threading.Thread(target=self.inject, args=p, daemon=True) for p in plan]
        start = time.time()
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        healed = time.time()
        if attack_only:
            self.check_attack_moved_nothing(before, start, [p[2] for p in plan])
        self.measure_convergence(healed, [p[2] for p in plan])
        time.sleep(rng.uniform(0.3, 1.5))
        return time.time() - start

    def roles(self):
        """{(node, rg): (state, failover count, manual)} from both nodes' latest status."""
        out = {}
        for n in (0, 1):
            latest = self.checker.latest[n]
            if latest is None:
                return None
            for g in latest[2]["redundancyGroups"]:
                row = g["nodes"][n]
                out[(n, g["id"])] = (row["status"], g["failoverCount"], row.get("manual"))
        return out

    def quiet_roles(self, quiet=3.0, timeout=15.0):
        """The roles once nothing can move by itself: one primary per RG, every other row
        secondary, RG2 (preempt) on node1, no state change seen for `quiet` s; None if that
        does not happen within timeout (the check is then skipped)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            roles = self.roles()
            changes = self.checker.changes
            settled = not changes or time.time() - changes[-1][1] >= quiet
            if roles and self.checker.converged() and settled and \
                    all(v[0] in ("primary", "secondary") for v in roles.values()) and \
                    roles.get((1, 2), ("",))[0] == "primary" and \
                    not any(v[2] for v in roles.values()):
                return roles
            time.sleep(0.2)
        return None

    def check_attack_moved_nothing(self, before, start, kinds):
        if before is None:
            self.attack_checks["skipped (cluster not quiet)"] += 1
            return
        time.sleep(0.5)                     # the last datagrams are in flight
        after = self.roles()
        moved = [c for c in self.checker.changes if c[1] >= start]
        self.attack_checks["checked"] += 1
        if after != before or moved:
            self.checker.violation("attack-moved", f"attacker faults {kinds} changed roles: "
                                   f"{before} -> {after}; changes {moved[:6]}")

    def inject(self, offset, duration, kind, n, res, subseed):
        # Each injection thread has its own generator, drawn from the seeded stream in the main
        # thread, so the schedule is reproducible whatever the threads' interleaving.
        time.sleep(offset)
        lab, rng = self.lab, random.Random(subseed)
        self.counts[kind] += 1
        if kind == "link-cut":
            link = res[0][1]
            lab.set_link(n, link, False)
            time.sleep(duration)
            lab.set_link(n, link, True)
        elif kind == "link-loss":
            link = res[0][1]
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
            link = res[0][1]
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
        elif kind == "member-flap":
            lan = res[0][2]
            flaps = rng.choice([1, 1, 3])
            for _ in range(flaps):
                lab.cable(n, lan, False)
                time.sleep(duration / flaps)
                lab.cable(n, lan, True)
                time.sleep(rng.uniform(0.05, 0.3))
        elif kind == "agent-kill":
            lab.kill_agent(n)                   # and ExecStopPost's `--cleanup-reths`
            self.check_cleanup(n)
            time.sleep(min(duration, 3.0))
            lab.start_agent(n)
        elif kind == "graceful-restart":
            pid = lab.agents[n].pid if lab.agents[n] else None
            result = lab.stop_agent(n, timeout=STOP_BOUND)
            if result is not None:
                status, took = result
                if status != 0:
                    self.checker.violation("stop", f"node{n} pid {pid}: SIGTERM ended it with "
                                           f"status {status} after {took:.1f}s (bound {STOP_BOUND:.0f}s)")
            self.check_cleanup(n)
            time.sleep(min(duration, 3.0))
            lab.start_agent(n)
        elif kind == "manual-failover":
            self.manual_failover(res[0][1], n, duration, rng)
        elif kind == "lan-cut":
            direction = rng.choice(["in", "out", "both"])
            lab.cut_lan(n, direction, True)
            time.sleep(duration * 1.5)
            lab.cut_lan(n, direction, False)
        elif kind == "witness-cut":
            lab.cut_witness(n, True)
            time.sleep(duration * 1.5)
            lab.cut_witness(n, False)
        elif kind == "witness-restart":
            lab.kill_witness(rng.choice([signal.SIGKILL, signal.SIGTERM]))
            time.sleep(min(duration * 1.5, 5.0))
            lab.start_witness()
        elif kind == "partition":
            # Node n loses control, fabric and LAN at once; the witness then decides, reachable
            # from both, or cut from node n, or from its peer.
            witness = rng.choice([None, n, 1 - n])
            lab.set_link(n, "ctl0", False)
            lab.set_link(n, "fab0", False)
            lab.cut_lan(n, "both", True)
            if witness is not None:
                lab.cut_witness(witness, True)
            time.sleep(max(2.0, duration * 1.5))
            if witness is not None:
                lab.cut_witness(witness, False)
            lab.cut_lan(n, "both", False)
            lab.set_link(n, "fab0", True)
            lab.set_link(n, "ctl0", True)
        elif kind == "addr-del":
            self.delete_address(res[0][1])
        elif kind == "conntrackd-restart":
            lab.kill_conntrackd(n, rng.choice([signal.SIGKILL, signal.SIGTERM]))
            time.sleep(min(duration, 3.0))
            for attempt in (1, 2):
                try:
                    lab.start_conntrackd(n)
                    break
                except AssertionError as e:     # conntrackd's own trouble, not the agent's
                    log(f"conntrackd on node{n} did not come back (attempt {attempt}): {e}")
        elif kind == "attack-forge":
            self.attacker.forge(rng)
        elif kind == "attack-replay":
            self.attacker.replay(rng)
        elif kind == "attack-flood":
            self.attacker.flood(rng)
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

    def check_cleanup(self, n):
        if self.lab.cleanup_results and self.lab.cleanup_results[-1][0] == n:
            _, status, took, err = self.lab.cleanup_results[-1]
            if status != 0:
                self.checker.violation("cleanup", f"node{n}: ccagentd --cleanup-reths exited "
                                       f"{status} after {took:.1f}s: {err}")
        held = [r for r, x in RETHS.items() if n in self.lab.holders(x["address"])]
        if held:
            self.checker.violation("cleanup", f"node{n} still holds reth {held} with no agent "
                                   f"running, after ExecStopPost's clean-up")

    def manual_failover(self, rg, via, duration, rng):
        """A manual failover of `rg` to the node that is not its primary (now and then to the
        one that is), asked on node `via`; reset after `duration`."""
        lab, checker = self.lab, self.checker
        latest = checker.latest[via]
        target = rng.randrange(2)
        if latest and rng.random() < 0.8:
            primary = [node for g in latest[2]["redundancyGroups"] if g["id"] == rg
                       for node, row in enumerate(g["nodes"]) if row["status"] == "primary"]
            if primary:
                target = 1 - primary[0]
        status, text = lab.manual_failover(via, rg, target)
        outcome = "accepted" if status == 0 else (
            "unreachable" if "not running" in text or "connect" in text.lower() else "refused")
        self.manual[f"rg{rg} {outcome}"] += 1
        if outcome == "refused":
            self.refusals.append((rg, target, text.splitlines()[-1] if text else ""))
        time.sleep(duration)
        for node in (via, 1 - via):         # the reset, on whichever node answers
            status, text = lab.manual_reset(node, rg)
            if status == 0 or "not running" not in text:
                break

    def delete_address(self, r):
        """`ip addr del` of reth r's address on its holder; the agent must put it back."""
        lab = self.lab
        address = RETHS[r]["address"]
        n = lab.delete_reth_address(r)
        if n is None:
            return
        deleted = time.time()
        while time.time() - deleted < RESTORE_BOUND:
            if lab.holders(address):
                self.restores.append(time.time() - deleted)
                return
            time.sleep(0.005)
        # Other faults of the episode may keep every node from owning it (a partition with the
        # witness gone): the probes after the episode tell whether it came back.
        self.not_restored.append((r, n, lab.describe_paths()))
        log(f"reth{r} {address} deleted on node{n} not back after {RESTORE_BOUND:.0f}s "
            f"({lab.describe_paths()})")

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
        """After the faults stop: one primary per RG, and the client's probe to every reth
        address answered, each within 2 x detection + hold-down (CONVERGENCE_BOUND) of when
        both control sockets answer again (at once unless an agent was just restarted)."""
        lab, checker = self.lab, self.checker
        limit = healed + 30
        answering = converged = None
        answered = {}                        # reth -> when the first probe after healed came back
        while time.time() < limit and not lab.relay_failed:
            if answering is None and all(
                    checker.latest[n] and lab.agents[n] and checker.latest[n][1] == lab.agents[n].pid
                    and checker.latest[n][0] > healed for n in (0, 1)):
                answering = time.time()
            if answering and converged is None and checker.converged():
                converged = time.time()
            for r in RETHS:
                if r not in answered:
                    reply = lab.replies[r].answered_after(healed)
                    if reply:
                        answered[r] = reply[2]
            if converged and len(answered) == len(RETHS):
                break
            time.sleep(0.05)
        if lab.relay_failed:
            return                           # reported by the checker as a relay violation
        if converged:
            self.convergence.append(converged - healed)
            if converged - answering > CONVERGENCE_BOUND + SAMPLING_ALLOWANCE:
                checker.violation("convergence", f"{converged - answering:.2f}s after faults "
                                  f"{kinds} stopped (bound {CONVERGENCE_BOUND:.1f}s)")
        else:
            latest = [summary(checker.latest[n][2]) if checker.latest[n] else None for n in (0, 1)]
            checker.violation("convergence", f"no single primary per RG 30 s after faults {kinds} "
                              f"stopped: node0 {latest[0]} / node1 {latest[1]}")
            self.convergence_failures.append(kinds)
        bound = CONVERGENCE_BOUND + SAMPLING_ALLOWANCE + PROBE_INTERVAL
        for r, x in RETHS.items():
            if r not in answered:
                checker.violation("probe", f"reth{r} {x['address']}: no probe answered 30 s after "
                                  f"faults {kinds} stopped; holders {sorted(lab.holders(x['address']))}")
                continue
            self.probe_times.append(answered[r] - healed)
            late = answered[r] - (answering or healed)
            if late > bound:
                checker.violation("probe", f"reth{r} {x['address']}: first answer {late:.2f}s "
                                  f"after faults {kinds} stopped (bound {bound:.2f}s)")

    def run(self):
        n = 0
        while time.time() < self.deadline and not self.lab.relay_failed:
            self.episode()
            n += 1
            if n % 10 == 0:
                log(f"{n} episodes, faults so far {dict(self.counts)}, "
                    f"violations {len(self.checker.violations)}")
        return n
