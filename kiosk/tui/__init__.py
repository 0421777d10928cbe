"""The Textual door kiosk: a thin shell over ``kiosk.services`` (it never holds SQL)."""

from kiosk.tui.app import KioskApp, run_kiosk

__all__ = ["KioskApp", "run_kiosk"]
