"""Issue 11: the shipped template in a real Zabbix 6.0 server (Debian 12's packages).

One server for the module (zabbixlab.ZabbixLab); a running pair of ccagentd (tests/lib/cclab.py)
whose snmpd answers the server on veth addresses into the node namespaces and sends its
notifications to snmptrapd, which hands them to Zabbix through the official
zabbix_trap_receiver.pl (loaded as packaging/snmp/snmptrapd.conf says). The tests run in order:
import, discovery equal to ccctl, then the faults (a monitored-link failover, a peer loss, a
split brain), asserting through the API which problems open, which dependencies keep quiet,
which close, and that each notification reaches its snmptrap[] item on the right host.
"""
import os
import shutil
import sys
import time

import pytest

from zabbixlab import ZabbixLab, wait
from pairlab import FeaturedPair, PolledPair, STATE_NUMBER, WITNESS, WITNESS_PORT

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# CCAGENT_ZABBIX_TEMPLATE: import another file (e.g. an old template from git history).
TEMPLATE = os.environ.get("CCAGENT_ZABBIX_TEMPLATE") or os.path.join(
    REPO, "packaging", "zabbix", "ccagent_snmp.yaml")
sys.path.insert(0, os.path.join(REPO, "packaging", "zabbix"))
import generate_template as gen  # noqa: E402

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("zabbix_server"),
                                reason="needs root and zabbix-server-pgsql (scripts/install-zabbix.sh)")

# Low intervals on the hosts: a poll every 5 s, discovery every 10 s, nodata() at its minimum.
HOST_MACROS = {"{$CCAGENT.LLD.INTERVAL}": "10s", "{$CCAGENT.CONFIG.INTERVAL}": "10s",
               "{$CCAGENT.SLOW.INTERVAL}": "10s", "{$CCAGENT.STATE.INTERVAL}": "5s",
               "{$CCAGENT.POLL.INTERVAL}": "5s", "{$CCAGENT.NODATA.TIMEOUT}": "30s",
               "{$CCAGENT.SNMP.TIMEOUT}": "1m"}
PROBLEM_TIMEOUT = 90      # a problem opens or closes within this (5 s polls, a loaded machine)


@pytest.fixture(scope="module")
def zabbix():
    started = time.time()
    lab = ZabbixLab()
    print(f"\nZabbix server and frontend up in {time.time() - started:.0f} s")
    yield lab
    lab.close()


def test_the_template_imports(zabbix):
    started = time.time()
    assert zabbix.import_template(TEMPLATE) is True
    print(f"imported in {time.time() - started:.0f} s")
    found = zabbix.call("template.get", {"filter": {"host": gen.TEMPLATE},
                                         "selectItems": "count", "selectDiscoveries": "count",
                                         "selectTriggers": "count", "selectGraphs": "count"})
    assert len(found) == 1, found
    t = found[0]
    print(f"imported: {t['items']} items, {t['discoveries']} discovery rules, "
          f"{t['triggers']} triggers, {t['graphs']} graphs")
    assert int(t["discoveries"]) == 6 and int(t["items"]) > 60 and int(t["graphs"]) >= 3
    # Dependencies survived the import.
    triggers = zabbix.call("trigger.get", {"templateids": t["templateid"],
                                           "selectDependencies": ["description"],
                                           "output": ["description", "manual_close",
                                                      "recovery_mode"]})
    by_name = {x["description"]: x for x in triggers}
    deps = lambda name: [d["description"] for d in by_name[name]["dependencies"]]
    assert deps(gen.CONTROL_DOWN_NAME) == [gen.PEER_LOST_NAME]
    assert deps(gen.PEER_LOST_NAME) == [gen.NODATA_NAME]
    assert deps(gen.SPLIT_POLL_NAME) == [gen.SPLIT_TRAP_NAME]
    for name in (gen.SPLIT_POLL_NAME, gen.SPLIT_TRAP_NAME):
        assert by_name[name]["manual_close"] == "1" and by_name[name]["recovery_mode"] == "2"


