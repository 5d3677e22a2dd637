#!/usr/bin/env python3
"""Runs a command inside an emulation of a systemd unit's sandbox, for machines where systemd
is not PID 1 (containers, CI), so that the hardening of ccagentd.service can be tested.

    unshare --mount --propagation private \\
        python3 sandbox_exec.py --unit ccagentd.service --runtime-dir HOSTDIR \\
            [--state-dir HOSTDIR] --scratch EMPTYDIR [--bind-ro SRC:DST]... -- CMD ARGS...

It reads the unit and applies, in a private mount namespace, what systemd would:
  ProtectSystem=strict (every mount read-only but /dev, /proc, /sys), ReadWritePaths=,
  RuntimeDirectory= (HOSTDIR bound on /run/<name>, mode RuntimeDirectoryMode=, group Group=),
  StateDirectory= (likewise on an existing /var/lib/<name>), Environment=,
  ProtectHome=, PrivateTmp=, PrivateDevices= (a minimal /dev), ProtectKernelTunables=,
  ProtectControlGroups=, ProtectProc=/ProcSubset= (a new /proc with hidepid/subset);
CPUSchedulingPolicy= and CPUSchedulingPriority= (set before anything is dropped, as systemd
does, so the command starts with them); then Group= (setgid, no supplementary groups), UMask=, CapabilityBoundingSet= (root keeps
only those capabilities across exec), AmbientCapabilities= (must be empty),
MemoryDenyWriteExecute= (the kernel's PR_SET_MDWE), NoNewPrivileges=, and a seccomp filter
for SystemCallFilter= / SystemCallErrorNumber= / RestrictAddressFamilies= /
SystemCallArchitectures=native built with libseccomp from `systemd-analyze syscall-filter`.

Not emulated: RestrictNamespaces=, RestrictRealtime=, LockPersonality=, ProtectClock=,
ProtectHostname=, RestrictSUIDSGID= (further seccomp rules of systemd), the cgroup device
policy, and the watchdog/notify plumbing (pass NOTIFY_SOCKET/WATCHDOG_USEC in the
environment). Must run as root in a new mount namespace.
"""
import argparse
import ctypes
import errno
import grp
import os
import socket
import subprocess
import sys

CAP_NAMES = {
    "CAP_CHOWN": 0, "CAP_DAC_OVERRIDE": 1, "CAP_DAC_READ_SEARCH": 2, "CAP_FOWNER": 3,
    "CAP_FSETID": 4, "CAP_KILL": 5, "CAP_SETGID": 6, "CAP_SETUID": 7, "CAP_SETPCAP": 8,
    "CAP_LINUX_IMMUTABLE": 9, "CAP_NET_BIND_SERVICE": 10, "CAP_NET_BROADCAST": 11,
    "CAP_NET_ADMIN": 12, "CAP_NET_RAW": 13, "CAP_IPC_LOCK": 14, "CAP_IPC_OWNER": 15,
    "CAP_SYS_MODULE": 16, "CAP_SYS_RAWIO": 17, "CAP_SYS_CHROOT": 18, "CAP_SYS_PTRACE": 19,
    "CAP_SYS_PACCT": 20, "CAP_SYS_ADMIN": 21, "CAP_SYS_BOOT": 22, "CAP_SYS_NICE": 23,
    "CAP_SYS_RESOURCE": 24, "CAP_SYS_TIME": 25, "CAP_SYS_TTY_CONFIG": 26, "CAP_MKNOD": 27,
    "CAP_LEASE": 28, "CAP_AUDIT_WRITE": 29, "CAP_AUDIT_CONTROL": 30, "CAP_SETFCAP": 31,
    "CAP_MAC_OVERRIDE": 32, "CAP_MAC_ADMIN": 33, "CAP_SYSLOG": 34, "CAP_WAKE_ALARM": 35,
    "CAP_BLOCK_SUSPEND": 36, "CAP_AUDIT_READ": 37, "CAP_PERFMON": 38, "CAP_BPF": 39,
    "CAP_CHECKPOINT_RESTORE": 40,
}
PR_CAPBSET_DROP = 24
PR_SET_NO_NEW_PRIVS = 38
PR_CAP_AMBIENT = 47
PR_CAP_AMBIENT_CLEAR_ALL = 4
PR_SET_MDWE = 65
PR_MDWE_REFUSE_EXEC_GAIN = 1
SCMP_ACT_ALLOW = 0x7FFF0000
SCMP_CMP_EQ = 4


