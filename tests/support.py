"""What the tests share besides fixtures: constants, and a keyboard and a scanner for Pilot tests (a support module,
not a test module: fixtures live in conftest.py)."""

import unicodedata

from textual import events
from textual.worker import WorkerCancelled

KIOSK = "test-kiosk"  # the kiosk id every test production is made by
PIN = "246810"  # the supervisor PIN of the TUI tests' productions
IC_PASSPHRASE = "tangerine orbit lantern velvet"  # the IC passphrase the check-in tests set
SIZES = [(80, 24), (120, 40)]  # the terminals a shift was driven at: every screen test runs at both


def key_name(character: str) -> str:
    """Textual's key name for a printable character: itself for letters and digits, else its Unicode name."""
    if character.isalnum() and character.isascii():
        return character
    return unicodedata.name(character).lower().replace(" ", "_").replace("-", "_")


class Keys:
    """A person at the keyboard and a USB scanner, for Pilot tests."""

    name = staticmethod(key_name)

    @staticmethod
    async def settle(pilot) -> None:
        """Let the scanner pause pass, background work finish and the screen repaint."""
        await pilot.pause()
        if pilot.app.keys.holding:
            await pilot.pause(pilot.app.keys.wait + 0.05)
        for _ in range(10):  # the door's refresh (one at a time, the newest wins) may cancel one being waited on
            try:
                await pilot.app.workers.wait_for_complete()
                break
            except WorkerCancelled:
                continue
        await pilot.pause()

    async def scanner(self, pilot, text: str, end: str | None = "enter") -> None:
        """Type ``text`` the way a USB scanner does: every key at once, then Enter (or Tab, or nothing)."""
        for character in text:
            pilot.app.post_message(events.Key(key_name(character), character))
        if end:
            pilot.app.post_message(events.Key(end, "\r" if end == "enter" else "\t"))
        await self.settle(pilot)

    async def press(self, pilot, *keys: str) -> None:
        """A person pressing keys, one at a time."""
        for key in keys:
            await pilot.press(key)
            await self.settle(pilot)
