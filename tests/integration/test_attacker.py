"""Issue 13: an attacker namespace on the control and fabric bridges (tests/lib/attacker.py).
The bridges are hubs, so the attacker sees every heartbeat; it may spoof any source address but
does not have the key, except where a test gives it the key to show that the source check alone
stops it. Forged, replayed, tampered, oversized and flooded datagrams must change no role, and
the correct node must still take over when the real peer dies or a monitored link fails."""
import json
import os
import signal
import sys
import threading
import time

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))

import attacker  # noqa: E402
import cclab  # noqa: E402
from cclab import ADDRESS, CTL_PORT, FAB_PORT, MONITOR_LAN0  # noqa: E402

PEER = {0: 1, 1: 0}


@pytest.fixture
def hub(request):
    """A running pair (RG0 200/100, RG1 150/100 monitoring lan0, 200 ms heartbeats) on hub
    bridges with the attacker on both: (cluster, Attacker)."""
    c = cclab.Cluster(extra=MONITOR_LAN0, start=False)
    request.addfinalizer(c.close)
    ns = attacker.attach(c.lab, c.topo)
    for n in (0, 1):
        c.start(n)
    boot(c)
    return c, attacker.Attacker(c.lab, ns)


def boot(c, primary=0, timeout=20):
    for rg in (0, 1):
        c.wait_state(primary, rg, "primary", timeout)
        c.wait_state(PEER[primary], rg, "secondary", timeout)


def roles(c):
    """{(node, rg): state} as each node sees itself, and the RGs' failover counts."""
    out = {}
    for n in (0, 1):
        st = c.status(n)
        for g in st["redundancyGroups"]:
            out[(n, g["id"])] = (g["nodes"][n]["status"], g["failoverCount"])
    return out


def statistics(c, n):
    return json.loads(c.ccctl(n, "show", "statistics", "--json").stdout)


def datagrams_from(captured, src):
    return [bytes.fromhex(d["hex"]) for d in captured if d["src"] == src]


def forged_takeover(c, hub_attacker, key):
    """A heartbeat 'from node1' that node0 would act on if it came through: signed with `key`,
    the peer's epoch, a sequence far ahead, node0's current nonce echoed (sniffed: nonces
    travel in clear), and node1 primary for RG0 and RG1 at priority 254."""
    control, _ = hub_attacker.capture_both(1.5)
    from0 = [attacker.decode_header(bytes.fromhex(d["hex"])) for d in control
             if d["src"] == ADDRESS[("ctl0", 0)]]
    from1 = [attacker.decode_header(bytes.fromhex(d["hex"])) for d in control
             if d["src"] == ADDRESS[("ctl0", 1)]]
    assert from0 and from1, "the attacker sees the heartbeats of both nodes on the hub"
    groups = [attacker.group(0, 254, "primary"), attacker.group(1, 254, "primary")]
    payload = {}
    for link in ("ctl0", "fab0"):
        payload[link] = attacker.heartbeat(
            link, 5, 1, from1[-1]["epoch"], from1[-1]["sequence"] + 1_000_000, groups, key=key,
            digest=from1[-1]["digest"], nonce=from1[-1]["nonce"], echoed=from0[-1]["nonce"])
    return payload


