"""Constants the tests share (a support module, not a test module: fixtures live in conftest.py)."""

KIOSK = "test-kiosk"  # the kiosk id every test production is made by
PIN = "246810"  # the supervisor PIN of the TUI tests' productions
SIZES = [(80, 24), (120, 40)]  # the terminals a shift was driven at: every screen test runs at both
