"""Closed-set stage-door kiosk.

Layers, data flowing one way: input -> ``services`` -> ``core`` decides -> ``store`` records -> UI shows.
``core`` is pure (no I/O, no Textual); ``cli`` and ``tui`` are thin shells over ``services``.

``ASSETS`` (fonts) and ``DATA`` (the demo production) are the folders of files the kiosk reads at run time.
They live at the top of the source tree and are installed inside this package as ``kiosk.assets`` and
``kiosk.data``, so they are found through the import system alike in a checkout, an editable install and a
wheel.  Each is looked up on first use: a scan at the door never pays for it.
"""

from __future__ import annotations

from pathlib import Path

_FOLDERS = {"ASSETS": "kiosk.assets", "DATA": "kiosk.data"}


def __getattr__(name: str) -> Path:
    if name not in _FOLDERS:
        raise AttributeError(f"module 'kiosk' has no attribute {name!r}")
    from importlib.resources import files

    return Path(str(files(_FOLDERS[name])))  # pip and pipx install files on disk: the package's own folder
