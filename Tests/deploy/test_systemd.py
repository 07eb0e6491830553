"""deploy/systemd/ballast.service passes `systemd-analyze verify` without a warning, and says
what docs/deploy.md promises: its own user, a state directory, hardening, SIGHUP on reload."""
import configparser
import subprocess

from deploy_support import BALLAST_BIN, ROOT, tool

UNIT = ROOT / "deploy" / "systemd" / "ballast.service"


def verify(unit_text: str, tmp_path) -> str:
    """systemd-analyze's findings (empty when clean). Its exit status is 0 even for unknown keys
    or bad values, which it prints and ignores, so the output is what is judged. ExecStart
    points at this build's binary: verify checks that the command exists."""
    unit = tmp_path / "ballast.service"
    unit.write_text(unit_text.replace("/usr/local/bin/ballast", BALLAST_BIN))
    result = subprocess.run([tool("systemd-analyze"), "verify", str(unit)], capture_output=True, text=True, timeout=60)
    return (result.stdout + result.stderr).strip() + ("" if result.returncode == 0 else f"\nexit {result.returncode}")


def test_the_unit_verifies_cleanly(tmp_path):
    assert verify(UNIT.read_text(), tmp_path) == ""


def test_verify_would_catch_a_mistake(tmp_path):
    broken = UNIT.read_text().replace("ProtectSystem=strict", "ProtectSystem=strictest").replace("UMask=0077", "Umask=0077")
    findings = verify(broken, tmp_path)
    assert "protect system" in findings.lower() and "Umask" in findings, findings


def test_the_unit_runs_ballast_the_documented_way():
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str
    unit.read_string(UNIT.read_text())
    service = unit["Service"]
    assert service["DynamicUser"] == "yes" and service["User"] == "ballast"
    assert service["StateDirectory"] == "ballast" and service["WorkingDirectory"] == "/var/lib/ballast"
    assert service["ExecReload"] == "/bin/kill -HUP $MAINPID"
    assert service["ExecStart"].startswith("/usr/local/bin/ballast serve --config /etc/ballast/ballast.yaml")
    for hardening in ("NoNewPrivileges", "ProtectSystem", "ProtectHome", "PrivateTmp", "PrivateDevices",
                      "RestrictAddressFamilies", "SystemCallFilter", "CapabilityBoundingSet", "MemoryDenyWriteExecute"):
        assert hardening in service, hardening
    # The stop timeout covers the default shutdown.delay (5 s) and shutdown.grace (30 s).
    assert int(service["TimeoutStopSec"].rstrip("s")) > 35