# --- the monitored pair -----------------------------------------------------------------------
class Monitored:
    """The pair, its two Zabbix hosts (hosts[n] polls node n) and API views of them."""

    def __init__(self, zabbix, pair):
        self.z, self.pair = zabbix, pair
        template = zabbix.call("template.get", {"filter": {"host": gen.TEMPLATE}})[0]
        group = zabbix.call("hostgroup.create", {"name": f"cctest-{pair.c.prefix}"})["groupids"][0]
        self.hosts = []
        for n in (0, 1):
            self.hosts.append(zabbix.call("host.create", {
                "host": f"{pair.c.prefix}-node{n}", "groups": [{"groupid": group}],
                "templates": [{"templateid": template["templateid"]}],
                "interfaces": [{"type": 2, "main": 1, "useip": 1, "ip": pair.addr[n], "dns": "",
                                "port": "161", "details": {"version": 2, "community": "public",
                                                           "bulk": 1}}],
                "macros": [{"macro": k, "value": v} for k, v in HOST_MACROS.items()],
            })["hostids"][0])

    def items(self, n, key=""):
        return {i["key_"]: i for i in self.z.call("item.get", {
            "hostids": self.hosts[n], "search": {"key_": key} if key else {},
            "output": ["itemid", "key_", "lastvalue", "lastclock", "name", "state", "error",
                       "value_type"]})}

    def triggers(self, n):
        """{expanded name: trigger} of host n (value "1" means in problem)."""
        got = self.z.call("trigger.get", {
            "hostids": self.hosts[n], "output": ["description", "value", "priority"],
            "expandDescription": True, "selectDependencies": ["triggerid"]})
        return {t["description"]: t for t in got}

    def problems(self, n):
        """{name: problem} of the open problems of host n."""
        return {p["name"]: p for p in self.z.call("problem.get", {
            "hostids": self.hosts[n], "output": ["eventid", "name", "severity", "r_eventid",
                                                 "clock"], "recent": False})}

    def wait_problems(self, n, want, timeout=PROBLEM_TIMEOUT, what=""):
        """Waits until host n's open problems are exactly `want` (a set of names or prefixes
        ending in '*'); returns them."""
        def matches(names):
            left = set(names)
            for w in want:
                hit = [x for x in left if (x.startswith(w[:-1]) if w.endswith("*") else x == w)]
                if len(hit) != 1:
                    return False
                left -= set(hit)
            return not left
        seen = {}

        def check():
            seen["p"] = self.problems(n)
            return matches(seen["p"])
        try:
            wait(check, timeout, f"host node{n}'s problems to be {sorted(want)} {what}")
        except AssertionError as error:
            raise AssertionError(f"{error}\nopen: {sorted(seen.get('p', {}))}") from None
        return seen["p"]

    def traps(self, n, notification, since):
        """The values of host n's snmptrap[] item of `notification` received since `since`."""
        number = dict((name, num) for name, num, _ in gen.NOTIFICATION_LIST)[notification]
        item = self.items(n, "snmptrap[")[gen.trap_key(notification, number)]
        return [h["value"] for h in self.z.call("history.get", {
            "itemids": item["itemid"], "history": 2, "time_from": int(since) - 1,
            "output": "extend"})]

    def wait_trap(self, n, notification, since, timeout=60):
        wait(lambda: self.traps(n, notification, since), timeout,
             f"{notification} on host node{n}'s snmptrap item")
        return self.traps(n, notification, since)

    def no_trap(self, n, notification, since):
        assert not self.traps(n, notification, since), (n, notification)

    def quiet(self, n, name, because):
        """Trigger `name` of host n holds no problem although its condition is true: a
        dependency suppresses it. `because` says the condition holds in the polled values
        (waited for first; the trigger is evaluated with that value, then checked)."""
        wait(because, PROBLEM_TIMEOUT, f"{name}: its condition to hold on host node{n}")
        time.sleep(2)
        trigger = self.triggers(n)[name]
        assert trigger["value"] == "0", (n, name, trigger)

    def last(self, n, key):
        return self.items(n, key)[key]["lastvalue"]


