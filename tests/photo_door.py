"""The kiosk's door as ``kiosk run`` starts it, with photos read from a folder (``REF.jpg``), for the tmux tests
and the photo benchmark while photo storage is not on this branch.

Usage: python -m tests.photo_door DB SCENE [PHOTO_FOLDER]   (no folder: nobody has a photo, as on main)
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from kiosk.store import connect
from kiosk.store.db import Store
from kiosk.tui import run_kiosk


def folder_photos(folder: Path):
    """A photo lookup reading ``REF.jpg`` from ``folder``: None for someone without one."""
    def photo_of(db: Store, ref: str) -> bytes | None:
        path = folder / f"{ref}.jpg"
        return path.read_bytes() if path.exists() else None

    return photo_of


def main(argv: list[str]) -> None:
    database, scene, *rest = argv
    photos = folder_photos(Path(rest[0])) if rest else None
    run_kiosk(connect(database), os.environ.get("KIOSK_ID", "stage-door"), scene, photos=photos)


if __name__ == "__main__":
    main(sys.argv[1:])
