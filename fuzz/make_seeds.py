#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (fuzz/corpus/<name>/): valid inputs, each in the
layout its harness reads (fuzz/Sources/Fuzz*/).
  heartbeat   one selector byte (bit 7: decode with the fuzzer's key; bits 0-6: expected cluster
              id), then a datagram in the wire format of Sources/Cluster/Wire/HeartbeatCodec.swift
  screen      FuzzScreen.swift's selector (port, source, replay floor, authentication), then a
              heartbeat of the fixture cluster's peer (FuzzSupport.swift)
  witness     one selector byte as for heartbeat, then a request or reply of WitnessCodec.swift
  control     control-socket lines as ccctl sends them (JSONView.encode, sorted keys)
  conntrackd  `conntrackd -s` output and conntrackd.conf files (Tests/ClusterTests/SessionSyncTests)
  metrics     HTTP requests to the Prometheus endpoint
The config and scenario corpora are not written here (they were grown by the fuzzer)."""
import hashlib
import hmac
import json
import os
import re
import struct

KEY = b"a-shared-secret-of-32-characters!"  # FuzzSupport.swift's FuzzFixture.key
PREVIOUS_KEY = b"the-previous-secret-of-32-chars!!"  # FuzzFixture.previousKey
CORPUS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def varint(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        out.append(b | (0x80 if v else 0))
        if not v:
            return bytes(out)


def sign(body, key):
    return body + (hmac.new(key, body, hashlib.sha256).digest() if key else b"")


def heartbeat(cluster, node, link, groups, key, seq=42, leaving=False, epoch=0x1122334455667788):
    flags = (1 if key else 0) | (2 if leaving else 0)
    body = b"CCHB" + bytes([2, flags, link, cluster, node])
    body += struct.pack(">QQQIQQH", epoch, seq, 0xDEADBEEFCAFEF00D, 3,
                        0x0102030405060708, 0x1112131415161718, len(groups))
    for (gid, prio, eff, weight, status, codes, fo, mg, pg) in groups:
        body += bytes([gid, prio, eff]) + struct.pack(">h", weight) + bytes([status, codes])
        body += varint(fo) + varint(mg) + varint(pg)
    return sign(body, key)


def message(cluster, node, link, groups, signed, seq=42, leaving=False):
    datagram = heartbeat(cluster, node, link, groups, KEY if signed else None, seq, leaving)
    return bytes([(0x80 if signed else 0) | cluster]) + datagram


def write(name, seeds):
    out = os.path.join(CORPUS, name)
    os.makedirs(out, exist_ok=True)
    for seed, data in seeds.items():
        with open(os.path.join(out, seed), "wb") as f:
            f.write(data if isinstance(data, bytes) else data.encode())


heartbeat_seeds = {
    "plain-two-groups": message(5, 0, 1, [(0, 200, 200, 255, 2 | 8, 0, 1, 0, 0),
                                          (1, 150, 150, 255, 2 | 8, 0, 1, 0, 0)], False),
    "signed-two-groups": message(5, 1, 2, [(0, 100, 100, 255, 4 | 8, 0, 1, 0, 0),
                                           (1, 100, 0, -45, 4, 1, 300, 2, 1)], True),
    "plain-manual": message(1, 1, 1, [(0, 200, 255, 255, 2 | 8 | 16 | 32 | 64, 0, 7, 3, 0)], False),
    "plain-no-groups": message(9, 0, 2, [], False),
    "signed-many-groups": message(7, 0, 1, [(g, 100, 100, 255, 4 | 8, 0, g * 1000, g, g)
                                            for g in range(0, 129, 16)], True, seq=2**63),
    "signed-leaving": message(3, 0, 1, [(0, 200, 200, 255, 4 | 8, 0, 2, 0, 0)], True,
                              leaving=True),
    "signed-maximum": message(7, 1, 1, [(g, 254, 254, -32768, 4 | 8, 0xFF, 2**32 - 1,
                                         2**32 - 1, 2**32 - 1) for g in range(129)], True),
}
write("heartbeat", heartbeat_seeds)

# The fixture's peer is node 1 of cluster 5; ports 0-2 are control, fabric, lan (links 1-3).
GROUPS = [(0, 100, 100, 255, 4 | 8, 0, 1, 0, 0), (1, 100, 100, 255, 4 | 8, 0, 1, 0, 0)]
FLOOR = struct.pack(">QQ", 0x1122334455667788, 41)
write("screen", {
    "control-signed": bytes([0]) + heartbeat(5, 1, 1, GROUPS, KEY),
    "fabric-signed": bytes([1]) + heartbeat(5, 1, 2, GROUPS, KEY),
    "lan-signed": bytes([2]) + heartbeat(5, 1, 3, [], KEY),
    "control-previous-key": bytes([0]) + heartbeat(5, 1, 1, GROUPS, PREVIOUS_KEY),
    "control-above-floor": bytes([8]) + FLOOR + heartbeat(5, 1, 1, GROUPS, KEY),
    "control-replayed": bytes([8]) + FLOOR + heartbeat(5, 1, 1, GROUPS, KEY, seq=41),
    "fabric-newer-epoch": bytes([9]) + FLOOR + heartbeat(5, 1, 2, GROUPS, KEY, epoch=2**63),
    "control-stranger": bytes([4]) + heartbeat(5, 1, 1, GROUPS, KEY),
    "fabric-on-control-port": bytes([0]) + heartbeat(5, 1, 2, GROUPS, KEY),
    "control-plain": bytes([16]) + heartbeat(5, 1, 1, GROUPS, None),
    "lan-plain-leaving": bytes([18]) + heartbeat(5, 1, 3, [], None, leaving=True),
})


def witness_request(cluster, node, epoch, seq, echoed, lease, priority, key, claim=False,
                    primary=False):
    flags = (1 if key else 0) | (2 if claim else 0) | (4 if primary else 0)
    body = b"CCWT" + bytes([1, flags, 1, cluster, node])
    return sign(body + struct.pack(">QQQIB", epoch, seq, echoed, lease, priority), key)


def witness_reply(cluster, node, epoch, seq, nonce, key, recorded=False, holder=None,
                  confirmed=False):
    flags = (1 if key else 0) | (2 if recorded else 0) | (16 if confirmed else 0)
    if holder is not None:
        flags |= 4 | (holder & 1) << 3
    body = b"CCWT" + bytes([1, flags, 2, cluster, node])
    return sign(body + struct.pack(">QQQ", epoch, seq, nonce), key)


write("witness", {
    "request-signed": bytes([0x85]) + witness_request(5, 0, 1000, 1, 0, 3000, 200, KEY),
    "request-claim-primary": bytes([0x85]) + witness_request(5, 1, 1001, 9, 77, 3000, 100, KEY,
                                                             claim=True, primary=True),
    "request-plain": bytes([0x05]) + witness_request(5, 0, 1000, 2, 8, 1500, 200, None),
    "request-no-lease": bytes([0x85]) + witness_request(5, 0, 2**64 - 1, 2**64 - 1, 1, 0, 0, KEY),
    "reply-signed": bytes([0x85]) + witness_reply(5, 0, 1000, 1, 7, KEY),
    "reply-holder-confirmed": bytes([0x85]) + witness_reply(5, 1, 1001, 9, 8, KEY, recorded=True,
                                                            holder=1, confirmed=True),
    "reply-plain-holder-0": bytes([0x05]) + witness_reply(5, 0, 1000, 2, 9, None, recorded=True,
                                                          holder=0),
})


def control(**request):
    return json.dumps(request, sort_keys=True, separators=(",", ":")) + "\n"


write("control", dict(
    [(f"show-{view}", control(command="show", view=view))
     for view in ("status", "information", "interfaces", "statistics")]
    + [("show-default", control(command="show")),
       ("failover", control(command="failover", group=1, node=1)),
       ("failover-rg0-node0", control(command="failover", group=0, node=0)),
       ("failover-reset", control(command="failover-reset", group=1)),
       ("clear-failover-count", control(command="clear-failover-count")),
       ("session", control(command="failover", group=1, node=1) + control(command="show")
        + control(command="failover-reset", group=1) + control(command="clear-failover-count"))]))



def swift_string(path, name):
    """The multi-line literal `static let <name> = \"\"\"…\"\"\"` of a Swift test file, as Swift reads
    it (indentation of the closing delimiter removed, \\t escapes expanded)."""
    with open(os.path.join(os.path.dirname(CORPUS), "..", path)) as f:
        source = f.read()
    match = re.search(r'static let %s = """\n(.*?)\n( *)"""' % name, source, re.S)
    assert match, f"{path}: no multi-line string {name}"
    indent = match.group(2)
    lines = [line[len(indent):] for line in match.group(1).split("\n")]
    return "\n".join(lines).replace("\\t", "\t")


# The sample the parser's unit test reads (ConntrackdTextTests.statistics).
STATISTICS = swift_string("Tests/ClusterTests/SessionSyncTests.swift", "statistics")
# The check's clean file (ConntrackdTextTests.good), ignoring the fixture's other reth addresses.
CONF_UDP = swift_string("Tests/ClusterTests/SessionSyncTests.swift", "good").replace(
    "\t\t\tIPv4_address 192.0.2.0/24\n",
    "\t\t\tIPv4_address 192.0.2.0/24\n\t\t\tIPv4_address 198.51.100.1\n"
    "\t\t\tIPv6_address 2001:db8:1::/64\n")
CONF_MULTICAST = """Sync {
\tMode NOTRACK { DisableExternalCache on }
\tMulticast {
\t\tIPv4_address 225.0.0.50
\t\tIPv4_interface 10.0.1.9
\t\tInterface fab1
\t}
}
General {
\tFilter From Userspace { Address Ignore { IPv4_address 192.0.2.1 } }
}
"""
write("conntrackd", {
    "statistics": STATISTICS,
    "statistics-error": "[ERROR] can't connect: is conntrackd running?\n",
    "config-udp": CONF_UDP,
    "config-multicast": CONF_MULTICAST,
    # Found by FuzzConntrackd: an entry of a lone "/" trapped ConntrackdConfigCheck.covers.
    "crash-address-ignore-slash": "General { Address Ignore { IPv4_address / } }\n",
})

write("metrics", {
    "get-metrics": "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    "get-metrics-query": "GET /metrics?x=1 HTTP/1.1\r\nHost: x\r\n\r\n",
    "get-root": "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
    "post-metrics": "POST /metrics HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi",
    "head-metrics-http10": "HEAD /metrics HTTP/1.0\r\n\r\n",
    # Found by FuzzMetricsRoute: a target starting with "?" was routed by what followed it.
    "crash-query-first": "GET ?/metrics HTTP/1.1\r\n\r\n",
})
