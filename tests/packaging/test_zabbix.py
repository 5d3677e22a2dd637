"""Checks packaging/zabbix/ccagent_snmp.yaml, the Zabbix 6.0 template.

The structure is checked against the rules of Zabbix 6.0's importer (C60XmlValidator: the
keys each object may have, the required ones, the allowed constants), the references inside
the template (trigger expressions, value maps, groups), and every OID against the MIB with
net-snmp's snmptranslate. Run: pytest tests/packaging/test_zabbix.py
"""
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cclab import MIB_ROOT
import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
TEMPLATE_FILE = REPO / "packaging" / "zabbix" / "ccagent_snmp.yaml"
GENERATOR = REPO / "packaging" / "zabbix" / "generate_template.py"
MIB_DIR = REPO / "mibs"
MODULE = "CHASSIS-CLUSTER-MIB"
ROOT = MIB_ROOT[1:]

# --- Zabbix 6.0 import rules (ui/include/classes/import/validators/C60XmlValidator.php) ------
ITEM_TYPES = {
    "ZABBIX_PASSIVE", "TRAP", "SIMPLE", "INTERNAL", "ZABBIX_ACTIVE", "EXTERNAL", "ODBC", "IPMI",
    "SSH", "TELNET", "CALCULATED", "JMX", "SNMP_TRAP", "DEPENDENT", "HTTP_AGENT", "SNMP_AGENT",
    "SCRIPT",
}
DRULE_TYPES = ITEM_TYPES - {"CALCULATED", "SNMP_TRAP"}
VALUE_TYPES = {"FLOAT", "CHAR", "LOG", "UNSIGNED", "TEXT"}
PRIORITIES = {"NOT_CLASSIFIED", "INFO", "WARNING", "AVERAGE", "HIGH", "DISASTER"}
PREPROCESSING = {
    "MULTIPLIER", "RTRIM", "LTRIM", "TRIM", "REGEX", "BOOL_TO_DECIMAL", "OCTAL_TO_DECIMAL",
    "HEX_TO_DECIMAL", "SIMPLE_CHANGE", "CHANGE_PER_SECOND", "XMLPATH", "JSONPATH", "IN_RANGE",
    "MATCHES_REGEX", "NOT_MATCHES_REGEX", "CHECK_JSON_ERROR", "CHECK_XML_ERROR",
    "CHECK_REGEX_ERROR", "CHECK_NOT_SUPPORTED", "DISCARD_UNCHANGED",
    "DISCARD_UNCHANGED_HEARTBEAT", "JAVASCRIPT", "PROMETHEUS_PATTERN", "PROMETHEUS_TO_JSON",
    "CSV_TO_JSON", "STR_REPLACE", "XML_TO_JSON",
}
PREPROCESSING_DRULE = {
    "REGEX", "XMLPATH", "JSONPATH", "NOT_MATCHES_REGEX", "CHECK_JSON_ERROR", "CHECK_XML_ERROR",
    "DISCARD_UNCHANGED_HEARTBEAT", "JAVASCRIPT", "PROMETHEUS_TO_JSON", "CSV_TO_JSON",
    "STR_REPLACE", "XML_TO_JSON",
}
# Keys this template uses, per object, from the 6.0 rules (a subset of what 6.0 allows);
# a typo or a key of another Zabbix version fails here.
ALLOWED = {
    "export": {"version", "date", "groups", "templates", "triggers", "graphs", "value_maps"},
    "group": {"uuid", "name"},
    "template": {"uuid", "template", "name", "description", "templates", "groups", "items",
                 "discovery_rules", "httptests", "tags", "macros", "dashboards", "valuemaps"},
    "item": {"uuid", "name", "type", "snmp_oid", "key", "delay", "history", "trends", "status",
             "value_type", "allowed_hosts", "units", "params", "description", "inventory_link",
             "valuemap", "logtimefmt", "preprocessing", "master_item", "timeout", "tags",
             "triggers"},
    "item_prototype": {"uuid", "name", "type", "snmp_oid", "key", "delay", "history", "trends",
                       "status", "discover", "value_type", "units", "params", "description",
                       "valuemap", "logtimefmt", "preprocessing", "master_item", "timeout",
                       "tags", "trigger_prototypes"},
    "discovery_rule": {"uuid", "name", "type", "snmp_oid", "key", "delay", "status", "params",
                       "filter", "lifetime", "description", "item_prototypes",
                       "trigger_prototypes", "graph_prototypes", "host_prototypes",
                       "master_item", "lld_macro_paths", "preprocessing", "overrides",
                       "timeout"},
    "trigger": {"uuid", "expression", "recovery_mode", "recovery_expression",
                "correlation_mode", "correlation_tag", "name", "event_name", "opdata", "url",
                "status", "priority", "description", "type", "manual_close", "dependencies",
                "tags"},
    "trigger_prototype": {"uuid", "expression", "recovery_mode", "recovery_expression",
                          "correlation_mode", "correlation_tag", "name", "event_name",
                          "opdata", "url", "status", "discover", "priority", "description",
                          "type", "manual_close", "dependencies", "tags"},
    "step": {"type", "parameters", "error_handler", "error_handler_params"},
    "valuemap": {"uuid", "name", "mappings"},
    "mapping": {"type", "value", "newvalue"},
    "macro": {"macro", "type", "value", "description"},
    "tag": {"tag", "value"},
    "dependency": {"name", "expression", "recovery_expression"},
}
REQUIRED = {
    "template": {"uuid", "template", "groups"},
    "item": {"uuid", "name", "key"},
    "item_prototype": {"uuid", "name", "key"},
    "discovery_rule": {"uuid", "name", "key"},
    "trigger": {"uuid", "expression", "name"},
    "trigger_prototype": {"uuid", "expression", "name"},
    "step": {"type", "parameters"},
    "valuemap": {"uuid", "name", "mappings"},
    "mapping": {"newvalue"},
    "macro": {"macro"},
    "tag": {"tag"},
    "dependency": {"name", "expression"},
}


