#!/usr/bin/env python3
"""Writes the heartbeat seed corpus (fuzz/corpus/heartbeat): valid messages in the wire format of
Sources/Cluster/Wire/HeartbeatCodec.swift. Each file is one selector byte (bit 7: decode with the
fuzzer's key; bits 0-6: expected cluster id) followed by the datagram."""
import hashlib
import hmac
import os
import struct

KEY = b"a-shared-secret-of-32-characters!"  # FuzzHeartbeat.swift
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "heartbeat")


def varint(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        out.append(b | (0x80 if v else 0))
        if not v:
            return bytes(out)


def message(cluster, node, link, groups, signed, seq=42, leaving=False):
    flags = (1 if signed else 0) | (2 if leaving else 0)
    body = b"CCHB" + bytes([2, flags, link, cluster, node])
    body += struct.pack(">QQQIQQH", 0x1122334455667788, seq, 0xDEADBEEFCAFEF00D, 3,
                        0x0102030405060708, 0x1112131415161718, len(groups))
    for (gid, prio, eff, weight, status, codes, fo, mg, pg) in groups:
        body += bytes([gid, prio, eff]) + struct.pack(">h", weight) + bytes([status, codes])
        body += varint(fo) + varint(mg) + varint(pg)
    if signed:
        body += hmac.new(KEY, body, hashlib.sha256).digest()
    return bytes([(0x80 if signed else 0) | cluster]) + body


seeds = {
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
os.makedirs(OUT, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
