"""The data-plane and attacker parts of `make bench` (used by bench.py).

  Lan        a bridge over both nodes' lan1 in the switch namespace, and a client namespace on it
  Prober     `cchelper probe` in the client namespace: an ICMP echo to the reth (VIP) address
             every 1 ms; runs of lost probes, and lost probes counted between two instants
  Attacker   control and fabric links rebuilt through bridges in the switch namespace, with an
             attacker namespace on both; `cchelper flood` sends forged datagrams from it

Only the namespaces' own addresses are targeted (192.0.2.0/24 on the LAN bridge, 10.77.0.0/24
and 10.77.1.0/24 on the control and fabric bridges).
"""
import os
import subprocess
import time

import cclab

LAN_ADDRESS = "192.0.2.1"
CLIENT_ADDRESS = "192.0.2.100/24"


class Lan:
    """brl in the switch namespace over port10/port11 (the far ends of both nodes' lan1) and a
    client namespace <prefix>-cl on it (eth0, 192.0.2.100/24)."""

    def __init__(self, lab, topo):
        self.topo = topo
        self.client = topo.prefix + "-cl"
        sw, p = topo.switch, topo.prefix[:8]
        lab.namespaces.append(self.client)
        cclab.sh(f"ip -n {sw} link add brl type bridge && ip -n {sw} link set brl up && "
                 f"ip -n {sw} link set port10 master brl && ip -n {sw} link set port11 master brl && "
                 f"ip netns add {self.client} && ip link add {p}k0 type veth peer name {p}k1 && "
                 f"ip link set {p}k0 netns {self.client} name eth0 && "
                 f"ip link set {p}k1 netns {sw} name portc && "
                 f"ip -n {sw} link set portc master brl && ip -n {sw} link set portc up && "
                 f"ip -n {self.client} link set lo up && ip -n {self.client} link set eth0 up && "
                 f"ip -n {self.client} addr add {CLIENT_ADDRESS} dev eth0")

    def remove_macvlans(self, n):
        remove_macvlans(self.topo, n)


def remove_macvlans(topo, n):
    """What a reboot does to node n's data plane: every macvlan (reth, keepalived's VMAC) goes."""
    out = cclab.run(["ip", "-n", topo.ns[n], "-o", "link", "show", "type", "macvlan"], check=False).stdout
    for line in out.splitlines():
        name = line.split(":")[1].strip().split("@")[0]
        cclab.run(["ip", "-n", topo.ns[n], "link", "del", name], check=False)


