"""Shared fixtures of the integration tests (lldpd's tests/integration/fixtures style): every
test takes its lab from here, built by tests/lib/cclab.py, and the finalizers clean it up."""
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib"))

import cclab  # noqa: E402

@pytest.fixture
def cluster(request):
    """A started Cluster; indirect parameters are its constructor's keyword arguments."""
    c = cclab.Cluster(**getattr(request, "param", {}))
    request.addfinalizer(c.close)
    return c


@pytest.fixture
def snmp_cluster(request):
    """A Cluster monitoring lan0 (weight 255) with snmpd and snmptrapd in node0's namespace,
    started before the agents."""
    c = cclab.Cluster(extra=cclab.MONITOR_LAN0, start=False)
    request.addfinalizer(c.close)
    s = c.snmp(0)
    request.addfinalizer(s.close)
    for n in (0, 1):
        c.start(n)
    return c, s


@pytest.fixture(scope="module")
def journald(request):
    """A journald that answers: the host's, or one started for this module."""
    j = cclab.Journald().ensure()
    request.addfinalizer(j.close)
    return j
