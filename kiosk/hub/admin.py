"""Administering the hub: create or upgrade it, add and revoke devices, see its state, verify every chain.

Every function takes the administrator's connection string: a role that owns the ``hub`` schema (the one that
ran ``init_hub``) and may create roles (CREATEROLE, or a superuser).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from kiosk.core import events
from kiosk.core.events import Event, EventError
from kiosk.errors import INVALID, REFUSED, HubError
from kiosk.hub import schema
from kiosk.hub.connection import connect, explain, only_row, parse_dsn, snapshot

ROLE_PREFIX = "kiosk:"
MAX_ROLE = 63  # PostgreSQL's longest identifier, in bytes (device names are ASCII)
KINDS = {"kiosk": schema.DEVICE_GROUP, "office": schema.OFFICE_GROUP}  # office devices read, never push


def role_name(device: str) -> str:
    """The PostgreSQL role a device logs in as: ``kiosk:<name>``, or for a name too long for that,
    ``kiosk:<first 40 characters>:<16 hex digits of its SHA-256>``.

    No device name holds ':', so two devices never share a role, and no role of another program is taken.
    """
    if not events.DEVICE_PATTERN.match(device):
        raise HubError(
            f"{device!r} is not a device name (letters, digits, '.', '_' or '-', at most 63, starting "
            "with a letter or digit)",
            INVALID,
        )
    role = ROLE_PREFIX + device
    return role if len(role) <= MAX_ROLE else f"{ROLE_PREFIX}{device[:40]}:{events.digest(device)[:16]}"


@contextmanager
def _admin(dsn: str, password: str | None) -> Iterator[psycopg.Connection]:
    conn = connect(dsn, password, autocommit=True)
    try:
        with conn:
            yield conn
    except psycopg.Error as error:
        raise explain(error) from None


def init_hub(admin_dsn: str, password: str | None = None) -> list[str]:
    """Create the hub, or bring it up to date; returns the names of the migrations applied now (none: it was)."""
    with _admin(admin_dsn, password) as conn:
        return [migration.name for migration in schema.migrate(conn)]


def add_device(admin_dsn: str, name: str, kind: str = "kiosk", password: str | None = None) -> str:
    """Add device ``name`` with a new LOGIN role and a generated password; returns that device's own connection
    string (the same hub address as ``admin_dsn``, verify-full, its role and password): the only time the
    password is shown.  The server stores only a SCRAM verifier of it, computed here, so the password itself
    never travels in a statement or reaches the server's log.
    """
    if kind not in KINDS:
        raise HubError(f"a device is one of {', '.join(KINDS)}, not {kind!r}", INVALID)
    role = role_name(name)
    secret = secrets.token_urlsafe(32)
    with _admin(admin_dsn, password) as conn:
        verifier = conn.pgconn.encrypt_password(secret.encode(), role.encode(), b"scram-sha-256").decode()
        with conn.transaction():
            if conn.execute("SELECT 1 FROM hub.devices WHERE name = %s", [name]).fetchone():
                raise HubError(
                    f"device {name} already exists at the hub (a revoked device keeps its name and its "
                    "events: choose another name)",
                    REFUSED,
                )
            if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role]).fetchone():
                raise HubError(f"a role {role!r} already exists on this PostgreSQL server", REFUSED)
            conn.execute("INSERT INTO hub.devices (name, role, kind) VALUES (%s, %s, %s)", [name, role, kind])
            conn.execute(
                sql.SQL("CREATE ROLE {} LOGIN PASSWORD {} IN ROLE {}").format(
                    sql.Identifier(role), sql.Literal(verifier), sql.Identifier(KINDS[kind])
                )
            )
        target: dict[str, str | int] = {"host": conn.info.host, "port": conn.info.port, "dbname": conn.info.dbname}
    pinned = {key: value for key, value in parse_dsn(admin_dsn).items() if key in ("hostaddr", "sslrootcert")}
    tls = {} if str(target["host"]).startswith("/") else {"sslmode": "verify-full"}
    return make_conninfo("", **{**target, **pinned, **tls, "user": role, "password": secret})


def revoke_device(admin_dsn: str, name: str, password: str | None = None) -> int:
    """Revoke device ``name`` for good: its role can no longer log in and leaves its group, the policies refuse
    it everything, and its open sessions are ended.  Its events stay.  Returns how many sessions were ended
    (sessions the administrator may not end are left to the policies, which refuse their every read and write).
    """
    with _admin(admin_dsn, password) as conn:
        with conn.transaction():
            row = conn.execute("SELECT role FROM hub.devices WHERE name = %s FOR UPDATE", [name]).fetchone()
            if row is None:
                raise HubError(f"the hub has no device {name!r}", INVALID)
            conn.execute("UPDATE hub.devices SET revoked_at = coalesce(revoked_at, now()) WHERE name = %s", [name])
            role = sql.Identifier(row[0])
            conn.execute(sql.SQL("ALTER ROLE {} NOLOGIN").format(role))
            conn.execute(
                sql.SQL("REVOKE {}, {} FROM {}").format(
                    sql.Identifier(schema.DEVICE_GROUP), sql.Identifier(schema.OFFICE_GROUP), role
                )
            )
        try:
            (ended,) = only_row(
                conn.execute(
                    "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity WHERE usename = %s",
                    [row[0]],
                )
            )
        except psycopg.errors.InsufficientPrivilege:
            return 0
    return ended


@dataclass(frozen=True)
class DeviceStatus:
    name: str
    kind: str
    role: str
    added_at: datetime
    revoked_at: datetime | None
    last_seen: datetime | None  # its last clock report or push, whichever is later
    last_seq: int
    events: int
    clock_skew_seconds: float | None  # the hub's clock minus the device's, at its last report
    clock_reported_at: datetime | None
    clock_flagged: bool  # further off than schema.SKEW_LIMIT_SECONDS
    anomalies: int  # conflicts and anomalies found for this device (kept by the kiosk side)


@dataclass(frozen=True)
class HubStatus:
    schema_version: int
    events: int
    blobs: int  # sealed check-in content
    photos: int
    erased: int
    devices: list[DeviceStatus] = field(default_factory=list)


_STATUS = f"""
SELECT d.name, d.kind, d.role, d.added_at, d.revoked_at, greatest(d.last_seen, e.last_received),
       coalesce(e.last_seq, 0), coalesce(e.events, 0), extract(epoch FROM d.clock_skew)::float8, d.clock_reported_at,
       coalesce(abs(extract(epoch FROM d.clock_skew)) > {schema.SKEW_LIMIT_SECONDS}, false), d.anomalies
