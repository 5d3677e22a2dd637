"""The soak's invariant checker: a thread that samples both nodes' status several times a second
and checks the invariants online (soak/README.md), and the checks after the run (journal records,
notifications received, RSS growth)."""
import collections
import re
import threading
import time

import addresses
from lab import RETHS, RG_FAILOVER_ID, RG_STATE_CHANGE_ID, WINDOW, cclab, log

SPLIT_BRAIN_ID = cclab.message_ids()["splitBrainDetected"]

TRAP_RG_STATE_CHANGE = cclab.MIB_ROOT + ".0.1"
LEAK_MIN_LIFE = 180                         # seconds a process must live for the leak check
HANDOVER_BOUND = 2.0                        # seconds a reth may hand over (its grace: 0.5 s)
# ccRgNodeState.<rg>.<node> (CHASSIS-CLUSTER-MIB) and its enumeration (cclab.STATE_NAME).
TRAP_STATE_RE = re.compile(re.escape(cclab.MIB_ROOT + ".1.3.1.4.") + r"(\d+)\.(\d+) = INTEGER: (\d+)")


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
        self.pss = collections.defaultdict(list)   # pid -> [(t, kB)] (smaps_rollup)
        self.anon = collections.defaultdict(list)  # pid -> [(t, kB)] anonymous pages (smaps_rollup)
        self.holder_samples = 0
        self.handover_since = {}            # (node, reth) -> first time seen handing over
        self.longest_handover = 0.0
        self.owners_seen = []               # (t, reth, excuse or None): both nodes held it
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
                    lab.ended_how[proc.pid] = "crash"
                    lab.begin_cleanup_window(n, proc.pid)
                    lab.agents[n] = None
                    lab.base.forget(proc)
                lab.cleanup(n)                  # the unit's ExecStopPost, then Restart=
                lab.start_agent(n)
            return None
        started = time.time()
        try:
            reply = cclab.control_request(lab.socket(n), {"command": "show", "view": "status"})
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

    def excused_by_window(self, start, end):
        """Why two owners (or primaries) seen between start and end are no violation: no path
        between the nodes passes all traffic and they do not both reach the witness, or that
        became the case less than the detection window before; None if they are one."""
        lab = self.lab
        if lab.paths_condition() is None:
            return "no path between the nodes and no witness both reach"
        if not lab.condition_steady(start, end, WINDOW):
            return f"a path or the witness came back less than {WINDOW:.1f}s before"
        return None

    def check_owners(self):
        """Both nodes' addresses (node0, node1, node0): a reth address on both is a violation
        unless excused_by_window, or one of them is a SIGKILLed agent's node before its
        ExecStopPost clean-up ran."""
        lab = self.lab
        for r, x in RETHS.items():
            start = time.time()
            try:
                held = lab.holders(x["address"])
            except OSError as e:
                self.violation("owners", f"reading the nodes' addresses failed: {e}")
                continue
            end = time.time()
            self.holder_samples += 1
            self.check_handover(r, x["address"], start)
            if len(held) < 2:
                continue
            dead = [n for n in (0, 1) if n in lab.awaiting_cleanup]
            excuse = (f"node{dead[0]}'s agent was SIGKILLed, its clean-up still running" if dead
                      else self.excused_by_window(start, end))
            self.owners_seen.append((start, r, excuse))
            if excuse is None:
                self.violation("dual-owner", f"reth{r} {x['address']} held by both nodes while "
                               f"{lab.paths_condition()} works; paths: {lab.describe_paths()}")

    def check_handover(self, r, address, t):
        """A reth hands over (addresses deprecated, frames through the peer) for its grace
        period, 0.5 s: one seen doing so for longer than HANDOVER_BOUND is a violation."""
        try:
            over = self.lab.handing_over(address)
        except OSError as e:
            self.violation("owners", f"reading the nodes' addresses failed: {e}")
            return
        for n in (0, 1):
            key = ("handover", n, r)
            # A SIGKILLed agent's handover never ends: its clean-up takes the reth away.
            if n not in over or n in self.lab.awaiting_cleanup or self.lab.agents[n] is None:
                self.handover_since.pop(key, None)
                continue
            since = self.handover_since.setdefault(key, t)
            self.longest_handover = max(self.longest_handover, t - since)
            if t - since > HANDOVER_BOUND and key not in self.hang_reported:
                self.hang_reported.add(key)
                self.violation("handover", f"node{n} reth{r} {address} deprecated (handing over) "
                                           f"for {t - since:.2f} s, beyond {HANDOVER_BOUND} s")

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
            self.lab.watch_journald()
            a0 = self.probe(0)
            b = self.probe(1)
            a1 = self.probe(0) if (a0 and b) else None
            self.samples += 1
            if a0 and b and a1:
                both = self.primaries(a0, 0) & self.primaries(b, 1) & self.primaries(a1, 0)
                if both:
                    excuse = self.excused_by_window(t0, time.time())
                    self.dual_seen.append((t0, sorted(both), excuse))
                    if excuse is None:
                        self.violation("dual-primary", f"RG {sorted(both)} primary on both nodes "
                                       f"while {self.lab.paths_condition()} works; node0: "
                                       f"{summary(a0)} / node1: {summary(b)}")
            self.check_owners()
            if time.time() - self.last_rss >= 2.0:
                self.last_rss = time.time()
                for proc in list(self.lab.agents):
                    # From 2 s of age: `ip netns exec` has exec'd and the agent has started.
                    if proc is not None and proc.poll() is None and \
                            time.time() - self.lab.pid_life[proc.pid][0] >= 2.0:
                        kb = cclab.rss_kb(proc.pid)  # None until `ip netns exec` has exec'd
                        if kb:
                            self.rss[proc.pid].append((time.time(), kb))
                            pss, anon = smaps_kb(proc.pid)
                            if pss and anon:
                                self.pss[proc.pid].append((time.time(), pss))
                                self.anon[proc.pid].append((time.time(), anon))
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


