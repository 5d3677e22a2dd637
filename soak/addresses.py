"""Which IPv4 addresses a network namespace holds, read over a NETLINK_ROUTE socket opened inside
it: the same answer as `ip -j -n NS addr` in microseconds instead of one process per sample, so
the checker can read both nodes several times a second without loading the machine.

A socket belongs to the namespace it was created in, so a short-lived thread enters the
namespace (setns(2) moves only the calling thread), opens the socket and leaves; every dump on it
afterwards lists that namespace's addresses. Standard library only (ctypes for setns)."""
import ctypes
import os
import socket
import struct
import threading

CLONE_NEWNET = 0x40000000
RTM_NEWADDR, RTM_GETADDR = 20, 22
NLM_F_REQUEST, NLM_F_DUMP = 0x1, 0x300
NLMSG_ERROR, NLMSG_DONE = 2, 3
IFA_LOCAL = 2
IFA_FLAGS = 8
# A reth handing over keeps its addresses for its grace period, deprecated (its frames leave by
# the peer's port): it does not own them on the LAN.
IFA_F_DEPRECATED = 0x20
NLMSG = struct.Struct("=IHHII")
IFADDRMSG = struct.Struct("=BBBBI")
RTATTR = struct.Struct("=HH")

_libc = ctypes.CDLL(None, use_errno=True)


def _setns(fd):
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


def netlink_socket(namespace):
    """A NETLINK_ROUTE socket created inside /run/netns/`namespace`."""
    result = {}

    def enter():
        own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        target = os.open(f"/run/netns/{namespace}", os.O_RDONLY)
        try:
            _setns(target)
            try:
                result["socket"] = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW,
                                                 socket.NETLINK_ROUTE)
            finally:
                _setns(own)
        except OSError as e:
            result["error"] = e
        finally:
            os.close(own)
            os.close(target)

    thread = threading.Thread(target=enter)
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    return result["socket"]


class Addresses:
    """The IPv4 addresses of one namespace, dumped on demand (thread-safe)."""

    def __init__(self, namespace):
        self.namespace = namespace
        self.sock = netlink_socket(namespace)
        self.sock.settimeout(2.0)
        self.sequence = 0
        self.lock = threading.Lock()

    def ipv4(self):
        """{address: interface index} of every IPv4 address in the namespace (not deprecated)."""
        return self.dump()[0]

    def dump(self):
        """({address: index} held, {address: index} deprecated: a reth handing over)."""
        with self.lock:
            self.sequence += 1
            body = IFADDRMSG.pack(socket.AF_INET, 0, 0, 0, 0)
            self.sock.send(NLMSG.pack(NLMSG.size + len(body), RTM_GETADDR,
                                      NLM_F_REQUEST | NLM_F_DUMP, self.sequence, 0) + body)
            found, deprecated = {}, {}
            while True:
                data = self.sock.recv(1 << 16)
                offset = 0
                while offset + NLMSG.size <= len(data):
                    length, kind, _, sequence, _ = NLMSG.unpack_from(data, offset)
                    if length < NLMSG.size:
                        return found, deprecated
                    if sequence == self.sequence:
                        if kind == NLMSG_DONE:
                            return found, deprecated
                        if kind == NLMSG_ERROR:
                            code = struct.unpack_from("=i", data, offset + NLMSG.size)[0]
                            raise OSError(-code, f"RTM_GETADDR in {self.namespace}")
                        if kind == RTM_NEWADDR:
                            self._parse(data[offset + NLMSG.size:offset + length], found,
                                        deprecated)
                    offset += (length + 3) & ~3

    @staticmethod
    def _parse(message, found, deprecated=None):
        """Adds the message's address to `found`, or to `deprecated` (dropped when None) when
        it is deprecated."""
        family, _, flags, _, index = IFADDRMSG.unpack_from(message)
        if family != socket.AF_INET:
            return
        offset = IFADDRMSG.size
        local = None
        while offset + RTATTR.size <= len(message):
            length, kind = RTATTR.unpack_from(message, offset)
            if length < RTATTR.size:
                break
            if kind == IFA_LOCAL and length >= RTATTR.size + 4:
                local = socket.inet_ntoa(message[offset + 4:offset + 8])
            elif kind == IFA_FLAGS and length >= RTATTR.size + 4:
                flags = struct.unpack_from("=I", message, offset + 4)[0]
            offset += (length + 3) & ~3
        if local is None:
            return
        if not flags & IFA_F_DEPRECATED:
            found[local] = index
        elif deprecated is not None:
            deprecated[local] = index

    def holds(self, address):
        return address in self.ipv4()

    def close(self):
        self.sock.close()


