"""The kiosk's failures that a person can act on, each layer with its own kind.

Every one carries a message written for the person at the kiosk (which file, what is wrong, what to do).  The
shells (the CLI and the TUI) catch ``KioskError`` and show the message; anything else is a defect.  The hub's
failures (``HubError``) are here too, apart from the hub's code, so that the door can name them without
loading the PostgreSQL driver (about 0.35 s of imports at every start-up).
"""


class KioskError(Exception):
    """A failure explained in words for the person at the kiosk."""


class ServiceError(KioskError):
    """A request that cannot be carried out as asked (unknown scene, duplicate production...).  CLI: exit 2."""


class RenderError(KioskError):
    """A badge, sheet or report that could not be drawn or written; nothing was left half-written.  CLI: exit 2."""


class StoreError(KioskError):
    """The database could not be used (damaged, locked, disk full, not a kiosk database).  CLI: exit 3."""


# HubError.reason values
UNREACHABLE = "unreachable"  # no answer, or the connection was lost: try again later
TLS = "tls"  # the hub's certificate is not the pinned CA's, or names another host; or TLS refused
AUTH = "auth"  # wrong password or unknown user
REVOKED = "revoked"  # this device was revoked at the hub
CHAIN = "chain"  # a pushed event does not follow its device's chain at the hub
CONFLICT = "conflict"  # an event id or (device, seq) already held with other content
INVALID = "invalid"  # bad input: a malformed event, connection string or name
REFUSED = "refused"  # the hub refused the operation (no right to it, not a hub, ...)


class HubError(Exception):
    """Something the hub or the way to it refused or could not do; ``str()`` is meant for a person."""

    def __init__(self, message: str, reason: str = REFUSED) -> None:
        super().__init__(message)
        self.reason = reason

    @property
    def retry(self) -> bool:
        """Whether the same call may succeed later as it is (the hub was out of reach)."""
        return self.reason == UNREACHABLE
