"""Issue 17 item 4: the Junos command forms print exactly what ccctl's own forms print."""
from cluster import Cluster


def test_show_and_request_chassis_cluster_are_the_same_commands():
    c = Cluster()
    try:
        c.wait_state(0, 1, "primary")
        c.wait_state(1, 1, "secondary")
        for view in ("status", "information", "interfaces"):
            ours = c.ccctl(0, "show", view).stdout
            junos = c.ccctl(0, "show", "chassis", "cluster", view).stdout
            assert junos == ours and ours.strip(), view
            assert c.ccctl(0, "show", "chassis", "cluster", view, "--json").stdout.startswith("{")
        refused = c.ccctl(0, "request", "chassis", "cluster", "failover", "redundancy-group", "7",
                          "node", "1", check=False)
        assert refused.returncode != 0 and "7" in refused.stderr
        done = c.ccctl(0, "request", "chassis", "cluster", "failover", "redundancy-group", "1",
                       "node", "1")
        assert done.returncode == 0
        c.wait_state(1, 1, "primary")
        assert c.ccctl(0, "request", "chassis", "cluster", "failover", "reset",
                       "redundancy-group", "1").returncode == 0
        assert c.ccctl(0, "clear", "chassis", "cluster", "failover-count").returncode == 0
    finally:
        c.close()