def scmp_act_errno(code):
    return 0x00050000 | (code & 0xFFFF)


class ScmpArgCmp(ctypes.Structure):
    _fields_ = [("arg", ctypes.c_uint), ("op", ctypes.c_int),
                ("datum_a", ctypes.c_uint64), ("datum_b", ctypes.c_uint64)]


def parse_unit(path):
    settings = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith(("#", ";", "[")) or "=" not in line:
                continue
            key, _, value = line.partition("=")
            settings.setdefault(key.strip(), []).append(value.strip())
    return settings


def last(settings, key, default=""):
    return settings.get(key, [default])[-1]


def yes(settings, key):
    return last(settings, key).lower() in ("yes", "true", "1", "on", "strict", "full",
                                           "invisible")


def mount(*args):
    subprocess.run(["mount", *args], check=True)


def mount_points():
    points = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            points.append(line.split()[4].replace("\\040", " "))
    return points


def setup_mounts(settings, runtime_dir, state_dir, scratch, gid, binds):
    # Extra read-only binds of the test (a configuration where /etc/ccagent would be).
    for source, target in binds:
        mount("--bind", source, target)
        mount("-o", "remount,bind,ro", target)
    # First, while the scratch directory is still reachable (PrivateTmp= hides /tmp).
    if yes(settings, "PrivateDevices"):
        dev = os.path.join(scratch, "dev")
        os.mkdir(dev)
        mount("-t", "tmpfs", "-o", "mode=755,nosuid,noexec", "tmpfs", dev)
        for node in ("null", "zero", "full", "random", "urandom", "tty"):
            open(os.path.join(dev, node), "w").close()
            mount("--bind", f"/dev/{node}", os.path.join(dev, node))
        for sub in ("shm", "pts"):
            os.mkdir(os.path.join(dev, sub))
        mount("-t", "tmpfs", "-o", "mode=1777,nosuid,nodev", "tmpfs", os.path.join(dev, "shm"))
        mount("--move", dev, "/dev")
    # RuntimeDirectory=: a host directory, owned root:Group=, with RuntimeDirectoryMode=.
    for name in " ".join(settings.get("RuntimeDirectory", [])).split():
        target = f"/run/{name}"
        os.makedirs(target, exist_ok=True)
        os.chown(runtime_dir, 0, gid)
        os.chmod(runtime_dir, int(last(settings, "RuntimeDirectoryMode", "0755"), 8))
        mount("--bind", runtime_dir, target)
    writable = {f"/run/{n}" for n in " ".join(settings.get("RuntimeDirectory", [])).split()}
    # StateDirectory=: a host directory bound on the existing /var/lib/<name>.
    for name in " ".join(settings.get("StateDirectory", [])).split():
        target = f"/var/lib/{name}"
        if not state_dir or not os.path.isdir(target):
            raise SystemExit(f"StateDirectory={name}: pass --state-dir and create {target}")
        os.chown(state_dir, 0, gid)
        os.chmod(state_dir, int(last(settings, "StateDirectoryMode", "0755"), 8))
        mount("--bind", state_dir, target)
        writable.add(target)
    for path in " ".join(settings.get("ReadWritePaths", [])).split():
        optional = path.startswith("-")
        path = path.lstrip("-+")
        if not os.path.exists(path):
            if optional:
                continue
            raise SystemExit(f"ReadWritePaths={path} does not exist")
        mount("--bind", path, path)
        writable.add(path)
    if last(settings, "ProtectSystem") == "strict":
        for point in mount_points():
            if point in writable or point.startswith(("/proc", "/sys", "/dev")):
                continue
            # Mounts hidden under an earlier bind no longer exist here: ignore them.
            subprocess.run(["mount", "-o", "remount,bind,ro", point], check=False,
                           stderr=subprocess.DEVNULL)
    if yes(settings, "PrivateTmp"):
        for path in ("/tmp", "/var/tmp"):
            mount("-t", "tmpfs", "-o", "mode=1777,nosuid,nodev", "tmpfs", path)
    if yes(settings, "ProtectHome"):
        for path in ("/home", "/root", "/run/user"):
            if os.path.isdir(path):
                mount("-t", "tmpfs", "-o", "ro,mode=000", "tmpfs", path)
    if yes(settings, "ProtectKernelTunables"):
        for point in mount_points():
            if point.startswith("/sys"):
                subprocess.run(["mount", "-o", "remount,bind,ro", point], check=False)
    if yes(settings, "ProtectControlGroups"):
        for point in mount_points():
            if point.startswith("/sys/fs/cgroup"):
                subprocess.run(["mount", "-o", "remount,bind,ro", point], check=False)
    proc_options = []
    if last(settings, "ProtectProc") in ("invisible", "noaccess", "ptraceable"):
        proc_options.append(f"hidepid={last(settings, 'ProtectProc')}")
    if last(settings, "ProcSubset") == "pid":
        proc_options.append("subset=pid")
    if proc_options:
        mount("-t", "proc", "-o", ",".join(["nosuid", "nodev", "noexec"] + proc_options),
              "proc", "/proc")
    if yes(settings, "ProtectKernelTunables") and not proc_options:
        mount("--bind", "/proc/sys", "/proc/sys")
        mount("-o", "remount,bind,ro", "/proc/sys")