def start_trapd(zabbix, pair):
    """snmptrapd for the pair's notifications, configured by the shipped snippet."""
    zabbix.start_trapd(pair.gw, pair.trap_port,
                       os.path.join(REPO, "packaging", "snmp", "snmptrapd.conf"),
                       os.path.join(REPO, "mibs"))


@pytest.fixture(scope="module")
def monitored(zabbix):
    zabbix.import_template(TEMPLATE)
    pair = PolledPair()
    try:
        start_trapd(zabbix, pair)
        m = Monitored(zabbix, pair)
        pair.start()
        yield m
    finally:
        pair.close()


ENUM = {"up": 1, "down": 2, "lost": 2, "unknown": 3}
PEER = {"up": 1, "lost": 2, "unknown": 3}
IFMON = {"up": 1, "down": 2, "not-present": 3, "not-monitored": 4}
HEALTH = {"healthy": 1, "unreachable": 2, "stalled": 3, "losing": 4, "unknown": 5}
WITNESS_STATUS = {"up": 1, "lost": 2, "unknown": 3}


def feature_values(st, stats, info):
    """The LAN, session-sync and witness items: what the MIB serves for ccctl's JSON, the
    not-configured values when the JSON has no such part."""
    sync, witness = stats.get("sessionSync"), info.get("witness")
    counters = (sync or {}).get("counters") or {}
    commit = (sync or {}).get("lastCommit") or {}
    truth = lambda value: 1 if value else 2  # noqa: E731
    return {
        gen.K_LAN: ENUM[st["lanLink"]] if "lanLink" in st else 4,
        gen.K_SS_CONFIGURED: truth(sync), gen.K_SS_STATUS: HEALTH[sync["health"]] if sync else 6,
        # A DisplayString of at most 255 octets.
        gen.K_SS_DETAIL: ((sync or {}).get("healthDetail") or "").encode()[:255].decode(
            errors="ignore"),
        gen.K_SS_COLD: truth((sync or {}).get("coldSync")),
        gen.K_SS_LOCAL: counters.get("internalCache", {}).get("active", 0),
        gen.K_SS_EXTERNAL: counters.get("externalCache", {}).get("active", 0),
        gen.K_SS_COMMITS: (sync or {}).get("commits", 0),
        gen.K_SS_TIMEOUTS: (sync or {}).get("commitTimeouts", 0),
        gen.K_SS_LAST_SESSIONS: commit.get("sessions", 0),
        gen.K_SS_LAST_DURATION: commit.get("milliseconds", 0) / 1000,
        gen.K_SS_LAST_TIMED_OUT: truth(commit.get("timedOut")),
        gen.K_W_CONFIGURED: truth(witness),
        gen.K_W_STATUS: WITNESS_STATUS[witness["reachability"]] if witness else 4,
        gen.K_W_ADDRESS: witness["address"] if witness else "",
        gen.K_W_PORT: witness["port"] if witness else 0,
        gen.K_W_HOLDER: -1 if not witness or witness.get("grantHolder") is None
        else witness["grantHolder"],
        gen.K_W_CONFIRMED: truth((witness or {}).get("grantConfirmed")),
        gen.K_W_HOLDS: truth((witness or {}).get("holdsGrant")),
        gen.K_W_CLAIMING: truth((witness or {}).get("claiming")),
    }


