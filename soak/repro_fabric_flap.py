#!/usr/bin/env python3
"""Reproduction of a dual primary the soak found (seed 1, 06:53:57): a flapping fabric link on the
RG0 secondary makes it hand a data RG over (FL) and take it back a few milliseconds later, before
the peer's "I am primary now" heartbeat arrives, so both nodes are primary (and own the RG's
reths) until the split brain is detected and resolved, ~30 ms later, while the control link and
the LAN work all along.

Two nodes (tests/lib/cclab.Cluster, 200 ms x 3), RG2 primary on node1 (priority 100/150, no
preempt needed), node1 (RG0 secondary) losing PERCENT % of the fabric probes it receives (nft,
numgen random). Each time three probes in a row are lost node1 raises FL and gives RG2 to node0;
when the next probe arrives FL clears and node1, in secondary-hold and still believing node0
secondary, takes RG2 back "better priority (150/100)" without waiting for hold-down.

Run as root from the repository: python3 soak/repro_fabric_flap.py [SECONDS] [PERCENT]
Prints every split brain detected and exits 1 if there was one."""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "tests", "lib"))
import cclab  # noqa: E402

RG2 = ("set chassis cluster redundancy-group 2 node 0 priority 100\n"
       "set chassis cluster redundancy-group 2 node 1 priority 150\n")


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 120
    percent = int(sys.argv[2]) if len(sys.argv) > 2 else 45
    c = cclab.Cluster(extra=RG2, interval=200)
    try:
        c.wait_state(1, 2, "primary", timeout=30)
        c.wait_state(0, 2, "secondary", timeout=30)
        cclab.run(["ip", "netns", "exec", c.ns[1], "nft", "-f", "-"], input=(
            "add table inet repro\n"
            "add chain inet repro c { type filter hook input priority 0 ; }\n"
            f"add rule inet repro c iifname \"fab0\" numgen random mod 100 < {percent} drop\n"))
        print(f"node1 drops {percent} % of its incoming fabric probes for {seconds:.0f} s")
        deadline = time.time() + seconds
        found = []
        while time.time() < deadline and not found:
            time.sleep(1)
            for n in (0, 1):
                found += [f"node{n}: {line}" for line in open(c.logs[n]).read().splitlines()
                          if "split brain detected" in line]
        flaps = sum(1 for line in open(c.logs[1]).read().splitlines()
                    if "fabric link to node0 down" in line)
        print(f"fabric link down on node1 {flaps} times")
        if not found:
            print("no split brain")
            return 0
        for n in (0, 1):
            lines = open(c.logs[n]).read().splitlines()
            hit = next(i for i, line in enumerate(lines) if "split brain detected" in line)
            print(f"--- node{n} around the first split brain")
            print("\n".join(line[:220] for line in lines[max(0, hit - 8):hit + 4]
                            if "rejected" not in line))
        return 1
    finally:
        c.close()


if __name__ == "__main__":
    sys.exit(main())
