"""The kiosk's failures that a person can act on, each layer with its own kind.

Every one carries a message written for the person at the kiosk (which file, what is wrong, what to do).  The
shells (the CLI and the TUI) catch ``KioskError`` and show the message; anything else is a defect.
"""


class KioskError(Exception):
    """A failure explained in words for the person at the kiosk."""


class ServiceError(KioskError):
    """A request that cannot be carried out as asked (unknown scene, duplicate production...).  CLI: exit 2."""


class RenderError(KioskError):
    """A badge, sheet or report that could not be drawn or written; nothing was left half-written.  CLI: exit 2."""


class StoreError(KioskError):
    """The database could not be used (damaged, locked, disk full, not a kiosk database).  CLI: exit 3."""