def syscall_groups():
    out = subprocess.run(["systemd-analyze", "syscall-filter"], capture_output=True, text=True,
                         check=True).stdout
    groups, current = {}, None
    for line in out.splitlines():
        if line.startswith("@"):
            current = line.strip()
            groups[current] = []
        elif line.strip() and not line.strip().startswith("#") and current:
            groups[current].append(line.strip())
    return groups


def expand(names, groups, seen=None):
    seen = set() if seen is None else seen
    result = set()
    for name in names:
        if name.startswith("@"):
            if name in seen:
                continue
            seen.add(name)
            result |= expand(groups.get(name, []), groups, seen)
        else:
            result.add(name)
    return result


def allowed_syscalls(settings):
    groups = syscall_groups()
    allowed = None
    for value in settings.get("SystemCallFilter", []):
        deny = value.startswith("~")
        names = value.lstrip("~").split()
        calls = expand(names, groups)
        if allowed is None:
            if deny:
                raise SystemExit("only allow-list SystemCallFilter= is emulated")
            allowed = calls
        elif deny:
            allowed -= calls
        else:
            allowed |= calls
    return allowed


def family_numbers(settings):
    families = set()
    for value in settings.get("RestrictAddressFamilies", []):
        if value.startswith("~"):
            raise SystemExit("only allow-list RestrictAddressFamilies= is emulated")
        for name in value.split():
            families.add(getattr(socket, name))
    return families


def load_seccomp(allowed, families, error_number):
    lib = ctypes.CDLL("libseccomp.so.2", use_errno=True)
    lib.seccomp_init.restype = ctypes.c_void_p
    lib.seccomp_init.argtypes = [ctypes.c_uint32]
    lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
    lib.seccomp_rule_add_array.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int,
                                           ctypes.c_uint, ctypes.POINTER(ScmpArgCmp)]
    lib.seccomp_load.argtypes = [ctypes.c_void_p]
    ctx = lib.seccomp_init(scmp_act_errno(error_number))  # native architecture only
    if not ctx:
        raise SystemExit("seccomp_init failed")
    for name in sorted(allowed):
        nr = lib.seccomp_syscall_resolve_name(name.encode())
        if nr < 0:  # not a system call of this architecture
            continue
        if name == "socket" and families:
            for family in sorted(families):
                cmp = ScmpArgCmp(0, SCMP_CMP_EQ, family, 0)
                if lib.seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, 1, ctypes.byref(cmp)):
                    raise SystemExit(f"seccomp rule for socket({family}) failed")
            continue
        rc = lib.seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, 0, None)
        if rc and rc != -errno.EEXIST:
            raise SystemExit(f"seccomp rule for {name} failed: {rc}")
    if lib.seccomp_load(ctx):
        raise SystemExit("seccomp_load failed")