def expected_values(pair, n):
    """{item key: expected lastvalue} for every item the template discovers or polls on host
    n, from ccctl show status/information/interfaces --json of node n."""
    st = pair.c.status(n)
    info = pair.json(n, "information")
    ifaces = pair.json(n, "interfaces")
    stats = pair.json(n, "statistics")
    want = {
        gen.K_CLUSTER_ID: st["clusterId"], gen.K_LOCAL_NODE: st["localNode"],
        gen.K_HB_INTERVAL: pair.interval / 1000, gen.K_HB_THRESHOLD: pair.threshold,
        gen.K_CONTROL: ENUM[st["controlLink"]], gen.K_FABRIC: ENUM[st["fabricLink"]],
        gen.K_PEER: PEER[st["peer"]], gen.K_SB_COUNT: info["splitBrainCount"],
        gen.K_SB_STATUS: 2 if info["splitBrainActive"] else 1, gen.K_CONFIG: 1,
        gen.K_SNMP_AVAILABLE: 1, gen.K_DROPPED: 0,
    }
    want.update(feature_values(st, stats, info))
    # A node that never made a group primary has no reason for it (ccRgLastFailoverReason "").
    reasons = {g["id"]: g.get("lastFailoverReason", "") for g in info["groups"]}
    for g in st["redundancyGroups"]:
        rg = g["id"]
        want[f"ccagent.rg.failovers[ccRgFailoverCount.{rg}]"] = g["failoverCount"]
        want[f"ccagent.rg.primary[ccRgPrimaryNode.{rg}]"] = -1 if g["primaryNode"] is None \
            else g["primaryNode"]
        want[f"ccagent.rg.preempt[ccRgPreempt.{rg}]"] = 1 if g["nodes"][0]["preempt"] else 2
        want[f"ccagent.rg.failover.reason[ccRgLastFailoverReason.{rg}]"] = reasons[rg]
        want[f"ccagent.rg.holddown[ccRgHoldDownInterval.{rg}]"] = 300 if rg == 0 else 1
        manual = [x["node"] for x in g["nodes"] if x["manualFailover"]]
        want[f"ccagent.rg.manual.node[ccRgManualFailoverNode.{rg}]"] = manual[0] if manual else -1
        for node in g["nodes"]:
            i = f"{rg}.{node['node']}"
            k = lambda what, obj: f"ccagent.rg.node.{what}[{obj}.{i}]"
            want[k("state", "ccRgNodeState")] = STATE_NUMBER[node["status"]]
            want[k("priority.effective", "ccRgNodeEffectivePriority")] = node["priority"]
            want[k("priority.configured", "ccRgNodeConfiguredPriority")] = \
                node["configuredPriority"]
            want[k("weight", "ccRgNodeWeight")] = node["weight"] or 0
            want[k("weight.known", "ccRgNodeWeightKnown")] = 2 if node["weight"] is None else 1
            want[k("failure.codes", "ccRgNodeFailureCodesText")] = " ".join(node["monitorFailures"])
            want[k("manual", "ccRgNodeManualFailover")] = 1 if node["manualFailover"] else 2
    for m in ifaces["interfaceMonitors"]:
        i = f"{m['group']}.{m['index']}"
        want[f"ccagent.ifmon.status[ccIfMonStatus.{i}]"] = IFMON[m["state"]]
        want[f"ccagent.ifmon.weight[ccIfMonWeight.{i}]"] = m["weight"]
        want[f"ccagent.ifmon.node[ccIfMonNode.{i}]"] = -1
    for m in ifaces["ipMonitors"]:
        i = f"{m['group']}.{m['index']}"
        want[f"ccagent.ipmon.status[ccIpMonStatus.{i}]"] = \
            {True: 1, False: 2, None: 3}[m["reachable"]]
        want[f"ccagent.ipmon.weight[ccIpMonWeight.{i}]"] = m["weight"]
    return want


def names_of(pair, n):
    """The names discovery must give: {item key: name} for the rows whose name carries data."""
    ifaces = pair.json(n, "interfaces")
    names = {}
    for m in ifaces["interfaceMonitors"]:
        names[f"ccagent.ifmon.status[ccIfMonStatus.{m['group']}.{m['index']}]"] = \
            f"RG {m['group']} interface {m['interface']}: status"
    for m in ifaces["ipMonitors"]:
        names[f"ccagent.ipmon.status[ccIpMonStatus.{m['group']}.{m['index']}]"] = \
            f"RG {m['group']} address {m['address']}: status"
    return names


