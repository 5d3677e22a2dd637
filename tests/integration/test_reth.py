"""Issue 14: reth interfaces. A client namespace on a LAN bridge reaches the reth address (ping
and TCP); the address and the shared MAC move with RG1 on a monitored-link failover, a manual
failover, a dead primary and a resolved split brain, never held by both nodes while they are in
contact, announced by paced GARP bursts; a removed address is put back; a reload adds and
removes reths; `ccagentd --cleanup-reths` takes a killed agent's reth off the LAN."""
import json
import os
import signal
import subprocess
import time

import pytest

from cluster import BIN, Cluster, sh
import cclab  # noqa: E402  (tests/lib, on the path once cluster is imported)
import lanprobe  # noqa: E402

MAC = "02:cc:a9:00:05:00"  # reth-mac local: cluster-id 5, reth0
ADDRESS, SECOND = "192.0.2.1", "192.0.2.2"
TCP_PORT = 7077
RETH = (
    "set chassis cluster reth-count 1\n"
    "set interfaces reth0 redundant-ether-options redundancy-group 1\n"
    "set interfaces lan1 gigether-options redundant-parent reth0\n"
    f"set interfaces reth0 unit 0 family inet address {ADDRESS}/24\n"
    f"set interfaces reth0 unit 0 family inet address {SECOND}/24\n"
    "set chassis cluster redundancy-group 1 interface-monitor lan1 weight 255\n"
)
RETH1 = (
    "set interfaces reth1 redundant-ether-options redundancy-group 1\n"
    "set interfaces lan0 gigether-options redundant-parent reth1\n"
    "set interfaces reth1 unit 0 family inet address 198.51.100.1/24\n"
)


def holds(c, n, address=ADDRESS):
    return lanprobe.holds(c.ns[n], address)


def neighbour_mac(client):
    return lanprobe.neighbour_mac(client, ADDRESS)


def fdb_ports(c, mac=MAC):
    """The switch ports the bridge has learned `mac` on."""
    return lanprobe.fdb_ports(c.switch, "brl", mac)


def link(c, n, name):
    out = sh(f"ip -j -n {c.ns[n]} link show {name}", check=False).stdout
    links = json.loads(out or "[]")
    return links[0] if links else None


class Lan:
    """A started pair (node0 primary of RG1, holding the reth) whose lan1 ports are on bridge
    brl with a client (192.0.2.100/24) that pings the reth address; each node answers TCP on
    TCP_PORT with its name, and the switch captures every frame of the shared MAC."""

    def __init__(self, extra=""):
        self.c = c = Cluster(extra=RETH + extra, start=False)
        try:
            cclab.add_switch_bridge(c.topo, "brl", ["port10", "port11"])
            self.client = cclab.add_host(c.lab, c.topo, "cl", "brl", "192.0.2.100/24")
            for n in (0, 1):
                lanprobe.serve_name(c.lab, c.ns[n], TCP_PORT, f"node{n}")
            self.frames = lanprobe.FrameCapture(c.lab, c.switch, ["port10", "port11"], MAC)
            c.start(0)
            c.start(1)
            c.wait_state(0, 1, "primary", timeout=20)
            c.wait_state(1, 1, "secondary", timeout=20)
            c.wait(lambda: holds(c, 0) and holds(c, 0, SECOND), 10, "node0 holds the reth addresses")
            assert not holds(c, 1)
            self.pinger = lanprobe.Pinger(c.lab, self.client, ADDRESS)
            c.wait(lambda: self.pinger.answered_after(time.time() - 0.5), 10, "pings answered")
            c.wait(lambda: self.answer() == "node0", 10, "a TCP connection answered by node0")
            assert neighbour_mac(self.client) == MAC
            c.wait(lambda: fdb_ports(c) == {"port10"}, 10, "the bridge learns the MAC on port10")
        except Exception:
            c.close()
            raise

    def answer(self):
        return lanprobe.tcp_answer(self.client, ADDRESS, TCP_PORT)

    def close(self):
        self.c.close()


