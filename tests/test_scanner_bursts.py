"""Telling a scanner's burst from a person's key presses, by timing alone (kiosk/tui/scanner.py)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from kiosk.tui.scanner import SCAN_MIN_IN_FIELD, SCAN_STALL, KeyBurst

SCANNER_STEP = 0.008  # a USB scanner: 2 to 10 ms a character
PERSON_STEP = 0.12


def feed(text: str, step: float, end: str | None = "enter", start: float = 0.0):
    """Feed ``text`` a key every ``step`` seconds; return the bursts that ended, and the KeyBurst."""
    keys, ended = KeyBurst(), []
    at = start
    for character in text:
        assert keys.takes(character, character)
        ended += keys.feed(character, character, character, at)
        at += step
    if end:
        assert keys.takes(end, None)
        ended += keys.feed(end, end, None, at)
    else:
        ended.append(keys.flush())  # the caller's pause timer
    return [burst for burst in ended if burst], keys


@given(code=st.text(alphabet="0123456789BCDEFGHIJKLMNOPRSTUVX", min_size=2, max_size=40),
       end=st.sampled_from(["enter", "tab", None]))
def test_a_scanner_burst_is_one_scan_however_it_ends(code, end):
    bursts, keys = feed(code, SCANNER_STEP, end)
    assert len(bursts) == 1 and bursts[0].text == code
    assert bursts[0].is_scan(typing_into_field=False)
    assert not keys.holding


@given(text=st.text(alphabet=st.characters(categories=["L", "N", "P"]), min_size=1, max_size=12))
def test_a_person_typing_is_never_a_scan(text):
    bursts, _ = feed(text, PERSON_STEP, end=None)
    assert [burst.text for burst in bursts] == list(text)
    assert not any(burst.is_scan(typing_into_field=False) for burst in bursts)


def test_a_single_key_is_a_key_press_not_a_scan():
    bursts, _ = feed("r", SCANNER_STEP, end=None)
    assert bursts[0].text == "r" and not bursts[0].is_scan(typing_into_field=False)


def test_in_a_text_field_only_a_badge_length_burst_is_a_scan():
    short, _ = feed("ab", SCANNER_STEP)
    assert not short[0].is_scan(typing_into_field=True)  # fast typing in a name field
    long, _ = feed("X" * SCAN_MIN_IN_FIELD, SCANNER_STEP)
    assert long[0].is_scan(typing_into_field=True)


def test_two_scans_back_to_back_stay_apart():
    keys = KeyBurst()
    ended = []
    for at, character in enumerate("AAAA"):
        ended += keys.feed(character, character, character, at * SCANNER_STEP)
    later = 4 * SCANNER_STEP + SCAN_STALL * 2
    for offset, character in enumerate("BBBB"):
        ended += keys.feed(character, character, character, later + offset * SCANNER_STEP)
    ended.append(keys.flush())
    assert [burst.text for burst in ended] == ["AAAA", "BBBB"]


def test_enter_alone_is_not_held():
    keys = KeyBurst()
    assert not keys.takes("enter", "\r") and not keys.takes("f10", None) and not keys.takes("ctrl+q", None)
    assert keys.flush() is None


def test_the_held_events_come_back_in_order_for_replay():
    bursts, _ = feed("ab", SCANNER_STEP, end="enter")
    assert bursts[0].events == ["a", "b", "enter"]


def test_a_burst_that_stalls_midway_is_still_one_scan():
    """A busy machine may hand over a scanner's keys in two lumps; the tail must not become key presses."""
    keys, ended = KeyBurst(), []
    code = "PG7JGEEBHH1LUF5CEX"
    for i, character in enumerate(code[:-1]):
        ended += keys.feed(character, character, character, i * SCANNER_STEP)
    stalled = len(code) * SCANNER_STEP + SCAN_STALL * 0.8
    ended += keys.feed("x", "x", "x", stalled)
    ended += keys.feed("enter", "enter", None, stalled + SCANNER_STEP)
    assert [burst.text for burst in ended] == [code[:-1] + "x"] and ended[0].is_scan(False)


def test_one_key_ended_at_once_by_enter_is_scanner_output_not_a_key_press():
    bursts, _ = feed("x", SCANNER_STEP, end="enter")
    assert bursts[0].terminated and bursts[0].is_scan(typing_into_field=False)
    person, _ = feed("x", PERSON_STEP, end="enter")  # x, then Enter a moment later: two key presses
    assert [burst.text for burst in person] == ["x", ""]
    assert not any(burst.is_scan(typing_into_field=False) for burst in person)
