"""The reliability proofs' fixtures: the shared production, and the figures each proof reports.

With ``KIOSK_PROOF_REPORT=FILE`` each proof appends one JSON line of figures (what was tried, how many times,
what held) to FILE.  Sizes and helpers are in ``tests/reliability/support.py``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from kiosk.services import checkins
from kiosk.store import connect
from tests.reliability.support import IC_PASSPHRASE, KIOSK, build_production, checkpoint


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
