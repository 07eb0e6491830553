"""`ballast demo` runs the same traffic unprotected and through Ballast (with the shipped
rules) against a primary that goes down, and ends with a well-formed summary in which
Ballast's error rate is below the unprotected one."""
import re
import subprocess

from conftest import BALLAST_BIN, ROOT


def test_demo_summary_shows_ballast_healing():
    result = subprocess.run([BALLAST_BIN, "demo", "--duration", "20s", "--no-tty"], cwd=ROOT,
                            capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-2000:]
    out = result.stdout
    # Plain progress lines, no terminal escapes, when output is not a terminal.
    assert "\x1b[" not in out
    assert re.search(r"t=\s*\d+\.\ds\s+primary DOWN", out)
    assert "latest actions:" in out and "weights: primary=" in out
    rows = {line.split("  ")[0]: line for line in out.splitlines()
            if line.startswith(("requests", "error rate", "goodput", "p50 latency", "p99 latency", "upstream attempts"))}
    assert set(rows) == {"requests", "error rate", "goodput", "p50 latency", "p99 latency",
                         "upstream attempts / request"}
    unprotected, ballast = (float(value) for value in re.findall(r"([\d.]+)%", rows["error rate"])[:2])
    assert ballast < unprotected
    assert unprotected > 5
    assert "ballast.db" in out and "stats --db" in out
