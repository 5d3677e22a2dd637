"""Checks the Debian package built by scripts/build-deb.sh (dist/ccagent_*_<arch>.deb).

Skipped when no package has been built. Run: ./scripts/build-deb.sh && pytest tests/packaging
"""
import gzip
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
DIST = Path(os.environ.get("DIST_DIR", REPO / "dist"))
MAX_EXPOSURE = 2.5

EXPECTED_FILES = {
    "usr/sbin/ccagentd": 0o755,
    "usr/bin/ccctl": 0o755,
    "usr/sbin/ccwitnessd": 0o755,
    "lib/systemd/system/ccwitnessd.service": 0o644,
    "usr/share/man/man8/ccwitnessd.8.gz": 0o644,
    "lib/systemd/system/ccagentd.service": 0o644,
    "etc/ccagent/ccagent.conf": 0o644,
    "usr/share/snmp/mibs/CHASSIS-CLUSTER-MIB.txt": 0o644,
    "usr/lib/systemd/catalog/ccagent.catalog": 0o644,
    "usr/share/man/man8/ccagentd.8.gz": 0o644,
    "usr/share/man/man8/ccctl.8.gz": 0o644,
    "usr/share/man/man5/ccagent.conf.5.gz": 0o644,
    "usr/share/bash-completion/completions/ccctl": 0o644,
    "usr/share/doc/ccagent/copyright": 0o644,
    "usr/share/doc/ccagent/changelog.Debian.gz": 0o644,
    "usr/share/doc/ccagent/examples/snmpd.conf.d/ccagent.conf": 0o644,
    "usr/share/doc/ccagent/examples/snmptrapd.conf": 0o644,
    "usr/share/doc/ccagent/examples/zabbix/ccagent_snmp.yaml": 0o644,
}


def run(*args, **kwargs):
    return subprocess.run(list(args), capture_output=True, text=True, check=False, **kwargs)


@pytest.fixture(scope="module")
def deb():
    arch = run("dpkg", "--print-architecture").stdout.strip() or "amd64"
    debs = sorted(DIST.glob(f"ccagent_*_{arch}.deb"), key=lambda p: p.stat().st_mtime)
    if not debs:
        pytest.skip(f"no {DIST}/ccagent_*_{arch}.deb: run scripts/build-deb.sh first")
    return debs[-1]


@pytest.fixture(scope="module")
def tree(deb, tmp_path_factory):
    root = tmp_path_factory.mktemp("deb")
    files, control = root / "root", root / "DEBIAN"
    for option, target in (("-x", files), ("-e", control)):
        result = run("dpkg-deb", option, str(deb), str(target))
        assert result.returncode == 0, result.stderr
    return files, control


@pytest.fixture(scope="module")
def control_fields(tree):
    _, control = tree
    fields, last = {}, None
    for line in (control / "control").read_text().splitlines():
        if line.startswith((" ", "\t")):
            fields[last] += "\n" + line
        else:
            last, _, value = line.partition(":")
            fields[last] = value.strip()
    return fields


def test_file_list_and_modes(tree):
    files, _ = tree
    for path, mode in EXPECTED_FILES.items():
        f = files / path
        assert f.is_file(), f"{path} missing from the package"
        assert f.stat().st_mode & 0o7777 == mode, f"{path}: mode {oct(f.stat().st_mode & 0o7777)}"


def test_state_directory(tree):
    files, _ = tree
    assert (files / "var/lib/ccagent").is_dir()


def test_everything_belongs_to_root(deb):
    listing = run("dpkg-deb", "--contents", str(deb)).stdout.splitlines()
    assert listing
    for line in listing:
        assert line.split()[1] == "root/root", line


def test_binaries_are_stripped_and_need_no_swift_runtime(tree):
    files, _ = tree
    for binary in ("usr/sbin/ccagentd", "usr/bin/ccctl"):
        path = files / binary
        sections = run("readelf", "-SW", str(path)).stdout
        assert " .symtab " not in sections, f"{binary} is not stripped"
        assert " .debug_info " not in sections, f"{binary} has debug info"
        ldd = run("ldd", str(path)).stdout
        assert "not found" not in ldd, ldd
        assert "libswift" not in ldd and "libFoundation" not in ldd, f"{binary}: {ldd}"
        stack = run("readelf", "-lW", str(path)).stdout
        assert re.search(r"GNU_STACK.*\sRW\s", stack), "executable stack breaks MemoryDenyWriteExecute"