# --------------------------------------------------------------------------------- the watcher
RTM_DELADDR = 21
RTMGRP_IPV4_IFADDR = 0x10


def _events(sock):
    """(kind, address) of every RTM_NEWADDR/RTM_DELADDR queued on a subscribed socket."""
    out = []
    while True:
        try:
            data = sock.recv(1 << 16, socket.MSG_DONTWAIT)
        except BlockingIOError:
            return out
        offset = 0
        while offset + NLMSG.size <= len(data):
            length, kind, _, _, _ = NLMSG.unpack_from(data, offset)
            if length < NLMSG.size:
                break
            if kind in (RTM_NEWADDR, RTM_DELADDR):
                found, deprecated = {}, {}
                Addresses._parse(data[offset + NLMSG.size:offset + length], found, deprecated)
                out += [("add" if kind == RTM_NEWADDR else "del", a) for a in found]
                out += [("del", a) for a in deprecated]
            offset += (length + 3) & ~3


def watch(out_path, namespaces):
    """Writes every IPv4 address change in `namespaces` to out_path as lines
    `TIME NODE add|del ADDRESS` (and `TIME NODE sync ADDRESS...` with the full set at the start
    and after a lost event), as it happens. One process, one thread: the changes of one poll()
    share its time, dels before adds, so a handoff read in one batch never looks like an
    overlap; an overlap is real, to within the time between two reads."""
    import errno
    import select
    import time
    subscribed, dumpers = [], []
    for ns in namespaces:
        s = netlink_socket(ns)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        s.bind((0, RTMGRP_IPV4_IFADDR))
        subscribed.append(s)
        dumpers.append(Addresses(ns))
    poller = select.poll()
    for s in subscribed:
        poller.register(s.fileno(), select.POLLIN)
    node_of = {s.fileno(): n for n, s in enumerate(subscribed)}
    with open(out_path, "a") as f:
        def sync(n, t):
            f.write(f"{t:.6f} {n} sync {' '.join(sorted(dumpers[n].ipv4()))}\n")
        t = time.time()
        for n in range(len(namespaces)):
            sync(n, t)
        f.flush()
        while True:
            ready = poller.poll()
            t = time.time()
            batch, lost = [], []
            for fd, _ in ready:
                n = node_of[fd]
                try:
                    batch += [(n, kind, a) for kind, a in _events(subscribed[n])]
                except OSError as e:
                    if e.errno != errno.ENOBUFS:
                        raise
                    lost.append(n)
            for n, kind, a in sorted(batch, key=lambda e: e[1] != "del"):
                f.write(f"{t:.6f} {n} {kind} {a}\n")
            for n in lost:
                sync(n, time.time())
            f.flush()


def read_watch(path):
    """The watcher's lines as (time, node, kind, [addresses])."""
    rows = []
    try:
        with open(path) as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 3 and line.endswith("\n"):
                    rows.append((float(parts[0]), int(parts[1]), parts[2], parts[3:]))
    except OSError:
        pass
    return rows


def overlaps(rows, address):
    """[(start, end)] of every time both nodes held `address`, from read_watch rows (end None:
    still both at the end of the file)."""
    held = [False, False]
    out, start = [], None
    for t, n, kind, addresses in rows:
        if kind == "sync":
            held[n] = address in addresses
        elif address in addresses:
            held[n] = kind == "add"
        if all(held) and start is None:
            start = t
        elif not all(held) and start is not None:
            out.append((start, t))
            start = None
    if start is not None:
        out.append((start, None))
    return out


if __name__ == "__main__":
    import sys
    if len(sys.argv) >= 4 and sys.argv[1] == "watch":
        watch(sys.argv[2], sys.argv[3:])
    else:
        sys.exit("usage: addresses.py watch OUT NAMESPACE...")
