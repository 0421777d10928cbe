"""A backup taken while another kiosk process scans flat out: the copy passes `kiosk audit verify`, restores to a
file that passes it too, and holds every scan committed before the backup began."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.reliability.support import committed, size, start_scanners, stored_scan_ids

ROOT = Path(__file__).parents[2]


def kiosk(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kiosk", *map(str, args)], capture_output=True, text=True,
                          check=False, cwd=ROOT)


def test_a_backup_taken_while_scans_run_restores_to_a_file_holding_every_scan_before_it(
        production_file, tmp_path, figures):
    path, codes = production_file
    scanners, outputs = start_scanners(path, codes, tmp_path, "load")
    rounds, checked = size("backup_rounds"), 0
    try:
        for number in range(rounds):
            before = set().union(*(committed(output) for output in outputs))
            copy = tmp_path / f"copy-{number}.db"
            made = kiosk("--db", path, "backup", copy)
            assert made.returncode == 0 and "audit checked" in made.stdout, made.stderr
            assert all(scanner.poll() is None for scanner in scanners), "a scanner stopped during the backup"
            assert copy.stat().st_mode & 0o777 == 0o600
            verified = kiosk("--db", copy, "audit", "verify")
            assert verified.returncode == 0, verified.stdout + verified.stderr
            restored = tmp_path / f"restored-{number}" / "kiosk.db"
            restored.parent.mkdir(mode=0o700)
            done = kiosk("--db", restored, "--kiosk-id", "spare", "restore", copy)
            assert done.returncode == 0 and "Restored 'Night Garden'" in done.stdout, done.stderr
            assert restored.stat().st_mode & 0o777 == 0o600
            verified = kiosk("--db", restored, "audit", "verify")
            assert verified.returncode == 0, verified.stdout + verified.stderr
            held = set(stored_scan_ids(restored))
            assert before <= held, f"{len(before - held)} scans committed before the backup are missing"
            checked += len(before)
    finally:
        for scanner in scanners:
            scanner.kill()
            _, stderr = scanner.communicate()
            assert "Traceback" not in stderr and "database is locked" not in stderr, stderr
    after = set(stored_scan_ids(path))
    assert set().union(*(committed(output) for output in outputs)) <= after
    figures.update(backups=rounds, scans_checked=checked, scans_in_the_file=len(after))
