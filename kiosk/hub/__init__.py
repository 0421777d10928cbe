"""The PostgreSQL hub that kiosks share: schema, administration, and the client each kiosk syncs with.

Each kiosk decides alone from its own SQLite file and pushes its events (kiosk.core.events) to the hub in
batches, idempotent on the event id; it pulls everyone else's by per-device cursors.  The hub checks every
device's chain as it stores it, and lets each device write only its own events.
"""

from kiosk.errors import HubError
from kiosk.hub.admin import (
    ChainBreak,
    DeviceStatus,
    HubStatus,
    Verification,
    add_device,
    init_hub,
    revoke_device,
    role_name,
    status,
    verify,
)
from kiosk.hub.client import ClockReport, HubClient, Pull, sealed_digests

__all__ = [
    "ChainBreak",
    "ClockReport",
    "DeviceStatus",
    "HubClient",
    "HubError",
    "HubStatus",
    "Pull",
    "Verification",
    "add_device",
    "init_hub",
    "revoke_device",
    "role_name",
    "sealed_digests",
    "status",
    "verify",
]