@pytest.fixture(scope="module")
def export():
    with TEMPLATE_FILE.open() as f:
        document = yaml.safe_load(f)
    assert isinstance(document, dict) and set(document) == {"zabbix_export"}
    return document["zabbix_export"]


@pytest.fixture(scope="module")
def template(export):
    assert len(export["templates"]) == 1
    return export["templates"][0]


def walk_uuids(node, found):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "uuid":
                found.append(value)
            else:
                walk_uuids(value, found)
    elif isinstance(node, list):
        for value in node:
            walk_uuids(value, found)
    return found


def items(template):
    return list(template.get("items", []))


def rules(template):
    return list(template.get("discovery_rules", []))


def prototypes(template):
    return [p for r in rules(template) for p in r.get("item_prototypes", [])]


def all_snmp_objects(template):
    """(kind, object) for everything polled by SNMP."""
    out = [("item", i) for i in items(template) if i.get("type") == "SNMP_AGENT"]
    out += [("discovery_rule", r) for r in rules(template)]
    out += [("item_prototype", p) for p in prototypes(template)]
    return out


def check_object(kind, obj, path):
    assert isinstance(obj, dict), f"{path}: not a mapping"
    extra = set(obj) - ALLOWED[kind]
    assert not extra, f"{path}: keys not allowed for a {kind} in Zabbix 6.0: {sorted(extra)}"
    missing = REQUIRED.get(kind, set()) - set(obj)
    assert not missing, f"{path}: required keys missing: {sorted(missing)}"
    for value in obj.values():
        # Zabbix's importer wants strings (or lists/mappings), never YAML ints/bools.
        assert isinstance(value, (str, list, dict)), f"{path}: {value!r} is not a string"
    for i, tag in enumerate(obj.get("tags", [])):
        check_object("tag", tag, f"{path}.tags[{i}]")


def check_steps(steps, allowed_types, path):
    for i, s in enumerate(steps):
        check_object("step", s, f"{path}.preprocessing[{i}]")
        assert s["type"] in allowed_types, f"{path}: preprocessing {s['type']} not allowed here"
        assert isinstance(s["parameters"], list) and all(
            isinstance(p, str) for p in s["parameters"]), f"{path}: parameters must be strings"