@pytest.fixture
def lan(request):
    lan = Lan(getattr(request, "param", ""))
    request.addfinalizer(lan.close)
    return lan


def port(n):
    return f"port1{n}"


def check_bursts(lan, after, n, bursts=2, count=4):
    """`bursts` GARP bursts of `count` per reth address from node n's port after `after`:
    50 ms apart within a burst, the second ~2 s after the first."""
    def seen():
        frames = lan.frames.frames(after)
        return [lanprobe.garp_bursts(frames, a, port(n)) for a in (ADDRESS, SECOND)]
    lan.c.wait(lambda: all(len(b) >= bursts and len(b[bursts - 1]) >= count for b in seen()),
               10, f"{bursts} GARP burst(s) from node{n}")
    time.sleep(0.4)  # a burst still growing would show as one frame too many
    for per_address in seen():
        assert len(per_address) == bursts, per_address
        for burst in per_address:
            assert len(burst) == count, per_address
            # Paced on a 50 ms schedule: frame k at k × 50 ms after the first. One frame sent
            # late on a loaded box makes the next gap short, so bound the offsets, not the gaps
            # (a burst sent at once would have every offset near 0).
            offsets = [t - burst[0] for t in burst]
            assert all(k * 0.05 - 0.02 <= o <= k * 0.05 + 0.25 for k, o in enumerate(offsets)), \
                offsets
        if bursts == 2:
            assert 1.5 <= per_address[1][0] - per_address[0][0] <= 3.5, per_address


def check_moved(lan, t0, new, bursts=2, count=4, old_in_contact=True):
    """After the event at t0, node `new` owns the reth as the client sees it."""
    c, old = lan.c, 1 - new
    c.wait(lambda: holds(c, new), 15, f"node{new} holds {ADDRESS}")
    if old_in_contact:
        c.wait(lambda: not holds(c, old), 10, f"node{old} gave {ADDRESS} up")
    # The shared MAC: from the new owner's first frame on, nothing of it from the old one.
    c.wait(lambda: any(p == port(new) for _, p, _, _ in lan.frames.frames(t0)), 10,
           f"frames of the shared MAC from node{new}")
    frames = lan.frames.frames(t0)
    first = next(i for i, f in enumerate(frames) if f[1] == port(new))
    taken = frames[first][0]
    c.wait(lambda: lan.pinger.answered_after(taken), 15, "the client's pings resume")
    print(f"\nnode{new} first emitted the MAC {taken - t0:.3f} s after the event; first answered "
          f"ping sent {lan.pinger.answered_after(taken)[1] - taken:.3f} s later")
    c.wait(lambda: lan.answer() == f"node{new}", 10, f"TCP answered by node{new}")
    c.wait(lambda: fdb_ports(c) == {port(new)}, 10, f"the bridge moves the MAC to {port(new)}")
    assert neighbour_mac(lan.client) == MAC  # the client's cache never changed
    check_bursts(lan, t0, new, bursts, count)
    if old_in_contact:
        late = [f for f in lan.frames.frames(t0)[first:] if f[1] == port(old)]
        assert not late, f"node{old} emitted the shared MAC after node{new} took it: {late}"


def test_monitored_link_failover_moves_the_reth_and_a_removed_address_is_restored(lan):
    c = lan.c
    sampler = lanprobe.HolderSampler(c.ns[1], c.ns[0], ADDRESS)
    t0 = time.time()
    c.cable(0, 1, False)  # node0's lan1 loses carrier: RG1 fails over
    c.wait_state(1, 1, "primary", timeout=15)
    check_moved(lan, t0, 1)
    both = sampler.stop()
    assert not both, f"both nodes held {ADDRESS} at {both}"
    assert sampler.samples > 10
    assert MAC in c.ccctl(1, "show", "interfaces").stdout

    # Someone removes the address on the primary: the agent puts it back.
    sh(f"ip -n {c.ns[1]} addr del {ADDRESS}/24 dev reth0")
    c.wait(lambda: holds(c, 1), 10, "the removed address is restored")
    c.wait(lambda: "restored" in open(c.logs[1]).read(), 5, "the restore is logged")

    # A graceful stop leaves no address behind.
    c.kill(1, sig=signal.SIGTERM)
    assert not holds(c, 1) and not holds(c, 1, SECOND)