def test_forged_tampered_and_oversized_datagrams_change_nothing(hub):
    c, a = hub
    before = roles(c)
    stats_before = [statistics(c, n) for n in (0, 1)]
    key = attacker.read_key(c.key_file)
    wrong = os.urandom(32)

    # The right key from a wrong source address: only the source check stops it.
    right_key = forged_takeover(c, a, key)
    for link, port in (("ctl0", CTL_PORT), ("fab0", FAB_PORT)):
        a.send(attacker.ATTACKER[link], ADDRESS[(link, 0)], port, [right_key[link]] * 5)
    # The peer's source address spoofed, without the key: wrong key, no key, a tampered
    # genuine datagram, an oversized one, garbage.
    wrong_key = forged_takeover(c, a, wrong)
    no_key = forged_takeover(c, a, None)
    control, fabric = a.capture_both(1.0)
    genuine = datagrams_from(control, ADDRESS[("ctl0", 1)])[-1]
    tampered = bytearray(genuine)
    tampered[40] ^= 0x01
    oversized = genuine[:-32] + bytes(3000) + genuine[-32:]
    for link, port in (("ctl0", CTL_PORT), ("fab0", FAB_PORT)):
        a.send(ADDRESS[(link, 1)], ADDRESS[(link, 0)], port,
               [wrong_key[link]] * 5 + [no_key[link]] * 5
               + [bytes(tampered), oversized, os.urandom(80), b""])

    def counted():
        s = statistics(c, 0)
        return (s["heartbeatSourceRejected"] >= stats_before[0]["heartbeatSourceRejected"] + 5
                and s["probeSourceRejected"] >= stats_before[0]["probeSourceRejected"] + 5
                # errors count the source rejections too; the empty datagram may not arrive
                and s["heartbeatErrors"] >= stats_before[0]["heartbeatErrors"] + 5 + 13
                and s["probeErrors"] >= stats_before[0]["probeErrors"] + 5 + 13)
    c.wait(counted, 10, "every forged datagram counted on node0")
    time.sleep(1.0)
    assert roles(c) == before
    assert c.status(0)["peer"] == "up" and c.status(1)["peer"] == "up"
    text = c.ccctl(0, "show", "statistics").stdout
    assert "Heartbeat packets from other sources: " in text and "Probes from other sources: " in text
    # Rejections are logged (rate-limited) with the sender and why.
    c.wait(lambda: "not from the peer's control address 10.77.0.2" in cclab.tail(c.logs[0], 400),
           5, "the source rejection logged")
    assert "10.77.0.66" in cclab.tail(c.logs[0], 400)
    assert "bad message authentication code" in cclab.tail(c.logs[0], 400)
    # node1 was not the target: nothing counted there beyond its own traffic.
    assert statistics(c, 1)["heartbeatSourceRejected"] == stats_before[1]["heartbeatSourceRejected"]
    assert all(p.poll() is None for p in c.procs)


def test_replayed_recordings_while_up_and_after_the_peer_is_killed(hub):
    c, a = hub
    # A recording of both directions on both links, boot 1 of both agents.
    control, fabric = a.capture_both(3.0)
    recording = {}
    for n in (0, 1):
        recording[n] = (datagrams_from(control, ADDRESS[("ctl0", n)]),
                        datagrams_from(fabric, ADDRESS[("fab0", n)]))
        assert len(recording[n][0]) >= 10 and len(recording[n][1]) >= 10

    def replay_of(n, recordings):
        """Datagrams replaying node n's recordings to its peer, its source address spoofed."""
        out = []
        for ctl, fab in recordings:
            out += [(ADDRESS[("ctl0", n)], ADDRESS[("ctl0", PEER[n])], CTL_PORT, d) for d in ctl]
            out += [(ADDRESS[("fab0", n)], ADDRESS[("fab0", PEER[n])], FAB_PORT, d) for d in fab]
        return out

    # Replayed while the peer is up: refused (old sequence numbers), nothing changes.
    before = roles(c)
    errors = statistics(c, 1)["heartbeatErrors"]
    a.send(ADDRESS[("ctl0", 0)], ADDRESS[("ctl0", 1)], CTL_PORT, recording[0][0])
    c.wait(lambda: statistics(c, 1)["heartbeatErrors"] >= errors + len(recording[0][0]), 10,
           "every replayed heartbeat refused on node1")
    time.sleep(1.0)
    assert roles(c) == before

    # node0 (primary) is killed while its recording is replayed to node1 over and over:
    # node1 must still take over, in the same time as without the replay.
    flood = a.flood(12, 400, replay_of(0, [recording[0]]))
    time.sleep(1.0)
    killed = time.monotonic()
    c.kill(0)
    boot_wait = lambda: c.state(1, 0) == "primary" and c.state(1, 1) == "primary"
    c.wait(boot_wait, 10, "node1 primary for RG0 and RG1 although node0's recording is replayed")
    took_over = time.monotonic() - killed
    assert c.status(1)["peer"] == "lost"
    time.sleep(2.0)
    assert c.status(1)["peer"] == "lost", "a replayed recording brought a dead peer back"
    assert flood.wait(30) == 0

    # node0 comes back (a new, higher epoch) and rejoins as secondary; then node1, now
    # primary, is killed while node0 hears replays of node1's first boot and of its current
    # one (captured just now): node0 must take over.
    c.start(0)
    boot(c, primary=1)
    control, fabric = a.capture_both(2.0)
    current = (datagrams_from(control, ADDRESS[("ctl0", 1)]),
               datagrams_from(fabric, ADDRESS[("fab0", 1)]))
    assert current[0], "node1's current heartbeats captured"
    flood = a.flood(12, 400, replay_of(1, [recording[1], current]))
    time.sleep(1.0)
    killed = time.monotonic()
    c.kill(1)
    c.wait(lambda: c.state(0, 0) == "primary" and c.state(0, 1) == "primary", 10,
           "node0 primary again although node1's recordings are replayed")
    assert c.status(0)["peer"] == "lost"
    time.sleep(2.0)
    assert c.status(0)["peer"] == "lost"
    assert flood.wait(30) == 0
    s = statistics(c, 0)
    assert s["heartbeatErrors"] > 100 and s["probeErrors"] > 100, s
    print(f"takeover with replays: {took_over:.2f} s")


