"""`ballast-lab capacity` replays the capacity simulation (virtual time, the same result for the
same seed): one scenario with Ballast, no gateway and the oracle side by side, its rule changes
and a timeline; or a sweep of seeds listing those where Ballast served less than no gateway.
The bench prints such seeds "so they can be replayed": this is the tool that replays them."""
import re
import subprocess

import pytest

from conftest import BALLAST_LAB_BIN, ROOT


def lab(*arguments: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([BALLAST_LAB_BIN, "capacity", *arguments], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


def ways(text: str) -> dict[str, list[int]]:
    """offered, served, refused, attempts, upstream 429 per way, from the outcome table."""
    rows = {}
    for line in text.splitlines():
        match = re.match(r"^(ballast|no gateway|oracle)\s{2,}(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)", line)
        if match:
            rows[match.group(1)] = [int(value) for value in match.groups()[1:]]
    return rows


@pytest.fixture(scope="module")
def region_down() -> str:
    result = lab("--scenario", "region_down", "--timeline", "--slice", "5")
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def test_a_scenario_shows_every_way_against_the_same_arrivals(region_down):
    rows = ways(region_down)
    assert set(rows) == {"ballast", "no gateway", "oracle"}
    offered = {row[0] for row in rows.values()}
    assert len(offered) == 1, "every way sees the same arrivals"
    # The primary answers 503 for 10 s of 60: a plain client loses about a sixth, and the
    # oracle is an upper bound that Ballast does not pass.
    served = {way: row[1] for way, row in rows.items()}
    assert served["no gateway"] < 0.9 * served["oracle"]
    assert served["no gateway"] < served["ballast"] <= served["oracle"]


def test_the_rules_changes_and_the_timeline_follow_the_outage(region_down):
    changes = re.findall(r"^\s+(\d+\.\d\d) s\s+region=primary (\S+)$", region_down, re.MULTILINE)
    opened = [float(time) for time, action in changes if action == "open"]
    assert opened and 20 <= opened[0] <= 21.5, "the primary goes out within about a second of its outage at 20 s"
    timeline = region_down[region_down.index("served by arrival time"):].splitlines()
    rows = [line.split() for line in timeline if re.match(r"^\d+\s", line)]
    assert [int(row[0]) for row in rows] == list(range(0, 60, 5))
    # The outage column names the primary's 503s exactly where the scenario puts them.
    outage = [row[0] for row in rows if "503" in row[9:]]
    assert outage == ["20", "25"]
    # The regions have limits of their own: 100 req/s against two buckets that refill at 80 each
    # leaves about 60/s unused (300 a slice); while the primary is out (25-30 s) its whole refill
    # is (about 400), and the standby, taking everything, has none to spare.
    header = next(line.split() for line in timeline if line.startswith("from s"))
    assert header[header.index("waiting") + 1] == "unused"
    unused = {int(row[0]): int(row[8]) for row in rows}
    assert all(200 < unused[start] < 400 for start in (5, 10, 15, 40, 45)), unused
    assert unused[25] > unused[15], unused


def test_a_shared_limit_leaves_no_allowance_unused():
    """250 req/s against one 150 req/s limit: whatever the bucket stores, Ballast sends."""
    result = lab("--scenario", "shared_limit", "--timeline", "--slice", "10")
    assert result.returncode == 0, result.stderr[-2000:]
    timeline = result.stdout[result.stdout.index("served by arrival time"):].splitlines()
    rows = [line.split() for line in timeline if re.match(r"^\d+\s", line)]
    assert len(rows) == 6
    assert sum(int(row[8]) for row in rows) <= 5, rows


def test_the_same_seed_gives_the_same_result():
    first, second = lab("--seed", "7"), lab("--seed", "7")
    assert first.returncode == 0 and first.stdout == second.stdout
    assert first.stdout.startswith("seed 7: ")


def test_a_sweep_reports_its_ratios_and_lists_the_seeds_below_no_gateway():
    result = lab("--seeds", "1-5")
    assert result.returncode == 0, result.stderr[-2000:]
    assert re.match(r"^5 seeds: ratio to the oracle median \d\.\d{3}", result.stdout)
    assert "below no gateway" in result.stdout


@pytest.mark.parametrize("arguments, message", [
    ([], "give exactly one of --seed, --seeds or --scenario"),
    (["--seed", "1", "--seeds", "1-2"], "give exactly one of --seed, --seeds or --scenario"),
    (["--seeds", "9-3"], "--seeds wants A-B"),
    (["--scenario", "nope"], "unknown --scenario 'nope'"),
    (["--seed", "1", "--slice", "0"], "--slice must be positive"),
])
def test_bad_arguments_are_named(arguments, message):
    result = lab(*arguments)
    assert result.returncode != 0
    assert message in result.stderr


def test_a_broken_rule_file_is_named_with_its_place(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("groups:\n  - name: x\n    rules:\n      - name: y\n        when: error_ratio[1m] >\n")
    result = lab("--seed", "1", "--rules", str(broken))
    assert result.returncode == 2
    assert f"{broken}:" in result.stderr
