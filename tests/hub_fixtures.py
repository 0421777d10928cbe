"""Fixtures for tests against a real PostgreSQL hub (TLS and SCRAM only, on 127.0.0.1), for every test folder
(the root conftest loads them as a plugin).

- ``pg_server`` (session): the running server, a ``tests.pg_server.PgServer``.  ``pg_server.kill()`` is a power
  cut (SIGKILL to the server and every backend), ``pg_server.start()`` brings it back on the same folder and
  port (crash recovery runs), ``pg_server.stop()`` is a clean shutdown.  A test that stops it need not restart
  it: the next ``hub`` fixture does.
- ``hub``: a fresh hub database (``init_hub`` applied) on that server, a ``HubUnderTest``: ``hub.admin_dsn`` and
  ``hub.password`` (the administrator's), ``hub.add(name)`` -> the device's DSN, ``hub.client(name)`` -> a
  connected ``HubClient`` for a new device, ``hub.sql(dsn=None)`` -> a raw psycopg connection (the administrator's,
  kept open, by default).  Everything it opened is closed, and its database and device roles dropped, afterwards.
- ``chain``: ``chain(device, count, after=None, body=None)`` -> the next ``count`` real events of ``device``
  (``kiosk.core.events.make`` and ``hlc_next``), continuing from event ``after``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest
from psycopg import sql

from kiosk.core import events
from kiosk.core.events import Event
from kiosk.hub import HubClient, add_device, init_hub
from tests.pg_server import PgServer, PgServerError

_databases = itertools.count(1)
WALL_MS = 1_764_581_734_000  # 2026-12-01T09:35:34Z


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    try:
        server = PgServer()
        server.start()
    except PgServerError as error:
        pytest.fail(str(error), pytrace=False)
    yield server
    server.remove()


class HubUnderTest:
    def __init__(self, server: PgServer, dbname: str) -> None:
        self.server = server
        self.dbname = dbname
        self.admin_dsn = server.dsn(dbname)
        self.password = server.password
        self._opened: list[Any] = []
        self._admin: psycopg.Connection | None = None

    def add(self, name: str, kind: str = "kiosk") -> str:
        return add_device(self.admin_dsn, name, kind, self.password)

    def client(self, name: str, kind: str = "kiosk") -> HubClient:
        client = HubClient(self.add(name, kind))
        self._opened.append(client)
        return client

    def sql(self, dsn: str | None = None) -> psycopg.Connection:
        """A raw autocommit connection: a new one as ``dsn``'s role, else the administrator's (kept open)."""
        if dsn is None and self._admin is not None and not (self._admin.closed or self._admin.broken):
            return self._admin
        conn = psycopg.connect(dsn or self.admin_dsn, password=None if dsn else self.password, autocommit=True)
        self._opened.append(conn)
        if dsn is None:
            self._admin = conn
        return conn

    def close(self) -> None:
        for opened in self._opened:
            opened.close()


@pytest.fixture
def hub(pg_server: PgServer) -> Iterator[HubUnderTest]:
    pg_server.start()  # again, if an earlier test stopped or killed it
    dbname = f"hub_test_{next(_databases)}"
    with psycopg.connect(pg_server.dsn(), password=pg_server.password, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
    init_hub(pg_server.dsn(dbname), pg_server.password)
    under_test = HubUnderTest(pg_server, dbname)
    yield under_test
    under_test.close()
    pg_server.start()
    with psycopg.connect(pg_server.dsn(dbname), password=pg_server.password, autocommit=True) as conn:
        roles = [role for (role,) in conn.execute("SELECT role FROM hub.devices")]
    with psycopg.connect(pg_server.dsn(), password=pg_server.password, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(dbname)))
        for role in roles:
            conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


@pytest.fixture
def chain() -> Callable[..., list[Event]]:
    def make_chain(device: str, count: int, after: Event | None = None,
                   body: Callable[[int], dict] | None = None) -> list[Event]:
        made: list[Event] = []
        previous, hlc = after, after.hlc if after else None
        for _ in range(count):
            seq = previous.seq + 1 if previous else 1
            hlc = events.hlc_next(hlc, WALL_MS + seq)
            event = events.make(device, seq, previous.hash if previous else events.GENESIS, hlc,
                                "2026-12-01T09:35:34Z", "scan", f"scan/{device}/{seq}",
                                body(seq) if body else {"decision": "admit", "n": seq})
            made.append(event)
            previous = event
        return made

    return make_chain