# Items whose value is a rate or a time, not in ccctl's JSON: checked for a value and a range.
RATES = {gen.K_HB_SENT, gen.K_HB_RECEIVED, gen.K_PROBE_SENT, gen.K_PROBE_RECEIVED}
ZERO_RATES = {gen.K_HB_ERRORS, gen.K_PROBE_ERRORS, gen.K_LAN_ERRORS, gen.K_SS_LOST,
              gen.K_SS_MALFORMED, gen.K_W_REJECTED}
# One per heartbeat while the feature works (LAN heartbeats sent and received, witness requests
# and their answers), else 0: {key: (ccctl show status, show information) -> it works}.
FEATURE_RATES = {
    gen.K_LAN_SENT: lambda st, info: "lanLink" in st,
    gen.K_LAN_RECEIVED: lambda st, info: st.get("lanLink") == "up",
    gen.K_W_REQUESTS: lambda st, info: "witness" in info,
    gen.K_W_REPLIES: lambda st, info: (info.get("witness") or {}).get("reachability") == "up",
}
# conntrackd's message rates: 0 without session sync (no conntrackd here ever answers).
SYNC_RATES = {gen.K_SS_SENT, gen.K_SS_RECEIVED}
TIMES = ("ccagent.splitbrain.last[", "ccagent.rg.failover.last[", "ccagent.rg.node.state.changed[",
         "ccagent.ifmon.changed[", "ccagent.ipmon.changed[", "ccagent.witness.contact[")


def compare(m, n):
    """None when every item of host n has a value equal to ccctl's; else what differs."""
    want = expected_values(m.pair, n)
    got = m.items(n)
    polled = {k: v for k, v in got.items() if not k.startswith("snmptrap")}
    missing = sorted(set(want) - set(polled))
    if missing:
        return f"not discovered (yet): {missing}"
    extra = sorted(set(polled) - set(want) - RATES - ZERO_RATES - set(FEATURE_RATES)
                   - SYNC_RATES - {k for k in polled if k.startswith(TIMES)})
    assert not extra, f"host node{n} has items ccctl does not show: {extra}"
    unsupported = {k: v["error"] for k, v in polled.items() if v["state"] != "0"}
    assert not unsupported, unsupported
    waiting = sorted(k for k, v in polled.items() if v["lastclock"] == "0")
    if waiting:
        return f"no value yet: {waiting}"
    differ = {}
    for key, value in want.items():
        last = polled[key]["lastvalue"]
        if isinstance(value, str):
            same = last == value
        else:
            same = float(last) == float(value)
        if not same:
            differ[key] = (last, value)
    for key in RATES:
        rate = float(polled[key]["lastvalue"])
        if not 0.5 / (m.pair.interval / 1000) < rate < 2 / (m.pair.interval / 1000):
            differ[key] = (rate, f"about {1000 / m.pair.interval}/s")
    for key in ZERO_RATES | SYNC_RATES:
        if float(polled[key]["lastvalue"]) != 0:
            differ[key] = (polled[key]["lastvalue"], 0)
    st, info = m.pair.c.status(n), m.pair.json(n, "information")
    for key, works in FEATURE_RATES.items():
        rate = float(polled[key]["lastvalue"])
        if works(st, info):
            # The witness's replies (and the LAN heartbeats) may lag a poll behind the requests.
            if not 0.3 / (m.pair.interval / 1000) < rate < 2 / (m.pair.interval / 1000):
                differ[key] = (rate, f"about {1000 / m.pair.interval}/s")
        elif rate != 0:
            differ[key] = (rate, 0)
    for key, name in names_of(m.pair, n).items():
        if polled[key]["name"] != name:
            differ[key + " name"] = (polled[key]["name"], name)
    return f"differ (zabbix, ccctl): {differ}" if differ else None


