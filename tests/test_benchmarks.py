"""Every benchmark still runs against the current code: each, in its tiniest mode, as the crew would run it
(a process of its own), exits 0 and prints its Markdown table beside a floor.  The figures are not judged here
(speed targets live in the benchmarks and BENCHMARKS.md); this guard only keeps the benchmarks from rotting."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.pg_server import PgServerError, pg_bin

ROOT = Path(__file__).resolve().parent.parent


def _has_pg() -> bool:
    try:
        pg_bin()
    except PgServerError:
        return False
    return True


BENCHMARKS = [
    pytest.param(["bench_scan.py", "--tiny"], "floor (raw sqlite3)", id="scan"),
    pytest.param(["bench_audit.py", "--tiny"], "chain only", id="audit"),
    pytest.param(["bench_export_scan.py", "--tiny"], "idle (the floor)", id="export-scan"),
    pytest.param(["bench_checkins.py", "--tiny"], "floor", id="checkins"),
    pytest.param(["bench_report.py", "--tiny"], "floor: raw sqlite3", id="report"),
    pytest.param(["bench_badges.py", "--badges", "4", "--rounds", "1"], "floor `qrcode.make().save()`",
                 id="badges"),
    pytest.param(["bench_tui.py", "--tiny"], "bare Textual Input", id="tui",
                 marks=pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")),
    pytest.param(["bench_hub.py", "--tiny"], "floor: same INSERT", id="hub",
                 marks=pytest.mark.skipif(not _has_pg(), reason="PostgreSQL server binaries are not installed")),
]


@pytest.mark.parametrize(("command", "floor"), BENCHMARKS)
def test_benchmark_runs_and_prints_its_table(command, floor):
    env = {name: value for name, value in os.environ.items() if name != "KIOSK_DB"}  # each builds its own
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / command[0]), *command[1:]], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    table = [line for line in done.stdout.splitlines() if line.startswith("|")]
    assert len(table) >= 3, done.stdout  # a heading, its rule and at least one row
    assert table[1].startswith("|---"), done.stdout
    assert floor in done.stdout, done.stdout