def test_flood_while_a_monitored_link_fails(hub):
    """At least 20 000 datagrams/s for 30 s at both nodes (replays, wrong keys and garbage with
    spoofed sources, right-key forgeries from the attacker's address) while node0's lan0
    fails: node1 takes RG1, RG0 stays where it is, nothing else moves."""
    c, a = hub
    key = attacker.read_key(c.key_file)
    control, fabric = a.capture_both(2.0)
    forged = forged_takeover(c, a, key)
    wrong = forged_takeover(c, a, os.urandom(32))
    datagrams = []
    for n in (0, 1):
        for link, port, captured in (("ctl0", CTL_PORT, control), ("fab0", FAB_PORT, fabric)):
            me, peer = ADDRESS[(link, n)], ADDRESS[(link, PEER[n])]
            for d in datagrams_from(captured, me)[-20:]:
                datagrams.append((me, peer, port, d))  # replays, spoofed
            datagrams.append((me, peer, port, wrong[link]))  # wrong key, spoofed
            datagrams.append((me, peer, port, os.urandom(120)))  # garbage, spoofed
            datagrams.append((attacker.ATTACKER[link], peer, port, forged[link]))  # right key
    before = roles(c)
    c.start_sampler(lambda: True)
    flood = a.flood(30, 22_000, datagrams, processes=4)
    try:
        time.sleep(8.0)
        # Under the flood nothing moved.
        mid = roles(c)
        if mid != before:
            for log in c.logs:
                print(log, open(log).read()[-8000:])
        assert mid == before, f"the flood moved a role: {before} -> {mid}"
        failed = time.monotonic()
        c.cable(0, 0, up=False)
        c.wait(lambda: c.state(1, 1) == "primary" and c.state(0, 1) != "primary", 20,
               "node1 takes RG1 when node0's lan0 fails, during the flood")
        failover = time.monotonic() - failed
        assert c.state(0, 0) == "primary" and c.state(1, 0) == "secondary"
        summary = flood.summary()
    finally:
        c.stop_sampler()
    assert summary["rate"] >= 20_000, summary
    assert c.violations == []
    after = roles(c)
    # RG0 never moved; RG1 moved once (the monitored link), on the node that lost it.
    assert after[(0, 0)] == before[(0, 0)] and after[(1, 0)] == before[(1, 0)]
    if after[(1, 1)][1] != before[(1, 1)][1] + 1:
        for log in c.logs:
            print(log, open(log).read()[-6000:])
    assert after[(1, 1)][1] == before[(1, 1)][1] + 1
    s0, s1 = statistics(c, 0), statistics(c, 1)
    for s in (s0, s1):
        assert s["heartbeatSourceRejected"] > 1000 and s["probeSourceRejected"] > 1000, s
    assert all(p.poll() is None for p in c.procs)
    print(f"flood {summary['rate']:.0f}/s for {summary['seconds']:.1f} s; RG1 failover "
          f"{failover:.2f} s; node0 errors {s0['heartbeatErrors']}+{s0['probeErrors']}")
