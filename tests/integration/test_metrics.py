"""The Prometheus endpoint of a running pair (issue 17 item 2): `set chassis cluster metrics
listen`, scraped live inside each node's namespace, checked by `promtool check metrics` and by
the Python client's parser, and its values against `ccctl show status --json` before and after
a failover."""
import json
import os
import subprocess
import sys

import pytest

import cclab

PORT = 9737
LISTEN = f"set chassis cluster metrics listen 127.0.0.1:{PORT}\n"
PROMTOOL = "/usr/bin/promtool"
# Debian's python3-prometheus-client (scripts/install-deps.sh) lives in the system Python; a
# pytest run by another interpreter parses with that one.
SYSTEM_PYTHON = "/usr/bin/python3"

# One HTTP exchange inside a namespace: prints {"status", "headers", "body"} or {"error"}.
_HTTP = r"""
import http.client, json, sys
host, port, method, path = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
try:
    c = http.client.HTTPConnection(host, port, timeout=10)
    c.request(method, path)
    r = c.getresponse()
    print(json.dumps({"status": r.status, "headers": dict(r.getheaders()),
                      "body": r.read().decode()}))
except OSError as e:
    print(json.dumps({"error": f"{type(e).__name__}: {e}"}))
"""

# The client library's parser over stdin: [[name, type, [[sample, labels, value], ...]], ...].
_PARSE = r"""
import json, sys
from prometheus_client.parser import text_string_to_metric_families
out = [[f.name, f.type, [[s.name, s.labels, s.value] for s in f.samples]]
       for f in text_string_to_metric_families(sys.stdin.read())]
print(json.dumps(out))
"""


def http(ns, method="GET", path="/metrics", host="127.0.0.1", port=PORT):
    r = cclab.run(["ip", "netns", "exec", ns, sys.executable, "-c", _HTTP, host, str(port),
                   method, path], timeout=30)
    return json.loads(r.stdout)


