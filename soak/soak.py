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

Files: lab.py (namespaces, relay, daemons, fault primitives, on tests/lib/cclab.py), checker.py
(online invariants and the checks after the run), faults.py (the seeded fault stream), and this
entry point (set-up, the run, the summary).
"""
import collections
import os
import random
import shutil
import signal
import statistics
import sys
import time

from checker import Checker, analyse, summary
from faults import FAULTS, Soak
from lab import (BIN, CONVERGENCE_BOUND, INTERVAL_MS, RG_FAILOVER_ID, RG_STATE_CHANGE_ID,
                 SAMPLING_ALLOWANCE, THRESHOLD, WINDOW, SoakLab, cclab, log)


def report(lab, checker, soak, res, episodes, elapsed, seed):
    print()
    print("=" * 72)
    print(f"ccagent soak summary  seed={seed}  duration={elapsed/60:.1f} min  "
          f"episodes={episodes}  smoke={'yes' if soak.smoke else 'no'}")
    print(f"heartbeat {INTERVAL_MS} ms x {THRESHOLD}; detection window {WINDOW:.1f} s; convergence "
          f"bound {CONVERGENCE_BOUND:.1f} s (+{SAMPLING_ALLOWANCE} s sampling)")
    print(f"journald: {'started by the soak (restarted as a fault)' if lab.journald.started_by_us else 'pre-existing (not restarted)'}"
          f"; stopped by someone else during the run: {lab.journald_lost} (outages excused)")
    print("faults injected by kind:")
    for kind, _ in FAULTS:
        print(f"  {kind:18s} {soak.counts.get(kind, 0)}")
    print(f"  {'total':18s} {sum(soak.counts.values())}")
    if res.get("relay"):
        print("relay (per link and direction, 01 = node0 -> node1): frames forwarded, impaired "
              "(UDP while impaired), delayed, duplicated, reordered, held past hold_ms, send errors")
        for link, dirs in sorted(res["relay"]["links"].items()):
            for d, st in sorted(dirs.items()):
                if d == "hub":
                    print(f"  {link} attacker hub: {st['received']} in ({st['to0']} to node0, "
                          f"{st['to1']} to node1), {st['copied']} copies out, "
                          f"{st['send_errors']} send-errors")
                    continue
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
    owners = checker.owners_seen
    print(f"reth owners: {checker.holder_samples} samples (node0, node1, node0 over netlink); "
          f"both nodes held an address in {len(owners)}, excused {sum(1 for o in owners if o[2])}: "
          f"{dict(collections.Counter(o[2] for o in owners if o[2]))}")
    print(f"handovers: longest seen {checker.longest_handover:.2f} s (a reth's addresses "
          f"deprecated while its frames leave through the peer; bound 2 s)")
    events = res["owner_events"]
    print(f"reth owners from {res['address_events']} address events: both nodes held an address "
          f"{len(events)} times, excused {sum(1 for e in events if e[3])}: "
          f"{dict(collections.Counter(e[3] for e in events if e[3]))}")
    for r, start, stop, excuse in events[:12]:
        print(f"  reth{r} {time.strftime('%H:%M:%S', time.localtime(start))} "
              f"{(stop - start) * 1000:.0f} ms: {excuse or 'VIOLATION'}")
    brains = res["split_brains"]
    print(f"split brains detected by the agents (journal): {len(brains)}, excused "
          f"{sum(1 for b in brains if b[3])}")
    if soak.convergence:
        print(f"convergence after faults stop: n={len(soak.convergence)} "
              f"median={statistics.median(soak.convergence):.2f}s max={max(soak.convergence):.2f}s")
    if soak.probe_times:
        print(f"client probes answered after faults stop (every reth): n={len(soak.probe_times)} "
              f"median={statistics.median(soak.probe_times):.2f}s max={max(soak.probe_times):.2f}s; "
              f"replies {', '.join(f'reth{r} {lab.replies[r].count()}' for r in sorted(lab.replies))}")
    print(f"manual failovers: {dict(sorted(soak.manual.items()))}")
    for rg, node, text in soak.refusals[:6]:
        print(f"  refused rg{rg} -> node{node}: {text}")
    stops = lab.stop_results
    print(f"graceful stops: {len(stops)}, exit statuses {dict(collections.Counter(s[2] for s in stops))}, "
          f"longest {max((s[3] for s in stops), default=0):.2f}s; ExecStopPost clean-ups: "
          f"{len(lab.cleanup_results)}, exit statuses "
          f"{dict(collections.Counter(c[1] for c in lab.cleanup_results))}, longest "
          f"{max((c[2] for c in lab.cleanup_results), default=0):.2f}s")
    if soak.restores:
        print(f"deleted reth addresses put back: n={len(soak.restores)} "
              f"median={statistics.median(soak.restores) * 1000:.0f} ms "
              f"max={max(soak.restores) * 1000:.0f} ms; "
              f"not back within the bound: {len(soak.not_restored)}")
    floods = soak.attacker.floods
    for kind in ("replay", "flood"):
        got = [f for f in floods if f["kind"] == kind]
        if got:
            print(f"attacker {kind}s: n={len(got)}, {sum(f['sent'] for f in got)} datagrams, "
                  f"achieved rate {min(f['rate'] for f in got):.0f}-{max(f['rate'] for f in got):.0f}/s "
                  f"(asked {min(f['target_rate'] for f in got)}-{max(f['target_rate'] for f in got)}/s)")
    print(f"attacker forgeries sent: {soak.attacker.sent}; attack-only episodes: "
          f"{dict(soak.attack_checks)}")
    print(f"RG state changes seen in status: {res['journal_checked']}, missing in journald: "
          f"{res['journal_missing']}, excused (journald down): {res['journal_excused']}; "
          f"{res['only_failover_id']} of them journalled only under the failover MESSAGE_ID "
          f"{RG_FAILOVER_ID}, not {RG_STATE_CHANGE_ID}")
    print(f"ccRgStateChange notifications: expected {res['expected']}, received {res['received']}, "
          f"excused (snmpd restart + agent kill) {res['excused_traps']}, extra {res['extra_traps']}")
    for name in ("rss", "anon", "pss"):
        print(f"{name.upper()} (kB) per agent process: node pid lived first at-1min last "
              f"growth-after-1min")
        for node, pid, lived, first, base, last, growth in res[name]:
            g = f"{growth:+.1f}%" if growth is not None else "n/a (<1 min)"
            print(f"  node{node} {pid:7d} {lived:6.0f}s {first:7d} {base if base else '-':>7} "
                  f"{last:7d} {g}")
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
    for b in ("ccagentd", "ccctl", "ccwitnessd"):
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
    lab = SoakLab(rng)
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
        ccctl = cclab.ccctl(lab.socket(0), "show", "status", "--json", bin_dir=BIN, check=False)
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
