"""Who may reach the hub and what each device may do there: TLS only, SCRAM passwords, own events only,
no changes to what is held, revocation."""

from __future__ import annotations

import traceback
from datetime import UTC, datetime

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from kiosk.hub import HubClient, HubError, revoke_device, role_name

INSERT = ("INSERT INTO hub.events (device, seq, event_id, prev, hlc, type, key, payload, hash) "
          "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)")


def insert(conn: psycopg.Connection, event) -> None:
    conn.execute(INSERT, [event.device, event.seq, event.id, event.prev, event.hlc, event.type, event.key,
                          event.payload, event.hash])


def with_params(dsn: str, **changes: str) -> str:
    return make_conninfo(dsn, **changes)


def test_a_plain_connection_is_refused_by_the_server(hub):
    with pytest.raises(psycopg.OperationalError, match="no encryption"):
        psycopg.connect(hub.server.dsn(hub.dbname, sslmode="disable"), password=hub.password)


@pytest.mark.parametrize("sslmode", ["disable", "allow", "prefer", "require", "verify-ca"])
def test_the_client_refuses_anything_less_than_verify_full(hub, sslmode):
    dsn = hub.add(f"door-{sslmode}")
    with pytest.raises(HubError, match=f"sslmode={sslmode} is refused") as refused:
        HubClient(with_params(dsn, sslmode=sslmode))
    assert refused.value.reason == "invalid"


@pytest.mark.parametrize("sslrootcert", [None, "system"])
def test_the_client_asks_for_a_pinned_ca(hub, sslrootcert):
    params = conninfo_to_dict(hub.add("door-1"))
    del params["sslrootcert"]
    if sslrootcert:
        params["sslrootcert"] = sslrootcert
    with pytest.raises(HubError, match="CA certificate") as refused:
        HubClient(make_conninfo(**params))
    assert refused.value.reason == "invalid"


def test_a_wrong_password_is_refused_and_never_shown(hub):
    dsn = hub.add("door-1")
    wrong = "Wrong-Secret-4242-never-shown"
    with pytest.raises(HubError) as refused:
        HubClient(with_params(dsn, password=wrong))
    assert refused.value.reason == "auth"
    assert "refused the password for 'kiosk:door-1'" in str(refused.value)
    shown = "".join(traceback.format_exception(refused.value)) + repr(refused.value)
    assert wrong not in shown and "OperationalError" not in shown  # psycopg's error is not chained


def test_the_right_password_never_shows_in_the_client_or_its_errors(hub, chain):
    dsn = hub.add("door-1")
    secret = conninfo_to_dict(dsn)["password"]
    client = HubClient(dsn)
    try:
        with pytest.raises(HubError) as refused:
            client.push(chain("door-1", 2)[1:])
        shown = repr(client) + str(refused.value) + "".join(traceback.format_exception(refused.value))
        assert secret not in shown
    finally:
        client.close()


def test_a_certificate_from_another_ca_is_refused(hub):
    dsn = hub.add("door-1")
    with pytest.raises(HubError, match="TLS with the hub") as refused:
        HubClient(with_params(dsn, sslrootcert=str(hub.server.other_ca)))
    assert refused.value.reason == "tls"


def test_a_certificate_for_another_host_name_is_refused(hub):
    dsn = hub.add("door-1")
    with pytest.raises(HubError, match="does not match host name") as refused:
        HubClient(with_params(dsn, host="hub.example", hostaddr="127.0.0.1"))
    assert refused.value.reason == "tls"
    HubClient(with_params(dsn, host="localhost")).close()  # the certificate's other name


def test_an_unreachable_hub_says_so(hub, pg_server):
    dsn = hub.add("door-1")
    pg_server.stop()
    with pytest.raises(HubError, match="cannot be reached") as refused:
        HubClient(dsn)
    assert refused.value.reason == "unreachable" and refused.value.retry


def test_a_device_can_neither_update_nor_delete(hub, chain):
    dsn = hub.add("door-1")
    with HubClient(dsn) as client:
        client.push(chain("door-1", 3))
    device = hub.sql(dsn)
    for statement in ("UPDATE hub.events SET type = 'x'", "DELETE FROM hub.events", "TRUNCATE hub.events",
                      "UPDATE hub.sealed SET content = ''", "DELETE FROM hub.sealed", "DELETE FROM hub.devices",
                      "UPDATE hub.devices SET revoked_at = NULL", "INSERT INTO hub.erased VALUES ('x', 'y')"):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            device.execute(statement)
    assert hub.sql().execute("SELECT count(*) FROM hub.events").fetchone()[0] == 3


