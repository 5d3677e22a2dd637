#!/usr/bin/env python3
"""Generates ccagent_snmp.yaml, the Zabbix 6.0 template for ccagent's CHASSIS-CLUSTER-MIB.

    python3 packaging/zabbix/generate_template.py          # rewrite ccagent_snmp.yaml
    python3 packaging/zabbix/generate_template.py --check  # exit 1 if the file is stale

The YAML is the deliverable (import it in Zabbix 6.0: Configuration > Templates > Import); this
script is its source, so that OIDs, keys and trigger expressions stay consistent. UUIDs are
derived from the object identities, so regenerating keeps them stable, and laid out as UUIDv4
(version nibble 4, variant 10xx): Zabbix 6.0 refuses anything else ("UUIDv4 is expected").
"""
import sys
import uuid
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
OUTPUT = HERE / "ccagent_snmp.yaml"

TEMPLATE = "ccagent by SNMP"
GROUP = "Templates/Applications"
GROUP_UUID = "a571c0d144b14fd4a87a9d9b2aa9fcd6"  # Zabbix's stock Templates/Applications group
NAMESPACE = uuid.UUID("5c3e2a4e-6f0e-4f1b-9a51-3c0c1a7ccb01")

ROOT = "1.3.6.1.4.1.8072.9999.9999.1"  # chassisClusterMIB (netSnmpPlaypen.1)
SCALAR = ROOT + ".1.1"  # ccCluster
RG_ENTRY = ROOT + ".1.2.1"  # ccRedundancyGroupEntry
RG_NODE_ENTRY = ROOT + ".1.3.1"  # ccRedundancyGroupNodeEntry
IFMON_ENTRY = ROOT + ".1.4.1"  # ccInterfaceMonitorEntry
IPMON_ENTRY = ROOT + ".1.5.1"  # ccIpMonitorEntry
RETH_ENTRY = ROOT + ".1.6.1"  # ccRethEntry
RETH_ADDR_ENTRY = ROOT + ".1.7.1"  # ccRethAddressEntry
SESSION_SYNC = ROOT + ".1.8"  # ccSessionSync
WITNESS = ROOT + ".1.9"  # ccWitness
NOTIFICATIONS = ROOT + ".0"


def uid(*parts):
    """A stable UUID in the version 4 layout: derived (uuid5) bits, then the version nibble
    forced to 4 and the variant to RFC 4122's 10xx."""
    raw = bytearray(uuid.uuid5(NAMESPACE, "/".join(parts)).bytes)
    raw[6] = (raw[6] & 0x0F) | 0x40
    raw[8] = (raw[8] & 0x3F) | 0x80
    return uuid.UUID(bytes=bytes(raw)).hex


def ref(key):
    """A function argument referring to an item of this template."""
    return f"/{TEMPLATE}/{key}"


def tags(**kv):
    return [{"tag": k, "value": v} for k, v in kv.items()]


def step(kind, *parameters):
    return {"type": kind, "parameters": list(parameters) if parameters else [""]}


UPTIME = [step("MULTIPLIER", "0.01")]  # TimeStamp (TimeTicks) -> seconds
RATE = [step("CHANGE_PER_SECOND")]
SLOW = [step("DISCARD_UNCHANGED_HEARTBEAT", "6h")]

# --- value maps ---------------------------------------------------------------------------
VALUEMAPS = {
    "CHASSIS-CLUSTER-MIB::CcRedundancyGroupState": [
        ("1", "hold"),
        ("2", "primary"),
        ("3", "secondary-hold"),
        ("4", "secondary"),
        ("5", "ineligible"),
        ("6", "disabled"),
        ("7", "lost"),
    ],
    "CHASSIS-CLUSTER-MIB::CcLinkStatus": [("1", "up"), ("2", "down"), ("3", "unknown")],
    "CHASSIS-CLUSTER-MIB::CcPeerState": [("1", "up"), ("2", "lost"), ("3", "unknown")],
    "CHASSIS-CLUSTER-MIB::ccSplitBrainStatus": [("1", "none"), ("2", "detected")],
    "CHASSIS-CLUSTER-MIB::ccConfigDigestStatus": [
        ("1", "match"),
        ("2", "mismatch"),
        ("3", "unknown"),
    ],
    "CHASSIS-CLUSTER-MIB::ccIfMonStatus": [("1", "up"), ("2", "down"), ("3", "not present"),
                                           ("4", "not monitored")],
    "CHASSIS-CLUSTER-MIB::ccIpMonStatus": [
        ("1", "reachable"),
        ("2", "unreachable"),
        ("3", "unknown"),
    ],
    "CHASSIS-CLUSTER-MIB::ccLanLinkStatus": [
        ("1", "up"),
        ("2", "down"),
        ("3", "unknown"),
        ("4", "not configured"),
    ],
    "CHASSIS-CLUSTER-MIB::ccSessionSyncStatus": [
        ("1", "healthy"),
        ("2", "unreachable"),
        ("3", "stalled"),
        ("4", "losing"),
        ("5", "unknown"),
        ("6", "not configured"),
    ],
    "CHASSIS-CLUSTER-MIB::ccWitnessStatus": [
        ("1", "reachable"),
        ("2", "unreachable"),
        ("3", "unknown"),
        ("4", "not configured"),
    ],
    "CHASSIS-CLUSTER-MIB::ccRethOperStatus": [("1", "up"), ("2", "down")],
    "CHASSIS-CLUSTER-MIB::ccRethMemberStatus": [("1", "up"), ("2", "down"), ("3", "not present")],
    "CHASSIS-CLUSTER-MIB::NodeOrNone": [("-1", "none"), ("0", "node0"), ("1", "node1")],
    "CHASSIS-CLUSTER-MIB::NodeOrBoth": [("-1", "both nodes"), ("0", "node0"), ("1", "node1")],
    "SNMPv2-TC::TruthValue": [("1", "true"), ("2", "false")],
    "zabbix.host.available": [("0", "not available"), ("1", "available"), ("2", "unknown")],
}


def valuemaps():
    return [
        {
            "uuid": uid("valuemap", name),
            "name": name,
            "mappings": [{"value": v, "newvalue": n} for v, n in maps],
        }
        for name, maps in VALUEMAPS.items()
    ]


# --- scalar items -------------------------------------------------------------------------
def scalar(
    column, mib_name, key, name, description, *, delay="{$CCAGENT.POLL.INTERVAL}",
    value_type=None, units=None,
    valuemap=None, preprocessing=None, history=None, trends=None, triggers=None, tag="cluster",
    base=SCALAR,
):
    item = {
        "uuid": uid("item", key),
        "name": name,
        "type": "SNMP_AGENT",
        "snmp_oid": f"{base}.{column}.0",
        "key": key,
        "delay": delay,
    }
    if history:
        item["history"] = history
    if trends is not None:
        item["trends"] = trends
    if value_type:
        item["value_type"] = value_type
    if units:
        item["units"] = units
    item["description"] = f"MIB: CHASSIS-CLUSTER-MIB::{mib_name}.0\n{description}"
    if valuemap:
        item["valuemap"] = {"name": valuemap}
    if preprocessing:
        item["preprocessing"] = preprocessing
    item["tags"] = tags(component=tag)
    if triggers:
        item["triggers"] = triggers
    return item


def trigger(expression, name, priority, description, *, manual_close=False, opdata=None,
            dependencies=None, recovery_expression=None, trigger_tags=None, recovery_mode=None):
    t = {"uuid": uid("trigger", name, expression), "expression": expression}
    if recovery_mode:
        t["recovery_mode"] = recovery_mode
    if recovery_expression:
        t["recovery_mode"] = "RECOVERY_EXPRESSION"
        t["recovery_expression"] = recovery_expression
    t["name"] = name
    if opdata:
        t["opdata"] = opdata
    t["priority"] = priority
    t["description"] = description
    if manual_close:
        t["manual_close"] = "YES"
    if dependencies:
        t["dependencies"] = dependencies
    t["tags"] = tags(scope="availability", **(trigger_tags or {}))
    return t