@pytest.mark.parametrize(
    "lan", ["set chassis cluster redundancy-group 1 gratuitous-arp-count 3\n"], indirect=True)
def test_manual_failover_moves_the_reth_with_the_configured_garp_count(lan):
    c = lan.c
    sampler = lanprobe.HolderSampler(c.ns[1], c.ns[0], ADDRESS)
    t0 = time.time()
    c.ccctl(0, "request", "chassis", "cluster", "failover", "redundancy-group", "1", "node", "1")
    c.wait_state(1, 1, "primary", timeout=15)
    check_moved(lan, t0, 1, count=3)
    both = sampler.stop()
    assert not both, f"both nodes held {ADDRESS} at {both}"
    assert c.state(0, 1) in ("secondary", "secondary-hold")


def test_a_dead_primary_box_hands_the_reth_over(lan):
    """kill -9 of node0's agent and its LAN link down at the same instant: a box that died.
    Its reth stays as the dead agent left it, but off the LAN."""
    c = lan.c
    t0 = time.time()
    os.kill(c.procs[0].pid, signal.SIGKILL)
    c.cable(0, 1, False)
    down = time.time()
    c.wait_state(1, 1, "primary", timeout=15)
    check_moved(lan, t0, 1, old_in_contact=False)
    # Between the kill and the cable node0's kernel may still answer a ping; after, nothing.
    assert not [f for f in lan.frames.frames(down + 0.05) if f[1] == port(0)]
    c.kill(0)


def test_a_split_brain_and_its_resolution_leave_one_owner_that_announces(lan):
    c = lan.c
    for name in ("ctl0", "fab0"):
        c.link(0, name, up=False)
    c.wait_state(1, 1, "primary", timeout=15)
    assert c.state(0, 1) == "primary"  # both: SRX behaviour without a witness
    c.wait(lambda: fdb_ports(c) == {"port11"}, 10, "node1's GARPs move the MAC to port11")
    t_heal = time.time()
    for name in ("ctl0", "fab0"):
        c.link(0, name, up=True)
    c.wait(lambda: c.state(1, 1) in ("secondary", "secondary-hold"), 15, "split brain resolved")
    c.wait(lambda: not holds(c, 1), 10, "node1 gave the address up")
    # Resolved: from now on the nodes are in contact and only one may hold it.
    sampler = lanprobe.HolderSampler(c.ns[0], c.ns[1], ADDRESS)
    resolved = time.time()
    assert c.state(0, 1) == "primary" and holds(c, 0)
    # The winner's fresh burst (one) takes the MAC back to its port.
    check_bursts(lan, t_heal, 0, bursts=1)
    c.wait(lambda: fdb_ports(c) == {"port10"}, 10, "the bridge moves the MAC back to port10")
    c.wait(lambda: lan.pinger.answered_after(resolved), 15, "the client's pings resume")
    c.wait(lambda: lan.answer() == "node0", 10, "TCP answered by node0")
    assert neighbour_mac(lan.client) == MAC
    late = [f for f in lan.frames.frames(resolved) if f[1] == port(1)]
    assert not late, f"node1 emitted the shared MAC after the resolution: {late}"
    time.sleep(1)
    both = sampler.stop()
    assert not both, f"both nodes held {ADDRESS} after the resolution at {both}"
    assert "split brain resolved" in open(c.logs[0]).read() + open(c.logs[1]).read()


def reload_both(c, text):
    c.write_config(text)
    for n in (0, 1):
        c.procs[n].send_signal(signal.SIGHUP)


