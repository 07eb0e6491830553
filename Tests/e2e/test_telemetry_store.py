"""The SQLite store under a real `ballast serve`: every request lands in it, `ballast stats`
reads it, and a `kill -9` in the middle of load leaves it intact, losing at most the last
unflushed batch."""
import json
import signal
import sqlite3
import subprocess
import threading
import time

import anthropic

from conftest import BALLAST_BIN, SIM_KEY, start_ballast

MODEL = "claude-sonnet-4-6"


def count_requests(path) -> int:
    with sqlite3.connect(path) as db:
        return db.execute("SELECT count(*) FROM requests").fetchone()[0]


def test_requests_are_stored_and_summarised(sim, tmp_path):
    regions = sim.ready["regions"]
    process = start_ballast(tmp_path, regions["primary"], regions["secondary"], name="stored")
    try:
        client = anthropic.Anthropic(base_url="http://" + process.ready["proxy"], api_key="sk-e2e", max_retries=0)
        for index in range(12):
            client.messages.create(model=MODEL, max_tokens=20, messages=[{"role": "user", "content": f"q{index}"}])
    finally:
        assert process.stop() == 0
    database = tmp_path / "ballast.db"
    assert count_requests(database) == 12
    with sqlite3.connect(database) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        (secrets,) = db.execute("SELECT count(*) FROM requests WHERE error_type LIKE ? OR model LIKE ?",
                                (f"%{SIM_KEY}%", f"%{SIM_KEY}%")).fetchone()
        assert secrets == 0
    stats = subprocess.run([BALLAST_BIN, "stats", "--db", str(database), "--since", "10m", "--json"],
                           capture_output=True, text=True, check=True)
    summary = json.loads(stats.stdout)
    row = next(r for r in summary["rows"] if r["region"] == "primary" and r["model"] == MODEL)
    assert row["requests"] == 12
    assert row["success_ratio"] == 1
    table = subprocess.run([BALLAST_BIN, "stats", "--db", str(database), "--since", "10m"],
                           capture_output=True, text=True, check=True).stdout
    assert "primary" in table and MODEL in table


def test_kill_minus_nine_under_load_keeps_the_store_intact(sim, tmp_path):
    regions = sim.ready["regions"]
    process = start_ballast(tmp_path, regions["primary"], regions["secondary"], name="killed")
    client = anthropic.Anthropic(base_url="http://" + process.ready["proxy"], api_key="sk-e2e", max_retries=0,
                                 timeout=10)
    completed = []
    stop = threading.Event()

    def load():
        index = 0
        while not stop.is_set():
            try:
                client.messages.create(model=MODEL, max_tokens=10, messages=[{"role": "user", "content": f"k{index}"}])
                completed.append(time.monotonic())
            except anthropic.APIConnectionError:
                return
            index += 1

    workers = [threading.Thread(target=load) for _ in range(4)]
    for worker in workers:
        worker.start()
    time.sleep(2.0)
    process.proc.send_signal(signal.SIGKILL)
    killed_at = time.monotonic()
    stop.set()
    for worker in workers:
        worker.join(timeout=15)
    process.proc.wait(timeout=10)

    database = tmp_path / "ballast.db"
    with sqlite3.connect(database) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    stored = count_requests(database)
    answered = len(completed)
    # Lost at most what completed in the last 250 ms before the kill (one flush interval
    # of 100 ms plus the time a batch takes to commit).
    recent = sum(1 for at in completed if at > killed_at - 0.25)
    assert answered > 20
    assert stored >= answered - recent, f"stored {stored} of {answered} answered ({recent} in the last 250 ms)"
    assert stored <= answered + 4  # at most the in-flight ones besides