def check_trigger(kind, t, path):
    check_object(kind, t, path)
    assert t.get("priority", "NOT_CLASSIFIED") in PRIORITIES
    for i, d in enumerate(t.get("dependencies", [])):
        check_object("dependency", d, f"{path}.dependencies[{i}]")


# --- structure ------------------------------------------------------------------------------
def test_export_version_and_top_level(export):
    assert export["version"] == "6.0"
    assert isinstance(export["version"], str)
    assert set(export) <= ALLOWED["export"]
    for g in export["groups"]:
        check_object("group", g, "groups")


def test_template_structure(export, template):
    check_object("template", template, "template")
    assert template["template"] == template["name"] == "ccagent by SNMP"  # 6.0 naming
    group_names = {g["name"] for g in export["groups"]}
    assert template["groups"] and all(g["name"] in group_names for g in template["groups"])
    valuemap_names = [v["name"] for v in template.get("valuemaps", [])]
    assert len(valuemap_names) == len(set(valuemap_names)), "duplicate value map names"
    for v in template.get("valuemaps", []):
        check_object("valuemap", v, f"valuemap {v['name']}")
        for m in v["mappings"]:
            check_object("mapping", m, f"valuemap {v['name']}")
    for m in template.get("macros", []):
        check_object("macro", m, f"macro {m.get('macro')}")
        assert re.fullmatch(r"\{\$[A-Z0-9_.]+\}", m["macro"])

    for i, item in enumerate(items(template)):
        path = f"items[{i}] {item.get('key')}"
        check_object("item", item, path)
        assert item.get("type", "ZABBIX_PASSIVE") in ITEM_TYPES
        assert item.get("value_type", "UNSIGNED") in VALUE_TYPES
        check_steps(item.get("preprocessing", []), PREPROCESSING, path)
        if "valuemap" in item:
            assert item["valuemap"]["name"] in valuemap_names, path
        for j, t in enumerate(item.get("triggers", [])):
            check_trigger("trigger", t, f"{path}.triggers[{j}]")
        if item.get("type") == "SNMP_AGENT":
            assert item.get("snmp_oid"), path
        if item.get("type") == "SNMP_TRAP":
            assert "snmp_oid" not in item and item.get("delay", "0") == "0", path
            assert item.get("value_type") in ("LOG", "TEXT", "CHAR"), path

    for i, rule in enumerate(rules(template)):
        path = f"discovery_rules[{i}] {rule.get('key')}"
        check_object("discovery_rule", rule, path)
        assert rule.get("type", "ZABBIX_PASSIVE") in DRULE_TYPES
        check_steps(rule.get("preprocessing", []), PREPROCESSING_DRULE, path)
        assert rule.get("item_prototypes"), f"{path}: no item prototypes"
        for j, p in enumerate(rule["item_prototypes"]):
            ppath = f"{path}.item_prototypes[{j}] {p.get('key')}"
            check_object("item_prototype", p, ppath)
            assert p.get("type", "ZABBIX_PASSIVE") in ITEM_TYPES
            assert p.get("value_type", "UNSIGNED") in VALUE_TYPES
            check_steps(p.get("preprocessing", []), PREPROCESSING, ppath)
            if "valuemap" in p:
                assert p["valuemap"]["name"] in valuemap_names, ppath
            # A prototype must create distinct items per discovered row.
            assert "{#" in p["key"], f"{ppath}: key without an LLD macro"
            for k, t in enumerate(p.get("trigger_prototypes", [])):
                check_trigger("trigger_prototype", t, f"{ppath}.trigger_prototypes[{k}]")
        for k, t in enumerate(rule.get("trigger_prototypes", [])):
            check_trigger("trigger_prototype", t, f"{path}.trigger_prototypes[{k}]")


