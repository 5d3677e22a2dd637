"""Issue 11: the shipped template in a real Zabbix 6.0 server (Debian 12's packages)."""
import os
import shutil
import subprocess

import pytest

from zabbixlab import ZabbixLab, ApiError

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TEMPLATE = os.path.join(REPO, "packaging", "zabbix", "ccagent_snmp.yaml")

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("zabbix_server"),
                                reason="needs root and zabbix-server-pgsql (scripts/install-zabbix.sh)")


@pytest.fixture(scope="module")
def zabbix():
    lab = ZabbixLab()
    yield lab
    lab.close()


def test_the_template_imports(zabbix):
    assert zabbix.import_template(TEMPLATE) is True
    found = zabbix.call("template.get", {"filter": {"host": "ccagent by SNMP"},
                                         "selectItems": "count", "selectDiscoveries": "count",
                                         "selectTriggers": "count", "selectGraphs": "count"})
    assert len(found) == 1, found
    t = found[0]
    print(f"imported: {t['items']} items, {t['discoveries']} discovery rules, "
          f"{t['triggers']} triggers, {t['graphs']} graphs")
    assert int(t["discoveries"]) == 4 and int(t["items"]) > 30 and int(t["graphs"]) >= 1
    # Dependencies survived the import: the control-link trigger depends on peer lost.
    triggers = zabbix.call("trigger.get", {"templateids": t["templateid"],
                                           "selectDependencies": ["description"],
                                           "output": ["description", "manual_close",
                                                      "recovery_mode"]})
    by_name = {x["description"]: x for x in triggers}
    assert [d["description"] for d in by_name["ccagent: control link is down"]["dependencies"]] \
        == ["ccagent: peer node lost"]
    split = by_name["ccagent: a split brain occurred (count {ITEM.LASTVALUE1})"]
    assert split["manual_close"] == "1" and split["recovery_mode"] == "2", split  # 2: none


# --- a running pair polled by the server ------------------------------------------------------
import random  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
from cluster import Cluster  # noqa: E402

from zabbixlab import wait  # noqa: E402

ROOT_OID = ".1.3.6.1.4.1.8072.9999.9999.1"
STATE = {"hold": 1, "primary": 2, "secondary-hold": 3, "secondary": 4, "ineligible": 5,
         "disabled": 6, "lost": 7}