K_CLUSTER_ID = "ccagent.cluster.id[ccClusterId.0]"
K_LOCAL_NODE = "ccagent.node.local[ccLocalNodeId.0]"
K_HB_INTERVAL = "ccagent.heartbeat.interval[ccHeartbeatInterval.0]"
K_HB_THRESHOLD = "ccagent.heartbeat.threshold[ccHeartbeatThreshold.0]"
K_CONTROL = "ccagent.link.control.status[ccControlLinkStatus.0]"
K_FABRIC = "ccagent.link.fabric.status[ccFabricLinkStatus.0]"
K_PEER = "ccagent.peer.status[ccPeerStatus.0]"
K_HB_SENT = "ccagent.heartbeat.sent.rate[ccHeartbeatsSent.0]"
K_HB_RECEIVED = "ccagent.heartbeat.received.rate[ccHeartbeatsReceived.0]"
K_HB_ERRORS = "ccagent.heartbeat.errors.rate[ccHeartbeatErrors.0]"
K_PROBE_SENT = "ccagent.probe.sent.rate[ccProbesSent.0]"
K_PROBE_RECEIVED = "ccagent.probe.received.rate[ccProbesReceived.0]"
K_PROBE_ERRORS = "ccagent.probe.errors.rate[ccProbeErrors.0]"
K_SB_STATUS = "ccagent.splitbrain.status[ccSplitBrainStatus.0]"
K_SB_LAST = "ccagent.splitbrain.last[ccSplitBrainLastDetected.0]"
K_SB_COUNT = "ccagent.splitbrain.count[ccSplitBrainCount.0]"
K_CONFIG = "ccagent.config.digest.status[ccConfigDigestStatus.0]"
K_DROPPED = "ccagent.snmp.notifications.dropped[ccNotificationsDropped.0]"
K_LAN = "ccagent.link.lan.status[ccLanLinkStatus.0]"
K_LAN_SENT = "ccagent.lan.sent.rate[ccLanHeartbeatsSent.0]"
K_LAN_RECEIVED = "ccagent.lan.received.rate[ccLanHeartbeatsReceived.0]"
K_LAN_ERRORS = "ccagent.lan.errors.rate[ccLanHeartbeatErrors.0]"
K_SS_CONFIGURED = "ccagent.session.sync.configured[ccSessionSyncConfigured.0]"
K_SS_STATUS = "ccagent.session.sync.status[ccSessionSyncStatus.0]"
K_SS_DETAIL = "ccagent.session.sync.detail[ccSessionSyncStatusDetail.0]"
K_SS_COLD = "ccagent.session.sync.coldsync[ccSessionSyncColdSync.0]"
K_SS_LOCAL = "ccagent.session.sync.sessions.local[ccSessionSyncLocalSessions.0]"
K_SS_EXTERNAL = "ccagent.session.sync.sessions.external[ccSessionSyncExternalSessions.0]"
K_SS_SENT = "ccagent.session.sync.sent.rate[ccSessionSyncMessagesSent.0]"
K_SS_RECEIVED = "ccagent.session.sync.received.rate[ccSessionSyncMessagesReceived.0]"
K_SS_LOST = "ccagent.session.sync.lost.rate[ccSessionSyncMessagesLost.0]"
K_SS_MALFORMED = "ccagent.session.sync.malformed.rate[ccSessionSyncMessagesMalformed.0]"
K_SS_COMMITS = "ccagent.session.sync.commits[ccSessionSyncCommits.0]"
K_SS_TIMEOUTS = "ccagent.session.sync.commit.timeouts[ccSessionSyncCommitTimeouts.0]"
K_SS_LAST_SESSIONS = "ccagent.session.sync.commit.sessions[ccSessionSyncLastCommitSessions.0]"
K_SS_LAST_DURATION = "ccagent.session.sync.commit.duration[ccSessionSyncLastCommitDuration.0]"
K_SS_LAST_TIMED_OUT = "ccagent.session.sync.commit.timedout[ccSessionSyncLastCommitTimedOut.0]"
K_W_CONFIGURED = "ccagent.witness.configured[ccWitnessConfigured.0]"
K_W_STATUS = "ccagent.witness.status[ccWitnessStatus.0]"
K_W_ADDRESS = "ccagent.witness.address[ccWitnessAddress.0]"
K_W_PORT = "ccagent.witness.port[ccWitnessPort.0]"
K_W_HOLDER = "ccagent.witness.grant.holder[ccWitnessGrantHolder.0]"
K_W_CONFIRMED = "ccagent.witness.grant.confirmed[ccWitnessGrantConfirmed.0]"
K_W_HOLDS = "ccagent.witness.grant.held[ccWitnessHoldsGrant.0]"
K_W_CLAIMING = "ccagent.witness.claiming[ccWitnessClaiming.0]"
K_W_CONTACT = "ccagent.witness.contact[ccWitnessLastContact.0]"
K_W_REQUESTS = "ccagent.witness.requests.rate[ccWitnessRequestsSent.0]"
K_W_REPLIES = "ccagent.witness.replies.rate[ccWitnessRepliesReceived.0]"
K_W_REJECTED = "ccagent.witness.rejected.rate[ccWitnessRepliesRejected.0]"

PEER_LOST_NAME = "ccagent: peer node lost"
PEER_LOST_EXPR = f"last({ref(K_PEER)})=2"
NODATA_NAME = "ccagent: no SNMP data from the cluster MIB for {$CCAGENT.NODATA.TIMEOUT}"
NODATA_EXPR = f"nodata({ref(K_PEER)},{{$CCAGENT.NODATA.TIMEOUT}})=1"
K_SNMP_AVAILABLE = "zabbix[host,snmp,available]"
SNMP_DOWN_NAME = "ccagent: SNMP agent is not available (for {$CCAGENT.SNMP.TIMEOUT})"
SNMP_DOWN_EXPR = f"max({ref(K_SNMP_AVAILABLE)},{{$CCAGENT.SNMP.TIMEOUT}})=0"
SNMP_DOWN_DEP = [{"name": SNMP_DOWN_NAME, "expression": SNMP_DOWN_EXPR}]
NODATA_DEP = [{"name": NODATA_NAME, "expression": NODATA_EXPR}]
CONTROL_DOWN_NAME = "ccagent: control link is down"
CONTROL_DOWN_EXPR = f"last({ref(K_CONTROL)})=2"
FABRIC_DOWN_NAME = "ccagent: fabric link is down"
FABRIC_DOWN_EXPR = f"last({ref(K_FABRIC)})=2"
PEER_LOST_DEP = [{"name": PEER_LOST_NAME, "expression": PEER_LOST_EXPR}]
# A split brain leaves one problem, closed only by hand: from the ccSplitBrainDetected trap when
# traps are set up (it arrives at once), else from polling ccSplitBrainCount, which depends on
# the trap problem so that both together still show one problem; the status trigger (detected
# right now, rarely caught by a poll) depends on the count one.
SPLIT_TRAP_KEY_NAME = ("ccSplitBrainDetected", 13)
SPLIT_TRAP_NAME = "ccagent: a split brain occurred (trap received)"
SPLIT_POLL_NAME = "ccagent: a split brain occurred (count {ITEM.LASTVALUE1})"
SPLIT_POLL_EXPR = f"change({ref(K_SB_COUNT)})>0"
SPLIT_POLL_DEP = [{"name": SPLIT_POLL_NAME, "expression": SPLIT_POLL_EXPR}]
# What a lost control link explains (the RG0 secondary goes ineligible, then disabled).
CONTROL_DOWN_DEP = [{"name": CONTROL_DOWN_NAME, "expression": CONTROL_DOWN_EXPR}]
# The features that may be left out of the configuration (LAN heartbeat path, session sync,
# witness) publish notConfigured values then: their triggers test for the configured states
# only, so an unconfigured feature never alarms.
LAN_DOWN_NAME = "ccagent: LAN heartbeat path is down"
LAN_DOWN_EXPR = f"last({ref(K_LAN)})=2"
SESSION_SYNC_DOWN_NAME = "ccagent: session sync is down"
SESSION_SYNC_DOWN_EXPR = (f"(last({ref(K_SS_STATUS)})=2 or last({ref(K_SS_STATUS)})=3) and "
                          f"last({ref(K_SS_CONFIGURED)})=1")
SESSION_SYNC_LOSING_NAME = "ccagent: session sync is losing messages"
SESSION_SYNC_LOSING_EXPR = (f"last({ref(K_SS_STATUS)})=4 and "
                            f"last({ref(K_SS_CONFIGURED)})=1")
COMMIT_TIMEOUT_NAME = "ccagent: a session commit timed out"
COMMIT_TIMEOUT_EXPR = f"change({ref(K_SS_TIMEOUTS)})>0"
# unreachable(2) at once; unknown(3) (no answer since the agent started) only for two polls
# in a row, so that an agent's first moments do not alarm.
WITNESS_DOWN_NAME = "ccagent: witness is unreachable"
WITNESS_DOWN_EXPR = (f"last({ref(K_W_STATUS)})=2 or "
                     f"(last({ref(K_W_STATUS)})=3 and last({ref(K_W_STATUS)},#2)=3)")


def availability_item():
    """Zabbix's own view of the SNMP interface: the root cause of every no-data problem."""
    return {
        "uuid": uid("item", K_SNMP_AVAILABLE),
        "name": "SNMP agent availability",
        "type": "INTERNAL",
        "key": K_SNMP_AVAILABLE,
        "delay": "{$CCAGENT.STATE.INTERVAL}",
        "history": "7d",
        "description": "Availability of the host's SNMP interface as Zabbix sees it: "
        "0 not available, 1 available, 2 unknown.",
        "valuemap": {"name": "zabbix.host.available"},
        "tags": tags(component="snmp"),
        "triggers": [trigger(
            SNMP_DOWN_EXPR, SNMP_DOWN_NAME, "AVERAGE",
            "Zabbix cannot reach the node's snmpd: the host is down, snmpd is not running, "
            "or a firewall or the community (or SNMPv3 credentials) blocks the poller. Every "
            "other problem of this host is suppressed while this one is open.",
            trigger_tags={"component": "snmp"})],
    }


