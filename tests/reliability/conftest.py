"""The reliability proofs' fixtures: the shared production, and the figures each proof reports.

With ``KIOSK_PROOF_REPORT=FILE`` each proof appends one JSON line of figures (what was tried, how many times,
what held) to FILE.  Sizes and helpers are in ``tests/reliability/support.py``.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest

from kiosk.services import checkins
from kiosk.store import connect
from tests.reliability.support import FULL, IC_PASSPHRASE, KIOSK, build_production, checkpoint


@pytest.fixture
def figures(request):
    """Record this proof's figures; they go to $KIOSK_PROOF_REPORT as one JSON line."""
    started = time.monotonic()
    record: dict = {"proof": request.node.name, "form": "full" if FULL else "reduced"}
    yield record
    report = os.environ.get("KIOSK_PROOF_REPORT")
    if report:
        record["seconds"] = round(time.monotonic() - started, 1)
        with open(report, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")


@pytest.fixture(scope="session")
def template(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """One production built once per session; ``production_file`` copies it (cheaper than building)."""
    path = tmp_path_factory.mktemp("template") / "kiosk.db"
    codes = build_production(path)
    checkpoint(path)
    return path, codes


@pytest.fixture
def production_file(template, tmp_path) -> tuple[Path, dict[str, str]]:
    source, codes = template
    path = tmp_path / "kiosk.db"
    shutil.copyfile(source, path)
    os.chmod(path, 0o600)
    return path, codes


@pytest.fixture
def ic_file(production_file, cheap_kdf) -> Path:
    """The production with the IC passphrase set, at the cheap test cost (the stored parameters say so, so
    every process on the file derives at that cost)."""
    path, _ = production_file
    db = connect(path)
    try:
        checkins.set_passphrase(db, IC_PASSPHRASE, "Amara Mensah", KIOSK)
    finally:
        db.close()
    return path