def test_discovery_and_values_equal_ccctl(monitored):
    m, pair = monitored, monitored.pair
    started = time.time()
    pair.c.wait_state(0, 1, "primary", timeout=30)
    pair.c.wait_state(1, 1, "secondary", timeout=30)
    for n in (0, 1):
        last = {}

        def agrees():
            last["why"] = compare(m, n)
            return last["why"] is None
        try:
            wait(agrees, 180, f"node{n}'s items to equal ccctl show status")
            print(f"node{n}: every item equals ccctl after {time.time() - started:.0f} s")
        except AssertionError as error:
            rules = m.z.call("discoveryrule.get", {"hostids": m.hosts[n],
                                                   "output": ["key_", "state", "error"]})
            raise AssertionError(f"{error}\n{last.get('why')}\nLLD rules: {rules}\n"
                                 f"server log:\n{m.z.log()[-3000:]}") from None
    # Nothing is wrong with a healthy pair.
    for n in (0, 1):
        assert m.problems(n) == {}, (n, m.problems(n))
    print(f"discovery and values agree after {time.time() - started:.0f} s")


def test_monitored_link_failover(monitored):
    """node0's lan0 loses carrier: RG 1 (interface-monitor lan0 weight 255) fails over to node1
    and, with preempt, back when the cable is plugged in again."""
    m, pair = monitored, monitored.pair
    t0 = time.time()
    pair.c.cable(0, 0, False)
    pair.c.wait_state(1, 1, "primary", timeout=30)
    m.wait_problems(0, {"ccagent: RG 1 interface lan0 is down",
                        "ccagent: RG 1 node0 weight is 0 or less"}, what="(cable pulled)")
    m.wait_problems(1, {"ccagent: RG 1 failed over to this node"}, what="(new primary)")
    # The peer's view of node0's weight is node0's problem, not node1's.
    assert m.last(1, "ccagent.rg.node.weight[ccRgNodeWeight.1.0]") == "0"
    m.wait_trap(0, "ccInterfaceMonitorFailure", t0)
    m.wait_trap(1, "ccRgFailover", t0)
    m.wait_trap(0, "ccRgStateChange", t0)
    m.no_trap(1, "ccInterfaceMonitorFailure", t0)
    m.no_trap(0, "ccRgFailover", t0)
    t1 = time.time()
    pair.c.cable(0, 0, True)
    pair.c.wait_state(0, 1, "primary", timeout=30)
    m.wait_problems(0, {"ccagent: RG 1 failed over to this node"}, what="(preempted back)")
    m.wait_problems(1, set(), what="(failover problem closes by itself)")
    m.wait_problems(0, set(), what="(all closed)")
    m.wait_trap(0, "ccInterfaceMonitorRecovery", t1)
    m.wait_trap(0, "ccRgFailover", t1)
    print(f"failover scenario: {time.time() - t0:.0f} s")


def test_peer_loss(monitored):
    """kill -9 of node1's agent: node1's host loses the cluster MIB (no data), node0's host
    shows one problem, peer lost; the link and RG problems it explains stay quiet."""
    m, pair = monitored, monitored.pair
    t0 = time.time()
    pair.c.kill(1)
    pair.c.wait(lambda: pair.c.status(0)["peer"] == "lost", 15, "node0 to lose its peer")
    m.wait_problems(0, {gen.PEER_LOST_NAME}, what="(peer killed)")
    m.wait_problems(1, {"ccagent: no SNMP data from the cluster MIB for 30s"}, timeout=150,
                    what="(agent killed)")
    m.quiet(0, gen.CONTROL_DOWN_NAME, lambda: m.last(0, gen.K_CONTROL) == "2")
    m.quiet(0, gen.FABRIC_DOWN_NAME, lambda: m.last(0, gen.K_FABRIC) == "2")
    # A lost peer's weight is not known: no weight problem for its rows.
    assert m.last(0, "ccagent.rg.node.weight.known[ccRgNodeWeightKnown.1.1]") == "2"
    m.wait_trap(0, "ccPeerLost", t0)
    # One notification for one cause: the links are down because the peer is lost.
    m.no_trap(0, "ccControlLinkDown", t0)
    t1 = time.time()
    pair.c.start(1)
    pair.c.wait_state(1, 1, "secondary", timeout=30)
    m.wait_problems(0, set(), what="(peer back)")
    m.wait_problems(1, set(), what="(agent back)")
    m.wait_trap(0, "ccPeerFound", t1)
    print(f"peer loss scenario: {time.time() - t0:.0f} s")