def scalars():
    return [
        scalar(1, "ccClusterId", K_CLUSTER_ID, "Cluster ID",
               "The configured cluster identifier, shared by both nodes.",
               delay="{$CCAGENT.CONFIG.INTERVAL}", trends="0", preprocessing=SLOW, tag="config"),
        scalar(2, "ccLocalNodeId", K_LOCAL_NODE, "Local node ID",
               "The node identifier (0 or 1) of the node this agent runs on.",
               delay="{$CCAGENT.CONFIG.INTERVAL}", trends="0", preprocessing=SLOW, tag="config"),
        scalar(3, "ccHeartbeatInterval", K_HB_INTERVAL, "Heartbeat interval",
               "The configured interval between two heartbeats (and fabric probes).",
               delay="{$CCAGENT.CONFIG.INTERVAL}", value_type="FLOAT", units="s", trends="0",
               preprocessing=[step("MULTIPLIER", "0.001")] + SLOW, tag="config"),
        scalar(4, "ccHeartbeatThreshold", K_HB_THRESHOLD, "Heartbeat threshold",
               "Consecutive missed heartbeats after which the control link counts as failed.",
               delay="{$CCAGENT.CONFIG.INTERVAL}", trends="0", preprocessing=SLOW, tag="config"),
        scalar(5, "ccControlLinkStatus", K_CONTROL, "Control link status",
               "The status of the control link that carries the heartbeats.",
               delay="{$CCAGENT.STATE.INTERVAL}", trends="0", valuemap="CHASSIS-CLUSTER-MIB::CcLinkStatus",
               triggers=[trigger(
                   CONTROL_DOWN_EXPR, CONTROL_DOWN_NAME, "AVERAGE",
                   "The heartbeats from the peer stopped arriving on the control link. While "
                   "fabric probes still arrive, the RG0 secondary node becomes ineligible and "
                   "later disabled. Check the control link cabling, addresses and firewall.",
                   dependencies=PEER_LOST_DEP, trigger_tags={"component": "link"})]),
        scalar(6, "ccFabricLinkStatus", K_FABRIC, "Fabric link status",
               "The status of the fabric link, as determined by fabric probes.",
               delay="{$CCAGENT.STATE.INTERVAL}", trends="0", valuemap="CHASSIS-CLUSTER-MIB::CcLinkStatus",
               triggers=[trigger(
                   FABRIC_DOWN_EXPR, FABRIC_DOWN_NAME, "AVERAGE",
                   "Fabric probes from the peer stopped arriving: failure code FL, and the "
                   "data groups of the RG0 secondary move to the peer.",
                   dependencies=PEER_LOST_DEP, trigger_tags={"component": "link"})]),
        scalar(7, "ccPeerStatus", K_PEER, "Peer node status",
               "The status of the peer node as seen from this node.",
               delay="{$CCAGENT.STATE.INTERVAL}", trends="0", valuemap="CHASSIS-CLUSTER-MIB::CcPeerState",
               triggers=[
                   trigger(PEER_LOST_EXPR, PEER_LOST_NAME, "HIGH",
                           "The peer is silent on both the control and the fabric link: this "
                           "node is now primary for every redundancy group. If the peer is in "
                           "fact alive, both nodes are primary (split brain).",
                           dependencies=NODATA_DEP, trigger_tags={"component": "peer"}),
                   trigger(NODATA_EXPR, NODATA_NAME, "WARNING",
                           "snmpd answers but the cluster MIB does not: ccagentd is not "
                           "running or has lost its AgentX session to snmpd.",
                           dependencies=SNMP_DOWN_DEP, trigger_tags={"component": "snmp"}),
               ]),
        scalar(8, "ccHeartbeatsSent", K_HB_SENT, "Heartbeats sent per second",
               "Heartbeats sent to the peer (Counter64, as a rate).",
               value_type="FLOAT", units="pps", preprocessing=RATE, tag="heartbeat"),
        scalar(9, "ccHeartbeatsReceived", K_HB_RECEIVED, "Heartbeats received per second",
               "Valid heartbeats received from the peer (Counter64, as a rate).",
               value_type="FLOAT", units="pps", preprocessing=RATE, tag="heartbeat"),
        scalar(10, "ccHeartbeatErrors", K_HB_ERRORS, "Heartbeat errors per second",
               "Heartbeats that could not be sent or were rejected as invalid (bad MAC, "
               "wrong cluster, replay, malformed) (Counter64, as a rate).",
               value_type="FLOAT", units="pps", preprocessing=RATE, tag="heartbeat",
               triggers=[trigger(
                   f"min({ref(K_HB_ERRORS)},5m)>{{$CCAGENT.HB.ERRORS.MAX}}",
                   "ccagent: heartbeat errors are rising (over {$CCAGENT.HB.ERRORS.MAX}/s for 5m)",
                   "WARNING",
                   "Heartbeats keep failing to be sent or keep being rejected: a misconfigured "
                   "peer (cluster id, node id or key), a send error, or forged datagrams. See "
                   "journalctl -u ccagentd.",
                   opdata="Errors: {ITEM.LASTVALUE1}", trigger_tags={"component": "heartbeat"})]),
        scalar(11, "ccProbesSent", K_PROBE_SENT, "Fabric probes sent per second",
               "Fabric link probes sent to the peer (Counter64, as a rate).",
               value_type="FLOAT", units="pps", preprocessing=RATE, tag="heartbeat"),
        scalar(12, "ccProbesReceived", K_PROBE_RECEIVED, "Fabric probes received per second",
               "Valid fabric link probes received from the peer (Counter64, as a rate).",
               value_type="FLOAT", units="pps", preprocessing=RATE, tag="heartbeat"),
        scalar(13, "ccProbeErrors", K_PROBE_ERRORS, "Fabric probe errors per second",
               "Fabric probes that could not be sent or were rejected (Counter64, as a rate).",
               value_type="FLOAT", units="pps", preprocessing=RATE, tag="heartbeat",
               triggers=[trigger(
                   f"min({ref(K_PROBE_ERRORS)},5m)>{{$CCAGENT.HB.ERRORS.MAX}}",
                   "ccagent: fabric probe errors are rising (over {$CCAGENT.HB.ERRORS.MAX}/s for 5m)",
                   "WARNING",
                   "Fabric probes keep failing to be sent or keep being rejected.",
                   opdata="Errors: {ITEM.LASTVALUE1}", trigger_tags={"component": "heartbeat"})]),
        scalar(14, "ccSplitBrainStatus", K_SB_STATUS, "Split brain status",
               "detected while both nodes are primary for the same redundancy group, until "
               "the agents have resolved it by re-election.",
               delay="{$CCAGENT.STATE.INTERVAL}", trends="0", valuemap="CHASSIS-CLUSTER-MIB::ccSplitBrainStatus",
               tag="split-brain",
               triggers=[trigger(
                   f"last({ref(K_SB_STATUS)})=2", "ccagent: split brain detected", "DISASTER",
                   "Both nodes are primary for at least one redundancy group. ccagentd resolves "
                   "it by re-election once the nodes hear each other; services may have run on "
                   "both nodes: check their data. Quiet while the split brain's own problem "
                   "(closed by hand) is open.",
                   dependencies=SPLIT_POLL_DEP, trigger_tags={"component": "split-brain"})]),
        scalar(15, "ccSplitBrainLastDetected", K_SB_LAST, "Split brain last detected (agent uptime)",
               "sysUpTime when a split brain was last detected; 0 if none since the agent "
               "started.", value_type="FLOAT", units="uptime", trends="0",
               preprocessing=UPTIME, tag="split-brain"),
        scalar(16, "ccSplitBrainCount", K_SB_COUNT, "Split brain count",
               "How many times a split brain was detected since the agent started. Polled "
               "with the states, so that its problem and the ones it explains arrive together.",
               delay="{$CCAGENT.STATE.INTERVAL}", tag="split-brain",
               triggers=[trigger(
                   SPLIT_POLL_EXPR, SPLIT_POLL_NAME, "DISASTER",
                   "ccSplitBrainCount increased: both nodes were primary for the same "
                   "redundancy group, possibly only for milliseconds between two polls. The "
                   "problem stays open until an operator closes it (no automatic recovery): "
                   "check the services' data on both nodes first. Quiet when the "
                   "ccSplitBrainDetected trap already opened the same problem.",
                   manual_close=True, recovery_mode="NONE",
                   dependencies=[{"name": SPLIT_TRAP_NAME, "expression": split_trap_expr()}],
                   trigger_tags={"component": "split-brain"})]),
        scalar(17, "ccConfigDigestStatus", K_CONFIG, "Configuration digest status",
               "Whether the peer runs the same configuration (digest carried in heartbeats).",
               delay="{$CCAGENT.SLOW.INTERVAL}", trends="0", valuemap="CHASSIS-CLUSTER-MIB::ccConfigDigestStatus",
               tag="config",
               triggers=[trigger(
                   f"last({ref(K_CONFIG)})=2",
                   "ccagent: configuration differs from the peer's", "WARNING",
                   "Failure code CF: both nodes must load the same /etc/ccagent/ccagent.conf. "
                   "Copy it to both nodes and reload (systemctl reload ccagentd).",
                   trigger_tags={"component": "config"})]),
        scalar(18, "ccNotificationsDropped", K_DROPPED, "SNMP notifications dropped",
               "Notifications the agent dropped from its queue while snmpd was unreachable.",
               delay="{$CCAGENT.SLOW.INTERVAL}", tag="snmp",
               triggers=[trigger(
                   f"change({ref(K_DROPPED)})>0",
                   "ccagent: SNMP notifications were dropped", "INFO",
                   "The agent's notification queue overflowed while the AgentX master was "
                   "unreachable: some traps never left this host.",
                   manual_close=True, trigger_tags={"component": "snmp"})]),
        scalar(19, "ccLanLinkStatus", K_LAN, "LAN heartbeat path status",
               "The status of the LAN heartbeat path (heartbeats between the nodes' "
               "lan-address addresses); not configured without lan-address on both nodes.",
               delay="{$CCAGENT.STATE.INTERVAL}", trends="0",
               valuemap="CHASSIS-CLUSTER-MIB::ccLanLinkStatus", tag="link",
               triggers=[trigger(
                   LAN_DOWN_EXPR, LAN_DOWN_NAME, "WARNING",
                   "LAN heartbeats from the peer stopped arriving while the control or fabric "
                   "link still works: the third path that keeps a control-and-fabric failure "
                   "from making both nodes primary is gone. Check the lan-address addresses, "
                   "the reth network and its firewall (UDP). Quiet without lan-address.",
                   dependencies=PEER_LOST_DEP, trigger_tags={"component": "link"})]),
        scalar(20, "ccLanHeartbeatsSent", K_LAN_SENT, "LAN heartbeats sent per second",
               "Heartbeats sent over the LAN path (Counter64, as a rate; 0 without one).",
               value_type="FLOAT", units="pps", preprocessing=RATE, tag="heartbeat"),
        scalar(21, "ccLanHeartbeatsReceived", K_LAN_RECEIVED,
               "LAN heartbeats received per second",
               "Valid heartbeats received over the LAN path (Counter64, as a rate).",
               value_type="FLOAT", units="pps", preprocessing=RATE, tag="heartbeat"),
        scalar(22, "ccLanHeartbeatErrors", K_LAN_ERRORS, "LAN heartbeat errors per second",
               "LAN heartbeats that could not be sent or were rejected (Counter64, as a rate).",
               value_type="FLOAT", units="pps", preprocessing=RATE, tag="heartbeat"),
    ]


