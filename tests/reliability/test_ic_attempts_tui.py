"""The IC is told in IC mode, at the kiosk, how many attempts at the passphrase failed since their last unlock
(finding 12, on the screen; the record and the command line are proved in test_attack.py).

First release: a wrong IC passphrase left no trace, and IC mode said nothing of it.  Now each failed unlock,
typed at this kiosk's F9 or tried at another, is a row of the log naming who, when and which kiosk; the IC
screen opened by the next right unlock carries a warning line with the count, readable at 80x24, and the one
after says nothing (the count starts again at each unlock).
"""

from __future__ import annotations

import asyncio
import json

import pytest
from textual.widgets import Input, Static

from kiosk.services import access, checkins
from kiosk.store import connect
from kiosk.tui import KioskApp
from kiosk.tui.screens.door import DoorScreen
from kiosk.tui.screens.ic import ICScreen
from tests.reliability.conftest import IC_PASSPHRASE, KIOSK
from tests.reliability.test_attack import ic_passphrase_rows
from tests.support import PIN

WRONG = "not the passphrase at all"


async def f9(pilot, keys, reader: str, passphrase: str) -> None:
    await keys.press(pilot, "f9")
    screen = pilot.app.screen
    screen.query_one("#reader", Input).value = reader
    screen.query_one("#passphrase", Input).value = passphrase
    screen.query_one("#passphrase", Input).focus()
    await keys.press(pilot, "enter")
    await keys.settle(pilot)


def warning_shown(app: KioskApp, size: tuple[int, int]) -> str:
    """The warning line of the IC screen, if it is shown whole inside the terminal; else ''."""
    assert isinstance(app.screen, ICScreen)
    line = app.screen.query_one("#failed", Static)
    if not line.display:
        return ""
    region = line.region
    assert region.height >= 1 and region.right <= size[0] and region.bottom <= size[1], region
    lines = line.render_lines(region.reset_offset)  # as drawn in its region: every line of it, wrapped to fit
    assert len(lines) == region.height
    return " ".join(strip.text.strip() for strip in lines)


@pytest.mark.parametrize("size", [(80, 24), (160, 50)], ids=["80x24", "160x50"])
def test_the_ic_is_told_in_ic_mode_of_each_failed_unlock_since_the_last(ic_file, keys, size, figures):
    db = connect(ic_file)
    access.set_pin(db, PIN, KIOSK)
    app = KioskApp(db, KIOSK, scene="42")

    async def run() -> tuple[str, str]:
        async with app.run_test(size=size) as pilot:
            await keys.settle(pilot)
            for _ in range(2):  # guesses typed at this kiosk
                await f9(pilot, keys, "Mallory", WRONG)
                assert "Wrong IC passphrase" in str(app.screen.query_one("#message").render())
                await keys.press(pilot, "escape")
                assert isinstance(app.screen, DoorScreen)
            other = connect(ic_file)  # and one at another kiosk
            with pytest.raises(checkins.PassphraseRefused):
                checkins.unlock(other, WRONG, "Mallory", "door-2")
            other.close()
            await f9(pilot, keys, "Amara Mensah", IC_PASSPHRASE)
            told = warning_shown(app, size)
            await keys.press(pilot, "escape")  # locked
            await f9(pilot, keys, "Amara Mensah", IC_PASSPHRASE)
            again = warning_shown(app, size)
            await keys.press(pilot, "escape")
            return told, again

    try:
        told, again = asyncio.run(run())
        wrong = [(row["kiosk"], json.loads(row["detail"])["by"], bool(row["at"]))
                 for row in ic_passphrase_rows(db, "wrong")]
    finally:
        db.close()
    assert wrong == [(KIOSK, "Mallory", True)] * 2 + [("door-2", "Mallory", True)]
    assert "Warning: 3 failed attempts to unlock IC mode since your last unlock" in told, told
    assert "(who, when, which kiosk)" in told
    assert again == ""
    figures.update(size=f"{size[0]}x{size[1]}", failed=3, rows=len(wrong), told=[3, 0])
