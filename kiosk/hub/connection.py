"""Reaching the hub: connection strings, TLS pinning, and one exception type for every failure.

Every connection to the hub over TCP is TLS with the server's certificate checked against a pinned CA and its
host name (``sslmode=verify-full sslrootcert=<file>``); anything weaker is refused before a packet is sent.
A Unix socket path (an administrator on the hub machine itself) needs no TLS.

Failures come out as ``HubError``: a sentence for a person plus a ``reason`` a program can act on.  Messages
are written here or taken from the server's or libpq's own words, never from a connection string, so a
password never appears in one; nor in a traceback, since psycopg's error is never chained to them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict

from kiosk.errors import (
    AUTH,
    CHAIN,
    CONFLICT,
    INVALID,
    REFUSED,
    REVOKED,
    TLS,
    UNREACHABLE,
    HubError,
)
from kiosk.hub import schema

# Keep TCP connections from hanging for ever when the network goes away mid-call (given values win).
CONNECT_DEFAULTS = {
    "connect_timeout": "10",
    "keepalives": "1",
    "keepalives_idle": "10",
    "keepalives_interval": "5",
    "keepalives_count": "3",
    "tcp_user_timeout": "30000",
}


# libpq's words when TLS itself failed (others that mention SSL, such as "SSL SYSCALL error: EOF detected", mean
# the server went away mid-handshake: out of reach, not a TLS problem).
TLS_SIGNS = (
    "certificate",
    "no encryption",
    "does not support ssl",
    "wrong version number",
    "tlsv1 alert",
    "ssl error: sslv3 alert",
)


def only_row(cursor: psycopg.Cursor[Any]) -> tuple[Any, ...]:
    """The one row of a query that always has one (a count, a function call)."""
    row = cursor.fetchone()
    if row is None:
        raise HubError("the hub gave no answer to a query that always has one", INVALID)
    return row


def parse_dsn(dsn: str) -> dict[str, str]:
    """A libpq connection string (key=value or URI) as a dict; ``HubError`` (INVALID) without echoing any of it."""
    try:
        return {key: str(value) for key, value in conninfo_to_dict(dsn).items()}
    except psycopg.ProgrammingError:
        raise HubError(
            "the hub address is not a valid libpq connection string "
            "(key=value pairs such as 'host=hub.example port=5432 dbname=kiosk', or a postgresql:// URI)",
            INVALID,
        ) from None


def _is_socket(params: Mapping[str, str]) -> bool:
    """Whether libpq will use a Unix socket (no host named anywhere means its default socket)."""
    hosts = params.get("host") or os.environ.get("PGHOST") or "/"
    return not params.get("hostaddr") and all(host.startswith("/") for host in hosts.split(","))


def connection_params(dsn: str, password: str | None = None) -> dict[str, str]:
    """The parameters to connect with: TLS verify-full against a pinned CA for TCP, timeouts, the password.

    Refuses (INVALID) a TCP connection string that asks for less than verify-full, names no CA file (there or in
    $PGSSLROOTCERT), or uses ``sslrootcert=system`` (any public CA would do then: not a pinned one).
    """
    params = parse_dsn(dsn)
    if not _is_socket(params):
        if params.setdefault("sslmode", "verify-full") != "verify-full":
            raise HubError(
                f"sslmode={params['sslmode']} is refused: the hub is reached only over TLS with its "
                "certificate verified (sslmode=verify-full)",
                INVALID,
            )
        if (params.get("sslrootcert") or os.environ.get("PGSSLROOTCERT")) in (None, "", "system"):
            raise HubError(
                "name the hub's CA certificate (sslrootcert=<file>): kiosks trust that one CA, no other", INVALID
            )
        for key, value in CONNECT_DEFAULTS.items():
            params.setdefault(key, value)
    if password is not None:
        params["password"] = password
    return params


def _server_words(error: psycopg.Error) -> str:
    """libpq's reason, without its "connection to server at ... failed:" preamble."""
    text = str(error).strip().rsplit("failed: ", 1)[-1]
    return "; ".join(line.strip() for line in text.splitlines() if line.strip())


def connect_error(error: psycopg.OperationalError, params: Mapping[str, str]) -> HubError:
    """A failed connection attempt explained: unreachable, TLS, password, revoked or refused by the hub."""
    words = _server_words(error)
    lowered = words.lower()
    where = f"{params.get('host', 'the local socket')}" + (f":{params['port']}" if params.get("port") else "")
    user = params.get("user", "")
    if (
        "password authentication failed" in lowered
        or "password is required" in lowered
        or "no password supplied" in lowered
    ):
        return HubError(
            f"the hub at {where} refused the password for {user!r} (wrong password, or no such device)", AUTH
        )
    if "not permitted to log in" in lowered:
        return HubError(f"the hub at {where} refused {user!r}: this device has been revoked", REVOKED)
    if any(sign in lowered for sign in TLS_SIGNS):
        return HubError(
            f"TLS with the hub at {where} failed: {words} (the hub's certificate must be signed by the "
            "pinned CA, sslrootcert, and name the host connected to)",
            TLS,
        )
    if "pg_hba.conf" in lowered or "does not exist" in lowered:
        return HubError(f"the hub at {where} refused the connection: {words}", REFUSED)
    return HubError(f"the hub at {where} cannot be reached: {words}", UNREACHABLE)


def connect(dsn: str, password: str | None = None, **options: Any) -> psycopg.Connection:
    """An open connection to the hub (``HubError`` when there is none)."""
    return open_connection(connection_params(dsn, password), **options)


def open_connection(params: Mapping[str, str], **options: Any) -> psycopg.Connection:
    """An open connection from ``connection_params``' result."""
    try:
        return psycopg.connect(**{**params, **options})
    except psycopg.OperationalError as error:
        raise connect_error(error, params) from None


def explain(error: psycopg.Error) -> HubError:
    """An error raised by the hub during a call, as a HubError with the hub's own message."""
    state = error.sqlstate or ""
    words = error.diag.message_primary or _server_words(error)
    reasons = {
        schema.CHAIN_BROKEN: CHAIN,
        schema.CONFLICT: CONFLICT,
        schema.MALFORMED: INVALID,
        schema.MISSING_BLOB: INVALID,
        schema.UNNAMED_PHOTO: INVALID,
        schema.APPEND_ONLY: REFUSED,
        "23505": CONFLICT,
    }
    if state == "23505" and error.diag.constraint_name == "events_event_id_key":
        reason, words = CONFLICT, "an event id the hub already holds for another event was pushed again"
    elif state in reasons:
        reason = reasons[state]
    elif (isinstance(error, psycopg.OperationalError) and not state) or state.startswith(("08", "57P")):
        reason, words = UNREACHABLE, f"the connection to the hub was lost: {words}"
    elif state.startswith(("22", "23")):
        reason = INVALID
    elif state == "42501":
        reason, words = REFUSED, f"not allowed at the hub: {words}"
    elif state in ("3F000", "42P01", "42883"):
        reason, words = REFUSED, f"this database is not a kiosk hub (run `kiosk hub init`): {words}"
    else:
        reason = REFUSED
    return HubError(words, reason)


@contextmanager
def snapshot(conn: psycopg.Connection) -> Iterator[None]:
    """A read-only transaction that sees one moment of the hub throughout."""
    with conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield
