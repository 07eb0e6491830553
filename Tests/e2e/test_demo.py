"""`ballast-lab demo` runs the same traffic unprotected and through Ballast (with the shipped
rules) against twin simulators that go through a 429 burst, a slow tail, a token expiry, a
primary outage and a 529 wave, and ends with a well-formed summary in which Ballast's error
rate is below the unprotected one."""
import re
import subprocess

import pytest

from conftest import BALLAST_LAB_BIN, ROOT

PHASES = ["429 burst", "slow tail", "token expiry", "primary down", "529 wave"]


def cells(line: str) -> list[str]:
    return re.split(r"\s{2,}", line.strip())


def table(text: str, title: str) -> list[str]:
    """The body rows of the table that follows `title` (after its header and rule)."""
    lines = text[text.index(title):].splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("---")) + 1
    end = next((i for i in range(start, len(lines)) if not lines[i].strip()), len(lines))
    return lines[start:end]


@pytest.fixture(scope="module")
def demo() -> str:
    result = subprocess.run([BALLAST_LAB_BIN, "demo", "--duration", "20s", "--no-tty"], cwd=ROOT,
                            capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def test_plain_lines_show_every_phase_per_region_and_the_actions(demo):
    # Plain progress lines, no terminal escapes, when output is not a terminal.
    assert "\x1b[" not in demo
    ticks = [line for line in demo.splitlines() if re.match(r"t=\s*\d+\.\ds\s", line)]
    assert len(ticks) >= 18
    for phase in PHASES:
        assert any(re.match(rf"t=\s*\d+\.\ds  {phase} \| ", line) for line in ticks), phase
        # And in the script printed at the start.
        assert re.search(rf"^\s+[\d.]+-[\d.]+ s\s+{phase}: ", demo, re.M), phase
    # Each tick: both paths with rate, errors and p99, then each region with state, weight,
    # rate, errors and p99, and Ballast's counters.
    assert re.search(r"\| unprotected \d+/s, [\d.]+% errors, p99 (\d+ ms|-) \| Ballast \d+/s, [\d.]+% errors, p99", demo)
    region = r"{} (closed|open|half_open) weight=\d+ \d+/s [\d.]+ err/s p99 (\d+ ms|-)"
    assert re.search(r"regions: " + region.format("primary") + "; " + region.format("secondary")
                     + r" \| degradation level \d, hedges \d+ sent / \d+ won, retries \d+, token refreshes \d+", demo)
    # The outage opens the primary's circuit: the action is shown once, with its reason.
    actions = [line for line in demo.splitlines() if line.startswith("  action t=")]
    opened = [line for line in actions if "circuit region=primary -> open" in line]
    assert opened and "(rule:region-down: " in opened[0]
    assert len(actions) == len(set(actions))
    assert "Ballast exited during the run" not in demo


def test_summary_is_shaped_like_the_write_up(demo):
    summary = demo[demo.index("Summary: "):]
    header = next(line for line in summary.splitlines() if line.startswith("metric"))
    assert cells(header) == ["metric", "unprotected", "through Ballast", "change"]
    rows = {cells(line)[0].split(" (")[0]: cells(line) for line in table(summary, "Summary: ")}
    assert list(rows) == ["max QPS", "goodput", "P99 latency", "P99 latency, successes only", "P50 latency",
                          "error rate", "upstream attempts / request"]

    def values(metric: str, unit: str) -> tuple[float, float]:
        found = re.findall(rf"([\d.]+) ?{re.escape(unit)}", " ".join(rows[metric][1:3]))
        assert len(found) == 2, rows[metric]
        return float(found[0]), float(found[1])

    unprotected, ballast = values("error rate", "%")
    assert ballast < unprotected
    assert unprotected > 5
    qps_before, qps_after = values("max QPS", "/s")
    assert qps_after >= qps_before
    for metric in ["P99 latency", "P99 latency, successes only", "P50 latency"]:
        before, after = values(metric, "ms")
        assert before > 0 and after > 0
        assert re.fullmatch(r"[\d.]+x", rows[metric][3])
    assert rows["upstream attempts / request"][1] == "1.00"
    assert 1.0 <= float(rows["upstream attempts / request"][2]) < 2.0

    # One row per phase, with both paths' errors; the outage fails (nearly: requests at its
    # edges may miss it) every unprotected request, while Ballast's standby answers.
    phase_rows = {cells(line)[0].rsplit(" ", 1)[0]: cells(line) for line in table(summary, "Each phase")}
    assert list(phase_rows) == PHASES
    down = phase_rows["primary down"]
    share = re.fullmatch(r"\d+ \(([\d.]+)%\)", down[2])
    assert share and float(share.group(1)) >= 95, down
    assert "answered by the standby" in down[6]

    assert re.search(r"is in (/\S+/ballast\.db); explore it with\n\s+\S+ stats --db \1 --since", summary)


def test_every_target_is_judged_by_its_figures(demo):
    """The demo's four targets, each with what was measured and a verdict. Every verdict is
    recomputed here from the figures beside it (a wrong verdict cannot hide a missed target
    or claim a missed one; a figure printed exactly at its bound could be either side of it
    before rounding and is not judged). The 429 burst target is asserted as met, and the
    unprotected path's "several percent" of errors. The other three are not required to be
    met here: in this environment (a debug build, phases squeezed into 20 s, a loaded 2-core
    machine) they were measured at 0.22-0.38% errors through Ballast (target 0.2%: streams
    cut mid-answer when the primary dies, after their 200 head, and 529s after 4 attempts in
    the wave), P99 0.49-0.56x the unprotected one (target 0.5x) and the burst's P99 1.10-1.57x
    its bound (target 1.2x)."""
    summary = demo[demo.index("Summary: "):]
    rows = [cells(line) for line in table(summary, "Targets:")]
    assert len(rows) == 4, rows
    print("\n" + "\n".join("  ".join(row) for row in rows))
    verdicts = {row[0]: (row[1], row[2]) for row in rows}

    def row(start: str) -> tuple[str, str]:
        found = [value for target, value in verdicts.items() if target.startswith(start)]
        assert len(found) == 1, (start, list(verdicts))
        return found[0]

    def ratio(text: str) -> float:
        """`A ms vs B ms = R x`: R, checked against A / B (the ms are rounded)."""
        match = re.fullmatch(r"(\d+) ms vs (\d+) ms = ([\d.]+)x", text)
        assert match, text
        a, b, r = float(match.group(1)), float(match.group(2)), float(match.group(3))
        assert b > 0 and abs(a / b - r) <= 0.01 + (1 + r) * 0.5 / b, text
        return r

    def judged(start: str, met: bool):
        measured, verdict = row(start)
        assert verdict == ("met" if met else "MISSED"), f"{start}: {measured} judged {verdict}"

    measured, _ = row("error rate through Ballast")
    errors = re.fullmatch(r"([\d.]+)% vs ([\d.]+)%", measured)
    assert errors, measured
    ballast, unprotected = float(errors.group(1)), float(errors.group(2))
    # Rounded to 0.01%: a figure at the bound could be either side of it.
    if abs(ballast - 0.2) > 0.005 and abs(unprotected - 2) > 0.005:
        judged("error rate through Ballast", ballast <= 0.2 and unprotected >= 2)
    assert unprotected >= 2, "the unprotected path should see several percent of errors: " + measured
    for start, bound in [("P99 through Ballast", 0.5), ("429 burst: P99", 1.2)]:
        value = ratio(row(start)[0])
        if abs(value - bound) > 0.005:
            judged(start, value <= bound)
    measured, _ = row("429 burst (average under the limit)")
    served = re.fullmatch(r"([\d.]+)% \(unprotected ([\d.]+)%\)", measured)
    assert served, measured
    if abs(float(served.group(1)) - 99.9) > 0.005:
        judged("429 burst (average under the limit)", float(served.group(1)) >= 99.9)
    assert float(served.group(1)) >= 99.9, "target missed: the 429 burst: " + measured
