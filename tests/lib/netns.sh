# Shared by the lab and the integration tests: a two-node topology in network namespaces.
#   node namespaces  $NS0, $NS1: lo, ctl0 (10.77.0.N/24), fab0 (10.77.1.N/24), lan0, lan1
#   (lanX of node N is portN / port1N in the switch namespace; lan0 of node N is
#   10.77.(2+N).1/24 with a pingable 10.77.(2+N).254 on the switch side)
#   switch namespace $NSW: the far ends of both lan0 ports, so a "cable pull" on the switch
#   side leaves the node's port administratively up without carrier, as on real hardware.
# Names carry a unique prefix so parallel runs never collide; `topology_down` removes all.

topology_up() {
  local prefix=$1
  NS0="${prefix}-n0"; NS1="${prefix}-n1"; NSW="${prefix}-sw"
  ip netns add "$NS0"; ip netns add "$NS1"; ip netns add "$NSW"
  for ns in "$NS0" "$NS1" "$NSW"; do ip -n "$ns" link set lo up; done
  ip link add "${prefix:0:8}c0" type veth peer name "${prefix:0:8}c1"
  ip link add "${prefix:0:8}f0" type veth peer name "${prefix:0:8}f1"
  ip link add "${prefix:0:8}l0" type veth peer name "${prefix:0:8}s0"
  ip link add "${prefix:0:8}l1" type veth peer name "${prefix:0:8}s1"
  ip link add "${prefix:0:8}m0" type veth peer name "${prefix:0:8}t0"
  ip link add "${prefix:0:8}m1" type veth peer name "${prefix:0:8}t1"
  ip link set "${prefix:0:8}c0" netns "$NS0" name ctl0
  ip link set "${prefix:0:8}c1" netns "$NS1" name ctl0
  ip link set "${prefix:0:8}f0" netns "$NS0" name fab0
  ip link set "${prefix:0:8}f1" netns "$NS1" name fab0
  ip link set "${prefix:0:8}l0" netns "$NS0" name lan0
  ip link set "${prefix:0:8}l1" netns "$NS1" name lan0
  ip link set "${prefix:0:8}s0" netns "$NSW" name port0
  ip link set "${prefix:0:8}s1" netns "$NSW" name port1
  ip link set "${prefix:0:8}m0" netns "$NS0" name lan1
  ip link set "${prefix:0:8}m1" netns "$NS1" name lan1
  ip link set "${prefix:0:8}t0" netns "$NSW" name port10
  ip link set "${prefix:0:8}t1" netns "$NSW" name port11
  local n
  for n in 0 1; do
    local ns; ns=$([ $n = 0 ] && echo "$NS0" || echo "$NS1")
    ip -n "$ns" addr add "10.77.0.$((n + 1))/24" dev ctl0
    ip -n "$ns" addr add "10.77.1.$((n + 1))/24" dev fab0
    ip -n "$ns" link set ctl0 up
    ip -n "$ns" link set fab0 up
    ip -n "$ns" link set lan0 up
    ip -n "$ns" link set lan1 up
    ip -n "$NSW" link set "port$n" up
    ip -n "$NSW" link set "port1$n" up
    # A "gateway" behind each LAN port for ip-monitoring: node N's lan0 is 10.77.(2+N).1,
    # the switch side 10.77.(2+N).254.
    ip -n "$ns" addr add "10.77.$((2 + n)).1/24" dev lan0
    ip -n "$NSW" addr add "10.77.$((2 + n)).254/24" dev "port$n"
  done
}

topology_down() {
  local ns
  for ns in "${NS0:-}" "${NS1:-}" "${NSW:-}"; do
    [ -n "$ns" ] && ip netns del "$ns" 2>/dev/null
  done
  return 0
}
