"""Run inside a node namespace (ip netns exec NS python3 soak/dgram.py ...): capture genuine
heartbeat/probe datagrams this node sends, and send datagrams from this node's addresses.

  dgram.py capture IFACE PORT TIMEOUT     -> prints hex of one outgoing UDP payload to PORT
  dgram.py send SRC DST PORT HEX[,HEX...] -> sends each payload from SRC to DST:PORT
"""
import socket
import struct
import sys
import time


def capture(iface, port, timeout):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
    s.bind((iface, 0))
    deadline = time.time() + timeout
    while time.time() < deadline:
        s.settimeout(max(0.01, deadline - time.time()))
        try:
            frame = s.recv(4096)
        except socket.timeout:
            break
        ip = frame[14:]
        if len(ip) < 20 or ip[9] != 17:
            continue
        ihl = (ip[0] & 15) * 4
        udp = ip[ihl:]
        if len(udp) >= 8 and struct.unpack("!H", udp[2:4])[0] == port:
            sys.stdout.write(udp[8:].hex())
            return
    sys.exit(2)


def send(src, dst, port, payloads):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, 0))
    for hexdata in payloads:
        try:
            s.sendto(bytes.fromhex(hexdata), (dst, port))
        except OSError:
            pass  # link down: the datagram is simply lost


if __name__ == "__main__":
    if sys.argv[1] == "capture":
        capture(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
    else:
        send(sys.argv[2], sys.argv[3], int(sys.argv[4]),
             [p for p in sys.argv[5].split(",")] if len(sys.argv) > 5 else [])