def test_uuids_have_the_v4_layout_and_are_unique(export):
    found = walk_uuids(export, [])
    assert len(found) > 50
    for u in found:
        # Zabbix 6.0 accepts only the UUIDv4 layout: 32 lowercase hex digits, version nibble 4
        # (13th digit), variant 10xx (17th digit 8, 9, a or b). Else the import fails with
        # 'Invalid parameter "/1/uuid": UUIDv4 is expected.'
        assert isinstance(u, str) and re.fullmatch(r"[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}", u), \
            f"not a UUIDv4: {u!r}"
    duplicates = {u for u in found if found.count(u) > 1}
    assert not duplicates, f"duplicate uuids: {sorted(duplicates)}"


def test_item_keys_unique(template):
    keys = [i["key"] for i in items(template)]
    keys += [r["key"] for r in rules(template)]
    keys += [p["key"] for p in prototypes(template)]
    duplicates = {k for k in keys if keys.count(k) > 1}
    assert not duplicates, f"duplicate keys: {sorted(duplicates)}"


def test_required_content(template):
    keys = {i["key"] for i in items(template)}
    assert "snmptrap.fallback" in keys
    oids = {i.get("snmp_oid") for i in items(template)}
    # Scalars the issue asks for: cluster id, local node, peer and link status, heartbeat
    # counters (as rates), split brain.
    for column in (1, 2, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 19, 20, 21, 22):
        assert f"{ROOT}.1.1.{column}.0" in oids, f"ccCluster.{column} not polled"
    # Every scalar of ccSessionSync (15) and ccWitness (12).
    for group, count in ((8, 15), (9, 12)):
        for column in range(1, count + 1):
            assert f"{ROOT}.1.{group}.{column}.0" in oids, f"ccObjects.{group}.{column} not polled"
    for n in (8, 9, 10, 11, 12, 13):
        item = next(i for i in items(template) if i.get("snmp_oid") == f"{ROOT}.1.1.{n}.0")
        assert [s["type"] for s in item["preprocessing"]] == ["CHANGE_PER_SECOND"]
    tables = {r["snmp_oid"].split(",")[1].rsplit(".", 2)[0] for r in rules(template)}
    assert tables == {f"{ROOT}.1.{t}" for t in (2, 3, 4, 5, 6, 7)}, tables
    state = next(p for p in prototypes(template) if p["snmp_oid"].startswith(f"{ROOT}.1.3.1.4."))
    assert state["valuemap"]["name"] == "CHASSIS-CLUSTER-MIB::CcRedundancyGroupState"
    names = " | ".join(
        t["name"] for p in prototypes(template) for t in p.get("trigger_prototypes", []))
    names += " | " + " | ".join(t["name"] for i in items(template) for t in i.get("triggers", []))
    for needle in ("failed over to this node", "ineligible", "disabled", "weight is 0 or less",
                   "peer node lost", "split brain detected", "heartbeat errors",
                   "LAN heartbeat path is down", "session sync is down",
                   "session sync is losing", "session commit timed out", "witness is unreachable",
                   "member link is down"):
        assert needle in names, f"no trigger about {needle!r}"


def evaluate(expression, values):
    """A trigger expression of last() comparisons joined by and/or, with values[key] as the
    last (and previous, for last(...,#2)) value of each item."""
    def value(match):
        key = match.group(1)
        assert key in values, f"{key} has no value in this case"
        return str(values[key])
    python = re.sub(r"last\(/[^/]+/([^,)]+(?:\[[^\]]*\])?)(?:,#2)?\)", value, expression)
    python = re.sub(r"(?<![<>!=])=(?!=)", "==", python)
    assert re.fullmatch(r"[\d\s()=<>andor]+", python), python
    return eval(python)  # noqa: S307 - digits, comparisons and and/or only, checked above