def smaps_kb(pid):
    """(PSS, anonymous) of pid in kB from /proc/PID/smaps_rollup, (None, None) if it is gone."""
    fields = {}
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                name, _, rest = line.partition(":")
                if name in ("Pss", "Anonymous"):
                    fields[name] = int(rest.split()[0])
    except (OSError, ValueError, IndexError):
        return None, None
    if "Pss" not in fields:
        return None, None
    return fields["Pss"], fields.get("Anonymous", 0)


def summary(status):
    return ", ".join(f"rg{g['id']}=" + "/".join(x["status"] for x in g["nodes"])
                     for g in status["redundancyGroups"]) + \
        f" ctl={status.get('controlLink')} fab={status.get('fabricLink')} peer={status.get('peer')}"




# --- after the run: journal, traps, RSS ----------------------------------------------------------
def journal_records(pid):
    # Two matches on one field are OR-ed by journalctl.
    records = []
    for e in cclab.journal_entries(f"MESSAGE_ID={RG_STATE_CHANGE_ID}",
                                   f"MESSAGE_ID={RG_FAILOVER_ID}", f"_PID={pid}"):
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
            got.append((int(m.group(1)), cclab.STATE_NAME.get(int(m.group(3)), m.group(3))))
    return got


def within(t, windows, before=0.0, after=0.0):
    return any(s - before <= t <= ((e if e is not None else 1e18) + after) for s, e in windows)


def owner_excuse(lab, t):
    """Why both nodes owning a reth address at t is no violation (None: it is one): the rule of
    Checker.excused_by_window, at an instant of the past."""
    dead = lab.awaiting_cleanup_at(t)
    if dead:
        return "a SIGKILLed agent's node before its clean-up"
    state, last_flip = False, None
    for when, applies in lab.condition_log:
        if when > t:
            break
        state, last_flip = applies, when
    if not state:
        return "no path between the nodes and no witness both reach"
    if last_flip is not None and t - last_flip < WINDOW:
        return f"a path or the witness came back less than {WINDOW:.1f}s before"
    return None