class PolledPair:
    """The pair of tests/integration, with snmpd in each node namespace on a veth address the
    Zabbix server (root namespace) reaches; the veths are removed by close()."""

    def __init__(self):
        self.c = Cluster(extra="set chassis cluster redundancy-group 1 interface-monitor lan0 weight 255\n",
                         start=False)
        self.veths, self.snmpd = [], []
        base = random.randrange(0, 255)
        self.addr, self.gw = [], []
        try:
            for n in (0, 1):
                root_if, ns_if = f"{self.c.prefix}z{n}", f"{self.c.prefix}y{n}"
                gw, addr = f"100.127.{base}.{4 * n + 1}", f"100.127.{base}.{4 * n + 2}"
                subprocess.run(["ip", "link", "add", root_if, "type", "veth", "peer", "name", ns_if,
                                "netns", self.c.ns[n]], check=True)
                self.veths.append(root_if)
                subprocess.run(["ip", "addr", "add", f"{gw}/30", "dev", root_if], check=True)
                subprocess.run(["ip", "link", "set", root_if, "up"], check=True)
                subprocess.run(["ip", "-n", self.c.ns[n], "addr", "add", f"{addr}/30", "dev", ns_if], check=True)
                subprocess.run(["ip", "-n", self.c.ns[n], "link", "set", ns_if, "up"], check=True)
                self.addr.append(addr)
                self.gw.append(gw)
                conf = os.path.join(self.c.work, f"snmpd{n}.conf")
                with open(conf, "w") as f:
                    f.write(f"master agentx\nagentXSocket {os.path.join(self.c.work, f'agentx{n}.sock')}\n"
                            f"agentXPerms 0777 0777\nrocommunity public {gw} {ROOT_OID}\n"
                            f"rocommunity public {gw} .1.3.6.1.2.1.1\n")
                self.snmpd.append(subprocess.Popen(
                    ["ip", "netns", "exec", self.c.ns[n], "snmpd", "-f", "-Lo", "-C", "-c", conf,
                     f"udp:{addr}:161"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            for n in (0, 1):
                self.c.start(n)
        except BaseException:
            self.close()
            raise

    def close(self):
        for p in self.snmpd:
            if p.poll() is None:
                p.kill()
                p.wait()
        for v in self.veths:
            subprocess.run(["ip", "link", "del", v], capture_output=True)
        self.c.close()


@pytest.fixture(scope="module")
def monitored(zabbix):
    zabbix.import_template(TEMPLATE)
    pair = PolledPair()
    template = zabbix.call("template.get", {"filter": {"host": "ccagent by SNMP"}})[0]["templateid"]
    group = zabbix.call("hostgroup.create", {"name": f"cctest-{pair.c.prefix}"})["groupids"][0]
    hosts = []
    for n in (0, 1):
        hosts.append(zabbix.call("host.create", {
            "host": f"{pair.c.prefix}-node{n}", "groups": [{"groupid": group}],
            "templates": [{"templateid": template}],
            "interfaces": [{"type": 2, "main": 1, "useip": 1, "ip": pair.addr[n], "dns": "",
                            "port": "161", "details": {"version": 2, "community": "public",
                                                       "bulk": 1}}],
            "macros": [{"macro": "{$CCAGENT.LLD.INTERVAL}", "value": "10s"},
                       {"macro": "{$CCAGENT.STATE.INTERVAL}", "value": "5s"},
                       {"macro": "{$CCAGENT.POLL.INTERVAL}", "value": "5s"}],
        })["hostids"][0])
    yield zabbix, pair, hosts
    pair.close()


def items(zabbix, host, key):
    return {i["key_"]: i for i in zabbix.call("item.get", {
        "hostids": host, "search": {"key_": key}, "output": ["key_", "lastvalue", "lastclock",
                                                             "name", "state", "error"]})}


def test_discovery_and_values_equal_ccctl(monitored):
    zabbix, pair, hosts = monitored
    started = time.time()
    pair.c.wait_state(0, 1, "primary", timeout=30)
    pair.c.wait_state(1, 1, "secondary", timeout=30)

    def agrees(n):
        status = pair.c.status(n)
        got = items(zabbix, hosts[n], "ccagent.rg.node.")
        for g in status["redundancyGroups"]:
            for node in g["nodes"]:
                idx = f"{g['id']}.{node['node']}"
                state = got.get(f"ccagent.rg.node.state[ccRgNodeState.{idx}]")
                if not state or state["lastclock"] == "0":
                    return False
                assert state["lastvalue"] == str(STATE[node["status"]]), (n, idx, state, node)
                prio = got[f"ccagent.rg.node.priority.effective[ccRgNodeEffectivePriority.{idx}]"]
                if prio["lastclock"] == "0":
                    return False
                assert prio["lastvalue"] == str(node["priority"]), (n, idx, prio, node)
                codes = got[f"ccagent.rg.node.failure.codes[ccRgNodeFailureCodesText.{idx}]"]
                assert codes["lastclock"] == "0" or codes["lastvalue"] == " ".join(node["monitorFailures"])
                weight = got[f"ccagent.rg.node.weight[ccRgNodeWeight.{idx}]"]
                if weight["lastclock"] == "0":
                    return False
                assert float(weight["lastvalue"]) == float(node["weight"]), (n, idx, weight, node)
        # Exactly the rows ccctl shows: RG×node state items, one per row.
        discovered = {k for k in got if k.startswith("ccagent.rg.node.state[")}
        assert len(discovered) == sum(len(g["nodes"]) for g in status["redundancyGroups"])
        return True

    for n in (0, 1):
        try:
            wait(lambda: agrees(n), 180, f"node{n}'s discovered rows to equal ccctl show status")
        except AssertionError as error:
            rules = zabbix.call("discoveryrule.get", {"hostids": hosts[n],
                                                      "output": ["key_", "state", "error"]})
            iface = zabbix.call("hostinterface.get", {"hostids": hosts[n],
                                                      "output": ["ip", "available", "error"]})
            raise AssertionError(f"{error}\nLLD rules: {rules}\ninterface: {iface}\n"
                                 f"server log:\n{zabbix.log()[-3000:]}") from None
    print(f"discovery and values agree after {time.time() - started:.0f} s")
