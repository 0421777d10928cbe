"""The hub's schema: ordered migrations, each applied once and recorded in ``hub.migrations``.

Everything lives in the PostgreSQL schema ``hub`` of the hub's database and belongs to the administrator who
ran ``init_hub``.  Devices log in as their own roles, members of ``kiosk_device`` (may push) or
``kiosk_office`` (reads only); the two group roles are server-wide, but every right they have is checked
against *this* database's ``hub.devices``, so a role that is not an active device here can do nothing here.

What the hub enforces, whoever writes:
- an event is stored only if its payload hashes to its ``hash``, its envelope is in canonical form (the body
  is checked to be an object, not for the form of its inside), its columns say what its payload says, and it
  is the next link of its device's chain (``seq`` = last + 1, ``prev`` = the hash of the last); one push per
  device at a time (a transaction lock per device);
- an event already held (same id, same hash) is skipped: re-sending changes nothing; the same id with other
  content, or the same ``(device, seq)`` with another id (a forked history), is refused as a conflict;
- events are never updated, deleted or truncated;
- an event whose body names sealed blobs (``"sealed"``: one digest, a list of them, or null) is refused unless,
  when its push commits, the hub holds those blobs or has erased them; one naming blobs under ``"erase"``
  deletes them and remembers the digests, so a late re-send of an erased blob is dropped (migration 2,
  kiosk/hub/schema_v2.py);
- people's photos live apart in ``hub.photos``, each named by a ``photo.set`` event of the device that sent it
  and checked against that digest (migration 4, kiosk/hub/schema_v4.py);
- a device inserts only its own events and blobs (row-level security), reads everything while it is active,
  and has no UPDATE or DELETE right at all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from kiosk.core import events
from kiosk.core.events import MAX_PARENTS
from kiosk.core.record import PHOTO_SET
from kiosk.hub.schema_v2 import SECOND
from kiosk.hub.schema_v3 import THIRD
from kiosk.hub.schema_v4 import FOURTH, PHOTO_MAX_BYTES
from kiosk.hub.schema_v5 import FIFTH

if TYPE_CHECKING:
    import psycopg

DEVICE_GROUP = "kiosk_device"
OFFICE_GROUP = "kiosk_office"
CHANNEL = "kiosk_hub_events"  # NOTIFY channel: the payload is the name of the device that pushed
SEALED_FIELD = events.SEALED_FIELD  # in an event body: the digests of the blobs it refers to
ERASE_FIELD = events.ERASE_FIELD  # in an event body: the digests of the blobs to delete everywhere
SKEW_LIMIT_SECONDS = 120  # a device clock further off than this is flagged

# Custom SQLSTATEs raised by the hub's functions (class KH: kiosk hub).
CHAIN_BROKEN, CONFLICT, MALFORMED, MISSING_BLOB, APPEND_ONLY = "KH001", "KH002", "KH004", "KH005", "KH006"
UNNAMED_PHOTO = "KH007"


class Migration(NamedTuple):
    version: int
    name: str
    sql: str


BOOTSTRAP = """
CREATE SCHEMA IF NOT EXISTS hub;
CREATE TABLE IF NOT EXISTS hub.migrations (
    version integer PRIMARY KEY,
    name text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
);
"""

INITIAL = rf"""
DO $roles$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{DEVICE_GROUP}') THEN
        CREATE ROLE {DEVICE_GROUP} NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{OFFICE_GROUP}') THEN
        CREATE ROLE {OFFICE_GROUP} NOLOGIN;
    END IF;
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO {DEVICE_GROUP}, {OFFICE_GROUP}', current_database());
END $roles$;

CREATE TABLE hub.devices (
    name text PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._-]*$' AND length(name) <= 63),
    role name NOT NULL UNIQUE,
    kind text NOT NULL DEFAULT 'kiosk' CHECK (kind IN ('kiosk', 'office')),
    added_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz,
    last_seen timestamptz,
    clock_skew interval,          -- the hub's now() minus the device's clock, at its last report
    clock_reported_at timestamptz,
    anomalies integer NOT NULL DEFAULT 0
);

-- Patterns are written as '^[0-9a-f]+$' plus a length: PostgreSQL runs a bounded repeat such as {{64}} ten
-- times slower, and these checks run for every event.
CREATE TABLE hub.events (
    device text NOT NULL REFERENCES hub.devices (name),
    seq bigint NOT NULL CHECK (seq >= 1),
    event_id text NOT NULL UNIQUE CHECK (length(event_id) = 32 AND event_id ~ '^[0-9a-f]+$'),
    prev text NOT NULL CHECK (length(prev) = 64 AND prev ~ '^[0-9a-f]+$'),
    hlc text NOT NULL CHECK (length(hlc) = 18 AND strpos(hlc, '-') = 14 AND hlc ~ '^[0-9]+-[0-9]+$'),
    type text NOT NULL CHECK (type <> ''),
    key text NOT NULL CHECK (key <> ''),
    payload text NOT NULL,
    hash text NOT NULL CHECK (length(hash) = 64 AND hash ~ '^[0-9a-f]+$'),
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (device, seq)
);

