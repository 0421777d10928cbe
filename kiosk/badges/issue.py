"""Issuing badges as files, all or nothing, in three steps: ``stage``, then the caller records the issue, then
``Staged.commit`` (or ``Staged.discard`` when recording failed).

Every PNG and the sheet are rendered into temporary files beside their targets first.  Only when all of them
exist is the issue recorded (which makes each person's previous badge stop working), and only then are the
files moved into place with ``os.replace``.  A render that fails, or a record that fails, leaves no new file
behind and records nothing, so the badges people already wear keep working.

Badges carry names and codes: every file is created readable by its owner only (0600) and every folder made
for them is 0700, whatever the umask.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from kiosk.badges.card import draw_card, save_card
from kiosk.badges.layout import card_layout
from kiosk.badges.sheet import PAPERS, write_sheet
from kiosk.core.badge import BadgeCard
from kiosk.core.roster import REF_PATTERN
from kiosk.errors import RenderError
from kiosk.files import overwrite_problem, private_folder


def _check(cards: list[BadgeCard], out: Path, sheet: Path | None, paper: str) -> None:
    if not cards:
        raise RenderError("No badges to issue.")
    if paper not in PAPERS:
        raise RenderError(f"Paper must be one of {', '.join(PAPERS)}, not {paper!r}.")
    unsafe = [card.ref for card in cards if not REF_PATTERN.match(card.ref)]
    if unsafe:
        raise RenderError(f"Cannot name a badge file after the ref {unsafe[0]!r}.")
    if out.exists() and not out.is_dir():
        raise RenderError(f"{out} is a file, not a folder for the badges.")
    if sheet is not None and sheet.is_dir():
        raise RenderError(f"{sheet} is a folder, not a file name for the sheet.")
    blocked = [path for path in (out / f"{card.ref}.png" for card in cards) if path.is_dir()]
    if blocked:
        raise RenderError(f"{blocked[0]} is a folder; the badge cannot be written there.")
    targets = [out / f"{card.ref}.png" for card in cards] + ([sheet] if sheet is not None else [])
    problem = next(filter(None, map(overwrite_problem, targets)), None)
    if problem:
        raise RenderError(f"{problem}: give another name. Nothing was issued.")


def _make_folder(folder: Path, made: list[Path]) -> None:
    """Create ``folder`` and missing parents, each 0700, remembering what was created so a failure can remove it
    (newest first in ``made``: a folder always before its parent)."""
    made[:0] = private_folder(folder)


def _discard(sheet_part: Path | None, staging: Path | None, made: list[Path]) -> None:
    """Remove everything a failed issue wrote: the sheet's temporary file, the staged PNGs, new folders."""
    if sheet_part is not None:
        sheet_part.unlink(missing_ok=True)
    if staging is not None:
        shutil.rmtree(staging, ignore_errors=True)
    for folder in made:  # deepest first; a folder something else wrote into stays
        with contextlib.suppress(OSError):
            folder.rmdir()


@dataclass
class Staged:
    """Badge files drawn into temporary places beside their targets, waiting for the issue to be recorded."""

    moves: list[tuple[Path, Path]]  # (drawn, final place): the PNGs in the cards' order, then the sheet
    staging: Path
    sheet_part: Path | None
    made: list[Path] = field(default_factory=list)  # folders created for them, deepest first

    def commit(self) -> list[Path]:
        """Move every file into place (the issue is recorded: the new codes are the valid ones)."""
        for drawn, final in self.moves:
            os.replace(drawn, final)
        self.staging.rmdir()
        return [final for _, final in self.moves]

    def discard(self) -> None:
        """Remove everything drawn (the issue was not recorded): the badges people wear keep working."""
        _discard(self.sheet_part, self.staging, self.made)


def stage(cards: list[BadgeCard], out: Path, sheet: Path | None, paper: str) -> Staged:
    """Draw a PNG per card (``<ref>.png`` in ``out``) and the optional PDF sheet into temporary files.

    Nothing is in place until ``commit``; a failure here leaves nothing behind.
    """
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
    except OSError as error:  # a folder that cannot be written, a full disk: the user's to fix, not a crash
        _discard(sheet_part, staging, made)
        where = f" ({error.filename})" if error.filename else ""
        raise RenderError(
            f"Could not write the badges: {error.strerror or error}{where}. Nothing was issued."
        ) from error
    except BaseException:
        _discard(sheet_part, staging, made)
        raise
    moves = [(staging / f"{card.ref}.png", out / f"{card.ref}.png") for card in cards]
    if sheet is not None and sheet_part is not None:
        moves.append((sheet_part, sheet))
    return Staged(moves, staging, sheet_part, made)
