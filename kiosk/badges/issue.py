"""Issuing badges as files, all or nothing.

Every PNG and the sheet are rendered into temporary files beside their targets first.  Only when all of them
exist is the issue recorded (which makes each person's previous badge stop working), and only then are the
files moved into place with ``os.replace``.  A render that fails, or a record that fails, leaves no new file
behind and records nothing, so the badges people already wear keep working.

Badges carry names and codes: every file is created readable by its owner only (0600) and every folder made
for them is 0700, whatever the umask.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from kiosk.badges.card import draw_card, save_card
from kiosk.badges.layout import card_layout
from kiosk.badges.sheet import PAPERS, write_sheet
from kiosk.core.roster import REF_PATTERN
from kiosk.services import ServiceError
from kiosk.services.badges import BadgeCard


def _check(cards: list[BadgeCard], out: Path, sheet: Path | None, paper: str) -> None:
    if not cards:
        raise ServiceError("No badges to issue.")
    if paper not in PAPERS:
        raise ServiceError(f"Paper must be one of {', '.join(PAPERS)}, not {paper!r}.")
    unsafe = [card.ref for card in cards if not REF_PATTERN.match(card.ref)]
    if unsafe:
        raise ServiceError(f"Cannot name a badge file after the ref {unsafe[0]!r}.")
    if out.exists() and not out.is_dir():
        raise ServiceError(f"{out} is a file, not a folder for the badges.")
    if sheet is not None and sheet.is_dir():
        raise ServiceError(f"{sheet} is a folder, not a file name for the sheet.")
    blocked = [path for path in (out / f"{card.ref}.png" for card in cards) if path.is_dir()]
    if blocked:
        raise ServiceError(f"{blocked[0]} is a folder; the badge cannot be written there.")


def _make_folder(folder: Path, made: list[Path]) -> None:
    """Create ``folder`` and missing parents, each 0700, remembering what was created so a failure can remove it
    (newest first in ``made``: a folder always before its parent)."""
    missing = [parent for parent in (folder, *folder.parents) if not parent.exists()]
    for parent in reversed(missing):
        parent.mkdir(mode=0o700)
        made.insert(0, parent)


def _discard(sheet_part: Path | None, staging: Path | None, made: list[Path]) -> None:
    """Remove everything a failed issue wrote: the sheet's temporary file, the staged PNGs, new folders."""
    if sheet_part is not None:
        sheet_part.unlink(missing_ok=True)
    if staging is not None:
        shutil.rmtree(staging, ignore_errors=True)
    for folder in made:  # deepest first; a folder something else wrote into stays
        try:
            folder.rmdir()
        except OSError:
            pass


def publish(cards: list[BadgeCard], out: Path, sheet: Path | None, paper: str,
            record: Callable[[], None]) -> list[Path]:
    """Render a PNG per card (``<ref>.png`` in ``out``) and the optional PDF sheet, call ``record()``, then
    move the files into place.  Returns the written paths: the PNGs in the cards' order, then the sheet."""
    _check(cards, out, sheet, paper)
    made: list[Path] = []
    staging = sheet_part = None
    try:
        _make_folder(out, made)
        staging = Path(tempfile.mkdtemp(prefix=".badges-", dir=out))
        layouts = []
        for card in cards:
            layouts.append(card_layout(card))
            save_card(draw_card(layouts[-1]), staging / f"{card.ref}.png")
        if sheet is not None:
            _make_folder(sheet.parent, made)
            handle, name = tempfile.mkstemp(prefix=f".{sheet.name}.", suffix=".part", dir=sheet.parent)
            os.close(handle)
            sheet_part = Path(name)
            write_sheet(layouts, sheet_part, paper, title=f"Badges - {cards[0].production}")
        record()
    except OSError as error:  # a folder that cannot be written, a full disk: the user's to fix, not a crash
        _discard(sheet_part, staging, made)
        where = f" ({error.filename})" if error.filename else ""
        raise ServiceError(f"Could not write the badges: {error.strerror or error}{where}. Nothing was issued.") \
            from error
    except BaseException:
        _discard(sheet_part, staging, made)
        raise
    written = []
    for card in cards:
        written.append(out / f"{card.ref}.png")
        os.replace(staging / written[-1].name, written[-1])
    staging.rmdir()
    if sheet is not None:
        os.replace(sheet_part, sheet)
        written.append(sheet)
    return written
