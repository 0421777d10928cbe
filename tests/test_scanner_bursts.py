"""Telling a scanner's burst from a person's key presses, by timing alone (kiosk/tui/scanner.py).

The timings are drawn as they are measured: a USB scanner 2 to 10 ms a key, perhaps with one stall when a busy
machine hands its keys over in two lumps; a person 80 to 400 ms a key, with fast bigrams of 30 to 60 ms.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from kiosk.core import codes
from kiosk.tui.scanner import SCAN_MIN_IN_FIELD, SCAN_STALL, STALL_AFTER, KeyBurst

SCANNER_STEP = 0.008
PERSON_STEP = 0.12

scanner_gaps = st.floats(0.002, 0.010)
person_gaps = st.one_of(st.floats(0.030, 0.060), st.floats(0.080, 0.400))  # a fast bigram, or an ordinary key
badge = st.text(alphabet=codes.ALPHABET, min_size=codes.LENGTH, max_size=codes.LENGTH)
# What a person types that a burst may hold: printable characters (anything else goes straight to the widget)
typed_text = st.text(alphabet=st.characters(categories=["L", "N", "P", "Zs"]).filter(str.isprintable), min_size=1,
                     max_size=60)


def run(keys: list[tuple[str, float]]) -> tuple[list, KeyBurst]:
    """Feed ``(key, gap before it)`` pairs as the app does: a burst the pause timer would end first is ended
    first; at the end the timer ends what is still held.  Returns the bursts in order."""
    burst, ended, at = KeyBurst(), [], 0.0
    for key, gap in keys:
        if burst.holding and gap > burst.wait:
            ended.append(burst.flush())  # the caller's pause timer ran out before this key came
        at += gap
        character = None if key in ("enter", "tab") else key
        if not burst.takes(key, character):
            ended.append(burst.flush())
            continue
        ended += burst.feed(key, key, character, at)
    ended.append(burst.flush())
    return [each for each in ended if each is not None], burst


def feed(text: str, step: float, end: str | None = "enter") -> tuple[list, KeyBurst]:
    return run([(character, step) for character in text] + ([(end, step)] if end else []))


@given(code=badge, gaps=st.lists(scanner_gaps, min_size=codes.LENGTH + 1, max_size=codes.LENGTH + 1),
       end=st.sampled_from(["enter", "tab", None]), stall=st.one_of(st.none(), st.tuples(
           st.integers(STALL_AFTER, codes.LENGTH), st.floats(0.03, SCAN_STALL * 0.9))))
def test_a_scanner_burst_is_one_scan_however_it_ends_even_after_a_stall(code, gaps, end, stall):
    keys = [(character, gap) for character, gap in zip(code, gaps)] + ([(end, gaps[-1])] if end else [])
    if stall is not None:
        position, pause = stall
        position = min(position, len(keys) - 1)  # the stall may come before the scanner's Enter, or at it
        keys[position] = (keys[position][0], pause)
    bursts, burst = run(keys)
    assert [each.text for each in bursts] == [code]
    assert bursts[0].is_scan(typing_into_field=False) and bursts[0].is_scan(typing_into_field=True)
    assert not burst.holding


@given(text=typed_text, gaps=st.lists(person_gaps, min_size=61, max_size=61), in_field=st.booleans())
def test_a_person_typing_is_never_a_scan_and_every_key_reaches_the_field(text, gaps, in_field):
    bursts, _ = run([(character, gap) for character, gap in zip(text, gaps)])
    assert not any(each.is_scan(typing_into_field=in_field) for each in bursts)
    assert "".join(each.text for each in bursts) == text
    assert [key for each in bursts for key in each.events] == list(text)  # in order, none lost


def test_a_long_name_typed_at_ten_keys_a_second_with_fast_bigrams_stays_typed():
    """The shift's failure: a fast pair started a burst and the name's tail was taken for a scan."""
    name = "Maria Fernanda Concepcion de los Angeles Villalobos-Montenegro y Santisteban"
    rhythm = [0.1 if index % 3 else 0.035 for index in range(len(name))]  # 10 keys a second, a fast pair each word
    bursts, _ = run(list(zip(name, rhythm)))
    assert "".join(each.text for each in bursts) == name
    assert not any(each.is_scan(typing_into_field=True) for each in bursts)


def test_a_single_key_is_a_key_press_not_a_scan():
    bursts, _ = feed("r", SCANNER_STEP, end=None)
    assert bursts[0].text == "r" and not bursts[0].is_scan(typing_into_field=False)


def test_in_a_text_field_only_a_badge_length_burst_is_a_scan():
    short, _ = feed("ab", SCANNER_STEP)
    assert not short[0].is_scan(typing_into_field=True)  # a scanner's junk in a name field stays text
    long, _ = feed("X" * SCAN_MIN_IN_FIELD, SCANNER_STEP)
    assert long[0].is_scan(typing_into_field=True)


def test_two_scans_back_to_back_stay_apart():
    keys = [(character, SCANNER_STEP) for character in "AAAA"] + [("B", SCAN_STALL * 2)] + \
        [(character, SCANNER_STEP) for character in "BBB"]
    bursts, _ = run(keys)
    assert [burst.text for burst in bursts] == ["AAAA", "BBBB"]


def test_a_burst_stalls_a_few_times_only():
    keys = [(character, SCANNER_STEP) for character in "AAAA"]
    for lump in "BCD":  # a loaded machine handing a code over in lumps: one burst
        keys += [(lump, 0.1)] + [(lump, SCANNER_STEP)] * 2
    keys += [("E", 0.1), ("E", SCANNER_STEP)]  # one stall more than a code is allowed: a burst of its own
    bursts, _ = run(keys)
    assert [burst.text for burst in bursts] == ["AAAABBBCCCDDD", "EE"]


def test_a_code_handed_over_in_three_lumps_is_one_scan_and_leaves_no_stray_key():
    code = "PG7JGEEBHH1LUF5CEX"
    gaps = [SCANNER_STEP] * len(code)
    gaps[6] = gaps[12] = SCAN_STALL * 0.8
    gaps[17] = SCAN_STALL * 0.8  # the last key alone: before, it fired a key binding (R put the set ROLLING)
    bursts, burst = run([*zip(code, gaps), ("enter", SCANNER_STEP)])
    assert [each.text for each in bursts] == [code] and bursts[0].is_scan(typing_into_field=False)
    assert not burst.holding


def test_a_fast_pair_does_not_start_a_burst_that_swallows_the_next_keys():
    bursts, _ = run([("t", 0.1), ("h", 0.03), ("e", 0.1), ("n", 0.1)])
    assert [burst.text for burst in bursts] == ["t", "h", "e", "n"]


def test_enter_alone_is_not_held():
    keys = KeyBurst()
    assert not keys.takes("enter", "\r") and not keys.takes("f10", None) and not keys.takes("ctrl+q", None)
    assert keys.flush() is None


def test_the_held_events_come_back_in_order_for_replay():
    bursts, _ = feed("ab", SCANNER_STEP, end="enter")
    assert bursts[0].events == ["a", "b", "enter"]


def test_one_key_ended_at_once_by_enter_is_scanner_output_not_a_key_press():
    bursts, _ = feed("x", SCANNER_STEP, end="enter")
    assert bursts[0].terminated and bursts[0].is_scan(typing_into_field=False)
    person, _ = feed("x", PERSON_STEP, end="enter")  # x, then Enter a moment later: a key press, then Enter
    assert [burst.text for burst in person] == ["x"]
    assert not any(burst.is_scan(typing_into_field=False) for burst in person)
