"""Envelope rules the hub depends on: what kiosk.core.events accepts must be storable and addressable at the hub."""

from __future__ import annotations

import pytest

from kiosk.core import events
from kiosk.core.events import GENESIS, EventError, make

HLC = "1764581734000-0000"


def test_a_device_name_with_a_final_newline_is_refused():
    assert not events.DEVICE_PATTERN.match("door-1\n")
    with pytest.raises(EventError, match="device must be"):
        make("door-1\n", 1, GENESIS, HLC, "2026-12-01T09:35:34Z", "scan", "scan/1", {})


def test_ids_hashes_and_clock_readings_with_a_final_newline_are_refused():
    good = make("door-1", 1, GENESIS, HLC, "2026-12-01T09:35:34Z", "scan", "scan/1", {})
    with pytest.raises(EventError, match="id must be"):
        make("door-1", 1, GENESIS, HLC, "t", "scan", "k", {}, id=good.id + "\n")
    with pytest.raises(EventError, match="prev must be"):
        make("door-1", 2, good.hash + "\n", HLC, "t", "scan", "k", {})
    with pytest.raises(EventError, match="hlc must be"):
        make("door-1", 1, GENESIS, HLC + "\n", "t", "scan", "k", {})
    with pytest.raises(EventError):
        events.hlc_parts(HLC + "\n")


@pytest.mark.parametrize("where", ["at", "type", "key", "body value", "body key", "nested body value"])
def test_nul_characters_are_refused_anywhere_in_an_event(where):
    """PostgreSQL can hold NUL neither in text nor in a JSON string its JSON functions read: the hub could never
    store such an event, and every later event of its device would wait behind it."""
    fields = {"at": "2026-12-01T09:35:34Z", "type": "scan", "key": "scan/1"}
    body: dict = {"raw": "ok"}
    if where in fields:
        fields[where] += "\x00"
    else:
        body = {"body value": {"raw": "a\x00b"}, "body key": {"a\x00b": 1},
                "nested body value": {"list": [{"note": "\x00"}]}}[where]
    with pytest.raises(EventError, match="NUL"):
        make("door-1", 1, GENESIS, HLC, fields["at"], fields["type"], fields["key"], body)
