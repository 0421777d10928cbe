"""Badge codes: format, randomness, the check, and keyboard layouts."""

from __future__ import annotations

import math
import string

from hypothesis import given
from hypothesis import strategies as st

from kiosk.core import codes

AZERTY = {"1": "&", "2": "é", "3": '"', "4": "'", "5": "(", "6": "-", "7": "è", "8": "_", "9": "ç", "0": "à",
          "M": "?"}
QR_ALPHANUMERIC = set(string.digits + string.ascii_uppercase + " $%*+-./:")

code_strategy = st.text(alphabet=codes.ALPHABET, min_size=codes.RANDOM_LENGTH, max_size=codes.RANDOM_LENGTH) \
    .map(lambda body: body + codes.check_symbol(body))


def test_code_shape_and_entropy():
    code = codes.new_code()
    assert len(code) == codes.LENGTH <= 24
    assert set(code) <= QR_ALPHANUMERIC
    assert codes.RANDOM_LENGTH * math.log2(codes.BASE) >= 80
    assert codes.is_valid(code)


def test_codes_are_not_repeated():
    assert len({codes.new_code() for _ in range(10_000)}) == 10_000


def test_alphabet_avoids_letters_that_layouts_swap_or_people_misread():
    assert not set("AQWZY") & set(codes.ALPHABET)
    assert not set("IO") & set(codes.ALPHABET)
    assert len(codes.ALPHABET) == codes.BASE == 29


@given(code_strategy)
def test_o_and_i_typed_from_a_badge_are_read_as_zero_and_one(code):
    typed = code.replace("0", "O").replace("1", "i")
    assert codes.parse(typed).code == code


@given(code_strategy, st.data())
def test_any_single_wrong_symbol_is_caught(code, data):
    position = data.draw(st.integers(0, len(code) - 1))
    wrong = data.draw(st.sampled_from([s for s in codes.ALPHABET if s != code[position]]))
    altered = code[:position] + wrong + code[position + 1:]
    assert not codes.is_valid(altered)
    assert codes.parse(altered).code is None
    assert codes.parse(altered).problem == "bad_check"


@given(code_strategy, st.data())
def test_any_swap_of_neighbours_is_caught(code, data):
    position = data.draw(st.integers(0, len(code) - 2))
    if code[position] == code[position + 1]:
        return  # swapping two equal symbols changes nothing
    swapped = code[:position] + code[position + 1] + code[position] + code[position + 2:]
    assert not codes.is_valid(swapped)


@given(code_strategy)
def test_printed_grouping_lowercase_and_scanner_suffixes_are_read(code):
    for typed in (codes.display(code), code.lower(), f"{code}\r\n", f"\t{code}\t", f"\x02{code}\x03"):
        assert codes.parse(typed) == codes.ParsedCode(code)


@given(code_strategy)
def test_azerty_altered_codes_are_recognised_and_noted(code):
    altered = "".join(AZERTY.get(symbol, symbol) for symbol in code)
    parsed = codes.parse(altered)
    assert parsed.code == code
    assert parsed.layout == ("azerty" if altered != code else None)


@given(code_strategy)
def test_azerty_with_caps_lock_is_recognised(code):
    altered = "".join(AZERTY.get(symbol, symbol) for symbol in code).upper()
    assert codes.parse(altered).code == code


@given(st.text(max_size=400))
def test_any_text_parses_without_raising(text):
    parsed = codes.parse(text)
    assert (parsed.code is None) == (parsed.problem is not None)
    if parsed.code:
        assert codes.is_valid(parsed.code)


def test_garbage_is_malformed():
    for raw in ("", "hello", "x" * 10_000, "\x00" * 18, "0" * 17):
        assert codes.parse(raw).problem == "malformed"


@given(code_strategy, st.lists(st.integers(1, codes.LENGTH - 1), max_size=4, unique=True),
       st.sampled_from(["-", " - ", "\u2013", " "]))
def test_codes_copied_with_hyphens_or_dashes_between_groups_are_read(code, cuts, separator):
    typed = code
    for cut in sorted(cuts, reverse=True):
        typed = typed[:cut] + separator + typed[cut:]
    assert codes.parse(typed) == codes.ParsedCode(code)


def test_the_hyphenated_code_from_the_shift_is_a_code():
    body = "EVVLRX3KK22LL6STE"
    code = body + codes.check_symbol(body)
    assert codes.parse(f"{code[:9]}-{code[9:]}").code == code


@given(code_strategy)
def test_a_hyphen_is_still_an_azerty_six_when_the_code_has_a_code_length(code):
    altered = code.replace("6", "-")
    assert codes.parse(altered).code == code


@given(code_strategy, st.data())
def test_masked_input_never_holds_a_code_or_most_of_one(code, data):
    """Whatever was typed - a code, one with a typo, copied with separators, inside junk - masked, it is
    no code and keeps at most a few of its symbols."""
    position = data.draw(st.integers(0, len(code) - 1))
    typed = data.draw(st.sampled_from([
        code, code.lower(), codes.display(code), codes.display(code).replace(" ", "-"),
        code[:position] + data.draw(st.sampled_from(codes.ALPHABET)) + code[position + 1:],
        data.draw(st.text(max_size=5)) + code + data.draw(st.text(max_size=5))]))
    shown = codes.masked(typed)
    assert codes.parse(shown).code is None
    kept, _, length = shown.rpartition(" (")
    assert length == f"{len(typed)} characters)"
    assert len(kept.rstrip("\u2026")) <= codes.MASK_SHOWN


@given(st.text(max_size=300))
def test_masking_keeps_a_few_characters_and_the_length_of_anything(text):
    shown = codes.masked(text)
    if text:
        assert shown.endswith(f"({len(text)} characters)")
        assert len(shown) <= codes.MASK_SHOWN + len(f"\u2026 ({len(text)} characters)")
    else:
        assert shown == ""
