"""The kiosk's door as ``kiosk run`` starts it, with photos read from a folder (``REF.jpg``) instead of the
production's stored ones, for the tmux tests and the photo benchmark (a folder of pictures is quicker to vary
than a production); and ``portrait_jpeg``, a real JPEG to show.

Usage: python -m tests.photo_door DB SCENE [PHOTO_FOLDER]   (no folder: nobody has a photo)
"""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

from PIL import Image, ImageDraw

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


def portrait_jpeg(skin=(214, 190, 160), hair=(70, 45, 30), size=(480, 640)) -> bytes:
    """A real JPEG made by Pillow: a light background, a dark head, dark shoulders."""
    picture = Image.new("RGB", size, skin)
    draw = ImageDraw.Draw(picture)
    width, height = size
    draw.ellipse((width * .25, height * .15, width * .75, height * .6), fill=hair)
    draw.rectangle((width * .1, height * .72, width * .9, height), fill=(25, 25, 80))
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=85)
    return out.getvalue()
