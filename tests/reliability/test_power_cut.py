"""Power cut and concurrency: real kiosk processes on one file, killed with SIGKILL mid-burst or run flat out.

A verdict printed is a verdict shown at the door; each must be in the log whatever happens to the process.
"""

from __future__ import annotations

import json
import random
import select
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from tests.reliability.support import health, kiosk_process, scan_inputs, size, stored_scan_ids

ROOT = Path(__file__).parents[2]  # where `tests.reliability.scanner` can be imported from


def scanner(db_path, inputs: str, name: str, seconds: float) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "tests.reliability.scanner", str(db_path), inputs, name,
                             str(seconds)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)


def printed(stdout: str) -> list[tuple[str, str, bool]]:
    """The complete verdict lines a scanner printed (a line cut by the kill was never shown whole)."""
    lines = stdout.split("\n")[:-1]
    return [(scan_id, decision, replay == "1") for scan_id, decision, replay in (line.split() for line in lines)]


def assert_clean(stderr: str) -> None:
    assert "database is locked" not in stderr and "Traceback" not in stderr, stderr


def test_sigkill_mid_burst_never_loses_a_shown_verdict(production_file, tmp_path, figures):
    path, codes = production_file
    inputs = scan_inputs(codes, tmp_path)
    chooser = random.Random()
    shown: list[str] = []
    killed_mid_burst = cli_shown = cli_killed = 0
    rounds = size("crash_rounds")
    for number in range(rounds):
        processes = [scanner(path, inputs, f"r{number}-{letter}", 60) for letter in "ab"]
        for process in processes:  # both scanning
            assert select.select([process.stdout], [], [], 60)[0], "the scanner printed nothing"
        cli = kiosk_process("--db", str(path), "--kiosk-id", f"cli-{number}", "scan", "42",
                            chooser.choice(list(codes.values())), "--scan-id", f"cli-{number}", "--json")
        started = time.monotonic()
        # Each scanner dies at a random moment of its burst; the CLI scan while starting, while scanning, or
        # not at all (it had finished).
        time.sleep(chooser.uniform(0, 0.2))
        processes[0].send_signal(signal.SIGKILL)
        time.sleep(max(0.0, started + chooser.uniform(0.05, 0.6) - time.monotonic()))
        cli.send_signal(signal.SIGKILL)
        time.sleep(chooser.uniform(0, 0.2))
        processes[1].send_signal(signal.SIGKILL)
        for process in processes:
            out, err = process.communicate()
            assert process.returncode == -signal.SIGKILL, err
            assert_clean(err)
            lines = printed(out)
            killed_mid_burst += bool(lines)
            shown += [scan_id for scan_id, _, _ in lines]
        out, err = cli.communicate()
        assert_clean(err)
        if cli.returncode == -signal.SIGKILL:
            cli_killed += 1
        else:
            assert cli.returncode in (0, 1), err
            shown.append(json.loads(out)["scan_id"])
            cli_shown += 1
        assert health(path)[:2] == ("ok", True), f"after round {number}"
    stored = set(stored_scan_ids(path))
    missing = [scan_id for scan_id in shown if scan_id not in stored]
    assert not missing, f"{len(missing)} verdicts shown but not stored: {missing[:5]}"
    assert killed_mid_burst >= 2 * rounds * 9 // 10  # nearly every scanner had shown verdicts when killed
    # The kiosk restarts clean: a new process scans and records, and the audit passes.
    after = kiosk_process("--db", str(path), "scan", "42", codes["P01"], "--scan-id", "restart", "--json")
    out, err = after.communicate(timeout=60)
    assert after.returncode in (0, 1) and json.loads(out)["scan_id"] == "restart", err
    audit = kiosk_process("--db", str(path), "audit", "verify")
    out, err = audit.communicate(timeout=60)
    assert audit.returncode == 0 and "Log intact" in out, err
    integrity, _, rows = health(path)
    figures.update(rounds=rounds, scanner_processes_killed=2 * rounds, killed_mid_burst=killed_mid_burst,
                   cli_scans_killed=cli_killed, cli_scans_completed=cli_shown, verdicts_shown=len(shown),
                   shown_missing=len(missing), integrity=integrity, log_rows=rows, audit="intact")


def test_kiosks_on_one_file_at_full_speed_lose_and_double_nothing(production_file, tmp_path, figures):
    path, codes = production_file
    inputs = scan_inputs(codes, tmp_path)
    count, seconds = size("concurrency_processes"), size("concurrency_seconds")
    processes = [scanner(path, inputs, f"k{number}", seconds) for number in range(count)]
    lines = []
    for process in processes:
        out, err = process.communicate(timeout=seconds + 120)
        assert process.returncode == 0, err
        assert_clean(err)
        lines += printed(out)
    new = [scan_id for scan_id, _, replay in lines if not replay]
    stored = stored_scan_ids(path)
    assert len(new) == len(set(new)), "a scan was answered as new twice"
    assert Counter(stored) == Counter(new), "stored scans differ from the verdicts shown"
    resent = Counter(scan_id for scan_id, _, _ in lines if "-again-" in scan_id)
    assert all(stored.count(scan_id) == 1 for scan_id in resent)
    assert health(path)[:2] == ("ok", True)
    figures.update(processes=count, run_seconds=seconds, verdicts=len(lines), stored_scans=len(stored),
                   scans_per_second=round(len(lines) / seconds), replays_sent=len(lines) - len(new),
                   resent_ids=len(resent), lost=0, doubled=0, locked_errors=0)