SCHEDULING_POLICIES = {"other": os.SCHED_OTHER, "batch": os.SCHED_BATCH,
                       "idle": os.SCHED_IDLE, "fifo": os.SCHED_FIFO, "rr": os.SCHED_RR}


def apply_scheduling(settings):
    """CPUSchedulingPolicy=/CPUSchedulingPriority= on this process, inherited across exec."""
    name = last(settings, "CPUSchedulingPolicy")
    if not name:
        return
    if name not in SCHEDULING_POLICIES:
        raise SystemExit(f"CPUSchedulingPolicy={name} is not a policy systemd knows")
    policy = SCHEDULING_POLICIES[name]
    priority = int(last(settings, "CPUSchedulingPriority", "0"))
    if policy in (os.SCHED_FIFO, os.SCHED_RR) and not 1 <= priority <= 99:
        raise SystemExit(f"CPUSchedulingPriority={priority} is out of 1-99 for {name}")
    os.sched_setscheduler(0, policy, os.sched_param(priority))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--unit", required=True)
    parser.add_argument("--runtime-dir", required=True)
    parser.add_argument("--state-dir", help="host directory for StateDirectory=")
    parser.add_argument("--scratch", required=True, help="an empty host directory")
    parser.add_argument("--bind-ro", action="append", default=[], metavar="SRC:DST",
                        help="bind SRC read-only on the existing DST first")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if os.geteuid() != 0:
        raise SystemExit("sandbox_exec.py must run as root")
    settings = parse_unit(args.unit)
    if "User" in settings or "DynamicUser" in settings:
        raise SystemExit("only root services are emulated")
    group = last(settings, "Group")
    gid = grp.getgrnam(group).gr_gid if group else 0
    allowed = allowed_syscalls(settings)
    families = family_numbers(settings)
    error_number = getattr(errno, last(settings, "SystemCallErrorNumber", "EPERM"))

    last_cap = int(open("/proc/sys/kernel/cap_last_cap").read())
    binds = [tuple(b.split(":", 1)) for b in args.bind_ro]
    setup_mounts(settings, args.runtime_dir, args.state_dir, args.scratch, gid, binds)

    apply_scheduling(settings)
    os.setgroups([])
    os.setgid(gid)
    os.umask(int(last(settings, "UMask", "0022"), 8))
    libc = ctypes.CDLL(None, use_errno=True)
    prctl = libc.prctl
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong,
                      ctypes.c_ulong]
    keep = {CAP_NAMES[c] for v in settings.get("CapabilityBoundingSet", []) for c in v.split()}
    if settings.get("CapabilityBoundingSet"):
        for cap in range(last_cap + 1):
            if cap not in keep and prctl(PR_CAPBSET_DROP, cap, 0, 0, 0):
                raise SystemExit(f"PR_CAPBSET_DROP {cap}: {os.strerror(ctypes.get_errno())}")
    if any(v.strip() for v in settings.get("AmbientCapabilities", [])):
        raise SystemExit("AmbientCapabilities= is not emulated")
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    if yes(settings, "MemoryDenyWriteExecute"):
        if prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0, 0, 0):
            raise SystemExit(f"PR_SET_MDWE: {os.strerror(ctypes.get_errno())}")
    if yes(settings, "NoNewPrivileges"):
        prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    if allowed is not None or families:
        if allowed is None:
            raise SystemExit("RestrictAddressFamilies= without SystemCallFilter= not emulated")
        load_seccomp(allowed, families, error_number)
    environment = dict(os.environ)
    for value in settings.get("Environment", []):
        for assignment in value.split():
            key, _, val = assignment.strip('"').partition("=")
            environment[key] = val
    os.execve(command[0], command, environment)


if __name__ == "__main__":
    sys.exit(main())
