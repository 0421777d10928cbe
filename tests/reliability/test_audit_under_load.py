"""`kiosk audit verify` and a report's audit line while other kiosk processes scan flat out on the same file:
a sound log is reported intact every time.  (Before, the walk of the log and the read of its head were two
moments: a scan committed between them made the check say "rows were removed from the end of the log".)"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

from tests.reliability.support import start_scanners

ROOT = Path(__file__).parents[2]
ROUNDS = 12


def kiosk(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kiosk", *map(str, args)], capture_output=True, text=True,
                          check=False, cwd=ROOT, env={**os.environ, "KIOSK_ID": "office"})


def audit_line(report: Path) -> dict:
    with report.open(encoding="utf-8", newline="") as handle:
        return next(row for row in csv.DictReader(handle) if row["record"] == "audit")


def test_audit_verify_and_a_report_say_intact_while_doors_scan(production_file, tmp_path):
    path, codes = production_file
    scanners, outputs = start_scanners(path, codes, tmp_path, "door")
    try:
        lines_before = sum(len(output.read_text().splitlines()) for output in outputs)
        for number in range(ROUNDS):
            verified = kiosk("--db", path, "audit", "verify")
            assert verified.returncode == 0 and "Log intact" in verified.stdout, verified.stdout + verified.stderr
            report = tmp_path / f"report-{number}.csv"
            made = kiosk("--db", path, "report", "42", "--out", report)
            assert made.returncode == 0, made.stderr
            assert audit_line(report)["value"] == "intact", audit_line(report)
        assert all(scanner.poll() is None for scanner in scanners), "a scanner stopped"
        scanned = sum(len(output.read_text().splitlines()) for output in outputs) - lines_before
        assert scanned > ROUNDS, f"only {scanned} scans ran beside the audits: nothing was tested"
    finally:
        for scanner in scanners:
            scanner.kill()
            scanner.wait()