def test_split_brain(monitored):
    """Both nodes stop hearing each other (control and fabric): each loses the peer and both are
    primary. The heal is ordered so that each node sees the split brain (see below): node0
    detects it and stays primary (its priority is higher), node1 detects it and steps down.
    Host node0 learns of it by trap;
    node1's split-brain trap item is disabled, so its host learns of it by polling
    ccSplitBrainCount. Either problem stays open until closed by hand."""
    m, pair = monitored, monitored.pair
    trap_item = m.items(1, "snmptrap[")[gen.trap_key("ccSplitBrainDetected", 13)]["itemid"]
    m.z.call("item.update", {"itemid": trap_item, "status": 1})
    counts = [pair.json(n, "information")["splitBrainCount"] for n in (0, 1)]
    t0 = time.time()
    for n in (0, 1):
        pair.deaf(n, True)
    pair.c.wait_state(1, 0, "primary", timeout=30)
    for n in (0, 1):
        m.wait_problems(n, {gen.PEER_LOST_NAME}, what="(links cut)")
    # node1 took over both groups: explained by the lost peer.
    m.quiet(1, "ccagent: RG 0 failed over to this node",
            lambda: m.last(1, "ccagent.rg.primary[ccRgPrimaryNode.0]") == "1")
    m.quiet(1, gen.CONTROL_DOWN_NAME, lambda: m.last(1, gen.K_CONTROL) == "2")
    t1 = time.time()
    # Freshness (DESIGN §4): a node acts only on a message that echoes its current nonce. node1
    # hears node0 first and so learns node0's nonce (it cannot act: node0 never heard node1's);
    # once node0 hears again, node1's heartbeats already echo it: node0 acts on one that still
    # says primary, detects the split brain and answers; node1 then detects it and steps down.
    pair.deaf(1, False)
    time.sleep(5 * pair.interval / 1000)
    assert pair.json(1, "information")["splitBrainCount"] == counts[1], "acted on a stale nonce"
    pair.deaf(0, False)
    pair.c.wait_state(1, 1, "secondary", timeout=30)
    for n in (0, 1):
        pair.c.wait(lambda: pair.json(n, "information")["splitBrainCount"] == counts[n] + 1, 15,
                    f"node{n} to have detected the split brain")
    opened = [m.wait_problems(0, {gen.SPLIT_TRAP_NAME}, what="(healed, by trap)"),
              m.wait_problems(1, {gen.SPLIT_POLL_NAME.split("{")[0] + "*"},
                              what="(healed, by polling)")]
    m.quiet(0, next(k for k in m.triggers(0) if k.startswith(gen.SPLIT_POLL_NAME.split("{")[0])),
            lambda: float(m.last(0, gen.K_SB_COUNT)) == counts[0] + 1)
    m.wait_trap(0, "ccSplitBrainDetected", t1)
    m.wait_trap(0, "ccSplitBrainResolved", t1)
    m.wait_trap(1, "ccSplitBrainResolved", t1)
    # Still open two polls later: no automatic recovery.
    time.sleep(12)
    for n in (0, 1):
        assert set(m.problems(n)) == set(opened[n]), (n, m.problems(n))
        for p in opened[n].values():
            m.z.close_problem(p["eventid"])
    for n in (0, 1):
        m.wait_problems(n, set(), timeout=60, what="(closed by hand)")
    m.z.call("item.update", {"itemid": trap_item, "status": 0})
    print(f"split brain scenario: {time.time() - t0:.0f} s")


