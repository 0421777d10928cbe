"""Use-cases joining the pure core and the store; the CLI and the TUI call only these."""

from __future__ import annotations

from datetime import datetime, timezone


class ServiceError(Exception):
    """A request that cannot be carried out as asked (unknown scene, duplicate production...).

    The message is written for the person at the kiosk; the CLI exits 2 with it.
    """


def now() -> str:
    """The current time as stored: ISO 8601, UTC, with its offset."""
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def seconds_between(earlier: str, later: str) -> float:
    return (datetime.fromisoformat(later) - datetime.fromisoformat(earlier)).total_seconds()