def session_sync_scalar(column, mib_name, key, name, description, **kw):
    return scalar(column, mib_name, key, name, description, base=SESSION_SYNC,
                  tag="session-sync", **kw)


def session_sync_items():
    """ccSessionSync: conntrackd's health and counters, cold sync and the last commit."""
    s = session_sync_scalar
    return [
        s(1, "ccSessionSyncConfigured", K_SS_CONFIGURED, "Session sync configured",
          "Whether the configuration has session-sync (conntrackd driven by the agent).",
          delay="{$CCAGENT.CONFIG.INTERVAL}", trends="0", valuemap="SNMPv2-TC::TruthValue",
          preprocessing=SLOW),
        s(2, "ccSessionSyncStatus", K_SS_STATUS, "Session sync status",
          "conntrackd's sync health as the agent last polled it; not configured without "
          "session-sync.", delay="{$CCAGENT.STATE.INTERVAL}", trends="0",
          valuemap="CHASSIS-CLUSTER-MIB::ccSessionSyncStatus",
          triggers=[
              trigger(SESSION_SYNC_DOWN_EXPR, SESSION_SYNC_DOWN_NAME, "HIGH",
                      "conntrackd does not answer the agent (unreachable) or the peer's "
                      "conntrackd has been silent for seconds although the peer is up "
                      "(stalled): sessions are no longer replicated, and a failover now would "
                      "drop the connections the firewall forwards. Check 'ccctl show "
                      "statistics' and conntrackd's service. Only with session-sync "
                      "configured.",
                      opdata="Status: {ITEM.LASTVALUE1}", dependencies=NODATA_DEP,
                      trigger_tags={"component": "session-sync"}),
              trigger(SESSION_SYNC_LOSING_EXPR, SESSION_SYNC_LOSING_NAME, "WARNING",
                      "conntrackd counted lost sync messages since the agent's previous poll: "
                      "some session changes may not have reached the peer. Check the fabric "
                      "link's load and drops. Only with session-sync configured.",
                      dependencies=NODATA_DEP, trigger_tags={"component": "session-sync"}),
          ]),
        s(3, "ccSessionSyncStatusDetail", K_SS_DETAIL, "Session sync status detail",
          "Why the session sync status has its value, in words.",
          delay="{$CCAGENT.STATE.INTERVAL}", value_type="CHAR", trends="0"),
        s(4, "ccSessionSyncColdSync", K_SS_COLD, "Session sync cold sync in progress",
          "true while this node waits for the primary's bulk sync (failure code CS, priority "
          "0 for its redundancy groups with reths).", delay="{$CCAGENT.STATE.INTERVAL}",
          trends="0", valuemap="SNMPv2-TC::TruthValue"),
        s(5, "ccSessionSyncLocalSessions", K_SS_LOCAL, "Session sync: local sessions",
          "Sessions in conntrackd's internal cache (this node's own)."),
        s(6, "ccSessionSyncExternalSessions", K_SS_EXTERNAL, "Session sync: synced sessions",
          "Sessions in conntrackd's external cache (the peer's, committed on a failover)."),
        s(7, "ccSessionSyncMessagesSent", K_SS_SENT, "Session sync messages sent per second",
          "Sync messages conntrackd sent (Counter64, as a rate).", value_type="FLOAT",
          units="pps", preprocessing=RATE),
        s(8, "ccSessionSyncMessagesReceived", K_SS_RECEIVED,
          "Session sync messages received per second",
          "Sync messages conntrackd received (Counter64, as a rate).", value_type="FLOAT",
          units="pps", preprocessing=RATE),
        s(9, "ccSessionSyncMessagesLost", K_SS_LOST, "Session sync messages lost per second",
          "Sync messages conntrackd counted as lost (Counter64, as a rate).",
          value_type="FLOAT", units="pps", preprocessing=RATE),
        s(10, "ccSessionSyncMessagesMalformed", K_SS_MALFORMED,
          "Session sync malformed messages per second",
          "Malformed sync messages conntrackd received (Counter64, as a rate).",
          value_type="FLOAT", units="pps", preprocessing=RATE),
        s(11, "ccSessionSyncCommits", K_SS_COMMITS, "Session sync commits",
          "Commits of the peer's sessions into the kernel before reths came up."),
        s(12, "ccSessionSyncCommitTimeouts", K_SS_TIMEOUTS, "Session sync commit timeouts",
          "Commits that did not finish within commit-timeout: the reths came up anyway. "
          "Polled with the states, so that a timeout between two polls is seen.",
          delay="{$CCAGENT.STATE.INTERVAL}",
          triggers=[trigger(
              COMMIT_TIMEOUT_EXPR, COMMIT_TIMEOUT_NAME, "WARNING",
              "This node became primary and conntrackd did not commit the peer's sessions "
              "within commit-timeout: the reths came up anyway, and connections the commit "
              "did not install may have been reset. Closes at the next poll. See 'ccctl show "
              "statistics' and 'journalctl -x -u ccagentd'.",
              opdata="Timeouts: {ITEM.LASTVALUE1}", manual_close=True,
              trigger_tags={"component": "session-sync"})]),
        s(13, "ccSessionSyncLastCommitSessions", K_SS_LAST_SESSIONS,
          "Session sync: last commit sessions",
          "Sessions the last commit put into the kernel; 0 if none since the agent started."),
        s(14, "ccSessionSyncLastCommitDuration", K_SS_LAST_DURATION,
          "Session sync: last commit duration", "How long the last commit took.",
          value_type="FLOAT", units="s", preprocessing=[step("MULTIPLIER", "0.001")]),
        s(15, "ccSessionSyncLastCommitTimedOut", K_SS_LAST_TIMED_OUT,
          "Session sync: last commit timed out",
          "true if the last commit did not finish within commit-timeout.", trends="0",
          valuemap="SNMPv2-TC::TruthValue"),
    ]


def witness_scalar(column, mib_name, key, name, description, **kw):
    return scalar(column, mib_name, key, name, description, base=WITNESS, tag="witness", **kw)


def witness_items():
    """ccWitness: the witness as this node sees it."""
    w = witness_scalar
    config = {"delay": "{$CCAGENT.CONFIG.INTERVAL}", "trends": "0", "preprocessing": SLOW}
    return [
        w(1, "ccWitnessConfigured", K_W_CONFIGURED, "Witness configured",
          "Whether the configuration names a witness (ccwitnessd on a third host).",
          valuemap="SNMPv2-TC::TruthValue", **config),
        w(2, "ccWitnessStatus", K_W_STATUS, "Witness status",
          "Whether the witness answers this node; not configured without a witness.",
          delay="{$CCAGENT.STATE.INTERVAL}", trends="0",
          valuemap="CHASSIS-CLUSTER-MIB::ccWitnessStatus",
          triggers=[trigger(
              WITNESS_DOWN_EXPR, WITNESS_DOWN_NAME, "WARNING",
              "The witness does not answer this node (unreachable, or no answer since the "
              "agent started). Alone this changes nothing; but should this node also lose its "
              "peer on every path, it may not take over (and as primary gives its reths up), "
              "so the cluster has lost its arbiter. Check ccwitnessd, the key and the path to "
              "the witness's address and port. Quiet without a witness.",
              opdata="Status: {ITEM.LASTVALUE1}", dependencies=NODATA_DEP,
              trigger_tags={"component": "witness"})]),
        w(3, "ccWitnessAddress", K_W_ADDRESS, "Witness address",
          "The witness's configured address.", value_type="CHAR", **config),
        w(4, "ccWitnessPort", K_W_PORT, "Witness port", "The witness's UDP port.", **config),
        w(5, "ccWitnessGrantHolder", K_W_HOLDER, "Witness grant holder",
          "The node holding the witness's grant per its latest answer; none (-1) while no "
          "node needs it.", delay="{$CCAGENT.STATE.INTERVAL}", value_type="FLOAT", trends="0",
          valuemap="CHASSIS-CLUSTER-MIB::NodeOrNone"),
        w(6, "ccWitnessGrantConfirmed", K_W_CONFIRMED, "Witness grant confirmed",
          "Whether the witness's latest answer confirmed the grant.",
          delay="{$CCAGENT.STATE.INTERVAL}", trends="0", valuemap="SNMPv2-TC::TruthValue"),
        w(7, "ccWitnessHoldsGrant", K_W_HOLDS, "Witness grant held by this node",
          "true while this node holds a confirmed grant it may act on.",
          delay="{$CCAGENT.STATE.INTERVAL}", trends="0", valuemap="SNMPv2-TC::TruthValue"),
        w(8, "ccWitnessClaiming", K_W_CLAIMING, "Witness grant claimed by this node",
          "true while this node hears its peer on no path and asks for the grant.",
          delay="{$CCAGENT.STATE.INTERVAL}", trends="0", valuemap="SNMPv2-TC::TruthValue"),
        w(9, "ccWitnessLastContact", K_W_CONTACT, "Witness last contact (agent uptime)",
          "sysUpTime when the witness's last counted answer arrived; 0 if none.",
          value_type="FLOAT", units="uptime", trends="0", preprocessing=UPTIME),
        w(10, "ccWitnessRequestsSent", K_W_REQUESTS, "Witness requests per second",
          "Requests sent to the witness (Counter64, as a rate).", value_type="FLOAT",
          units="pps", preprocessing=RATE),
        w(11, "ccWitnessRepliesReceived", K_W_REPLIES, "Witness replies per second",
          "Authenticated answers of the witness (Counter64, as a rate).", value_type="FLOAT",
          units="pps", preprocessing=RATE),
        w(12, "ccWitnessRepliesRejected", K_W_REJECTED, "Witness datagrams rejected per second",
          "Datagrams on the witness socket that were dropped (Counter64, as a rate).",
          value_type="FLOAT", units="pps", preprocessing=RATE),
    ]


