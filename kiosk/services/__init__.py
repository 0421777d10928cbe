"""Use-cases joining the pure core and the store; the CLI and the TUI call only these."""

from __future__ import annotations

from datetime import UTC, datetime

from kiosk.errors import ServiceError

__all__ = ["ServiceError", "now", "seconds_between"]


def now() -> str:
    """The current time as stored: ISO 8601, UTC, with its offset."""
    return datetime.now(UTC).isoformat(timespec="microseconds")


def seconds_between(earlier: str, later: str) -> float:
    return (datetime.fromisoformat(later) - datetime.fromisoformat(earlier)).total_seconds()
