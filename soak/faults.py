"""The soak's fault stream: seeded episodes of 1-3 overlapping faults on the lab (lab.py), each
healed at its end and followed by a convergence measurement (soak/README.md lists the faults)."""
import collections
import random
import signal
import threading
import time

from checker import summary
from lab import CONVERGENCE_BOUND, SAMPLING_ALLOWANCE, log

BAD_CONFIG_LINES = [
    "set chassis cluster heartbeat-threshold 99\n",
    "set chassis cluster redundancy-group 0 preempt\n",
    "set chassis cluster cluster-id\n",
    "set chassis cluster redundancy-group 1 interface-monitor lan0 weight 300\n",
    "set chassis cluster \x00\xff garbage\n",
]


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
                if not lab.journald.restartable:
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
