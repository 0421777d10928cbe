"""Print the figures of a reliability run (the JSON lines of $KIOSK_PROOF_REPORT) as a Markdown table."""

from __future__ import annotations

import json
import os
import platform
import sqlite3
import sys
from datetime import UTC, datetime


def main(report: str) -> None:
    with open(report, encoding="utf-8") as handle:
        proofs = [json.loads(line) for line in handle if line.strip()]
    print(f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.platform()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}\n")
    print("| proof | form | seconds | figures |\n|---|---|---:|---|")
    for proof in proofs:
        figures = {key: value for key, value in proof.items() if key not in ("proof", "form", "seconds")}
        print(f"| {proof['proof']} | {proof['form']} | {proof.get('seconds', '')} | "
              + ", ".join(f"{key}={value}" for key, value in figures.items()) + " |")


if __name__ == "__main__":
    main(sys.argv[1])