class Prober:
    """`cchelper probe` from the client namespace to `dst` every `interval_us` µs for the life of
    the object. A probe is lost when 200 later ones were sent before its reply came."""

    def __init__(self, ctx, ns, dst, name, interval_us=1000):
        self.ctx, self.name, self.interval_ms = ctx, name, interval_us / 1000
        self.lossfile = ctx.path(f"probe-{name}.loss")
        self.statusfile = ctx.path(f"probe-{name}.status")
        self.proc = ctx.spawn([ctx.helper("cchelper"), "probe", ns, dst, str(interval_us), self.lossfile,
                               self.statusfile], f"probe-{name}.log")

    def status(self):
        """(send time in ns of the newest answered probe, probes sent, probes answered)."""
        try:
            with open(self.statusfile) as f:
                a, s, r = (int(x) for x in f.read().split())
                return a, s, r
        except (OSError, ValueError):
            return 0, 0, 0

    def wait_answered(self, after_ns, timeout):
        """True once a probe sent after after_ns has been answered."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.status()[0] > after_ns:
                return True
            if self.proc.poll() is not None:
                raise RuntimeError(f"prober exited: {cclab.tail(self.ctx.path(f'probe-{self.name}.log'))}")
            time.sleep(0.02)
        return False

    def runs(self):
        """[(first seq, last seq, first send ns, last send ns)] of every finished run of losses."""
        rows = []
        try:
            with open(self.lossfile) as f:
                for line in f:
                    parts = line.split()
                    if len(parts) == 4:
                        rows.append(tuple(int(x) for x in parts))
        except OSError:
            pass
        return rows

    def lost_between(self, a_ns, b_ns):
        """Probes sent in [a_ns, b_ns] that were lost (a run cut by the window counts pro rata)."""
        lost = 0.0
        for fs, ls, ft, lt in self.runs():
            if lt < a_ns or ft > b_ns:
                continue
            count = ls - fs + 1
            if ft >= a_ns and lt <= b_ns or lt == ft:
                lost += count
            else:
                lost += count * (min(lt, b_ns) - max(ft, a_ns)) / (lt - ft)
        return lost

    def settle(self, timeout=10):
        """Waits until losses recorded so far are final (LATE probes after now were sent)."""
        now = time.time_ns()
        self.wait_answered(now + 250_000_000, timeout)

    def stop(self):
        self.ctx.stop(self.proc)


class Attacker:
    """Rebuilds a Topology's control (ctl0) and fabric (fab0) links through bridges brc/brf in
    the switch namespace and puts an attacker namespace <prefix>-at on both (10.77.0.66,
    10.77.1.66): a real host on the cluster's own segments."""

    def __init__(self, lab, topo):
        self.topo = topo
        self.ns = topo.prefix + "-at"
        sw, p = topo.switch, topo.prefix[:8]
        lab.namespaces.append(self.ns)
        script = [f"ip netns add {self.ns}", f"ip -n {self.ns} link set lo up",
                  f"ip -n {topo.ns[0]} link del ctl0", f"ip -n {topo.ns[0]} link del fab0"]
        for link, bridge, net in (("ctl0", "brc", 0), ("fab0", "brf", 1)):
            script += [f"ip -n {sw} link add {bridge} type bridge", f"ip -n {sw} link set {bridge} up"]
            for n in (0, 1):
                a, b = f"{p}x{net}{n}", f"{p}y{net}{n}"
                script += [f"ip link add {a} type veth peer name {b}",
                           f"ip link set {a} netns {topo.ns[n]} name {link}",
                           f"ip link set {b} netns {sw} name {bridge}{n}",
                           f"ip -n {sw} link set {bridge}{n} master {bridge}",
                           f"ip -n {sw} link set {bridge}{n} up",
                           f"ip -n {topo.ns[n]} addr add 10.77.{net}.{n + 1}/24 dev {link}",
                           f"ip -n {topo.ns[n]} link set {link} up"]
            a, b = f"{p}a{net}", f"{p}b{net}"
            script += [f"ip link add {a} type veth peer name {b}",
                       f"ip link set {a} netns {self.ns} name atk{net}",
                       f"ip link set {b} netns {sw} name {bridge}a",
                       f"ip -n {sw} link set {bridge}a master {bridge}", f"ip -n {sw} link set {bridge}a up",
                       f"ip -n {self.ns} addr add 10.77.{net}.66/24 dev atk{net}",
                       f"ip -n {self.ns} link set atk{net} up"]
        cclab.sh(" && ".join(script))

    def targets(self):
        """(forged source, destination, port) for both nodes' control and fabric ports: each
        datagram claims to come from the other node."""
        return [(cclab.ADDRESS[(link, 1 - n)], cclab.ADDRESS[(link, n)], port)
                for link, port in (("ctl0", cclab.CTL_PORT), ("fab0", cclab.FAB_PORT)) for n in (0, 1)]

    def flood(self, ctx, payload, rate, name):
        """Starts `cchelper flood` (until stopped); stop_flood() returns the achieved rate."""
        argv = [ctx.helper("cchelper"), "flood", self.ns, str(rate), "0", payload.hex()]
        for t in self.targets():
            argv += [t[0], t[1], str(t[2])]
        with open(ctx.path(f"flood-{name}.log"), "ab") as err:
            return ctx.lab.spawn(argv, stdout=subprocess.PIPE, stderr=err, new_session=True)

    @staticmethod
    def stop_flood(ctx, proc):
        """Stops a flood; (datagrams sent, seconds) as the sender counted them."""
        proc.terminate()
        out, _ = proc.communicate(timeout=10)
        ctx.lab.forget(proc)
        try:
            sent, elapsed = (int(x) for x in out.decode().split())
            return sent, elapsed / 1e9
        except ValueError:
            return 0, 0.0
