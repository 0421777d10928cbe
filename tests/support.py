"""Constants the tests share (a support module, not a test module: fixtures live in conftest.py)."""

KIOSK = "test-kiosk"  # the kiosk id every test production is made by
PIN = "246810"  # the supervisor PIN of the TUI tests' productions
