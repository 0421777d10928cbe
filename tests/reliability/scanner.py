"""A kiosk at full speed: loops ``kiosk.services.door.scan`` and prints each verdict the moment it returns.

Usage: python -m tests.reliability.scanner DB CODES.json NAME SECONDS
Each line printed is ``SCAN_ID DECISION REPLAY`` and is flushed at once, so whatever a killed process printed
was shown to the door.  About one scan in ten re-sends a scan id from a small pool of its own (a scan id names
a scan of one kiosk).
"""

from __future__ import annotations

import json
import random
import sys
import time

from kiosk.services import door
from kiosk.store import connect

RESENT_POOL = 40  # scan ids each process sends again and again: each must be stored once


def main(path: str, codes_file: str, name: str, seconds: str) -> None:
    with open(codes_file, encoding="utf-8") as handle:
        inputs = json.load(handle)
    db = connect(path)
    chooser = random.Random()
    deadline = time.monotonic() + float(seconds)
    number = 0
    while time.monotonic() < deadline:
        number += 1
        if chooser.random() < 0.1:  # a scan sent again, as a kiosk resends one it had no answer for: the same scan
            again = chooser.randrange(RESENT_POOL)
            scan_id, raw, zone = f"{name}-again-{again}", inputs[again % len(inputs)], ("set", "monitors")[again % 2]
        else:
            scan_id, raw, zone = f"{name}-{number}", chooser.choice(inputs), chooser.choice(("set", "set", "monitors"))
        verdict = door.scan(db, "42", raw, zone, name, scan_id)
        print(verdict.scan_id, verdict.decision, int(verdict.replay), flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