FEATURE_TRIGGERS = {  # trigger name -> (its item, the value the MIB serves when not configured)
    "ccagent: LAN heartbeat path is down": {"ccagent.link.lan.status[ccLanLinkStatus.0]": 4},
    "ccagent: session sync is down": {"ccagent.session.sync.status[ccSessionSyncStatus.0]": 6,
                                      "ccagent.session.sync.configured[ccSessionSyncConfigured.0]": 2},
    "ccagent: session sync is losing messages": {
        "ccagent.session.sync.status[ccSessionSyncStatus.0]": 6,
        "ccagent.session.sync.configured[ccSessionSyncConfigured.0]": 2},
    "ccagent: witness is unreachable": {"ccagent.witness.status[ccWitnessStatus.0]": 4},
}
# Configured: (values, whether the problem is open).
FEATURE_CASES = {
    "ccagent: LAN heartbeat path is down": [({"status": 1}, False), ({"status": 2}, True),
                                           ({"status": 3}, False)],
    "ccagent: session sync is down": [({"status": s}, s in (2, 3)) for s in range(1, 6)],
    "ccagent: session sync is losing messages": [({"status": s}, s == 4) for s in range(1, 6)],
    "ccagent: witness is unreachable": [({"status": s}, s in (2, 3)) for s in range(1, 4)],
}


def test_feature_triggers_are_quiet_when_the_feature_is_not_configured(template):
    triggers = {t["name"]: t for i in items(template) for t in i.get("triggers", [])}
    for name, unconfigured in FEATURE_TRIGGERS.items():
        expression = triggers[name]["expression"]
        assert evaluate(expression, unconfigured) is False, name
        status_key = next(k for k in unconfigured if ".status[" in k)
        for case, open_ in FEATURE_CASES[name]:
            values = {k: 1 for k in unconfigured}  # configured(1) = true
            values[status_key] = case["status"]
            assert evaluate(expression, values) is open_, (name, case)


# --- references -----------------------------------------------------------------------------
def parse_references(expression):
    """The /host/key references of a Zabbix 6.0 expression, with quoted key parameters."""
    refs = []
    i = 0
    while True:
        start = expression.find("(/", i)
        if start < 0:
            return refs
        j = start + 2
        host_end = expression.index("/", j)
        host = expression[j:host_end]
        j = host_end + 1
        key_start = j
        while j < len(expression) and expression[j] not in "[,)":
            j += 1
        if j < len(expression) and expression[j] == "[":
            depth, quoted = 0, False
            while j < len(expression):
                c = expression[j]
                if quoted:
                    if c == "\\" and expression[j + 1:j + 2] == '"':
                        j += 1
                    elif c == '"':
                        quoted = False
                elif c == '"':
                    quoted = True
                elif c == "[":
                    depth += 1
                elif c == "]":
                    depth -= 1
                    if depth == 0:
                        j += 1
                        break
                j += 1
        refs.append((host, expression[key_start:j]))
        i = j


def test_parse_references_helper():
    expr = 'last(/T x/a.b[c.0])=2 or nodata(/T x/snmptrap["\\b(a|b\\.1)\\b"],5m)=1'
    assert parse_references(expr) == [("T x", "a.b[c.0]"), ("T x", 'snmptrap["\\b(a|b\\.1)\\b"]')]


def test_trigger_expressions_reference_existing_keys(template):
    name = template["template"]
    item_keys = {i["key"] for i in items(template)}
    all_triggers = {}
    for item in items(template):
        for t in item.get("triggers", []):
            all_triggers[t["name"]] = t
            refs = parse_references(t["expression"]) + parse_references(
                t.get("recovery_expression", ""))
            assert refs, t["name"]
            for host, key in refs:
                assert host == name, f"{t['name']}: refers to host {host!r}"
                assert key in item_keys, f"{t['name']}: no item {key!r}"
            assert item["key"] in {k for _, k in refs}, f"{t['name']} is not about its item"
    checked = 0
    for rule in rules(template):
        proto_keys = {p["key"] for p in rule["item_prototypes"]}
        for p in rule["item_prototypes"]:
            for t in p.get("trigger_prototypes", []):
                refs = parse_references(t["expression"])
                assert refs
                for host, key in refs:
                    assert host == name
                    assert key in proto_keys or key in item_keys, f"{t['name']}: no {key!r}"
                assert any(k in proto_keys for _, k in refs), f"{t['name']}: no prototype used"
                checked += 1
    assert checked >= 6
    for item in items(template):
        for t in item.get("triggers", []):
            for d in t.get("dependencies", []):
                assert d["name"] in all_triggers, f"{t['name']}: unknown dependency"
                assert all_triggers[d["name"]]["expression"] == d["expression"]


