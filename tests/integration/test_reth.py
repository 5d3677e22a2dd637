"""Issue 14: reth interfaces. A client namespace on a LAN bridge reaches the reth address; the
address and the shared MAC move with RG1, never held by both nodes while they are in contact,
and a removed address on the primary is put back."""
import socket
import subprocess
import threading
import time

from cluster import Cluster, sh

MAC = "02:cc:a9:00:05:00"  # reth-mac local: cluster-id 5, reth0
RETH = (
    "set chassis cluster reth-count 1\n"
    "set interfaces reth0 redundant-ether-options redundancy-group 1\n"
    "set interfaces lan1 gigether-options redundant-parent reth0\n"
    "set interfaces reth0 unit 0 family inet address 192.0.2.1/24\n"
    "set chassis cluster redundancy-group 1 interface-monitor lan1 weight 255\n"
)


def holds(c, n):
    out = sh(f"ip -n {c.ns[n]} -o addr show dev reth0", check=False).stdout
    return "192.0.2.1/24" in out


def reachable(client):
    """A TCP connect to the reth address: refused (RST) means the address answered."""
    code = ("import socket,sys\ns=socket.socket()\ns.settimeout(1)\n"
            "try:\n s.connect(('192.0.2.1', 9))\nexcept ConnectionRefusedError:\n sys.exit(0)\n"
            "except OSError:\n sys.exit(1)\nsys.exit(0)\n")
    return subprocess.run(["ip", "netns", "exec", client, "python3", "-c", code],
                          timeout=10).returncode == 0


def neighbour_mac(client):
    out = sh(f"ip -n {client} neigh show 192.0.2.1", check=False).stdout.split()
    return out[out.index("lladdr") + 1] if "lladdr" in out else None


def test_reth_address_and_mac_follow_rg1_and_are_restored():
    c = Cluster(extra=RETH, start=False)
    client = c.prefix + "-cl"
    try:
        # The LAN: both nodes' lan1 and a client on one bridge in the switch namespace.
        sh(f"ip -n {c.switch} link add brl type bridge && ip -n {c.switch} link set brl up && "
           f"ip -n {c.switch} link set port10 master brl && ip -n {c.switch} link set port11 master brl && "
           f"ip netns add {client} && ip link add {c.prefix[:8]}k0 type veth peer name {c.prefix[:8]}k1 && "
           f"ip link set {c.prefix[:8]}k0 netns {client} name eth0 && "
           f"ip link set {c.prefix[:8]}k1 netns {c.switch} name portc && "
           f"ip -n {c.switch} link set portc master brl && ip -n {c.switch} link set portc up && "
           f"ip -n {client} link set lo up && ip -n {client} link set eth0 up && "
           f"ip -n {client} addr add 192.0.2.100/24 dev eth0")
        c.start(0)
        c.start(1)
        c.wait_state(0, 1, "primary", timeout=20)
        c.wait_state(1, 1, "secondary", timeout=20)
        c.wait(lambda: holds(c, 0), 10, "node0 holds the reth address")
        assert not holds(c, 1)
        c.wait(lambda: reachable(client), 10, "the client reaches 192.0.2.1")
        assert neighbour_mac(client) == MAC
        assert MAC in c.ccctl(0, "show", "interfaces").stdout

        both = []
        stop = threading.Event()

        def sample():
            # Two `ip` calls are not one instant: read the new owner first, then the old one.
            # The old owner gives the address up before it tells the peer, so node0 still
            # holding it after node1 was seen with it is a real overlap, never a reading race.
            while not stop.is_set():
                if holds(c, 1) and holds(c, 0):
                    both.append(time.time())
                time.sleep(0.02)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        c.cable(0, 1, False)  # node0's lan1 loses carrier: RG1 fails over
        c.wait_state(1, 1, "primary", timeout=15)
        c.wait(lambda: holds(c, 1) and not holds(c, 0), 10, "the address moved to node1")
        c.wait(lambda: reachable(client), 10, "the client reaches 192.0.2.1 through node1")
        stop.set()
        sampler.join()
        assert not both, f"both nodes held 192.0.2.1 at {both}"
        assert neighbour_mac(client) == MAC  # the client's cache never changed
        fdb = sh(f"bridge -n {c.switch} fdb show br brl", check=False).stdout
        assert any(MAC in line and "portc" not in line and "port11" in line
                   for line in fdb.splitlines()), fdb

        # Someone removes the address on the primary: the agent puts it back.
        sh(f"ip -n {c.ns[1]} addr del 192.0.2.1/24 dev reth0")
        c.wait(lambda: holds(c, 1), 10, "the removed address is restored")
        c.wait(lambda: "restored" in open(c.logs[1]).read(), 5, "the restore is logged")

        # A graceful stop leaves no address behind.
        c.kill(1, sig=15)
        assert not holds(c, 1)
    finally:
        sh(f"ip netns del {client}", check=False)
        c.close()