def test_a_reload_adds_and_removes_a_reth_and_nothing_else_moves():
    c = Cluster(extra=RETH)
    try:
        c.wait_state(0, 1, "primary", timeout=20)
        c.wait_state(1, 1, "secondary", timeout=20)
        c.wait(lambda: holds(c, 0), 10, "node0 holds reth0's address")
        base = open(c.config_path).read()
        reth0 = link(c, 0, "reth0")["ifindex"]
        counts = [c.status(n)["redundancyGroups"][1]["failoverCount"] for n in (0, 1)]

        def unchanged():
            assert c.state(0, 1) == "primary" and c.state(1, 1) == "secondary"
            assert [c.status(n)["redundancyGroups"][1]["failoverCount"] for n in (0, 1)] == counts
            assert link(c, 0, "reth0")["ifindex"] == reth0 and holds(c, 0)
            assert not holds(c, 1)

        reload_both(c, base.replace("reth-count 1", "reth-count 2") + RETH1)
        c.wait(lambda: holds(c, 0, "198.51.100.1"), 10, "reth1 up on node0 with its address")
        c.wait(lambda: link(c, 1, "reth1") is not None, 10, "reth1 made on node1")
        assert "UP" in link(c, 0, "reth1")["flags"]
        assert "UP" not in link(c, 1, "reth1")["flags"] and not holds(c, 1, "198.51.100.1")
        assert link(c, 0, "reth1")["address"] == "02:cc:a9:00:05:01"
        unchanged()
        for n in (0, 1):
            c.wait(lambda: "reload: reth1 added (RG1, lan0)" in open(c.logs[n]).read(), 5,
                   f"node{n}'s reload record names reth1")

        reload_both(c, base)
        for n in (0, 1):
            c.wait(lambda: link(c, n, "reth1") is None, 10, f"reth1 deleted on node{n}")
            c.wait(lambda: "reload: reth1 removed" in open(c.logs[n]).read(), 5,
                   f"node{n}'s reload record says reth1 went")
        assert not holds(c, 0, "198.51.100.1")
        unchanged()
        errors = [l for n in (0, 1) for l in open(c.logs[n]).read().splitlines()
                  if "data plane" in l and "failed" in l]
        assert not errors, errors
    finally:
        c.close()


def cleanup(c, n, config=None):
    return subprocess.run(
        ["ip", "netns", "exec", c.ns[n], os.path.join(BIN, "ccagentd"), "--cleanup-reths",
         "--config", config or c.config_path, "--node", str(n), "--control-socket", c.socket(n),
         "--state-directory", c.lab.state_directory()],
        capture_output=True, text=True, timeout=30)


def arp_ignore(c, n, name="lan1"):
    return sh(f"ip netns exec {c.ns[n]} cat /proc/sys/net/ipv4/conf/{name}/arp_ignore").stdout.strip()


def test_cleanup_takes_a_killed_primarys_reth_off_the_lan():
    c = Cluster(extra=RETH)
    try:
        c.wait_state(0, 1, "primary", timeout=20)
        c.wait(lambda: holds(c, 0), 10, "node0 holds the reth address")
        record = c.socket(0) + ".sysctls"
        assert os.path.exists(record) and arp_ignore(c, 0) == "1"
        # Never under a running agent.
        refused = cleanup(c, 1)
        assert refused.returncode == 1 and "already runs" in refused.stderr, refused
        assert link(c, 1, "reth0") is not None

        c.kill(0, sig=signal.SIGKILL)
        assert holds(c, 0) and "UP" in link(c, 0, "reth0")["flags"]  # what the kill leaves
        done = cleanup(c, 0)
        assert done.returncode == 0, done
        assert "reth0 taken off the LAN" in done.stderr, done.stderr
        assert link(c, 0, "reth0") is None and not holds(c, 0) and not holds(c, 0, SECOND)
        assert arp_ignore(c, 0) == "0" and not os.path.exists(record)
        again = cleanup(c, 0)
        assert again.returncode == 0, again

        bad = c.lab.path("bad.conf")
        cclab.write_file(bad, open(c.config_path).read() + "set chassis cluster bogus 1\n")
        broken = cleanup(c, 0, bad)
        assert broken.returncode == 1 and f"{bad}:" in broken.stderr, broken
        assert "nothing done" in broken.stderr
    finally:
        c.close()
