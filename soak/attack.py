"""The soak's attacker: tests/lib/attacker.py run in the attacker namespace, whose ctl0 and fab0
sit on the relay's hub ports (lab.py), so it sees every heartbeat and probe and may spoof any
source. Three faults: forgeries (the right key from the attacker's own address, which only the
source check stops; a wrong key, no key, a tampered or an oversized genuine datagram, garbage,
a forged "leaving" announcement, with the peer's address spoofed), replays (recordings of a
node, from this boot or an earlier one, spoofed from its address to its peer), and floods (all
of it mixed, at a few thousand datagrams a second: the relay is Python on a shared 2-core box;
test_attacker.py measures 22 000/s without it)."""
import os

import attacker
from lab import ATTACKER, PORT, cclab

CLUSTER_ID = 7
ADDRESS = cclab.ADDRESS
MAX_RECORDINGS = 400


class SoakAttacker:
    def __init__(self, lab):
        self.lab = lab
        self.a = attacker.Attacker(lab.base, lab.attacker_ns)
        self.key = attacker.read_key(lab.keyfile)
        self.recordings = []                # (node, link, payload): every capture so far
        self.floods = []                    # summaries of the floods sent
        self.sent = 0                       # datagrams sent outside floods

    def capture(self, seconds):
        """Both hubs for `seconds`: {(node, link): [payload, ...]} of genuine datagrams."""
        control, fabric = self.a.capture_both(seconds)
        got = {}
        for link, captured in (("ctl0", control), ("fab0", fabric)):
            for d in captured:
                for n in (0, 1):
                    if d["src"] == ADDRESS[(link, n)]:
                        got.setdefault((n, link), []).append(bytes.fromhex(d["hex"]))
        for (n, link), payloads in got.items():
            self.recordings += [(n, link, p) for p in payloads[-20:]]
        del self.recordings[:-MAX_RECORDINGS]
        return got

    def takeover(self, got, target, key, rng, leaving=False):
        """Per link, a heartbeat 'from the target's peer' the target would act on if it came
        through: the peer's epoch and digest, a sequence far ahead, the target's current nonce
        echoed (nonces travel in clear), the peer primary (or secondary) at priority 254."""
        peer = 1 - target
        out = {}
        for link in ("ctl0", "fab0"):
            mine, theirs = got.get((peer, link)), got.get((target, link))
            if not mine or not theirs:
                continue
            h, t = attacker.decode_header(mine[-1]), attacker.decode_header(theirs[-1])
            state = rng.choice(["primary", "secondary"])
            groups = [attacker.group(rg, rng.choice([1, 254]), state) for rg in (0, 1, 2)]
            out[link] = attacker.heartbeat(
                link, CLUSTER_ID, peer, h["epoch"], h["sequence"] + rng.randint(1, 1_000_000),
                groups, key=key, digest=h["digest"], nonce=h["nonce"], echoed=t["nonce"],
                leaving=leaving)
        return out

    def forge(self, rng):
        """One burst of forgeries at one node, on both links. Returns the datagrams sent."""
        target = rng.randrange(2)
        peer = 1 - target
        got = self.capture(rng.uniform(0.6, 1.2))
        right = self.takeover(got, target, self.key, rng)
        wrong = self.takeover(got, target, os.urandom(32), rng)
        unsigned = self.takeover(got, target, None, rng)
        leaving = self.takeover(got, target, os.urandom(32), rng, leaving=True)
        count = 0
        for link in ("ctl0", "fab0"):
            port, dst, spoofed = PORT[link], ADDRESS[(link, target)], ADDRESS[(link, peer)]
            if link in right:
                self.a.send(ATTACKER[link], dst, port, [right[link]] * rng.randint(1, 5))
                count += 1
            payloads = [p[link] for p in (wrong, unsigned, leaving) if link in p] * rng.randint(1, 3)
            genuine = got.get((peer, link))
            if genuine:
                tampered = bytearray(genuine[-1])
                i = rng.randrange(len(tampered))
                tampered[i] ^= 1 << rng.randrange(8)
                payloads += [bytes(tampered),
                             genuine[-1][:-32] + bytes(rng.randint(100, 3000)) + genuine[-1][-32:]]
            payloads += [os.urandom(rng.randint(0, 200)), b""]
            self.a.send(spoofed, dst, port, payloads)
            count += len(payloads)
        self.sent += count
        return count

    def replay_datagrams(self, sender):
        return [(ADDRESS[(link, sender)], ADDRESS[(link, 1 - sender)], PORT[link], p)
                for n, link, p in self.recordings if n == sender]

    def replay(self, rng):
        """A node's recordings (this boot and earlier ones) replayed to its peer, spoofed, at a
        few hundred a second for a few seconds. Returns the flood summary."""
        if len(self.recordings) < 10:
            self.capture(1.0)
        sender = rng.randrange(2)
        datagrams = self.replay_datagrams(sender)
        if not datagrams:
            return None
        return self._flood(rng.uniform(1.5, 5.0), rng.randint(100, 500), datagrams, "replay")

    def flood(self, rng):
        """Replays, wrong keys, garbage (spoofed) and right-key forgeries (from the attacker's
        address) at both nodes on both links."""
        got = self.capture(0.8)
        datagrams = []
        for target in (0, 1):
            right = self.takeover(got, target, self.key, rng)
            wrong = self.takeover(got, target, os.urandom(32), rng)
            for link in ("ctl0", "fab0"):
                me, dst = ADDRESS[(link, 1 - target)], ADDRESS[(link, target)]
                port = PORT[link]
                datagrams += [(me, dst, port, p) for n, lk, p in self.recordings[-60:]
                              if n == 1 - target and lk == link]
                if link in wrong:
                    datagrams.append((me, dst, port, wrong[link]))
                if link in right:
                    datagrams.append((ATTACKER[link], dst, port, right[link]))
                datagrams.append((me, dst, port, os.urandom(rng.randint(20, 300))))
        rate = rng.randint(1000, 3000)
        return self._flood(rng.uniform(2.0, 5.0), rate, datagrams, "flood",
                           processes=2 if rate > 2000 else 1)

    def _flood(self, seconds, rate, datagrams, kind, processes=1):
        running = self.a.flood(seconds, rate, datagrams, processes=processes)
        try:
            summary = running.summary(timeout=seconds + 60)
        except Exception as e:              # a sender that died: reported, not fatal
            for p in running.procs:
                if p.poll() is None:
                    p.kill()
            summary = {"sent": 0, "failed": 0, "seconds": seconds, "rate": 0, "error": str(e)}
        for p in running.procs:
            self.lab.base.forget(p)
        summary.update(kind=kind, target_rate=rate)
        self.floods.append(summary)
        return summary