def test_lan_witness_and_session_sync_items_and_problems(zabbix, monitored):
    """A second pair (the first one stops, its hosts are disabled) with the LAN heartbeat path,
    a witness that is not running yet, and session sync whose conntrackd is not there. The new
    items equal ccctl's views in the configured state; session sync down is a HIGH problem, the
    witness unreachable (never answered) a WARNING that closes once ccwitnessd runs, the LAN
    path down a WARNING while node1 drops its LAN heartbeats; and their notifications reach the
    snmptrap[] items. The first pair, with none of these configured, never showed one of these
    problems (its hosts' problem sets were exact throughout)."""
    monitored.pair.close()
    for host in monitored.hosts:
        zabbix.call("host.update", {"hostid": host, "status": 1})
    pair = FeaturedPair()
    try:
        start_trapd(zabbix, pair)
        m = Monitored(zabbix, pair)
        # The server polls the new hosts (snmpd runs already) before the agents start: it knows
        # their snmptrap[] items when the first notification (session sync down) arrives.
        for n in (0, 1):
            wait(lambda: m.items(n, gen.K_SNMP_AVAILABLE)[gen.K_SNMP_AVAILABLE]["lastvalue"]
                 == "1", 60, f"the server to poll host node{n}")
        t0 = time.time()
        pair.start()
        pair.c.wait_state(0, 1, "primary", timeout=30)
        pair.c.wait(lambda: all(pair.c.status(n).get("lanLink") == "up" for n in (0, 1)), 15,
                    "the LAN heartbeat path up on both nodes")
        down = {gen.SESSION_SYNC_DOWN_NAME, gen.WITNESS_DOWN_NAME}
        for n in (0, 1):
            m.wait_problems(n, down, timeout=180, what="(no conntrackd, no witness)")
            wait(lambda: compare(m, n) is None, 60, f"node{n}'s items to equal ccctl")
            assert m.last(n, gen.K_SS_STATUS) == "2" and m.last(n, gen.K_W_STATUS) == "3"
            assert m.last(n, gen.K_SS_DETAIL) != ""  # why conntrackd does not answer
            assert m.triggers(n)[gen.SESSION_SYNC_DOWN_NAME]["priority"] == "4"  # HIGH
            assert m.triggers(n)[gen.WITNESS_DOWN_NAME]["priority"] == "2"  # WARNING
            m.wait_trap(n, "ccSessionSyncDown", t0)
        t1 = time.time()
        pair.start_witness()
        for n in (0, 1):
            m.wait_problems(n, {gen.SESSION_SYNC_DOWN_NAME}, what="(witness started)")
            m.wait_trap(n, "ccWitnessFound", t1)
            wait(lambda: compare(m, n) is None, 60, f"node{n}'s items to equal ccctl")
            assert m.last(n, gen.K_W_STATUS) == "1"
            assert m.last(n, gen.K_W_ADDRESS) == WITNESS
            assert m.last(n, gen.K_W_PORT) == str(WITNESS_PORT)
        t2 = time.time()
        pair.cut_lan(1, True)
        lan_down = {gen.SESSION_SYNC_DOWN_NAME, gen.LAN_DOWN_NAME}
        for n in (0, 1):
            m.wait_problems(n, lan_down, what="(LAN heartbeats dropped)")
            m.wait_trap(n, "ccLanLinkDown", t2)
        # The LAN path down changes no role.
        assert pair.c.state(0, 1) == "primary" and pair.c.state(1, 1) == "secondary"
        t3 = time.time()
        pair.cut_lan(1, False)
        for n in (0, 1):
            m.wait_problems(n, {gen.SESSION_SYNC_DOWN_NAME}, what="(LAN heartbeats back)")
            m.wait_trap(n, "ccLanLinkUp", t3)
        print(f"LAN, witness and session-sync scenario: {time.time() - t0:.0f} s")
    finally:
        pair.close()