# --- discovery ----------------------------------------------------------------------------
def split_index_js(names):
    """LLD preprocessing: split {#SNMPINDEX} (e.g. "1.2") into the given macros."""
    assigns = "".join(
        f"        row['{{#{n}}}'] = parts[{i}];\n" for i, n in enumerate(names)
    )
    return (
        "var input = JSON.parse(value);\n"
        "var rows = Array.isArray(input) ? input : input.data;\n"
        "rows.forEach(function (row) {\n"
        "    var parts = String(row['{#SNMPINDEX}']).split('.');\n"
        "    if (parts.length >= " + str(len(names)) + ") {\n"
        + assigns
        + "    }\n"
        "});\n"
        "return JSON.stringify(input);"
    )


def lld_filter(*pairs):
    """A discovery filter driven by macros: for each (X, Y), {#X} must match
    {$CCAGENT.LLD.FILTER.Y.MATCHES} and must not match {$CCAGENT.LLD.FILTER.Y.NOT_MATCHES}."""
    conditions = []
    for lld, macro in pairs:
        for suffix, operator in (("MATCHES", None), ("NOT_MATCHES", "NOT_MATCHES_REGEX")):
            condition = {"macro": f"{{#{lld}}}", "value": f"{{$CCAGENT.LLD.FILTER.{macro}.{suffix}}}"}
            if operator:
                condition["operator"] = operator
            condition["formulaid"] = chr(ord("A") + len(conditions))
            conditions.append(condition)
    return {"evaltype": "AND", "conditions": conditions}


FILTER_MACROS = [("RG", "redundancy group ids"), ("IFNAME", "interface monitor names"),
                 ("IPADDRESS", "IP monitor addresses"), ("RETH", "reth names"),
                 ("RETHADDRESS", "reth addresses")]


def prototype(entry, column, mib_name, key, name, description, *,
              delay="{$CCAGENT.POLL.INTERVAL}", value_type=None,
              units=None, valuemap=None, preprocessing=None, trends=None, triggers=None,
              tag_values=None):
    item = {
        "uuid": uid("item_prototype", key),
        "name": name,
        "type": "SNMP_AGENT",
        "snmp_oid": f"{entry}.{column}.{{#SNMPINDEX}}",
        "key": key,
        "delay": delay,
    }
    if trends is not None:
        item["trends"] = trends
    if value_type:
        item["value_type"] = value_type
    if units:
        item["units"] = units
    item["description"] = f"MIB: CHASSIS-CLUSTER-MIB::{mib_name}\n{description}"
    if valuemap:
        item["valuemap"] = {"name": valuemap}
    if preprocessing:
        item["preprocessing"] = preprocessing
    item["tags"] = tags(**(tag_values or {}))
    if triggers:
        item["trigger_prototypes"] = triggers
    return item


def discovery_rule(slug, name, snmp_oid, key, description, prototypes, lld_filter_, *,
                   graphs=None, preprocessing=None):
    """An SNMP discovery rule of the template, its keys in the order Zabbix exports them."""
    rule = {
        "uuid": uid("discovery", slug),
        "name": name,
        "type": "SNMP_AGENT",
        "snmp_oid": snmp_oid,
        "key": key,
        "delay": "{$CCAGENT.LLD.INTERVAL}",
        "lifetime": "7d",
        "description": description,
        "item_prototypes": prototypes,
    }
    if graphs:
        rule["graph_prototypes"] = graphs
    rule["filter"] = lld_filter_
    if preprocessing:
        rule["preprocessing"] = preprocessing
    return rule


def rg_discovery():
    k = lambda what, obj: f"ccagent.rg.{what}[{obj}.{{#SNMPINDEX}}]"
    primary = k("primary", "ccRgPrimaryNode")
    failovers = k("failovers", "ccRgFailoverCount")
    manual = k("manual.node", "ccRgManualFailoverNode")
    t = {"component": "redundancy-group", "redundancy-group": "{#RGID}"}
    prototypes = [
        prototype(RG_ENTRY, 2, "ccRgFailoverCount", failovers,
                  "RG {#RGID}: failover count",
                  "How many times the group got a new primary (the first election counts).",
                  delay="{$CCAGENT.STATE.INTERVAL}", tag_values=t,
                  triggers=[trigger(
                      f"change({ref(failovers)})>0 and "
                      f"last({ref(primary)})=last({ref(K_LOCAL_NODE)})",
                      "ccagent: RG {#RGID} failed over to this node", "WARNING",
                      "The group got a new primary and it is this node (the host of the "
                      "node it left shows why, e.g. a monitor). A failover and back between "
                      "two polls counts too. Closes at the next poll. Quiet while the peer "
                      "is lost or a split brain problem is open: they explain it. See the "
                      "last failover reason and 'journalctl -x -u ccagentd'.",
                      manual_close=True,
                      dependencies=PEER_LOST_DEP + SPLIT_POLL_DEP
                      + [{"name": SPLIT_TRAP_NAME, "expression": split_trap_expr()}],
                      opdata="Primary: node{ITEM.LASTVALUE2}",
                      trigger_tags={"component": "redundancy-group"})]),
        prototype(RG_ENTRY, 3, "ccRgLastFailoverTime", k("failover.last", "ccRgLastFailoverTime"),
                  "RG {#RGID}: last failover (agent uptime)",
                  "sysUpTime at the last failover; 0 if none since the agent started.",
                  value_type="FLOAT", units="uptime", trends="0", preprocessing=UPTIME,
                  tag_values=t),
        prototype(RG_ENTRY, 4, "ccRgLastFailoverReason",
                  k("failover.reason", "ccRgLastFailoverReason"),
                  "RG {#RGID}: last failover reason",
                  "The reason given the last time the group got a new primary.",
                  value_type="CHAR", trends="0", preprocessing=SLOW, tag_values=t),
        prototype(RG_ENTRY, 5, "ccRgPreempt", k("preempt", "ccRgPreempt"),
                  "RG {#RGID}: preempt", "Whether the group preempts.", delay="{$CCAGENT.CONFIG.INTERVAL}",
                  trends="0", valuemap="SNMPv2-TC::TruthValue", preprocessing=SLOW,
                  tag_values=t),
        prototype(RG_ENTRY, 6, "ccRgHoldDownInterval", k("holddown", "ccRgHoldDownInterval"),
                  "RG {#RGID}: hold-down interval",
                  "Minimum interval between two failovers of the group.", delay="{$CCAGENT.CONFIG.INTERVAL}",
                  units="s", trends="0", preprocessing=SLOW, tag_values=t),
        prototype(RG_ENTRY, 7, "ccRgPrimaryNode", primary, "RG {#RGID}: primary node",
                  "The node that is primary for the group; -1 if none.", delay="{$CCAGENT.STATE.INTERVAL}",
                  value_type="FLOAT", trends="0", valuemap="CHASSIS-CLUSTER-MIB::NodeOrNone",
                  tag_values=t,
                  triggers=[
                      trigger(f"max({ref(primary)},#3)=-1",
                              "ccagent: RG {#RGID} has no primary node", "HIGH",
                              "No node has been primary for the group for three polls.",
                              trigger_tags={"component": "redundancy-group"}),
                  ]),
        prototype(RG_ENTRY, 8, "ccRgManualFailoverNode", manual,
                  "RG {#RGID}: manual failover target",
                  "The target node of a manual failover still in effect; -1 if none.",
                  delay="{$CCAGENT.SLOW.INTERVAL}", value_type="FLOAT", trends="0",
                  valuemap="CHASSIS-CLUSTER-MIB::NodeOrNone", tag_values=t,
                  triggers=[trigger(
                      f"last({ref(manual)})>=0",
                      "ccagent: RG {#RGID} is in manual failover mode", "INFO",
                      "A manual failover is in effect; the configured priorities do not "
                      "apply until 'ccctl request failover reset redundancy-group {#RGID}'.",
                      trigger_tags={"component": "redundancy-group"})]),
    ]
    return discovery_rule(
        "rg",
        "Redundancy group discovery",
        f"discovery[{{#RG.FAILOVERS}},{RG_ENTRY}.2]",
        "ccagent.rg.discovery",
        "One row per configured redundancy group (ccRedundancyGroupTable); "
        "{#SNMPINDEX} and {#RGID} are the group id (ccRgId).",
        prototypes,
        lld_filter(("RGID", "RG")),
        preprocessing=[step("JAVASCRIPT", split_index_js(["RGID"]))])


