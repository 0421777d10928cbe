"""Proofs on a real PostgreSQL hub: kiosks scanning while the hub is SIGKILLed and restarted, kiosk processes
killed mid-push and mid-pull, and (hypothesis) random events and partitions over three machines: afterwards the
hub holds exactly the union of the events, none doubled, no gap in any device's sequence, every chain verifies,
and every machine's tables are equal (and equal to a rebuild from its log).

Sizes are small in the default run; ``KIOSK_PROOF=full`` (``scripts/reliability``) runs them big.
"""

from __future__ import annotations

import contextlib
import os
import random
import subprocess
import sys
import threading
import time
from pathlib import Path

from kiosk.hub import HubError
from kiosk.services import door
from kiosk.services import sync as service
from kiosk.store.db import write
from tests.reliability.support import FULL
from tests.syncing import assert_hub_holds_exactly_the_union, settle

ROOT = Path(__file__).parents[2]
HUB_KILLS = 12 if FULL else 2
PROCESS_KILLS = 10 if FULL else 2
BACKLOG = 20_000 if FULL else 2_500  # events a killed sync has to push, then to pull


def test_three_kiosks_scanning_while_the_hub_is_killed_and_restarted_converge_exactly(fleet, pg_server):
    machines = [fleet.join(name) for name in ("door-a", "door-b", "door-c")]
    codes = list(fleet.codes.values())
    stop = threading.Event()
    shown: dict[str, list[str]] = {machine.name: [] for machine in machines}
    failures: list[BaseException] = []
    refused = [0]

    def kiosk(machine, seed: int) -> None:
        chooser = random.Random(seed)
        number = 0
        try:
            while not stop.is_set():
                number += 1
                verdict = door.scan(machine.db, "42", chooser.choice(codes), chooser.choice(("set", "monitors")),
                                    machine.name, f"{machine.name}-{number}")
                shown[machine.name].append(verdict.scan_id)
                if number % 4 == 0:
                    try:
                        machine.sync()
                    except HubError as error:  # the hub is down: the events wait here
                        service.failed(machine.db, machine.name, error)
                        refused[0] += 1
                time.sleep(chooser.uniform(0, 0.02))
        except BaseException as error:  # reported by the test below
            failures.append(error)

    threads = [threading.Thread(target=kiosk, args=(machine, number)) for number, machine in enumerate(machines)]
    for thread in threads:
        thread.start()
    chooser = random.Random()
    try:
        for _ in range(HUB_KILLS):
            time.sleep(chooser.uniform(0.3, 1.5))
            pg_server.kill()
            time.sleep(chooser.uniform(0.1, 1.0))
            pg_server.start()
        time.sleep(chooser.uniform(0.2, 1.0))
    finally:
        stop.set()
        for thread in threads:
            thread.join(60)
        pg_server.start()
    assert not failures, failures
    assert refused[0] > 0, "no sync ever met the hub down: the hub was not killed while the kiosks synced"
    for machine in (fleet.office, *machines):  # a connection the kill cut is found lost once, then reopened
        with contextlib.suppress(HubError):
            machine.sync()
    settle([fleet.office, *machines])
    for machine in machines:  # every verdict shown at a door is at the hub
        held = {scan_id for (scan_id,) in fleet.hub.sql().execute(
            "SELECT payload::json->'body'->>'scan_id' FROM hub.events WHERE device = %s AND type = 'door.scan'",
            [machine.name])}
        assert set(shown[machine.name]) <= held and shown[machine.name], machine.name
    assert_hub_holds_exactly_the_union(fleet.hub, [fleet.office, *machines])


def backlog(machine, codes: list[str], count: int) -> None:
    """``count`` scans at ``machine``, in one transaction (fast to make; pushed in batches like any others)."""
    with write(machine.db):
        for number in range(count):
            door.scan(machine.db, "42", codes[number % len(codes)], "set", machine.name, f"bulk-{number}")


def held_at_hub(hub, device: str) -> int:
    return hub.sql().execute("SELECT count(*) FROM hub.events WHERE device = %s", [device]).fetchone()[0]


def held_here(machine, device: str) -> int:
    return machine.db.execute("SELECT count(*) FROM events WHERE device = ?", [device]).fetchone()[0]


def killed_midway(machine, progress, total: int) -> bool:
    """Run `kiosk sync` for ``machine`` in a process of its own and SIGKILL it as soon as ``progress()`` shows
    it part way (more than before, less than ``total``).  False: it finished before it could be caught."""
    process = subprocess.Popen([sys.executable, "-m", "kiosk", "--db", str(machine.path), "--kiosk-id",
                                machine.name, "sync"], env={**os.environ, "KIOSK_HUB": machine.dsn},
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    start = progress()
    try:
        deadline = time.monotonic() + 120
        while process.poll() is None and time.monotonic() < deadline:
            if start < progress() < total:
                process.kill()
                process.wait()
                return True
            time.sleep(0.005)
        return False
    finally:
        if process.poll() is None:
            process.kill()
        _, err = process.communicate()
        assert "Traceback" not in err, err


def test_a_kiosk_killed_mid_push_and_mid_pull_resumes_cleanly(fleet, figures):
    door_a, door_b = fleet.join("door-a"), fleet.join("door-b")
    backlog(door_a, list(fleet.codes.values()), BACKLOG)
    total = held_here(door_a, "door-a")
    kills = {"push": 0, "pull": 0}
    for _ in range(PROCESS_KILLS):
        if killed_midway(door_a, lambda: held_at_hub(fleet.hub, "door-a"), total):
            kills["push"] += 1
        held = held_at_hub(fleet.hub, "door-a")
        seqs = [seq for (seq,) in fleet.hub.sql().execute(
            "SELECT seq FROM hub.events WHERE device = 'door-a' ORDER BY seq")]
        assert seqs == list(range(1, held + 1))  # what the hub holds is a whole prefix, never half a batch
    result = door_a.sync()
    assert result.ok and result.waiting == 0 and held_at_hub(fleet.hub, "door-a") == total
    for _ in range(PROCESS_KILLS):
        if killed_midway(door_b, lambda: held_here(door_b, "door-a"), total):
            kills["pull"] += 1
    assert door_b.sync().ok and held_here(door_b, "door-a") == total
    assert kills["push"] and kills["pull"], kills  # at least one of each landed part way
    settle(fleet.machines)
    assert_hub_holds_exactly_the_union(fleet.hub, fleet.machines)
    figures.update(backlog=total, **{f"killed_mid_{what}": count for what, count in kills.items()})