def test_ccctl_runs_and_accepts_the_example_configuration(tree):
    files, _ = tree
    ccctl = files / "usr/bin/ccctl"
    assert run(str(ccctl), "--help").returncode == 0
    result = run(str(ccctl), "check-config", str(files / "etc/ccagent/ccagent.conf"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert ": error:" not in result.stderr and "OK" in result.stdout, result.stderr


def test_conffiles(tree):
    files, control = tree
    conffiles = (control / "conffiles").read_text().split()
    assert conffiles == ["/etc/ccagent/ccagent.conf"]
    for c in conffiles:
        assert (files / c.lstrip("/")).is_file()


def test_maintainer_scripts(tree):
    _, control = tree
    for name in ("postinst", "prerm", "postrm"):
        script = control / name
        assert script.is_file(), f"{name} missing"
        assert script.stat().st_mode & 0o111, f"{name} not executable"
        text = script.read_text()
        assert text.startswith("#!/bin/sh\n"), name
        assert "\nset -e\n" in text, name
        result = run("sh", "-n", str(script))
        assert result.returncode == 0, f"{name}: {result.stderr}"
        if shutil.which("checkbashisms"):
            assert run("checkbashisms", str(script)).returncode == 0
    postinst = (control / "postinst").read_text()
    assert re.search(r"addgroup --system\b.*\bccagent\b", postinst)
    assert "journalctl --update-catalog" in postinst
    assert "[ -d /run/systemd/system ]" in postinst and "daemon-reload" in postinst
    # Installed, not started: only a running agent is restarted on upgrade.
    assert not re.search(r"\b(enable|start)\b.*ccagentd", postinst.replace("try-restart", ""))
    prerm = (control / "prerm").read_text()
    assert "[ -d /run/systemd/system ]" in prerm and re.search(r"\bstop\b.*ccagentd", prerm)
    postrm = (control / "postrm").read_text()
    assert re.search(r"purge\)(.|\n)*rmdir --ignore-fail-on-non-empty /etc/ccagent", postrm)


def test_control_fields(deb, control_fields):
    f = control_fields
    assert f["Package"] == "ccagent"
    upstream = (REPO / "packaging/VERSION").read_text().strip()
    assert f["Version"].startswith(upstream + "-") or f["Version"] == upstream
    assert deb.name == f"ccagent_{f['Version']}_{f['Architecture']}.deb"
    assert f["Section"] == "net" and f["Priority"] == "optional"
    assert re.fullmatch(r".+ <[^@ ]+@[^@ ]+>", f["Maintainer"])
    assert "snmpd" in f["Recommends"]
    depends = [d.strip().split()[0] for d in f["Depends"].split(",")]
    for needed in ("libc6", "adduser"):
        assert needed in depends, f["Depends"]
    assert int(f["Installed-Size"]) > 1000
    synopsis, _, long = f["Description"].partition("\n")
    assert synopsis and len(synopsis) < 80 and long.strip()
    print(f"\nDepends: {f['Depends']}")


def test_man_pages(tree):
    files, _ = tree
    for page in ("man8/ccagentd.8.gz", "man8/ccctl.8.gz", "man5/ccagent.conf.5.gz"):
        raw = (files / "usr/share/man" / page).read_bytes()
        assert raw[:2] == b"\x1f\x8b"
        # gzip -n: no file name, no time stamp (reproducible); -9: maximum compression.
        assert raw[3] & 0x08 == 0 and raw[4:8] == b"\0\0\0\0" and raw[8] == 2, page
        text = gzip.decompress(raw).decode()
        assert text.startswith(".TH ") and "@VERSION@" not in text
        if shutil.which("man"):
            result = run("man", "--warnings", "-E", "UTF-8", "-l", "-Tutf8", "-Z",
                         str(files / "usr/share/man" / page),
                         env={**os.environ, "LC_ALL": "C.UTF-8", "MANWIDTH": "80"})
            assert result.returncode == 0 and not result.stderr.strip(), f"{page}: {result.stderr}"


def test_changelog_and_copyright(tree, control_fields):
    files, _ = tree
    doc = files / "usr/share/doc/ccagent"
    changelog = gzip.decompress((doc / "changelog.Debian.gz").read_bytes()).decode()
    assert changelog.startswith(f"ccagent ({control_fields['Version']}) ")
    copyright_text = (doc / "copyright").read_text()
    assert copyright_text.startswith(
        "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/")
    assert re.search(r"^Files: \*\nCopyright: .+\nLicense: Apache-2.0$", copyright_text, re.M)
    # Every licence named in a Files stanza has a stand-alone paragraph.
    named = set()
    for m in re.finditer(r"^License: (.+)$", copyright_text, re.M):
        named.update(x.strip() for x in m.group(1).split(" and "))
    standalone = set(re.findall(r"(?:^|\n\n)License: (.+)\n ", copyright_text))
    assert named <= standalone | {"Apache-2.0"}, named - standalone


def test_bash_completion(tree):
    files, _ = tree
    completion = files / "usr/share/bash-completion/completions/ccctl"
    text = completion.read_text()
    assert not text.startswith("#!")
    result = run("bash", "-c", f"source {completion} && complete -p ccctl")
    assert result.returncode == 0 and "ccctl" in result.stdout, result.stderr


def test_snmp_examples_are_the_repository_files(tree):
    files, _ = tree
    examples = files / "usr/share/doc/ccagent/examples"
    assert (examples / "snmpd.conf.d/ccagent.conf").read_text() == (
        REPO / "packaging/snmp/snmpd.conf.d/ccagent.conf").read_text()
    assert "master agentx" in (examples / "snmpd.conf.d/ccagent.conf").read_text()
    assert "authCommunity log,execute,net public" in (examples / "snmptrapd.conf").read_text()


# --- the systemd unit -----------------------------------------------------------------------
@pytest.fixture(scope="module")
def unit(tree, tmp_path_factory):
    """The packaged unit, with ExecStart pointing at the extracted binary unless installed."""
    files, _ = tree
    text = (files / "lib/systemd/system/ccagentd.service").read_text()
    if not Path("/usr/sbin/ccagentd").exists():
        text = text.replace("/usr/sbin/ccagentd", str(files / "usr/sbin/ccagentd"))
    path = tmp_path_factory.mktemp("unit") / "ccagentd.service"
    path.write_text(text)
    return path


def unit_settings(text):
    settings = {}
    for line in text.splitlines():
        if "=" in line and not line.startswith(("#", ";", "[")):
            key, _, value = line.partition("=")
            settings.setdefault(key.strip(), []).append(value.strip())
    return settings


def test_unit_directives(tree):
    files, _ = tree
    s = unit_settings((files / "lib/systemd/system/ccagentd.service").read_text())
    expect = {
        "Type": "notify", "NotifyAccess": "main", "WatchdogSec": "10s", "Restart": "on-failure",
        "ExecStart": "/usr/sbin/ccagentd --config /etc/ccagent/ccagent.conf",
        "ExecReload": "/bin/kill -HUP $MAINPID", "RuntimeDirectory": "ccagent",
        "RuntimeDirectoryMode": "0750", "Group": "ccagent", "NoNewPrivileges": "yes",
        "ProtectSystem": "strict", "ProtectHome": "yes", "PrivateTmp": "yes",
        "ReadWritePaths": "-/var/agentx", "SystemCallArchitectures": "native",
        "CapabilityBoundingSet": "CAP_NET_RAW CAP_NET_BIND_SERVICE CAP_NET_ADMIN",
        "RestrictAddressFamilies": "AF_UNIX AF_INET AF_INET6 AF_NETLINK AF_PACKET",
        "MemoryDenyWriteExecute": "yes", "UMask": "0077",
        "ExecStopPost": "/usr/sbin/ccagentd --cleanup-reths --config /etc/ccagent/ccagent.conf",
    }
    for key, value in expect.items():
        assert value in s.get(key, []), f"{key}={value} expected, got {s.get(key)}"
    assert "@system-service" in s["SystemCallFilter"]
    assert set(s["After"][0].split()) >= {"network-online.target", "snmpd.service"}
    assert set(s["Wants"][0].split()) >= {"network-online.target", "snmpd.service"}
    assert "BindsTo" not in s and "Requires" not in s
    assert s.get("AmbientCapabilities", [""]) == [""]


def test_unit_verifies(tree, unit):
    if not shutil.which("systemd-analyze"):
        pytest.skip("systemd-analyze not installed")
    files, _ = tree
    # Documentation=man:... is checked with man(1): let it find the packaged pages.
    env = {**os.environ, "MANPATH": str(files / "usr/share/man")}
    result = run("systemd-analyze", "verify", str(unit), env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert not result.stderr.strip(), result.stderr


def test_unit_security_exposure(unit):
    if not shutil.which("systemd-analyze"):
        pytest.skip("systemd-analyze not installed")
    result = run("systemd-analyze", "security", "--offline=true", "--no-pager", str(unit))
    m = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", result.stdout)
    assert m, result.stdout + result.stderr
    exposure = float(m.group(1))
    print(f"\nsystemd-analyze security exposure: {exposure}")
    assert exposure <= MAX_EXPOSURE, result.stdout


def test_lintian_reports_no_errors(deb):
    if not shutil.which("lintian"):
        pytest.skip("lintian not installed")
    result = run("lintian", "--fail-on", "none", str(deb))
    print("\n" + (result.stdout.strip() or "lintian: no tags"))
    errors = [l for l in result.stdout.splitlines() if l.startswith("E: ")]
    assert not errors, "\n".join(errors)