def rg_node_discovery():
    k = lambda what, obj: f"ccagent.rg.node.{what}[{obj}.{{#SNMPINDEX}}]"
    state = k("state", "ccRgNodeState")
    weight = k("weight", "ccRgNodeWeight")
    known = k("weight.known", "ccRgNodeWeightKnown")
    priority = k("priority.effective", "ccRgNodeEffectivePriority")
    t = {"component": "redundancy-group", "redundancy-group": "{#RGID}", "node": "{#NODEID}"}
    who = "RG {#RGID} node{#NODEID}"
    prototypes = [
        prototype(RG_NODE_ENTRY, 2, "ccRgNodeConfiguredPriority",
                  k("priority.configured", "ccRgNodeConfiguredPriority"),
                  f"{who}: configured priority", "The configured priority.", delay="{$CCAGENT.CONFIG.INTERVAL}",
                  trends="0", preprocessing=SLOW, tag_values=t),
        prototype(RG_NODE_ENTRY, 3, "ccRgNodeEffectivePriority",
                  priority, f"{who}: effective priority",
                  "The priority used in the election: configured, 255 for a manual "
                  "failover target, 0 while the node cannot be primary.", tag_values=t),
        prototype(RG_NODE_ENTRY, 4, "ccRgNodeState", state, f"{who}: state",
                  "The state of the node in the group.", delay="{$CCAGENT.STATE.INTERVAL}", trends="0",
                  valuemap="CHASSIS-CLUSTER-MIB::CcRedundancyGroupState", tag_values=t,
                  triggers=[
                      trigger(f"last({ref(state)})=5", f"ccagent: {who} is ineligible",
                              "AVERAGE",
                              "The node may not become primary for the group, typically "
                              "after losing the control link while the fabric link works; "
                              "it becomes disabled after control-link-failure-timeout.",
                              dependencies=CONTROL_DOWN_DEP,
                              trigger_tags={"component": "redundancy-group"}),
                      trigger(f"last({ref(state)})=6", f"ccagent: {who} is disabled",
                              "HIGH",
                              "The node stays out of the group until its agent restarts "
                              "or, with control-link-recovery, the control link has been "
                              "good for 3 heartbeats.",
                              dependencies=CONTROL_DOWN_DEP,
                              trigger_tags={"component": "redundancy-group"}),
                  ]),
        prototype(RG_NODE_ENTRY, 5, "ccRgNodeManualFailover",
                  k("manual", "ccRgNodeManualFailover"), f"{who}: manual failover",
                  "Whether a manual failover of the group is in effect.", delay="{$CCAGENT.SLOW.INTERVAL}",
                  trends="0", valuemap="SNMPv2-TC::TruthValue", tag_values=t),
        prototype(RG_NODE_ENTRY, 6, "ccRgNodeWeight", weight, f"{who}: weight",
                  "The node's weight in the group: 255 minus the weights of failed "
                  "monitors; at 0 or below the group fails over to the peer.",
                  value_type="FLOAT", tag_values=t,
                  triggers=[trigger(
                      f"last({ref(weight)})<=0 and last({ref(known)})=1 and "
                      f"last({ref(K_LOCAL_NODE)})={{#NODEID}}",
                      f"ccagent: {who} weight is 0 or less", "HIGH",
                      "Failed interface or IP monitors used up the node's weight: the node "
                      "cannot be primary for the group. Check the monitors with "
                      "'ccctl show interfaces'. Only on the node's own host (the peer "
                      "publishes the same row), and quiet while the weight is not known "
                      "(ccRgNodeWeightKnown false: the peer is lost; its own problem "
                      "says so).",
                      opdata="Weight: {ITEM.LASTVALUE1}",
                      trigger_tags={"component": "monitor"})]),
        prototype(RG_NODE_ENTRY, 9, "ccRgNodeFailureCodesText",
                  k("failure.codes", "ccRgNodeFailureCodesText"), f"{who}: failure codes",
                  "The failure codes as 'ccctl show status' prints them (CS CF FL IF IP, "
                  "space-separated, for example 'IF IP'); empty when none.",
                  value_type="CHAR", trends="0", preprocessing=SLOW, tag_values=t),
        prototype(RG_NODE_ENTRY, 10, "ccRgNodeWeightKnown", known,
                  f"{who}: weight known",
                  "false while the node's weight is not known (a lost peer): the weight "
                  "item then shows 0 and means nothing.", delay="{$CCAGENT.STATE.INTERVAL}",
                  trends="0", valuemap="SNMPv2-TC::TruthValue", tag_values=t),
        prototype(RG_NODE_ENTRY, 8, "ccRgNodeLastStateChange",
                  k("state.changed", "ccRgNodeLastStateChange"),
                  f"{who}: last state change (agent uptime)",
                  "sysUpTime when the state last changed; 0 if it has not changed since "
                  "the agent started.", value_type="FLOAT", units="uptime", trends="0",
                  preprocessing=UPTIME, tag_values=t),
    ]
    return discovery_rule(
        "rg-node",
        "Redundancy group node discovery",
        f"discovery[{{#RGNODE.PRIORITY}},{RG_NODE_ENTRY}.2]",
        "ccagent.rg.node.discovery",
        "One row per redundancy group and node "
        "(ccRedundancyGroupNodeTable); {#SNMPINDEX} is \"<ccRgId>.<ccRgNodeId>\", split into "
        "{#RGID} and {#NODEID}.",
        prototypes,
        lld_filter(("RGID", "RG")),
        graphs=[{
            "uuid": uid("graph_prototype", "rg-node", "weight-priority"),
            "name": f"{who}: weight and effective priority",
            "graph_items": [
                {"color": "1A7C11", "item": {"host": TEMPLATE, "key": weight}},
                {"sortorder": "1", "color": "2774A4", "item": {"host": TEMPLATE, "key": priority}},
            ],
        }],
        preprocessing=[step("JAVASCRIPT", split_index_js(["RGID", "NODEID"]))])


def ifmon_discovery():
    k = lambda what, obj: f"ccagent.ifmon.{what}[{obj}.{{#SNMPINDEX}}]"
    status = k("status", "ccIfMonStatus")
    t = {"component": "monitor", "redundancy-group": "{#RGID}", "interface": "{#IFMON.NAME}"}
    who = "RG {#RGID} interface {#IFMON.NAME}"
    prototypes = [
        prototype(IFMON_ENTRY, 3, "ccIfMonWeight", k("weight", "ccIfMonWeight"),
                  f"{who}: weight", "The weight taken from the group while the interface "
                  "is down.", delay="{$CCAGENT.CONFIG.INTERVAL}", trends="0", preprocessing=SLOW, tag_values=t),
        prototype(IFMON_ENTRY, 4, "ccIfMonStatus", status, f"{who}: status",
                  "The status of the monitored interface on this node; not present counts "
                  "as down; not monitored: the monitor is the other node's only.",
                  delay="{$CCAGENT.STATE.INTERVAL}", trends="0",
                  valuemap="CHASSIS-CLUSTER-MIB::ccIfMonStatus", tag_values=t,
                  triggers=[trigger(
                      f"last({ref(status)})=2 or last({ref(status)})=3",
                      f"ccagent: {who} is down", "WARNING",
                      "A monitored interface is down or missing on this node; its weight "
                      "is taken from the group's weight.",
                      opdata="Status: {ITEM.LASTVALUE1}",
                      trigger_tags={"component": "monitor"})]),
        prototype(IFMON_ENTRY, 5, "ccIfMonNode", k("node", "ccIfMonNode"),
                  f"{who}: applies to", "The node the monitor applies to; -1 for both.",
                  delay="{$CCAGENT.CONFIG.INTERVAL}", value_type="FLOAT", trends="0",
                  valuemap="CHASSIS-CLUSTER-MIB::NodeOrBoth", preprocessing=SLOW,
                  tag_values=t),
        prototype(IFMON_ENTRY, 6, "ccIfMonLastChange", k("changed", "ccIfMonLastChange"),
                  f"{who}: last change (agent uptime)",
                  "sysUpTime when the status last changed; 0 if never.",
                  value_type="FLOAT", units="uptime", trends="0", preprocessing=UPTIME,
                  tag_values=t),
    ]
    return discovery_rule(
        "ifmon",
        "Interface monitor discovery",
        f"discovery[{{#IFMON.NAME}},{IFMON_ENTRY}.2]",
        "ccagent.ifmon.discovery",
        "The interface monitors of every redundancy group "
        "(ccInterfaceMonitorTable); {#SNMPINDEX} is \"<ccRgId>.<ccIfMonIndex>\".",
        prototypes,
        lld_filter(("RGID", "RG"), ("IFMON.NAME", "IFNAME")),
        preprocessing=[step("JAVASCRIPT", split_index_js(["RGID", "IFMON.INDEX"]))])