def check_owner_events(lab, checker):
    """Every interval in which both nodes held a reth address, from the watcher's events: a
    violation if at any instant of it owner_excuse has no excuse. The excuse can only change at
    a condition flip (+ WINDOW) or a kill or clean-up, so those instants and the start are the
    ones to test."""
    rows = addresses.read_watch(lab.address_events)
    critical = sorted({t for t, _ in lab.condition_log} | {t + WINDOW for t, _ in lab.condition_log}
                      | {w[1] for w in lab.cleanup_windows}
                      | {w[2] for w in lab.cleanup_windows if w[2]})
    found = []
    for r, x in RETHS.items():
        for start, end in addresses.overlaps(rows, x["address"]):
            stop = end if end is not None else time.time()
            instants = [start] + [c + 1e-6 for c in critical if start < c < stop]
            excuses = [owner_excuse(lab, t) for t in instants]
            unexcused = [t for t, e in zip(instants, excuses) if e is None]
            found.append((r, start, stop, next((e for e in excuses if e), None) if not unexcused
                          else None))
            if unexcused:
                checker.violation("dual-owner", f"reth{r} {x['address']} held by both nodes from "
                                  f"{stamp(start)} for {(stop - start) * 1000:.0f} ms (address "
                                  f"events), unexcused from {stamp(unexcused[0])}")
    return found, len(rows)


def check_split_brains(lab, checker):
    """A split brain the agents detected (journal) while a path worked: a dual primary the
    status samples may have missed (it lasts a few tens of milliseconds)."""
    seen = []
    for pid in lab.pid_life:
        for e in cclab.journal_entries(f"MESSAGE_ID={SPLIT_BRAIN_ID}", f"_PID={pid}"):
            t = int(e["__REALTIME_TIMESTAMP"]) / 1e6
            excuse = owner_excuse(lab, t)
            seen.append((t, pid, e.get("MESSAGE", ""), excuse))
    seen.sort()
    for t, pid, message, excuse in seen:
        if excuse is None:
            checker.violation("dual-primary", f"journal: node{lab.pid_node[pid]} pid {pid} at "
                              f"{stamp(t)}: {message}")
    return seen


def stamp(t):
    return time.strftime("%H:%M:%S", time.localtime(t)) + f".{int(t * 1000) % 1000:03d}"


def analyse(lab, checker, soak):
    result = {"violations": list(checker.violations)}
    result["owner_events"], result["address_events"] = check_owner_events(lab, checker)
    result["split_brains"] = check_split_brains(lab, checker)
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
        if within(t_seen, lab.journald.down, before=2.0, after=1.0) or \
                within(t_prev, lab.journald.down, before=2.0, after=1.0):
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
                if killed and lab.ended_how.get(pid) == "kill" and killed - 0.2 <= r["t"] <= killed:
                    excusable = True         # raised in the last instant before SIGKILL
                candidates[key].append((r, excusable))
        got = collections.Counter(parse_traps(lab.snmp[n].traps, n))
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
    # 3. RSS, anonymous memory and PSS: per process that lived long enough, growth after its
    # first minute. A leak is heap, which shows in RSS and in the anonymous pages. PSS is
    # reported, not checked: a process's share of the shared library and binary pages grows
    # when other processes mapping them exit (in one run PSS +23 % with RSS +0.3 %), and so
    # does USS (the peer agent, same binary, restarted: USS +22 %, RSS +0.5 %).
    for name, samples in (("rss", checker.rss), ("anon", checker.anon), ("pss", checker.pss)):
        rows = []
        for pid, series in samples.items():
            if not series:
                continue
            start = lab.pid_life[pid][0]
            after_minute = [kb for t, kb in series if t - start >= 60]
            first, last = series[0][1], series[-1][1]
            base = after_minute[0] if after_minute else None
            lived = series[-1][0] - start
            growth = (last - base) / base * 100 if base else None
            rows.append((lab.pid_node[pid], pid, lived, first, base, last, growth))
            if not soak.smoke and name != "pss" and base and lived >= LEAK_MIN_LIFE \
                    and growth >= 10:
                checker.violation("leak", f"node{lab.pid_node[pid]} pid {pid}: {name.upper()} "
                                          f"{base} kB at 1 min -> {last} kB after {lived:.0f}s "
                                          f"(+{growth:.1f}%)")
        result[name] = sorted(rows)
    return result

