"""Telling a barcode scanner from a person at the keyboard.  Plain Python: no Textual, easy to test.

A USB scanner "types" a badge code as a burst of key presses 2 to 10 ms apart, then Enter, Tab or nothing.
A person's keys come 80 ms or more apart, and even a fast bigram ("th", "er") takes 30 ms or more.  So a burst
is held only while keys keep coming within ``gap`` of each other: a person's fastest pair never starts one.
Once a burst has run ``STALL_AFTER`` keys at scanner speed, it has shown itself to be a scanner and may stall
up to ``MAX_STALLS`` times, each for up to ``stall`` (a busy machine hands over a scanner's keys in lumps; a
code cut in two would be two refusals, and its tail a stray key press that fires a binding) - a person's
typing, never that fast for that long, gets no such allowance, so what a person types always reaches the field.

A burst ends at Enter or Tab, at a key too late for it, or when the caller reports a pause (its timer ran
out, or a non-text key such as F10 arrived).  The caller then asks ``is_scan`` and either scans the text or
lets the held keys through as key presses.  A paste is not keys at all (the terminal sends it as one paste
event), so it is never a scan.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SCAN_GAP = 0.025  # seconds; scanners are well under (2-10 ms), a person's fastest bigram well over (30 ms+)
SCAN_STALL = 0.25  # a burst proven to be a scanner survives one stall this long; nobody scans two badges this fast
STALL_AFTER = 4  # keys at scanner speed before a burst may stall: no person types four keys 25 ms apart
MAX_STALLS = 3  # a badge code is 18 keys: a loaded machine was seen to hand them over in three lumps
SCAN_MIN_IN_FIELD = 8  # in a text field, shorter bursts are fast typing, not a badge (codes are 18 long)
TERMINATORS = ("enter", "tab")


@dataclass
class Burst:
    """Keys that arrived together: their text, and the caller's key events to let through if not a scan."""

    events: list[Any] = field(default_factory=list)
    text: str = ""
    terminated: bool = False  # ended by Enter or Tab within the gap, as scanners end a code
    stalls: int = 0  # how many of its stalls it used

    def is_scan(self, typing_into_field: bool) -> bool:
        """A scan, or keys for the widget in focus?

        Outside a text field, two or more characters at scanner speed, or even one followed at once by
        Enter or Tab, is a scan: a single-letter key binding never fires from a scanner.  Inside a field,
        only a burst as long as a badge could be.
        """
        if typing_into_field:
            return len(self.text) >= SCAN_MIN_IN_FIELD
        return len(self.text) >= 2 or (self.terminated and len(self.text) == 1)


class KeyBurst:
    def __init__(self, gap: float = SCAN_GAP, stall: float = SCAN_STALL):
        self.gap, self.stall = gap, stall
        self._burst = Burst()
        self._last_at = 0.0

    @property
    def holding(self) -> bool:
        return bool(self._burst.events)

    @property
    def _may_stall(self) -> bool:
        return len(self._burst.text) >= STALL_AFTER and self._burst.stalls < MAX_STALLS

    @property
    def wait(self) -> float:
        """How long after the last key the held burst ends if nothing more comes."""
        return self.stall if self._may_stall else self.gap

    def takes(self, key: str, character: str | None) -> bool:
        """Whether this key belongs to a burst: any printable character, and Enter or Tab ending one."""
        if character is not None and len(character) == 1 and character.isprintable():
            return True
        return key in TERMINATORS and self.holding

    def feed(self, event: Any, key: str, character: str | None, at: float) -> list[Burst]:
        """Hold one key (``takes`` said yes); return the bursts it ended, oldest first."""
        ended = []
        if self.holding:
            late = at - self._last_at
            if late > self.gap and self._may_stall and late <= self.stall:
                self._burst.stalls += 1
            elif late > self.gap:
                ended.append(self.flush())
        self._burst.events.append(event)
        if key in TERMINATORS:
            self._burst.terminated = at - self._last_at <= self.gap and bool(self._burst.text)
            ended.append(self.flush())
        else:
            self._burst.text += character or ""
        self._last_at = at
        return [burst for burst in ended if burst is not None]

    def flush(self) -> Burst | None:
        """End the burst now (a pause, or a key that is not text); ``None`` when nothing was held."""
        burst, self._burst = self._burst, Burst()
        return burst if burst.events else None