def ipmon_discovery():
    k = lambda what, obj: f"ccagent.ipmon.{what}[{obj}.{{#SNMPINDEX}}]"
    status = k("status", "ccIpMonStatus")
    t = {"component": "monitor", "redundancy-group": "{#RGID}", "address": "{#IPMON.ADDRESS}"}
    who = "RG {#RGID} address {#IPMON.ADDRESS}"
    prototypes = [
        prototype(IPMON_ENTRY, 4, "ccIpMonWeight", k("weight", "ccIpMonWeight"),
                  f"{who}: weight", "The weight taken from the group's IP monitoring "
                  "global threshold while the address is unreachable.", delay="{$CCAGENT.CONFIG.INTERVAL}",
                  trends="0", preprocessing=SLOW, tag_values=t),
        prototype(IPMON_ENTRY, 5, "ccIpMonStatus", status, f"{who}: status",
                  "Reachability of the address from this node.", delay="{$CCAGENT.STATE.INTERVAL}", trends="0",
                  valuemap="CHASSIS-CLUSTER-MIB::ccIpMonStatus", tag_values=t,
                  triggers=[trigger(
                      f"last({ref(status)})=2", f"ccagent: {who} is unreachable",
                      "WARNING",
                      "IP monitoring lost the address (retry-count pings in a row). When "
                      "the primary cannot reach an address that the secondary can, the "
                      "group fails over.", trigger_tags={"component": "monitor"})]),
        prototype(IPMON_ENTRY, 6, "ccIpMonLastChange", k("changed", "ccIpMonLastChange"),
                  f"{who}: last change (agent uptime)",
                  "sysUpTime when the status last changed; 0 if never.",
                  value_type="FLOAT", units="uptime", trends="0", preprocessing=UPTIME,
                  tag_values=t),
    ]
    return discovery_rule(
        "ipmon",
        "IP monitor discovery",
        f"discovery[{{#IPMON.ADDRESS}},{IPMON_ENTRY}.7,{{#IPMON.TYPE}},{IPMON_ENTRY}.2]",
        "ccagent.ipmon.discovery",
        "The IP monitors of every redundancy group (ccIpMonitorTable); "
        "{#SNMPINDEX} is \"<ccRgId>.<ccIpMonIndex>\"; {#IPMON.ADDRESS} is ccIpMonAddressText, "
        "the address as text (an InetAddress whose octets are printable would arrive as a "
        "string).",
        prototypes,
        lld_filter(("RGID", "RG"), ("IPMON.ADDRESS", "IPADDRESS")),
        preprocessing=[step("JAVASCRIPT", split_index_js(["RGID", "IPMON.INDEX"]))])


def reth_discovery():
    k = lambda what, obj: f"ccagent.reth.{what}[{obj}.{{#SNMPINDEX}}]"
    member = k("member.status", "ccRethMemberStatus")
    restores = k("restores", "ccRethRestores")
    t = {"component": "reth", "reth": "{#RETH.NAME}"}
    who = "Reth {#RETH.NAME}"
    prototypes = [
        prototype(RETH_ENTRY, 3, "ccRethRgId", k("rg", "ccRethRgId"),
                  f"{who}: redundancy group", "The redundancy group whose primary holds "
                  "the reth.", delay="{$CCAGENT.CONFIG.INTERVAL}", trends="0",
                  preprocessing=SLOW, tag_values=t),
        prototype(RETH_ENTRY, 4, "ccRethMac", k("mac", "ccRethMac"), f"{who}: MAC address",
                  "The MAC address both nodes use for the reth; empty when the member keeps "
                  "its own or the reth does not run on this node.",
                  delay="{$CCAGENT.CONFIG.INTERVAL}", value_type="CHAR", trends="0",
                  preprocessing=SLOW, tag_values=t),
        prototype(RETH_ENTRY, 5, "ccRethOperStatus", k("status", "ccRethOperStatus"),
                  f"{who}: status on this node",
                  "up while this node holds the reth (it is its group's primary); down on "
                  "the other node, by design.", delay="{$CCAGENT.STATE.INTERVAL}",
                  trends="0", valuemap="CHASSIS-CLUSTER-MIB::ccRethOperStatus",
                  tag_values=t),
        prototype(RETH_ENTRY, 6, "ccRethMemberStatus", member, f"{who}: member link",
                  "The link of the reth's members on this node: down when all are down; "
                  "not present when the reth has no member here.",
                  delay="{$CCAGENT.STATE.INTERVAL}", trends="0",
                  valuemap="CHASSIS-CLUSTER-MIB::ccRethMemberStatus", tag_values=t,
                  triggers=[trigger(
                      f"last({ref(member)})=2", f"ccagent: {who} member link is down",
                      "WARNING",
                      "Every member of the reth on this node has lost its link: this node "
                      "cannot carry the reth's traffic (as secondary: the group has no "
                      "backup). A monitored member also shows its interface monitor down.",
                      opdata="Members: {ITEM.LASTVALUE1}", dependencies=NODATA_DEP,
                      trigger_tags={"component": "reth"})]),
        prototype(RETH_ENTRY, 7, "ccRethAddressCount", k("addresses", "ccRethAddressCount"),
                  f"{who}: addresses", "The number of configured addresses.",
                  delay="{$CCAGENT.CONFIG.INTERVAL}", trends="0", preprocessing=SLOW,
                  tag_values=t),
        prototype(RETH_ENTRY, 8, "ccRethGratuitousArpsSent", k("garps", "ccRethGratuitousArpsSent"),
                  f"{who}: gratuitous ARPs sent",
                  "Gratuitous ARPs this node sent for the reth's IPv4 addresses.",
                  tag_values=t),
        prototype(RETH_ENTRY, 9, "ccRethNeighborAdvertsSent",
                  k("nas", "ccRethNeighborAdvertsSent"), f"{who}: neighbour adverts sent",
                  "Unsolicited neighbour advertisements this node sent for the reth's IPv6 "
                  "addresses.", tag_values=t),
        prototype(RETH_ENTRY, 10, "ccRethRestores", restores, f"{who}: restores",
                  "How often the agent put back an address or the link that something else "
                  "took from the active reth.", delay="{$CCAGENT.STATE.INTERVAL}",
                  tag_values=t,
                  triggers=[trigger(
                      f"change({ref(restores)})>0",
                      f"ccagent: {who} was changed by something else and restored", "INFO",
                      "A network manager or an operator removed an address from the active "
                      "reth or set it down; the agent put it back. Find who does it "
                      "(journalctl -x -u ccagentd). Closes at the next poll.",
                      opdata="Restores: {ITEM.LASTVALUE1}", manual_close=True,
                      trigger_tags={"component": "reth"})]),
        prototype(RETH_ENTRY, 11, "ccRethLastChange", k("changed", "ccRethLastChange"),
                  f"{who}: last change (agent uptime)",
                  "sysUpTime when the reth last came up or went down on this node.",
                  value_type="FLOAT", units="uptime", trends="0", preprocessing=UPTIME,
                  tag_values=t),
    ]
    return discovery_rule(
        "reth",
        "Redundant Ethernet interface discovery",
        f"discovery[{{#RETH.NAME}},{RETH_ENTRY}.2]",
        "ccagent.reth.discovery",
        "The reths the agent runs (ccRethTable); {#SNMPINDEX} is ccRethIndex, "
        "N of rethN; {#RETH.NAME} its name.",
        prototypes,
        lld_filter(("RETH.NAME", "RETH")))


def reth_address_discovery():
    k = lambda what, obj: f"ccagent.reth.address.{what}[{obj}.{{#SNMPINDEX}}]"
    t = {"component": "reth", "reth-index": "{#RETH.INDEX}", "address": "{#RETH.ADDRESS}"}
    who = "Reth {#RETH.INDEX} address {#RETH.ADDRESS}"
    prototypes = [
        prototype(RETH_ADDR_ENTRY, 2, "ccRethAddrType", k("type", "ccRethAddrType"),
                  f"{who}: address type", "1 for IPv4, 2 for IPv6 (InetAddressType).",
                  delay="{$CCAGENT.CONFIG.INTERVAL}", trends="0", preprocessing=SLOW,
                  tag_values=t),
        prototype(RETH_ADDR_ENTRY, 4, "ccRethAddrPrefixLength",
                  k("prefix", "ccRethAddrPrefixLength"), f"{who}: prefix length",
                  "The prefix length of the address's subnet.",
                  delay="{$CCAGENT.CONFIG.INTERVAL}", trends="0", preprocessing=SLOW,
                  tag_values=t),
    ]
    return discovery_rule(
        "reth-address",
        "Reth address discovery",
        f"discovery[{{#RETH.ADDRESS}},{RETH_ADDR_ENTRY}.5]",
        "ccagent.reth.address.discovery",
        "The configured addresses of every reth (ccRethAddressTable); "
        "{#SNMPINDEX} is \"<ccRethIndex>.<ccRethAddrIndex>\"; {#RETH.ADDRESS} is "
        "ccRethAddrText, the address as text.",
        prototypes,
        lld_filter(("RETH.ADDRESS", "RETHADDRESS")),
        preprocessing=[step("JAVASCRIPT", split_index_js(["RETH.INDEX", "RETH.ADDR.INDEX"]))])


# --- SNMP traps ---------------------------------------------------------------------------
# (notification, number in ccNotifications, what it means)
NOTIFICATION_LIST = [
    ("ccRgStateChange", 1, "the local node's state in a redundancy group changed"),
    ("ccRgFailover", 2, "a redundancy group got a new primary node"),
    ("ccInterfaceMonitorFailure", 3, "a monitored interface left the up status"),
    ("ccInterfaceMonitorRecovery", 4, "a monitored interface is up again"),
    ("ccIpMonitorFailure", 5, "a monitored address became unreachable"),
    ("ccIpMonitorRecovery", 6, "a monitored address is reachable again"),
    ("ccControlLinkDown", 7, "the control link went down"),
    ("ccControlLinkUp", 8, "the control link came back up"),
    ("ccFabricLinkDown", 9, "the fabric link went down"),
    ("ccFabricLinkUp", 10, "the fabric link came back up"),
    ("ccPeerLost", 11, "the peer node was declared lost"),
    ("ccPeerFound", 12, "the peer node is heard again"),
    ("ccSplitBrainDetected", 13, "both nodes are primary for the same group"),
    ("ccSplitBrainResolved", 14, "a split brain was resolved by re-election"),
    ("ccConfigMismatch", 15, "the peer advertises a different configuration digest"),
    ("ccRethStatusChange", 16, "the local node took a reth up or down"),
    ("ccRethAddressRestored", 17, "the primary put back an address or link taken from a reth"),
    ("ccLanLinkDown", 18, "the LAN heartbeat path went down"),
    ("ccLanLinkUp", 19, "the LAN heartbeat path came back up"),
    ("ccSessionSyncDown", 20, "session sync became unreachable, stalled or lossy"),
    ("ccSessionSyncUp", 21, "session sync is healthy again"),
    ("ccSessionCommitTimedOut", 22, "the commit of the peer's sessions timed out"),
    ("ccWitnessLost", 23, "the witness stopped answering this node"),
    ("ccWitnessFound", 24, "the witness answers this node"),
    ("ccWitnessGrantChange", 25, "the witness's grant holder or its confirmation changed"),
]