CREATE TABLE hub.sealed (
    digest text PRIMARY KEY,
    content bytea NOT NULL,
    device text NOT NULL REFERENCES hub.devices (name),
    received_at timestamptz NOT NULL DEFAULT now(),
    CHECK (digest = encode(sha256(content), 'hex'))
);

CREATE TABLE hub.erased (
    digest text PRIMARY KEY CHECK (length(digest) = 64 AND digest ~ '^[0-9a-f]+$'),
    event_id text NOT NULL,
    erased_at timestamptz NOT NULL DEFAULT now()
);

-- The device the session's login role belongs to, while it is not revoked (NULL otherwise).
CREATE FUNCTION hub.my_device() RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT name FROM hub.devices WHERE role = session_user AND revoked_at IS NULL
$$;

-- The digests an event body lists under a field; refuses anything but a list of digests.
CREATE FUNCTION hub.digests(body json, field text, event_id text) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    found text[];
BEGIN
    IF json_typeof(body -> field) = 'array' THEN
        found := ARRAY(SELECT json_array_elements(body -> field) #>> '{{}}');
    END IF;
    IF found IS NULL OR EXISTS (SELECT FROM unnest(found) AS d
                                WHERE d IS NULL OR length(d) <> 64 OR d !~ '^[0-9a-f]+$') THEN
        RAISE EXCEPTION USING ERRCODE = '{MALFORMED}',
            MESSAGE = format('event %s: body.%s must be a list of SHA-256 hex digests', event_id, field);
    END IF;
    RETURN found;
END
$$;

-- Whether an event's parents are in canonical form: a list of at most {MAX_PARENTS} event ids, each once, in order.
CREATE FUNCTION hub.parents_ok(parents json) RETURNS boolean
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT CASE WHEN json_typeof(parents) IS DISTINCT FROM 'array' THEN false ELSE
        json_array_length(parents) <= {MAX_PARENTS}
        AND parents::text = '[' || coalesce((SELECT string_agg(to_json(p)::text, ',' ORDER BY n)
                                             FROM json_array_elements_text(parents) WITH ORDINALITY AS x(p, n)), '')
                            || ']'
        AND NOT EXISTS (SELECT FROM (SELECT p, lag(p) OVER (ORDER BY n) AS before
                                     FROM json_array_elements_text(parents) WITH ORDINALITY AS x(p, n)) AS y
                        WHERE length(p) <> 32 OR p ~ '[^0-9a-f]' OR p COLLATE "C" <= before COLLATE "C")
    END
$$;

CREATE FUNCTION hub.accept_event() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    f record;
    held text;
    last_seq bigint;
    last_hash text;
    refs text[];
BEGIN
    IF encode(sha256(convert_to(NEW.payload, 'UTF8')), 'hex') IS DISTINCT FROM NEW.hash THEN
        RAISE EXCEPTION USING ERRCODE = '{MALFORMED}',
            MESSAGE = format('event %s: hash is not the SHA-256 of its payload', NEW.event_id);
    END IF;
    SELECT * INTO f FROM json_to_record(NEW.payload::json) AS x(at text, parents json, body json);
    -- The envelope rebuilt from the columns in canonical form (sorted keys, no spaces) must be the payload
    -- itself: no key missing, extra or repeated, and every column is what the payload says.
    IF json_typeof(f.body) IS DISTINCT FROM 'object' OR f.at = '' OR NOT hub.parents_ok(f.parents)
        OR NEW.payload IS DISTINCT FROM
        '{{"at":' || to_json(f.at) || ',"body":' || f.body || ',"device":' || to_json(NEW.device)
        || ',"hlc":' || to_json(NEW.hlc) || ',"id":' || to_json(NEW.event_id) || ',"key":' || to_json(NEW.key)
        || ',"parents":' || f.parents::text || ',"prev":' || to_json(NEW.prev)
        || ',"seq":' || NEW.seq || ',"type":' || to_json(NEW.type) || ',"v":1}}'
    THEN
        RAISE EXCEPTION USING ERRCODE = '{MALFORMED}',
            MESSAGE = format('event %s: its columns do not match its payload, or the payload is not a '
                             'canonical format-1 event', NEW.event_id);
    END IF;

    -- One push per device at a time, so that "last + 1" means the same to every pusher (a transaction lock:
    -- taking it again for each row of the batch costs next to nothing).
    PERFORM pg_advisory_xact_lock(hashtextextended('kiosk hub device ' || NEW.device, 0));
    SELECT e.seq, e.hash INTO last_seq, last_hash FROM hub.events AS e
        WHERE e.device = NEW.device ORDER BY e.seq DESC LIMIT 1;
    IF NEW.seq = coalesce(last_seq, 0) + 1 AND NEW.prev = coalesce(last_hash, repeat('0', 64)) THEN
        NULL;  -- the next link; an id already held by another event is refused by the unique index
    ELSIF NEW.seq <= last_seq THEN
        SELECT e.hash INTO held FROM hub.events AS e WHERE e.event_id = NEW.event_id;
        IF held = NEW.hash THEN
            RETURN NULL;  -- already held: nothing changes
        ELSIF FOUND THEN
            RAISE EXCEPTION USING ERRCODE = '{CONFLICT}',
                MESSAGE = format('event %s is already held at the hub with other content', NEW.event_id);
        END IF;
        RAISE EXCEPTION USING ERRCODE = '{CONFLICT}',
            MESSAGE = format('device %s: the hub already holds another event %s (id %s is new): this '
                             'device''s history has forked', NEW.device, NEW.seq, NEW.event_id);
    ELSE
        RAISE EXCEPTION USING ERRCODE = '{CHAIN_BROKEN}',
            MESSAGE = format('device %s: event %s does not follow the hub''s last event %s (expected seq %s '
                             'with the previous event''s hash)', NEW.device, NEW.seq, coalesce(last_seq, 0),
                             coalesce(last_seq, 0) + 1);
    END IF;

    IF f.body -> '{SEALED_FIELD}' IS NOT NULL AND EXISTS (
        SELECT FROM unnest(hub.digests(f.body, '{SEALED_FIELD}', NEW.event_id)) AS d
        WHERE NOT EXISTS (SELECT FROM hub.sealed AS s WHERE s.digest = d)
          AND NOT EXISTS (SELECT FROM hub.erased AS x WHERE x.digest = d)) THEN
        RAISE EXCEPTION USING ERRCODE = '{MISSING_BLOB}',
            MESSAGE = format('event %s refers to sealed content the hub does not hold: push it with the event',
                             NEW.event_id);
    END IF;
    IF f.body -> '{ERASE_FIELD}' IS NOT NULL THEN
        refs := hub.digests(f.body, '{ERASE_FIELD}', NEW.event_id);
        INSERT INTO hub.erased (digest, event_id) SELECT d, NEW.event_id FROM unnest(refs) AS d
            ON CONFLICT (digest) DO NOTHING;
        DELETE FROM hub.sealed WHERE digest = ANY (refs);
    END IF;
    -- Wake the kiosks that follow the hub: delivered at commit, one per device however many rows it pushed.
    PERFORM pg_notify('{CHANNEL}', NEW.device);
    RETURN NEW;
END
$$;

CREATE TRIGGER accept_event BEFORE INSERT ON hub.events FOR EACH ROW EXECUTE FUNCTION hub.accept_event();

CREATE FUNCTION hub.refuse_change() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = '{APPEND_ONLY}',
        MESSAGE = format('%s is append-only: the hub never changes or removes what it holds', TG_TABLE_NAME);
END
$$;

CREATE TRIGGER append_only BEFORE UPDATE OR DELETE ON hub.events
    FOR EACH ROW EXECUTE FUNCTION hub.refuse_change();
CREATE TRIGGER append_only_truncate BEFORE TRUNCATE ON hub.events
    FOR EACH STATEMENT EXECUTE FUNCTION hub.refuse_change();
CREATE TRIGGER append_only BEFORE UPDATE ON hub.sealed
    FOR EACH ROW EXECUTE FUNCTION hub.refuse_change();
CREATE TRIGGER append_only BEFORE UPDATE OR DELETE ON hub.erased
    FOR EACH ROW EXECUTE FUNCTION hub.refuse_change();

-- A blob erased at the hub stays erased: a late re-send of it (from a kiosk that has not yet pulled the
-- erasure) is dropped.
CREATE FUNCTION hub.accept_blob() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF EXISTS (SELECT FROM hub.erased WHERE digest = NEW.digest) THEN
        RETURN NULL;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER accept_blob BEFORE INSERT ON hub.sealed FOR EACH ROW EXECUTE FUNCTION hub.accept_blob();

-- A device reports its clock at every sync; returns the skew (hub minus device) and whether it is too far.
CREATE FUNCTION hub.report_clock(device_now timestamptz, OUT skew interval, OUT flagged boolean)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    UPDATE hub.devices SET clock_skew = now() - device_now, clock_reported_at = now(), last_seen = now()
        WHERE role = session_user AND revoked_at IS NULL
        RETURNING clock_skew INTO skew;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE = 'this role is not an active device of the hub';
    END IF;
    flagged := skew > interval '{SKEW_LIMIT_SECONDS} seconds' OR skew < -interval '{SKEW_LIMIT_SECONDS} seconds';
END
$$;

REVOKE ALL ON ALL FUNCTIONS IN SCHEMA hub FROM PUBLIC;
GRANT USAGE ON SCHEMA hub TO {DEVICE_GROUP}, {OFFICE_GROUP};
GRANT EXECUTE ON FUNCTION hub.my_device(), hub.report_clock(timestamptz) TO {DEVICE_GROUP}, {OFFICE_GROUP};
GRANT SELECT (name, kind, revoked_at) ON hub.devices TO {DEVICE_GROUP}, {OFFICE_GROUP};
GRANT SELECT ON hub.events, hub.sealed TO {DEVICE_GROUP}, {OFFICE_GROUP};
GRANT INSERT (device, seq, event_id, prev, hlc, type, key, payload, hash) ON hub.events TO {DEVICE_GROUP};
GRANT INSERT (digest, content, device) ON hub.sealed TO {DEVICE_GROUP};

ALTER TABLE hub.events ENABLE ROW LEVEL SECURITY;
ALTER TABLE hub.sealed ENABLE ROW LEVEL SECURITY;
CREATE POLICY read_while_active ON hub.events FOR SELECT TO {DEVICE_GROUP}, {OFFICE_GROUP}
    USING ((SELECT hub.my_device()) IS NOT NULL);
CREATE POLICY insert_own ON hub.events FOR INSERT TO {DEVICE_GROUP}
    WITH CHECK (device = (SELECT hub.my_device()));
CREATE POLICY read_while_active ON hub.sealed FOR SELECT TO {DEVICE_GROUP}, {OFFICE_GROUP}
    USING ((SELECT hub.my_device()) IS NOT NULL);
CREATE POLICY insert_own ON hub.sealed FOR INSERT TO {DEVICE_GROUP}
    WITH CHECK (device = (SELECT hub.my_device()));
"""

# The names the migrations' SQL is written with ({MALFORMED}, {DEVICE_GROUP}...): each takes those it uses.
NAMES = {
    "MALFORMED": MALFORMED,
    "CONFLICT": CONFLICT,
    "CHAIN_BROKEN": CHAIN_BROKEN,
    "MISSING_BLOB": MISSING_BLOB,
    "UNNAMED_PHOTO": UNNAMED_PHOTO,
    "SEALED_FIELD": SEALED_FIELD,
    "ERASE_FIELD": ERASE_FIELD,
    "CHANNEL": CHANNEL,
    "DEVICE_GROUP": DEVICE_GROUP,
    "OFFICE_GROUP": OFFICE_GROUP,
    "PHOTO_MAX_BYTES": PHOTO_MAX_BYTES,
    "PHOTO_SET": PHOTO_SET,
}

MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "devices, events, sealed blobs, chain checks, device rights", INITIAL),
    Migration(
        2,
        "one digest or a list under sealed and erase, blobs checked at commit, anomaly counts",
        SECOND.format_map(NAMES),
    ),
    Migration(
        3,
        "the same event checks, skipping those that cannot apply (no parents, no sealed or erase)",
        THIRD.format_map(NAMES),
    ),
    Migration(
        4,
        "people's photos: bytes named by a photo event, checked against its digest, erasable",
        FOURTH.format_map(NAMES),
    ),
    Migration(
        5,
        "the same event checks, with no query per event in the steady state (one lock and wake-up a push)",
        FIFTH.format_map(NAMES),
    ),
)


def migrate(conn: psycopg.Connection) -> list[Migration]:
    """Apply the migrations this hub lacks, in order, in one transaction; returns those applied now.

    An advisory lock makes two administrators running it at once take turns instead of racing.
    """
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtext('kiosk hub migrations'))")
        conn.execute(BOOTSTRAP)
        done = {version for (version,) in conn.execute("SELECT version FROM hub.migrations")}
        applied = []
        for migration in MIGRATIONS:
            if migration.version not in done:
                conn.execute(migration.sql)
                conn.execute(
                    "INSERT INTO hub.migrations (version, name) VALUES (%s, %s)", (migration.version, migration.name)
                )
                applied.append(migration)
    return applied
