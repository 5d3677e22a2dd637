"""The firewall pair that session tests and the session bench share: a client and a server on
either side of the two nodes (lan1 → bridge brc, lan2 → bridge brs), forwarding through a
stateful nftables ruleset with nf_conntrack_tcp_loose=0, conntrackd per node namespace at
/etc/conntrackd/conntrackd.conf (ip-netns's /etc/netns bind mount), and tcpstreams.py's
long-lived TCP streams through it."""
import json
import os
import shutil
import subprocess
import time

import cclab

CONNTRACKD_CONF = "/etc/conntrackd/conntrackd.conf"
CLIENT, SERVER = "192.0.2.100", "198.51.100.100"
CLIENT_GW, SERVER_GW = "192.0.2.1", "198.51.100.1"
PORT = 5001
# The same echo server with TCP_NODELAY (tcpstreams.server): the bench's interactive case.
NODELAY_PORT = 5002
# tcpstreams.py with more descriptors (1000 streams) and a message interval of our choosing.
RUNNER = ("import resource, sys; resource.setrlimit(resource.RLIMIT_NOFILE, (8192, 8192)); "
          "sys.path.insert(0, {lib!r}); import tcpstreams; tcpstreams.INTERVAL = {interval}; {call}")


def build(lab, topo, namespaces, rules_text, rules_path):
    """lan2, the two bridges, the client and server hosts, and on each node forwarding, the
    ruleset and fab0 renamed fabric0 (conntrackd 1.4.7's lexer rejects 'Interface fab0', an
    all-hex word). Returns (client namespace, server namespace)."""
    cclab.add_lan_port(topo, "lan2", 2)
    cclab.add_switch_bridge(topo, "brc", ["port10", "port11"])
    cclab.add_switch_bridge(topo, "brs", ["port20", "port21"])
    client = cclab.add_host(lab, topo, "cl", "brc", f"{CLIENT}/24", CLIENT_GW)
    server = cclab.add_host(lab, topo, "sv", "brs", f"{SERVER}/24", SERVER_GW)
    cclab.write_file(rules_path, rules_text)
    for ns in namespaces:
        cclab.sh(f"ip -n {ns} link set fab0 down && ip -n {ns} link set fab0 name fabric0 && "
                 f"ip -n {ns} link set fabric0 up && "
                 f"ip netns exec {ns} sysctl -qw net.ipv4.ip_forward=1 && "
                 f"ip netns exec {ns} nft -f {rules_path} && "
                 f"ip netns exec {ns} sysctl -qw net.netfilter.nf_conntrack_tcp_loose=0")
    return client, server


def start_conntrackd(lab, work, ns, n, name, etc_dirs, external_cache=True):
    """conntrackd for node n in namespace ns, syncing over the fabric addresses and ignoring
    the node's own and the reth addresses; its /etc/netns folder is appended to etc_dirs (the
    caller removes them with remove_etc)."""
    etc = f"/etc/netns/{ns}/conntrackd"
    os.makedirs(etc, exist_ok=True)
    etc_dirs.append(os.path.dirname(etc))
    cclab.conntrackd_config(
        os.path.join(etc, "conntrackd.conf"), work, name, cclab.ADDRESS[("fab0", n)],
        cclab.ADDRESS[("fab0", 1 - n)], "fabric0",
        ignore=(cclab.ADDRESS[("ctl0", n)], cclab.ADDRESS[("fab0", n)], f"10.77.{2 + n}.1",
                CLIENT_GW, SERVER_GW), external_cache=external_cache)
    return cclab.spawn_conntrackd(lab, ns, CONNTRACKD_CONF, f"conntrackd-{name}.out")


def lost_segments(namespace):
    """The namespace's TCP retransmissions so far that were needed: TcpRetransSegs less those
    the receiver reported as duplicates (TCPDSACKRecv). A spurious one is a loss probe fired
    while the other end was merely slow: a Python endpoint stalled 30 ms with no fault at all
    gives 50 retransmissions and 50 DSACKs; 5 ms of real drops gives 50-83 and none."""
    out = cclab.sh(f"ip netns exec {namespace} nstat -az TcpRetransSegs TcpExtTCPDSACKRecv",
                   check=False).stdout
    counts = {l.split()[0]: int(l.split()[1]) for l in out.splitlines() if len(l.split()) > 1}
    return counts.get("TcpRetransSegs", 0) - counts.get("TcpExtTCPDSACKRecv", 0)


def dropped(namespace):
    """Packets the ruleset's last rule dropped so far (no conntrack entry, or one the packet
    did not fit: both are ct state invalid with nf_conntrack_tcp_loose=0)."""
    out = cclab.sh(f"ip netns exec {namespace} nft list chain inet ccfw forward", check=False).stdout
    for line in out.splitlines():
        if "no conntrack entry" in line and "packets" in line:
            words = line.split()
            return int(words[words.index("packets") + 1])
    return 0


def held_sessions(namespace, external_cache, port=PORT, lines=False):
    """{client port: TCP state} of the streams to `port` the node in `namespace` holds: in its
    conntrackd's external cache (-e), or with the external cache disabled, in its kernel;
    lines: the whole entry instead of its state."""
    if external_cache:
        cmd = f"ip netns exec {namespace} conntrackd -C {CONNTRACKD_CONF} -e"
    else:
        cmd = f"ip netns exec {namespace} conntrack -L -p tcp --dport {port}"
    held = {}
    for line in cclab.sh(cmd, check=False).stdout.splitlines():
        words = line.split()
        fields = {}
        for w in words:  # the original direction's tuple comes first
            if "=" in w:
                fields.setdefault(*w.split("=", 1))
        if fields.get("dport") != str(port) or "sport" not in fields:
            continue
        state = next((w for w in words if w.isupper() and w.isalpha()), "?")
        held[int(fields["sport"])] = line.strip() if lines else state
    return held


def remove_etc(etc_dirs):
    for path in etc_dirs:
        shutil.rmtree(path, ignore_errors=True)


def server_argv(ns, port=PORT, nodelay=False):
    return ["ip", "netns", "exec", ns, "python3", "-c",
            RUNNER.format(lib=cclab.HERE, interval=0.05, call=f"tcpstreams.server({port}, {nodelay})")]


def streams(client_ns, count, interval, duration, fault, fault_at=3.0, grace=120, port=PORT):
    """Runs `count` streams (a message every `interval` s each) to the server's `port` for
    `duration` s and calls fault() `fault_at` s after they are all up. Per stream: max_gap,
    echoes, error."""
    call = f"tcpstreams.client({SERVER!r}, {port}, {count}, {duration})"
    code = RUNNER.format(lib=cclab.HERE, interval=interval, call=call)
    proc = subprocess.Popen(["ip", "netns", "exec", client_ns, "python3", "-c", code],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stderr.readline()
        if "ready" not in line:
            raise RuntimeError(f"stream client did not start: {line}{proc.stderr.read()[-500:]}")
        time.sleep(fault_at)
        fault()
        out, err = proc.communicate(timeout=duration + grace)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if proc.returncode != 0:
        raise RuntimeError(f"stream client failed: {err[-500:]}")
    return json.loads(out)