def test_nobody_changes_or_removes_an_event_once_held(hub, chain):
    hub.client("door-1").push(chain("door-1", 2))
    admin = hub.sql()
    for statement in ("UPDATE hub.events SET type = 'x'", "DELETE FROM hub.events", "TRUNCATE hub.events"):
        with pytest.raises(psycopg.Error, match="append-only"):
            admin.execute(statement)


def test_a_device_cannot_insert_another_devices_event(hub, chain):
    hub.add("door-2")
    dsn = hub.add("door-1")
    theirs = chain("door-2", 1)[0]
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
        insert(hub.sql(dsn), theirs)
    with HubClient(dsn) as client, pytest.raises(HubError, match="pushes only its own events") as refused:
        client.push([theirs])
    assert refused.value.reason == "refused"
    assert hub.sql().execute("SELECT count(*) FROM hub.events").fetchone()[0] == 0


def test_a_device_cannot_store_a_blob_as_another_device(hub):
    hub.add("door-2")
    device = hub.sql(hub.add("door-1"))
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
        device.execute("INSERT INTO hub.sealed (digest, content, device) VALUES (encode(sha256('x'), 'hex'), 'x', "
                       "'door-2')")


def test_a_device_cannot_set_when_the_hub_received_an_event(hub, chain):
    event = chain("door-1", 1)[0]
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        hub.sql(hub.add("door-1")).execute(
            "INSERT INTO hub.events (device, seq, event_id, prev, hlc, type, key, payload, hash, received_at) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, now() - interval '1 day')",
            [event.device, event.seq, event.id, event.prev, event.hlc, event.type, event.key, event.payload,
             event.hash])


def test_an_office_device_reads_but_never_pushes(hub, chain):
    with HubClient(hub.add("door-1")) as door:
        door.push(chain("door-1", 2))
    office = hub.client("office-1", kind="office")
    assert [event.seq for event in office.pull({}).events] == [1, 2]
    with pytest.raises(HubError, match="permission denied") as refused:
        office.push(chain("office-1", 1))
    assert refused.value.reason == "refused"


def test_a_revoked_device_cannot_log_in(hub):
    dsn = hub.add("door-1")
    revoke_device(hub.admin_dsn, "door-1", hub.password)
    with pytest.raises(HubError, match="has been revoked") as refused:
        HubClient(dsn)
    assert refused.value.reason == "revoked"
    role = hub.sql().execute("SELECT rolcanlogin FROM pg_roles WHERE rolname = %s", [role_name("door-1")]).fetchone()
    assert role == (False,)


def test_revoking_ends_the_devices_open_sessions(hub, chain):
    client = hub.client("door-1")
    assert revoke_device(hub.admin_dsn, "door-1", hub.password) == 1
    with pytest.raises(HubError, match="revoked") as refused:
        client.push(chain("door-1", 1))
    assert refused.value.reason == "revoked"


def test_a_session_that_outlives_revocation_is_refused_by_policy(hub, chain):
    """Revocation marked at the hub only (as when the administrator may not end sessions): the policies alone
    refuse the device's every read and write."""
    dsn = hub.add("door-1")
    with HubClient(hub.add("door-2")) as other:
        other.push(chain("door-2", 2))
    client = hub.client("door-3")
    raw = hub.sql(dsn)
    hub.sql().execute("UPDATE hub.devices SET revoked_at = now() WHERE name IN ('door-1', 'door-3')")
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        insert(raw, chain("door-1", 1)[0])
    assert raw.execute("SELECT count(*) FROM hub.events").fetchone() == (0,)
    assert raw.execute("SELECT count(*) FROM hub.sealed").fetchone() == (0,)
    for call in (lambda: client.push(chain("door-3", 1)), lambda: client.pull({}), lambda: client.push([]),
                 lambda: client.report_clock(datetime.now(UTC))):
        with pytest.raises(HubError, match="revoked") as refused:
            call()
        assert refused.value.reason == "revoked"


def test_device_names_map_to_roles_that_fit_and_never_collide():
    assert role_name("door-1") == "kiosk:door-1"
    long_a, long_b = "a" * 63, "a" * 62 + "b"
    assert len(role_name(long_a).encode()) <= 63 and role_name(long_a) != role_name(long_b)
    assert role_name("a" * 57) == "kiosk:" + "a" * 57
    for bad in ("", "door 1", "door-1\n", "-door", 'x"; DROP ROLE postgres; --', "a" * 64):
        with pytest.raises(HubError, match="not a device name"):
            role_name(bad)


def test_a_device_whose_name_is_quoted_sql_stays_a_name(hub):
    """Names reach SQL only as identifiers and literals: a dotted, dashed, mixed-case name is just a name."""
    dsn = hub.add("Door.East_1-b")
    with HubClient(dsn) as client:
        assert client.device == "Door.East_1-b"
    assert conninfo_to_dict(dsn)["user"] == "kiosk:Door.East_1-b"
