"""The hub's second migration, as SQL that ``kiosk.hub.schema`` fills in with its names and codes.

- The one rule for the digests an event body names under ``sealed`` or ``erase`` (``kiosk.core.events``
  ``named_digests``): one digest as text, several as a list, none as null or absent.  A kiosk's check-in
  names its sealed content by one digest, and a check-in carried over from the first release may name none.
- Whether the sealed content an event names is held is checked when its push commits, not as the row goes in:
  an IC who re-seals or purges check-ins before their kiosk has pushed them erases the old content on the
  kiosk at once, so the push carries the events that name it and, later in the same push, the event that
  erases it, never the content itself.
- ``hub.report_anomalies``: a device records how many anomalies and conflicts its own events are part of
  (``kiosk hub status`` shows them).
"""

SECOND = r"""
CREATE OR REPLACE FUNCTION hub.digests(body json, field text, event_id text) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    named json := body -> field;
    found text[];
BEGIN
    CASE coalesce(json_typeof(named), 'null')
        WHEN 'null' THEN found := '{{}}';
        WHEN 'string' THEN found := ARRAY[named #>> '{{}}'];
        WHEN 'array' THEN found := ARRAY(SELECT CASE WHEN json_typeof(d) = 'string' THEN d #>> '{{}}' END
                                         FROM json_array_elements(named) AS d);
        ELSE found := NULL;
    END CASE;
    IF found IS NULL OR EXISTS (SELECT FROM unnest(found) AS d
                                WHERE d IS NULL OR length(d) <> 64 OR d !~ '^[0-9a-f]+$') THEN
        RAISE EXCEPTION USING ERRCODE = '{MALFORMED}',
            MESSAGE = format('event %s: body.%s must name SHA-256 hex digests (one as text, several as a '
                             'list, or null)', event_id, field);
    END IF;
    RETURN found;
END
$$;

-- As in the first migration, but the sealed content an event names is only checked to be named well here:
-- whether the hub holds it is checked at commit (hub.sealed_held).
CREATE OR REPLACE FUNCTION hub.accept_event() RETURNS trigger
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

    PERFORM pg_advisory_xact_lock(hashtextextended('kiosk hub device ' || NEW.device, 0));
    SELECT e.seq, e.hash INTO last_seq, last_hash FROM hub.events AS e
        WHERE e.device = NEW.device ORDER BY e.seq DESC LIMIT 1;
    IF NEW.seq = coalesce(last_seq, 0) + 1 AND NEW.prev = coalesce(last_hash, repeat('0', 64)) THEN
        NULL;
    ELSIF NEW.seq <= last_seq THEN
        SELECT e.hash INTO held FROM hub.events AS e WHERE e.event_id = NEW.event_id;
        IF held = NEW.hash THEN
            RETURN NULL;
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

    PERFORM hub.digests(f.body, '{SEALED_FIELD}', NEW.event_id);
    refs := hub.digests(f.body, '{ERASE_FIELD}', NEW.event_id);
    IF cardinality(refs) > 0 THEN
        INSERT INTO hub.erased (digest, event_id) SELECT d, NEW.event_id FROM unnest(refs) AS d
            ON CONFLICT (digest) DO NOTHING;
        DELETE FROM hub.sealed WHERE digest = ANY (refs);
    END IF;
    PERFORM pg_notify('{CHANNEL}', NEW.device);
    RETURN NEW;
END
$$;

-- At commit: the sealed content each new event names is held, or was erased (by then, by any event).
CREATE FUNCTION hub.sealed_held() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF EXISTS (SELECT FROM unnest(hub.digests(NEW.payload::json -> 'body', '{SEALED_FIELD}', NEW.event_id)) AS d
               WHERE NOT EXISTS (SELECT FROM hub.sealed AS s WHERE s.digest = d)
                 AND NOT EXISTS (SELECT FROM hub.erased AS x WHERE x.digest = d)) THEN
        RAISE EXCEPTION USING ERRCODE = '{MISSING_BLOB}',
            MESSAGE = format('event %s refers to sealed content the hub does not hold: push it with the event',
                             NEW.event_id);
    END IF;
    RETURN NULL;
END
$$;

-- Only rows whose payload names the field at all are queued for the check (a door's scans never are).
CREATE CONSTRAINT TRIGGER sealed_held AFTER INSERT ON hub.events DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (strpos(NEW.payload, '"{SEALED_FIELD}":') > 0) EXECUTE FUNCTION hub.sealed_held();

-- A device records how many anomalies and conflicts its own events are part of.
CREATE FUNCTION hub.report_anomalies(counted integer) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF counted IS NULL OR counted < 0 THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'an anomaly count is 0 or more';
    END IF;
    UPDATE hub.devices SET anomalies = counted, last_seen = now() WHERE role = session_user AND revoked_at IS NULL;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE = 'this role is not an active device of the hub';
    END IF;
END
$$;

REVOKE ALL ON ALL FUNCTIONS IN SCHEMA hub FROM PUBLIC;
GRANT EXECUTE ON FUNCTION hub.report_anomalies(integer) TO {DEVICE_GROUP}, {OFFICE_GROUP};
"""