def test_lld_macros_are_provided(template):
    """Every {#MACRO} a prototype uses comes from its rule's discovery[] or preprocessing."""
    for rule in rules(template):
        provided = {"{#SNMPINDEX}"} | set(re.findall(r"\{#[A-Z0-9_.]+\}", rule["snmp_oid"]))
        for s in rule.get("preprocessing", []):
            provided |= set(re.findall(r"row\['(\{#[A-Z0-9_.]+\})'\]\s*=", s["parameters"][0]))
        for p in rule["item_prototypes"]:
            text = json.dumps(p)
            used = set(re.findall(r"\{#[A-Z0-9_.]+\}", text))
            assert used <= provided, f"{p['key']}: {sorted(used - provided)} not discovered"


# --- OIDs against the MIB -------------------------------------------------------------------
def snmptranslate(*args):
    if not shutil.which("snmptranslate"):
        pytest.skip("snmptranslate not installed (apt-get install snmp)")
    result = subprocess.run(
        ["snmptranslate", "-M", f"+{MIB_DIR}", "-m", MODULE, *args],
        capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout


def oid_uses(template):
    """(numeric OID, what it must resolve to, owner) for every OID in the template."""
    uses = []
    for kind, obj in all_snmp_objects(template):
        oid = obj["snmp_oid"]
        if kind == "discovery_rule":
            m = re.fullmatch(r"discovery\[(.*)\]", oid)
            assert m, oid
            parts = m.group(1).split(",")
            assert len(parts) % 2 == 0
            for macro, column in zip(parts[0::2], parts[1::2]):
                assert re.fullmatch(r"\{#[A-Z0-9_.]+\}", macro)
                uses.append((column, None, obj["key"]))
            continue
        mib = re.search(r"MIB: CHASSIS-CLUSTER-MIB::(\w+(?:\.0)?)", obj.get("description", ""))
        assert mib, f"{obj['key']}: description does not name its MIB object"
        if kind == "item_prototype":
            assert oid.endswith(".{#SNMPINDEX}"), oid
            uses.append((oid[: -len(".{#SNMPINDEX}")], mib.group(1), obj["key"]))
        else:
            uses.append((oid, mib.group(1), obj["key"]))
    return uses


def parse_td(output):
    """snmptranslate -Td output -> list of (qualified name, SYNTAX, MAX-ACCESS, kind)."""
    blocks = []
    for block in re.split(r"\n\s*\n", output.strip()):
        lines = block.splitlines()
        syntax = next((l.split(None, 1)[1].strip() for l in lines if l.strip().startswith("SYNTAX")), "")
        access = next((l.split()[1] for l in lines if l.strip().startswith("MAX-ACCESS")), "")
        kind = "NOTIFICATION-TYPE" if any("NOTIFICATION-TYPE" in l for l in lines[:3]) else (
            "OBJECT-TYPE" if any("OBJECT-TYPE" in l for l in lines[:3]) else "")
        blocks.append((lines[0].strip(), syntax, access, kind))
    return blocks


def test_every_oid_exists_in_the_mib(template):
    uses = oid_uses(template)
    assert len(uses) > 30
    for oid, _, owner in uses:
        assert re.fullmatch(r"[0-9]+(\.[0-9]+)+", oid), f"{owner}: {oid!r} is not numeric"
        assert oid.startswith(ROOT + "."), f"{owner}: {oid} outside {ROOT}"
    # One snmptranslate run for all of them.
    blocks = parse_td(snmptranslate("-Td", *["." + oid for oid, _, _ in uses]))
    assert len(blocks) == len(uses)
    prototype_keys = {p["key"] for p in prototypes(template)}
    signed = re.compile(r"Integer32 \(-")
    for (oid, expected, owner), (qualified, syntax, access, kind) in zip(uses, blocks):
        assert qualified.startswith(MODULE + "::"), f"{owner}: {oid} -> {qualified}"
        name = qualified.split("::", 1)[1]
        assert kind == "OBJECT-TYPE", f"{owner}: {oid} -> {qualified} is not an object"
        assert access in ("read-only", "accessible-for-notify"), (
            f"{owner}: {oid} -> {qualified} is {access}, not readable")
        if expected is None:  # discovery column: a column, no instance suffix
            assert re.fullmatch(r"cc[A-Za-z]+", name), f"{owner}: {oid} -> {qualified}"
            continue
        assert name == expected, f"{owner}: {oid} resolves to {name}, description says {expected}"
        if owner in prototype_keys:
            assert not name.endswith(".0"), f"{owner}: a table column was expected"
        else:
            assert name.endswith(".0"), f"{owner}: scalar instance .0 expected, got {name}"
        item = next(o for _, o in all_snmp_objects(template) if o["key"] == owner)
        if signed.search(syntax):
            assert item.get("value_type") == "FLOAT", f"{owner}: {syntax} can be negative"
        if syntax.startswith("Counter64") and "rate" in owner:
            assert item["preprocessing"][0]["type"] == "CHANGE_PER_SECOND", owner


def test_oids_round_trip_by_name(template):
    uses = [(oid, expected) for oid, expected, _ in oid_uses(template) if expected]
    out = snmptranslate("-On", *[f"{MODULE}::{expected}" for _, expected in uses]).split()
    assert out == ["." + oid for oid, _ in uses]


def enum_of(syntax):
    m = re.search(r"\{(.*)\}", syntax)
    if not m:
        return None
    return {int(v): n for n, v in re.findall(r"(\w+)\((-?\d+)\)", m.group(1))}


def test_value_maps_match_the_mib_enumerations(template):
    maps = {v["name"]: {int(m["value"]): m["newvalue"] for m in v["mappings"]}
            for v in template["valuemaps"]}
    uses = [(oid, expected, owner) for oid, expected, owner in oid_uses(template) if expected]
    blocks = parse_td(snmptranslate("-Td", *["." + oid for oid, _, _ in uses]))
    objects = {o["key"]: o for _, o in all_snmp_objects(template)}
    checked = 0
    for (_, _, owner), (_, syntax, _, _) in zip(uses, blocks):
        enum = enum_of(syntax)
        obj = objects[owner]
        if not enum or "valuemap" not in obj:
            continue
        mapping = maps[obj["valuemap"]["name"]]
        assert set(mapping) == set(enum), f"{owner}: value map {mapping} vs MIB {enum}"
        norm = lambda s: re.sub(r"[^a-z]", "", s.lower())
        for value, name in enum.items():
            assert norm(mapping[value]) == norm(name), f"{owner}: {value} is {name} in the MIB"
        checked += 1
    assert checked >= 8


# --- SNMP traps -----------------------------------------------------------------------------
def mib_notifications():
    out = snmptranslate("-Tz")
    found = {}
    for line in out.splitlines():
        m = re.fullmatch(r'"(\w+)"\s+"([\d.]+)"', line.strip())
        if m and m.group(2).startswith(ROOT + ".0."):
            found[m.group(1)] = m.group(2)
    return found


def trap_items(template):
    return [i for i in items(template)
            if i.get("type") == "SNMP_TRAP" and i["key"].startswith("snmptrap[")]


def trap_regex(item):
    m = re.fullmatch(r'snmptrap\["(.*)"\]', item["key"])
    assert m, item["key"]
    return re.compile(m.group(1))


def renderings(name, oid):
    """How a trap receiver may print snmpTrapOID.0 for this notification."""
    number = oid.rsplit(".", 1)[1]
    return [
        f"SNMPv2-MIB::snmpTrapOID.0 type=6 value=OID: {MODULE}::{name}",
        f"  SNMPv2-MIB::snmpTrapOID.0 = OID: {MODULE}::{name}\n",
        f"SNMPv2-MIB::snmpTrapOID.0 type=6 value=OID: NET-SNMP-MIB::netSnmpPlaypen.1.0.{number}",
        f".1.3.6.1.6.3.1.1.4.1.0 type=6 value=OID: .{oid}",
        f"iso.3.6.1.6.3.1.1.4.1.0 = OID: iso.3.6.1.4.1.8072.9999.9999.1.0.{number}",
    ]


def test_one_trap_item_per_notification(template):
    notifications = mib_notifications()
    assert len(notifications) >= 17, notifications  # the parse found them all (17 in 2026-12)
    traps = trap_items(template)
    assert len(traps) == len(notifications)
    # Varbinds that appear in notifications and must not be taken for one.
    varbinds = (f"{MODULE}::ccRgFailoverCount.1 type=65 value=Counter32: 3\n"
                f"{MODULE}::ccPeerStatus.0 type=2 value=INTEGER: lost(2)\n"
                f"{MODULE}::ccSplitBrainStatus.0 type=2 value=INTEGER: detected(2)\n"
                f".{ROOT}.1.2.1.2.1 type=65 value=Counter32: 3\n")
    for name, oid in notifications.items():
        texts = [varbinds + r for r in renderings(name, oid)]
        matching = [t for t in traps if all(trap_regex(t).search(x) for x in texts)]
        assert len(matching) == 1, f"{name}: matched by {[t['key'] for t in matching]}"
        assert name in matching[0]["name"]
        for other in traps:
            if other is matching[0]:
                continue
            for x in texts:
                assert not trap_regex(other).search(x), f"{other['key']} also matches {name}"
    assert not any(trap_regex(t).search(varbinds) for t in traps), "a varbind matched a trap"


# --- JavaScript preprocessing ---------------------------------------------------------------
def run_js(script, value):
    node = shutil.which("node") or shutil.which("nodejs")
    if not node:
        pytest.skip("node not installed: cannot run the LLD JavaScript")
    program = ("const f = function (value) {\n" + script + "\n};\n"
               "process.stdout.write(f(" + json.dumps(value) + "));\n")
    result = subprocess.run([node, "-e", program], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def rule_js(template, key):
    rule = next(r for r in rules(template) if r["key"] == key)
    return next(s["parameters"][0] for s in rule["preprocessing"] if s["type"] == "JAVASCRIPT")


def test_lld_javascript(template):
    out = run_js(rule_js(template, "ccagent.rg.node.discovery"),
                 json.dumps([{"{#SNMPINDEX}": "1.0", "{#RGNODE.PRIORITY}": "200"},
                             {"{#SNMPINDEX}": "1.1", "{#RGNODE.PRIORITY}": "100"}]))
    assert [(r["{#RGID}"], r["{#NODEID}"]) for r in out] == [("1", "0"), ("1", "1")]
    out = run_js(rule_js(template, "ccagent.rg.discovery"),
                 json.dumps({"data": [{"{#SNMPINDEX}": "0", "{#RG.FAILOVERS}": "1"}]}))
    assert out["data"][0]["{#RGID}"] == "0"
    # {#IPMON.ADDRESS} is ccIpMonAddressText: passed through as it is, even when an
    # InetAddress's four octets would all be printable (9.9.9.9 is "\t\t\t\t").
    out = run_js(rule_js(template, "ccagent.ipmon.discovery"), json.dumps([
        {"{#SNMPINDEX}": "1.1", "{#IPMON.ADDRESS}": "9.9.9.9", "{#IPMON.TYPE}": "1"},
        {"{#SNMPINDEX}": "1.2", "{#IPMON.ADDRESS}": "2001:db8::1", "{#IPMON.TYPE}": "2"},
        {"{#SNMPINDEX}": "2.1", "{#IPMON.ADDRESS}": "10.100.100.100", "{#IPMON.TYPE}": "1"},
    ]))
    assert [r["{#IPMON.ADDRESS}"] for r in out] == ["9.9.9.9", "2001:db8::1", "10.100.100.100"]
    assert [(r["{#RGID}"], r["{#IPMON.INDEX}"]) for r in out] == [("1", "1"), ("1", "2"), ("2", "1")]


def test_generator_and_yaml_are_in_sync():
    result = subprocess.run([sys.executable, str(GENERATOR), "--check"],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