def trap_regex(name, number):
    """Matches the notification however the receiver renders snmpTrapOID.0's value:
    by name (MIB loaded), as netSnmpPlaypen.1.0.N (only NET-SNMP-MIB loaded) or numerically."""
    return rf"\b({name}|netSnmpPlaypen\.1\.0\.{number}|8072\.9999\.9999\.1\.0\.{number})\b"


def trap_key(name, number):
    return f'snmptrap["{trap_regex(name, number)}"]'


def split_trap_expr():
    # True for each trap as it arrives (a trigger on a non-time function is evaluated only for a
    # new value): closed by hand, the problem does not come back until the next trap.
    return f"length(last({ref(trap_key(*SPLIT_TRAP_KEY_NAME))}))>0"


def trap_items():
    items = []
    for name, number, meaning in NOTIFICATION_LIST:
        key = trap_key(name, number)
        item = {
            "uuid": uid("item", key),
            "name": f"SNMP trap: {name}",
            "type": "SNMP_TRAP",
            "key": key,
            "delay": "0",
            "history": "2w",
            "trends": "0",
            "value_type": "LOG",
            "description": f"CHASSIS-CLUSTER-MIB::{name} ({NOTIFICATIONS}.{number}): {meaning}. "
            "Needs the Zabbix SNMP trap set-up (snmptrapd with zabbix_trap_receiver.pl or "
            "SNMPTT, StartSNMPTrapper=1) and snmpd on the cluster node sending traps there "
            "(trap2sink/trapsess).",
            "logtimefmt": "hh:mm:sszyyyy/MM/dd",
            "tags": tags(component="snmp-trap"),
        }
        if (name, number) == SPLIT_TRAP_KEY_NAME:
            item["triggers"] = [trigger(
                split_trap_expr(), SPLIT_TRAP_NAME, "DISASTER",
                "A ccSplitBrainDetected notification arrived: both nodes were primary for the "
                "same redundancy group. The problem stays open until an operator closes it "
                "(no automatic recovery): check the services' data on both nodes first.",
                manual_close=True, recovery_mode="NONE",
                trigger_tags={"component": "split-brain"})]
        items.append(item)
    items.append({
        "uuid": uid("item", "snmptrap.fallback"),
        "name": "SNMP traps (fallback)",
        "type": "SNMP_TRAP",
        "key": "snmptrap.fallback",
        "delay": "0",
        "history": "2w",
        "trends": "0",
        "value_type": "LOG",
        "description": "Every trap from this host that no other snmptrap item matched.",
        "logtimefmt": "hh:mm:sszyyyy/MM/dd",
        "tags": tags(component="snmp-trap"),
    })
    return items


DESCRIPTION = """\
Monitors a ccagent chassis-cluster node through CHASSIS-CLUSTER-MIB (1.3.6.1.4.1.8072.9999.9999.1), which ccagentd publishes as an AgentX subagent of the node's snmpd.

Set-up: link the template to each cluster node with an SNMP interface ({$SNMP_COMMUNITY} or SNMPv3 on the interface); on the node, install /usr/share/doc/ccagent/examples/snmpd.conf.d/ccagent.conf into /etc/snmp/snmpd.conf.d/ and allow the Zabbix server or proxy in it. For the snmptrap[] items, let snmpd send traps (trap2sink/trapsess) to the Zabbix SNMP trap receiver, and copy CHASSIS-CLUSTER-MIB.txt to the receiver's MIB directory.

Items need no MIB on the Zabbix side (numeric OIDs). Generated by packaging/zabbix/generate_template.py."""


def document():
    template = {
        "uuid": uid("template", TEMPLATE),
        "template": TEMPLATE,
        "name": TEMPLATE,
        "description": DESCRIPTION,
        "groups": [{"name": GROUP}],
        "items": [availability_item()] + scalars() + session_sync_items() + witness_items()
        + trap_items(),
        "discovery_rules": [rg_discovery(), rg_node_discovery(), ifmon_discovery(),
                            ipmon_discovery(), reth_discovery(), reth_address_discovery()],
        "tags": [{"tag": "class", "value": "software"}, {"tag": "target", "value": "ccagent"}],
        "macros": [
            {"macro": "{$CCAGENT.CONFIG.INTERVAL}", "value": "15m",
             "description": "Polling interval of configuration values (ids, priorities, "
             "weights of monitors, hold-down, preempt)."},
            {"macro": "{$CCAGENT.HB.ERRORS.MAX}", "value": "0",
             "description": "Heartbeat/probe errors per second tolerated for 5 minutes."},
            {"macro": "{$CCAGENT.LLD.INTERVAL}", "value": "10m",
             "description": "How often the tables are discovered."},
        ] + [
            m for macro, what in FILTER_MACROS for m in (
                {"macro": f"{{$CCAGENT.LLD.FILTER.{macro}.MATCHES}}", "value": ".*",
                 "description": f"Discover only {what} matching this regular expression."},
                {"macro": f"{{$CCAGENT.LLD.FILTER.{macro}.NOT_MATCHES}}",
                 "value": "CHANGE_IF_NEEDED",
                 "description": f"Do not discover {what} matching this regular expression."})
        ] + [
            {"macro": "{$CCAGENT.POLL.INTERVAL}", "value": "1m",
             "description": "Polling interval of counters, rates, weights and priorities."},
            {"macro": "{$CCAGENT.SLOW.INTERVAL}", "value": "5m",
             "description": "Polling interval of manual failover, configuration digest and "
             "dropped-notification status."},
            {"macro": "{$CCAGENT.SNMP.TIMEOUT}", "value": "5m",
             "description": "How long the SNMP interface may be unavailable before a problem."},
            {"macro": "{$CCAGENT.STATE.INTERVAL}", "value": "30s",
             "description": "Polling interval of states and link, peer and split-brain status."},
            {"macro": "{$CCAGENT.NODATA.TIMEOUT}", "value": "5m",
             "description": "How long the cluster MIB may stay silent before a problem."},
        ],
        "valuemaps": valuemaps(),
    }
    graphs = [{
        "uuid": uid("graph", "heartbeats"),
        "name": "ccagent: heartbeats and fabric probes per second",
        "graph_items": [
            {"sortorder": str(i), "color": color, "item": {"host": TEMPLATE, "key": key}}
            for i, (color, key) in enumerate([
                ("1A7C11", K_HB_SENT), ("2774A4", K_HB_RECEIVED), ("F63100", K_HB_ERRORS),
                ("A54F10", K_PROBE_SENT), ("FC6EA3", K_PROBE_RECEIVED), ("6C59DC", K_PROBE_ERRORS),
                ("AC8C14", K_LAN_SENT), ("00897B", K_LAN_RECEIVED), ("B71C1C", K_LAN_ERRORS),
            ])
        ],
    }, {
        "uuid": uid("graph", "session-sync"),
        "name": "ccagent: session sync messages per second",
        "graph_items": [
            {"sortorder": str(i), "color": color, "item": {"host": TEMPLATE, "key": key}}
            for i, (color, key) in enumerate([
                ("1A7C11", K_SS_SENT), ("2774A4", K_SS_RECEIVED), ("F63100", K_SS_LOST),
                ("6C59DC", K_SS_MALFORMED),
            ])
        ],
    }, {
        "uuid": uid("graph", "session-sync-sessions"),
        "name": "ccagent: sessions in conntrackd's caches",
        "graph_items": [
            {"sortorder": str(i), "color": color, "item": {"host": TEMPLATE, "key": key}}
            for i, (color, key) in enumerate([("1A7C11", K_SS_LOCAL), ("2774A4", K_SS_EXTERNAL)])
        ],
    }]
    return {
        "zabbix_export": {
            "version": "6.0",
            "date": "2026-11-21T08:00:00Z",
            "groups": [{"uuid": GROUP_UUID, "name": GROUP}],
            "templates": [template],
            "graphs": graphs,
        }
    }


class Dumper(yaml.SafeDumper):
    """Zabbix's own layout: sequences indented under their key, no anchors/aliases."""

    def increase_indent(self, flow=False, indentless=False):
        return super().increase_indent(flow, False)

    def ignore_aliases(self, data):
        return True


def _str(dumper, data):
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


Dumper.add_representer(str, _str)


def render():
    header = (
        "# Zabbix 6.0 template for ccagent (CHASSIS-CLUSTER-MIB over SNMP, plus SNMP traps).\n"
        "# Generated by packaging/zabbix/generate_template.py: edit that, then regenerate.\n"
    )
    body = yaml.dump(document(), Dumper=Dumper, sort_keys=False, allow_unicode=True, width=100,
                     default_flow_style=False)
    return header + body


def main(argv):
    text = render()
    if "--check" in argv:
        if not OUTPUT.exists() or OUTPUT.read_text() != text:
            print(f"{OUTPUT} is stale: run {Path(__file__).name}", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(text)
    print(OUTPUT)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