FROM hub.devices AS d
LEFT JOIN (SELECT device, max(seq) AS last_seq, count(*) AS events, max(received_at) AS last_received
           FROM hub.events GROUP BY device) AS e ON e.device = d.name
ORDER BY d.name COLLATE "C"
"""


def status(admin_dsn: str, password: str | None = None) -> HubStatus:
    """Every device with its last seen time, last seq, events held and clock skew, and the hub's totals."""
    with _admin(admin_dsn, password) as conn, snapshot(conn):
        devices = [DeviceStatus(*row) for row in conn.execute(_STATUS)]
        version, blobs, photos, erased = only_row(
            conn.execute(
                "SELECT (SELECT max(version) FROM hub.migrations), (SELECT count(*) FROM hub.sealed), "
                "(SELECT count(*) FROM hub.photos), (SELECT count(*) FROM hub.erased)"
            )
        )
    return HubStatus(version, sum(device.events for device in devices), blobs, photos, erased, devices)


@dataclass(frozen=True)
class ChainBreak:
    device: str
    seq: int
    problem: str


@dataclass(frozen=True)
class Verification:
    devices: int
    events: int
    blobs: int
    breaks: list[ChainBreak]  # the first break of each broken device
    bad_blobs: list[str]  # digests whose content no longer hashes to them
    photos: int = 0
    bad_photos: list[str] = field(default_factory=list)  # photos whose bytes no longer hash to their digest

    @property
    def ok(self) -> bool:
        return not self.breaks and not self.bad_blobs and not self.bad_photos


def _problem(row: tuple, previous: Event | None) -> tuple[Event | None, str | None]:
    """The event a stored row holds, or what is wrong with it as the link after ``previous``."""
    device, seq, event_id, prev, hlc, type_, key, payload, hash_ = row
    try:
        event = events.parse(payload)
    except EventError as error:
        return None, f"its payload is not a well-formed event ({error})"
    if events.digest(payload) != hash_:
        return None, "its hash is not the SHA-256 of its payload"
    if (event.device, event.seq, event.id, event.prev, event.hlc, event.type, event.key) != (
        device,
        seq,
        event_id,
        prev,
        hlc,
        type_,
        key,
    ):
        return None, "its columns differ from its payload"
    if not events.follows(event, previous):
        return None, (
            "the first event held is not seq 1 from genesis"
            if previous is None
            else f"it does not follow event {previous.seq} (a gap, or prev is not that event's hash)"
        )
    return event, None


def verify(admin_dsn: str, password: str | None = None) -> Verification:
    """Walk every device's chain as stored at the hub, re-checking each event as a kiosk would (canonical
    payload, hash, columns, seq and prev links), and every sealed blob and photo against its digest."""
    breaks: list[ChainBreak] = []
    devices = total = 0
    with _admin(admin_dsn, password) as conn, snapshot(conn):
        with conn.cursor(name="kiosk_hub_verify") as rows:
            rows.itersize = 5000
            rows.execute(
                "SELECT device, seq, event_id, prev, hlc, type, key, payload, hash FROM hub.events ORDER BY device, seq"
            )
            device, previous, broken = None, None, False
            for row in rows:
                total += 1
                if row[0] != device:
                    device, previous, broken = row[0], None, False
                    devices += 1
                if broken:
                    continue
                previous, problem = _problem(row, previous)
                if problem:
                    breaks.append(ChainBreak(row[0], row[1], problem))
                    broken = True
        bad = {
            table: [
                digest
                for (digest,) in conn.execute(
                    f"SELECT digest FROM hub.{table} WHERE digest <> encode(sha256(content), 'hex') ORDER BY digest"
                )
            ]
            for table in ("sealed", "photos")
        }
        blobs, photos = only_row(
            conn.execute("SELECT (SELECT count(*) FROM hub.sealed), (SELECT count(*) FROM hub.photos)")
        )
    return Verification(devices, total, blobs, breaks, bad["sealed"], photos, bad["photos"])
