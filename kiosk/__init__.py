"""Closed-set stage-door kiosk.

Layers, data flowing one way: input -> ``services`` -> ``core`` decides -> ``store`` records -> UI shows.
``core`` is pure (no I/O, no Textual); ``cli`` and ``tui`` are thin shells over ``services``.
"""

from pathlib import Path

ASSETS = Path(__file__).resolve().parent.parent / "assets"
DATA = Path(__file__).resolve().parent.parent / "data"