def scrape(ns, host="127.0.0.1"):
    reply = http(ns, host=host)
    assert reply.get("status") == 200, reply
    assert reply["headers"]["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    return reply["body"]


def promtool(text):
    """`promtool check metrics` (exit 0 and no lint output), the text on stdin."""
    r = subprocess.run([PROMTOOL, "check", "metrics"], input=text, capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0 and not (r.stdout + r.stderr).strip(), r.stdout + r.stderr + text


def client_parse(text):
    """{(sample name, frozenset(labels)): value} and {family: type}, by prometheus_client."""
    try:
        import prometheus_client  # noqa: F401
        python = sys.executable
    except ImportError:
        python = SYSTEM_PYTHON
    r = cclab.run([python, "-c", _PARSE], input=text, timeout=60)
    samples, types = {}, {}
    for name, kind, rows in json.loads(r.stdout):
        types[name] = kind
        for sample, labels, value in rows:
            key = (sample, frozenset(labels.items()))
            assert key not in samples, f"duplicate sample {key}"
            samples[key] = value
    return samples, types


def value(samples, name, **labels):
    return samples.get((name, frozenset((k, str(v)) for k, v in labels.items())))


def check_against_status(samples, st, node):
    """Every RG row of `ccctl show status --json` is in the metrics with the same numbers."""
    assert value(samples, "ccagent_up") == 1
    assert value(samples, "ccagent_local_node") == node
    assert value(samples, "ccagent_cluster_id") == st["clusterId"]
    assert value(samples, "ccagent_peer_up") == (1 if st["peer"] == "up" else 0)
    for link in ("control", "fabric"):
        assert value(samples, "ccagent_link_up", link=link) == (
            1 if st[f"{link}Link"] == "up" else 0)
    for group in st["redundancyGroups"]:
        rg = group["id"]
        assert value(samples, "ccagent_redundancy_group_failovers_total", rg=rg) == \
            group["failoverCount"], (rg, group)
        for row in group["nodes"]:
            n = row["node"]
            assert value(samples, "ccagent_redundancy_group_state", rg=rg, node=n) == \
                cclab.STATE_NUMBER[row["status"]], (rg, row)
            assert value(samples, "ccagent_redundancy_group_priority", rg=rg, node=n) == \
                row["priority"], (rg, row)
            weight = value(samples, "ccagent_redundancy_group_weight", rg=rg, node=n)
            assert weight == row.get("weight"), (rg, row, weight)
            for code in ("CS", "CF", "FL", "IF", "IP"):
                failure = value(samples, "ccagent_redundancy_group_failure", rg=rg, node=n,
                                code=code)
                expected = None if row.get("weight") is None else \
                    (1 if code in row["monitorFailures"] else 0)
                assert failure == expected, (rg, n, code, failure, row)


def consistent_scrape(c, n, attempts=20):
    """A scrape and a status that agree: the two are separate reads of a moving agent, so a
    transition may fall between them; a steady pair agrees at the next try."""
    last = None
    for _ in range(attempts):
        text = scrape(c.ns[n])
        samples, types = client_parse(text)
        st = c.status(n)
        try:
            check_against_status(samples, st, n)
            return text, samples, types, st
        except AssertionError as e:
            last = e
    raise AssertionError(f"node{n}: metrics never matched the status: {last}\n" + c.tail())


@pytest.fixture
def metrics_cluster(request):
    c = cclab.Cluster(extra=cclab.MONITOR_LAN0 + LISTEN)
    request.addfinalizer(c.close)
    c.wait_state(0, 1, "primary", 30)
    c.wait_state(1, 1, "secondary", 30)
    return c


def test_metrics_parse_and_match_status_before_and_after_failover(metrics_cluster):
    c = metrics_cluster
    with open(os.path.join(cclab.ROOT, "packaging", "VERSION")) as f:
        version = f.read().strip()
    before = {}
    for n in (0, 1):
        text, samples, types, st = consistent_scrape(c, n)
        promtool(text)
        assert value(samples, "ccagent_build_info", version=version) == 1
        assert types["ccagent_redundancy_group_state"] == "gauge"
        assert types["ccagent_redundancy_group_failovers"] == "counter"   # the client drops _total
        assert types["ccagent_link_sent"] == "counter"
        # Only numbers: no sample carries a state name.
        assert not any(v in cclab.STATE_NUMBER for key in samples for _, v in key[1]), text
        assert value(samples, "ccagent_interface_monitor_up", rg=1, index=1, interface="lan0") == 1
        before[n] = st

    # Counters agree with `show statistics`: read between two statistics requests.
    for n in (0, 1):
        first = json.loads(c.ccctl(n, "show", "statistics", "--json").stdout)
        samples, _ = client_parse(scrape(c.ns[n]))
        last = json.loads(c.ccctl(n, "show", "statistics", "--json").stdout)
        for link, prefix in (("control", "heartbeats"), ("fabric", "probes")):
            for metric, field in (("sent", "Sent"), ("received", "Received")):
                got = value(samples, f"ccagent_link_{metric}_total", link=link)
                assert first[prefix + field] <= got <= last[prefix + field], (n, link, metric)
        assert value(samples, "ccagent_link_sent_total", link="control") > 0

    c.cable(0, 0, False)   # lan0 down on node0: RG1 (weight 255) fails over to node1
    c.wait_state(1, 1, "primary", 30)
    c.wait(lambda: c.row(0, 1, 1)["status"] == "primary", 30, "node0 sees node1 primary")
    for n in (0, 1):
        _, samples, _, st = consistent_scrape(c, n)
        rg1 = next(g for g in st["redundancyGroups"] if g["id"] == 1)
        old = next(g for g in before[n]["redundancyGroups"] if g["id"] == 1)
        assert rg1["failoverCount"] == old["failoverCount"] + 1
        assert value(samples, "ccagent_redundancy_group_state", rg=1, node=1) == \
            cclab.STATE_NUMBER["primary"]
        assert value(samples, "ccagent_redundancy_group_state", rg=1, node=0) != \
            cclab.STATE_NUMBER["primary"]
    samples, _ = client_parse(scrape(c.ns[0]))
    assert value(samples, "ccagent_redundancy_group_failure", rg=1, node=0, code="IF") == 1
    assert value(samples, "ccagent_interface_monitor_up", rg=1, index=1, interface="lan0") == 0


def test_metrics_listener_answers_only_get_metrics(metrics_cluster):
    ns = metrics_cluster.ns[0]
    assert http(ns, path="/")["status"] == 404
    assert http(ns, path="/metrics/x")["status"] == 404
    for method in ("POST", "PUT", "DELETE"):
        reply = http(ns, method=method)
        assert reply["status"] == 405 and reply["headers"]["Allow"] == "GET", reply
    assert http(ns, path="/metrics?a=b")["status"] == 200


def test_metrics_on_ipv6_loopback_and_off_by_default():
    c = cclab.Cluster(extra=f"set chassis cluster metrics listen [::1]:{PORT}\n")
    try:
        c.wait_state(0, 0, "primary", 30)
        text = scrape(c.ns[0], host="::1")
        promtool(text)
        samples, _ = client_parse(text)
        assert value(samples, "ccagent_up") == 1
        assert "error" in http(c.ns[0], host="127.0.0.1")   # only the configured address
    finally:
        c.close()
    plain = cclab.Cluster()
    try:
        plain.wait_state(0, 0, "primary", 30)
        reply = http(plain.ns[0])
        assert "ConnectionRefused" in reply.get("error", ""), reply
    finally:
        plain.close()


@pytest.mark.parametrize("address,column,message", [
    ("127.0.0.1:99999", 46, "port '99999' is not a number in 1..65535"),
    ("localhost:9737", 36, "'localhost' is not an IP address"),
    ("::1:9737", 36, "write an IPv6 address in brackets"),
])
def test_bad_metrics_address_is_a_positioned_error(tmp_path, address, column, message):
    path = tmp_path / "bad.conf"
    text = cclab.base_config(1, 1000) + f"set chassis cluster metrics listen {address}\n"
    path.write_text(text)
    line = text.count("\n")
    r = subprocess.run([os.path.join(cclab.DEBUG_BIN, "ccctl"), "check-config", str(path)],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode != 0
    assert f"{path}:{line}:{column}: " in r.stdout + r.stderr, r.stdout + r.stderr
    assert message in r.stdout + r.stderr
    agent = subprocess.run([os.path.join(cclab.DEBUG_BIN, "ccagentd"), "--config", str(path),
                            "--node", "0"], capture_output=True, text=True, timeout=30)
    assert agent.returncode != 0 and f"{path}:{line}:{column}: " in agent.stderr, agent.stderr
