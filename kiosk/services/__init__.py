"""Use-cases joining the pure core and the store; the CLI and the TUI call only these."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

from kiosk.core.text import BadInput
from kiosk.errors import ServiceError

T = TypeVar("T")
__all__ = ["ServiceError", "checked", "now", "seconds_between"]


def now() -> str:
    """The current time as stored: ISO 8601, UTC, with its offset."""
    return datetime.now(UTC).isoformat(timespec="microseconds")


def seconds_between(earlier: str, later: str) -> float:
    return (datetime.fromisoformat(later) - datetime.fromisoformat(earlier)).total_seconds()


def checked(rule: Callable[..., T], *args: object) -> T:
    """Call a core rule on typed input (``kiosk.core.text``, the check-in rules); its refusal is a ``ServiceError``
    with the rule's own words, so the CLI exits 2 with them and the screen shows them."""
    try:
        return rule(*args)
    except BadInput as error:
        raise ServiceError(str(error)) from None
